package traceview_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/polytrace/polytrace/backends/ui"
	"github.com/polytrace/polytrace/tracer"
	"github.com/polytrace/polytrace/traceview"
)

// Serve the viewer on the application's own router, under /debug/traces
// (behind whatever authentication the application has), instead of a
// listener of its own: TRACER_UI_ADDR=off.
func ExampleHandler() {
	inst, err := tracer.Open("ui", tracer.Config{
		ServiceName: "checkout",
		Lookup:      tracer.MapLookup(map[string]string{ui.EnvAddr: "off"}),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	inst.Tracer.StartSpan("load-cart").Finish()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = inst.Shutdown(ctx) // the span is in the store

	mux := http.NewServeMux()
	mux.Handle("/debug/traces/", traceview.Handler(traceview.Default(), "/debug/traces"))

	srv := httptest.NewServer(mux)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/debug/traces/api/services/checkout/operations")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(strings.TrimSpace(string(body)))
	// Output: {"data":["load-cart"],"total":1,"limit":0,"offset":0,"errors":null}
}
