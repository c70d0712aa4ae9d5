package httpclient_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/mocktracer"

	"github.com/polytrace/polytrace/httpclient"
)

func Example() {
	inventory := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The trace context arrived in the headers.
		fmt.Println("inventory got trace headers:", r.Header.Get("Mockpfx-Ids-Traceid") != "")
		fmt.Fprint(w, `{"sku":"sku-1","available":3}`)
	}))
	defer inventory.Close()

	tr := mocktracer.New() // in a service: the polytrace.Tracer
	client := httpclient.Client(nil, httpclient.WithTracer(tr))

	// The caller's span, as ginmw puts it in the request's context.
	parent := tr.StartSpan("GET /checkout/:sku")
	ctx := opentracing.ContextWithSpan(context.Background(), parent)

	// The route names the span; the path's id stays out of the name.
	ctx = httpclient.WithRoute(ctx, "/inventory/:sku")
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, inventory.URL+"/inventory/sku-1?fresh=1", nil)
	resp, err := client.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close() // finishes the client span
	parent.Finish()

	fmt.Println(string(body))
	span := tr.FinishedSpans()[0]
	fmt.Println(span.OperationName, span.Tag("span.kind"), span.Tag("http.status_code"))
	fmt.Println("child of the caller's span:", span.ParentID == parent.(*mocktracer.MockSpan).SpanContext.SpanID)
	// Output:
	// inventory got trace headers: true
	// {"sku":"sku-1","available":3}
	// GET /inventory/:sku client 200
	// child of the caller's span: true
}
