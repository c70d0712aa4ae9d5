package otel

import (
	"context"
	"io"
	"log"
	"net/http"
	"testing"
	"time"

	"github.com/polytrace/polytrace/tracer"
	"github.com/polytrace/polytrace/tracer/tracertest"
)

// FuzzExtractHTTPHeaders feeds W3C headers (traceparent, tracestate,
// baggage) to the backend's Extract. Whatever they hold, Extract must not
// panic; a context it accepts must start a child, inject, and survive a
// second round trip with the same trace id. The seed corpus is in
// testdata/fuzz/FuzzExtractHTTPHeaders.
func FuzzExtractHTTPHeaders(f *testing.F) {
	for _, s := range [][3]string{
		{"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "congo=t61rcWkgMzE", "tenant=acme"},
		{"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00", "", "k=v;prop=1,k2=%20x"},
		{"00-zz-zz-01", "", ""},
		{"ff-00000000000000000000000000000000-0000000000000000-00", "a=b", ""},
		{"01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra", "x=y,x=z", "==,,"},
		{"00-00000000000000000000000000000000-00f067aa0ba902b7-01", "", ""},
		{"", "", "k=v"},
	} {
		f.Add(s[0], s[1], s[2])
	}
	inst, err := New(tracer.Config{ServiceName: "fuzz"}, Options{
		Protocol: ProtocolHTTPProtobuf, Endpoint: "http://127.0.0.1:9/v1/traces",
		Logger: log.New(io.Discard, "", 0),
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = inst.Shutdown(ctx)
	})
	tr := inst.Tracer
	f.Fuzz(func(t *testing.T, traceparent, tracestate, baggage string) {
		h := http.Header{}
		for k, v := range map[string]string{"Traceparent": traceparent, "Tracestate": tracestate, "Baggage": baggage} {
			if v != "" {
				h[k] = []string{v}
			}
		}
		tracertest.CheckExtract(t, tr, h, "Traceparent")
	})
}
