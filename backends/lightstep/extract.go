package lightstep

import (
	"net/http"
	"strings"

	lsgo "github.com/lightstep/lightstep-tracer-go"
	"github.com/opentracing/opentracing-go"

	"github.com/polytrace/polytrace/internal/hdrscan"
	"github.com/polytrace/polytrace/propagation"
)

// headerPropagator is the tracer's propagator for the HTTPHeaders format:
// lightstep.LightStepPropagator, except that the two common requests are
// read without the copy of every header's name that the client's
// propagator makes, twice:
//
//   - one without ot-tracer-* headers: opentracing.ErrSpanContextNotFound
//     (baggage alone is no context for the client either);
//   - one with the three ot-tracer-* headers once each under their
//     canonical names, as Go's HTTP server gives them, 64-bit ids and
//     sampled true or false, and no baggage: read by package
//     propagation's OTTrace parser, the one parser of the format, into
//     the context the client would build.
//
// Anything else (baggage, repeated or odd headers, values the client
// reads differently) goes to the client's propagator.
type headerPropagator struct{}

var _ lsgo.Propagator = headerPropagator{}

var (
	otFields = hdrscan.Fields{Prefixes: []string{"ot-tracer-"}}
	otAll    = hdrscan.Fields{Prefixes: []string{"ot-tracer-", "ot-baggage-"}}
	otFormat = propagation.Formats{propagation.OTTrace}
)

// Inject implements lightstep.Propagator.
func (headerPropagator) Inject(sc opentracing.SpanContext, carrier interface{}) error {
	return lsgo.LightStepPropagator.Inject(sc, carrier)
}

// Extract implements lightstep.Propagator.
func (headerPropagator) Extract(carrier interface{}) (opentracing.SpanContext, error) {
	if h, ok := carrier.(opentracing.HTTPHeadersCarrier); ok {
		if otFields.Absent(h) {
			return nil, opentracing.ErrSpanContextNotFound
		}
		if sc, ok := extractPlain(http.Header(h)); ok {
			return sc, nil
		}
	}
	return lsgo.LightStepPropagator.Extract(carrier)
}

// extractPlain is the second case above; ok is false for any other.
func extractPlain(h http.Header) (sc lsgo.SpanContext, ok bool) {
	tid, sid, sampled := h["Ot-Tracer-Traceid"], h["Ot-Tracer-Spanid"], h["Ot-Tracer-Sampled"]
	if len(tid) != 1 || len(sid) != 1 || len(sampled) != 1 || (sampled[0] != "true" && sampled[0] != "false") ||
		strings.TrimSpace(tid[0]) != tid[0] || strings.TrimSpace(sid[0]) != sid[0] {
		return sc, false
	}
	n := 0
	for k := range h {
		if otAll.Match(k) {
			n++
		}
	}
	if n != 3 {
		return sc, false
	}
	c, err := otFormat.Extract(opentracing.HTTPHeadersCarrier(h))
	if err != nil || c.TraceID.High != 0 {
		return sc, false
	}
	return lsgo.SpanContext{TraceID: c.TraceID.Low, SpanID: c.SpanID, Sampled: sampled[0], Baggage: map[string]string{}}, true
}
