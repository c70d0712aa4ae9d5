package lightstep

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/polytrace/polytrace/tracer"
	"github.com/polytrace/polytrace/tracer/tracertest"
)

// FuzzExtractHTTPHeaders feeds Lightstep's inbound headers (ot-tracer-*
// and ot-baggage-*) to Extract. Whatever they hold, Extract must not
// panic; a context it accepts must start a child, inject, and survive a
// second round trip with the same trace id. The seed corpus is in
// testdata/fuzz/FuzzExtractHTTPHeaders.
func FuzzExtractHTTPHeaders(f *testing.F) {
	for _, s := range [][5]string{
		{"4bf92f3577b34da6", "00f067aa0ba902b7", "true", "tenant", "acme"},
		{"1", "2", "false", "", ""},
		{"qq", "qq", "", "k", "v"},
		{"1", "", "", "", ""},
		{"", "", "true", "", ""},
		{"ffffffffffffffffff", "1", "1", "k", "%zz"},
		{"0", "0", "0", "K", "V"},
	} {
		f.Add(s[0], s[1], s[2], s[3], s[4])
	}
	// Reports go to the discard port, where nothing listens.
	inst, err := build(tracer.Config{ServiceName: "fuzz"},
		Options{AccessToken: "fuzz-token", CollectorHost: "127.0.0.1", CollectorPort: 9, Plaintext: true}, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = inst.Shutdown(ctx)
	})
	tr := inst.Tracer
	f.Fuzz(func(t *testing.T, traceID, spanID, sampled, baggageKey, baggageValue string) {
		h := http.Header{}
		for k, v := range map[string]string{
			"Ot-Tracer-Traceid": traceID, "Ot-Tracer-Spanid": spanID, "Ot-Tracer-Sampled": sampled,
			"Ot-Baggage-" + baggageKey: baggageValue,
		} {
			if v != "" {
				h[k] = []string{v}
			}
		}
		tracertest.CheckExtract(t, tr, h, "Ot-Tracer-Traceid")
	})
}
