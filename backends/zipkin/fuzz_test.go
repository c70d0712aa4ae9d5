package zipkin

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/openzipkin/zipkin-go/reporter"

	"github.com/polytrace/polytrace/tracer"
	"github.com/polytrace/polytrace/tracer/tracertest"
)

// FuzzExtractHTTPHeaders feeds B3 headers, multi (x-b3-*) and single
// (b3), plus baggage-* headers, to Extract. Whatever they hold, Extract
// must not panic; a context it accepts must start a child, inject, and
// survive a second round trip with the same trace id. The seed corpus is
// in testdata/fuzz/FuzzExtractHTTPHeaders.
func FuzzExtractHTTPHeaders(f *testing.F) {
	for _, s := range [][8]string{
		{"4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", "", "1", "", "", "tenant", "acme"},
		{"00f067aa0ba902b7", "00f067aa0ba902b7", "0000000000000001", "0", "", "", "", ""},
		{"", "", "", "", "", "4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1-0000000000000001", "k", "v%zz"},
		{"", "", "", "", "", "-", "", ""},
		{"", "", "", "", "", "0", "", ""},
		{"", "", "", "", "", "a-b-c-d-e", "", ""},
		{"xyz", "1", "", "maybe", "", "", "", ""},
		{"0000000000000001", "nothex", "", "", "1", "", "", ""},
		{"00000000000000000000000000000000", "0000000000000000", "", "d", "2", "", "", ""},
	} {
		f.Add(s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7])
	}
	inst, err := NewWithReporter(tracer.Config{ServiceName: "fuzz"}, reporter.NewNoopReporter())
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = inst.Shutdown(ctx)
	})
	f.Fuzz(func(t *testing.T, traceID, spanID, parentID, sampled, flags, single, baggageKey, baggageValue string) {
		h := http.Header{}
		for k, v := range map[string]string{
			"X-B3-Traceid": traceID, "X-B3-Spanid": spanID, "X-B3-Parentspanid": parentID,
			"X-B3-Sampled": sampled, "X-B3-Flags": flags, "B3": single, "Baggage-" + baggageKey: baggageValue,
		} {
			if v != "" {
				h[k] = []string{v}
			}
		}
		tracertest.CheckExtract(t, inst.Tracer, h, "X-B3-Traceid")
	})
}
