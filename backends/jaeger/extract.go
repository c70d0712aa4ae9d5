package jaeger

import (
	"net/url"

	"github.com/opentracing/opentracing-go"
	jaegerclient "github.com/uber/jaeger-client-go"

	"github.com/polytrace/polytrace/internal/hdrscan"
)

// headerFields are the headers jaeger-client-go's HTTP propagator reads,
// with its default names: the trace context, the debug id, the ad hoc
// baggage list and one header per baggage item.
var headerFields = hdrscan.Fields{
	Names:    []string{jaegerclient.TraceContextHeaderName, jaegerclient.JaegerDebugHeader, jaegerclient.JaegerBaggageHeader},
	Prefixes: []string{jaegerclient.TraceBaggageHeaderPrefix},
}

// headerExtractor is the tracer's extractor for the HTTPHeaders format.
// The client's own HTTP propagator lower-cases (copies) the name of every
// header of every request; this one does not, for the two common cases:
//
//   - no Jaeger header at all: opentracing.ErrSpanContextNotFound;
//   - one uber-trace-id header and no other Jaeger header: the context
//     parsed by jaegerclient.ContextFromString, as the propagator does.
//
// Anything else (a debug id, baggage, repeated headers) and any other
// carrier goes to the client's propagator.
type headerExtractor struct {
	next    jaegerclient.Extractor
	metrics *jaegerclient.Metrics
}

func newHeaderExtractor(m *jaegerclient.Metrics) headerExtractor {
	return headerExtractor{
		next:    jaegerclient.NewHTTPHeaderPropagator((&jaegerclient.HeadersConfig{}).ApplyDefaults(), *m),
		metrics: m,
	}
}

// Extract implements jaegerclient.Extractor.
func (e headerExtractor) Extract(carrier interface{}) (jaegerclient.SpanContext, error) {
	h, ok := carrier.(opentracing.HTTPHeadersCarrier)
	if !ok {
		return e.next.Extract(carrier)
	}
	var (
		value string
		n     int
	)
	for k, vals := range h {
		switch {
		case hdrscan.Is(k, jaegerclient.TraceContextHeaderName):
			n += len(vals)
			if len(vals) > 0 {
				value = vals[0]
			}
		case headerFields.Match(k):
			return e.next.Extract(carrier)
		}
	}
	switch n {
	case 0:
		return jaegerclient.SpanContext{}, opentracing.ErrSpanContextNotFound
	case 1:
	default:
		return e.next.Extract(carrier)
	}
	if v, err := url.QueryUnescape(value); err == nil {
		value = v // as the propagator decodes, ignoring errors
	}
	sc, err := jaegerclient.ContextFromString(value)
	if err != nil {
		e.metrics.DecodingErrors.Inc(1)
		return jaegerclient.SpanContext{}, err
	}
	if !sc.TraceID().IsValid() {
		return jaegerclient.SpanContext{}, opentracing.ErrSpanContextNotFound
	}
	return sc, nil
}
