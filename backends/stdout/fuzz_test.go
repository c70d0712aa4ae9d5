package stdout

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/polytrace/polytrace/tracer"
	"github.com/polytrace/polytrace/tracer/tracertest"
)

// FuzzExtractHTTPHeaders feeds B3 headers (x-b3-* and b3) and baggage-*
// headers to the stdout backend's Extract, as the zipkin backend's fuzz
// test does: no panic, and an accepted context must start a child that
// writes a line and injects the same trace id twice in a row. The seed
// corpus is in testdata/fuzz/FuzzExtractHTTPHeaders.
func FuzzExtractHTTPHeaders(f *testing.F) {
	for _, s := range [][6]string{
		{"4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", "1", "", "tenant", "acme"},
		{"", "", "", "4bf92f3577b34da6-00f067aa0ba902b7-d", "k", "%"},
		{"", "", "", "a-b-c-d-e", "", ""},
		{"xyz", "1", "maybe", "-", "", ""},
		{"0000000000000000", "0000000000000000", "0", "", "k", "v"},
	} {
		f.Add(s[0], s[1], s[2], s[3], s[4], s[5])
	}
	inst, err := New(tracer.Config{ServiceName: "fuzz"}, Options{Writer: io.Discard})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = inst.Shutdown(ctx)
	})
	tr := inst.Tracer
	f.Fuzz(func(t *testing.T, traceID, spanID, sampled, single, baggageKey, baggageValue string) {
		h := http.Header{}
		for k, v := range map[string]string{
			"X-B3-Traceid": traceID, "X-B3-Spanid": spanID, "X-B3-Sampled": sampled,
			"B3": single, "Baggage-" + baggageKey: baggageValue,
		} {
			if v != "" {
				h[k] = []string{v}
			}
		}
		tracertest.CheckExtract(t, tr, h, "X-B3-Traceid")
	})
}
