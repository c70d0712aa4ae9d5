package lightstep

import (
	"strconv"
	"strings"

	lsgo "github.com/lightstep/lightstep-tracer-go"
	"github.com/opentracing/opentracing-go"

	"github.com/polytrace/polytrace/internal/hdrscan"
)

// headerPropagator is the tracer's propagator for the HTTPHeaders format:
// lightstep.LightStepPropagator, except that it extracts from HTTP headers
// without lower-casing (copying) the name of every header of the request,
// twice, as that propagator does.
type headerPropagator struct{}

var _ lsgo.Propagator = headerPropagator{}

// Inject implements lightstep.Propagator.
func (headerPropagator) Inject(sc opentracing.SpanContext, carrier interface{}) error {
	return lsgo.LightStepPropagator.Inject(sc, carrier)
}

// Extract implements lightstep.Propagator. For HTTP headers it reads them
// as the client does, without copying every header name; other carriers
// go to the client's propagator.
func (headerPropagator) Extract(carrier interface{}) (opentracing.SpanContext, error) {
	h, ok := carrier.(opentracing.HTTPHeadersCarrier)
	if !ok {
		return lsgo.LightStepPropagator.Extract(carrier)
	}
	return extractHeaders(h)
}

// The fields of the Lightstep format, lower case.
const (
	fieldTraceID  = "ot-tracer-traceid"
	fieldSpanID   = "ot-tracer-spanid"
	fieldSampled  = "ot-tracer-sampled"
	prefixBaggage = "ot-baggage-"
)

// extractHeaders is the client's text map extraction with its quirks:
// every value of every header counts (so repeated fields count twice),
// the three fields must have been seen three times in all, ids are hex,
// a field that does not parse stops everything with
// ErrSpanContextCorrupted, and baggage names are lower-cased.
func extractHeaders(h opentracing.HTTPHeadersCarrier) (opentracing.SpanContext, error) {
	var (
		sc    lsgo.SpanContext
		count int
	)
	for k, vals := range h {
		for _, v := range vals {
			switch {
			case hdrscan.Is(k, fieldTraceID):
				id, err := strconv.ParseUint(v, 16, 64)
				if err != nil {
					return nil, opentracing.ErrSpanContextCorrupted
				}
				sc.TraceID = id
				count++
			case hdrscan.Is(k, fieldSpanID):
				id, err := strconv.ParseUint(v, 16, 64)
				if err != nil {
					return nil, opentracing.ErrSpanContextCorrupted
				}
				sc.SpanID = id
				count++
			case hdrscan.Is(k, fieldSampled):
				sc.Sampled = v
				count++
			}
		}
	}
	switch {
	case count == 0:
		return nil, opentracing.ErrSpanContextNotFound
	case count < 3:
		return nil, opentracing.ErrSpanContextCorrupted
	}
	sc.Baggage = map[string]string{} // never nil, as the client returns it
	for k, vals := range h {
		if hdrscan.HasPrefix(k, prefixBaggage) {
			for _, v := range vals {
				sc.Baggage[strings.ToLower(k[len(prefixBaggage):])] = v
			}
		}
	}
	return sc, nil
}
