package jaeger_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/polytrace/polytrace/backends/jaeger"
	"github.com/polytrace/polytrace/tracer"
	"github.com/polytrace/polytrace/tracer/tracertest"
)

// FuzzExtractHTTPHeaders feeds Jaeger's inbound headers (uber-trace-id,
// uberctx-*, jaeger-debug-id, jaeger-baggage) to Extract. Whatever they
// hold, Extract must not panic; a context it accepts must start a child,
// inject, and survive a second round trip with the same trace header.
// The seed corpus is in testdata/fuzz/FuzzExtractHTTPHeaders.
func FuzzExtractHTTPHeaders(f *testing.F) {
	for _, s := range [][4]string{
		{"4bf92f3577b34da6a3ce929d0e0e4736:00f067aa0ba902b7:0:1", "tenant", "acme", ""},
		{"00f067aa0ba902b7:00f067aa0ba902b7:0:0", "k", "%20v%zz", ""},
		{"1:2:3:4", "", "", "debug-1"},
		{"not-a-trace-id", "k", "v", ""},
		{"::::", "", "", ""},
		{"0:0:0:0", "a=b", "c", ""},
		{"ffffffffffffffffffffffffffffffffff:1:0:1", "k", "v", ""},
		{"1:1:1:99999999999999999999", "k", "v", ""},
		{"", "only", "baggage", ""},
	} {
		f.Add(s[0], s[1], s[2], s[3])
	}
	// No agent listens on the discard port; finished spans go nowhere.
	inst, err := jaeger.New(tracer.Config{ServiceName: "fuzz"}, jaeger.Options{AgentHost: "127.0.0.1", AgentPort: 9})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = inst.Shutdown(ctx)
	})
	tr := inst.Tracer
	f.Fuzz(func(t *testing.T, traceID, baggageKey, baggageValue, debugID string) {
		h := http.Header{}
		h["Uber-Trace-Id"] = []string{traceID}
		h["Uberctx-"+baggageKey] = []string{baggageValue}
		h["Jaeger-Debug-Id"] = []string{debugID}
		h["Jaeger-Baggage"] = []string{baggageKey + "=" + baggageValue}
		tracertest.CheckExtract(t, tr, h, "Uber-Trace-Id")
	})
}
