package jaeger

import (
	"github.com/opentracing/opentracing-go"
	jaegerclient "github.com/uber/jaeger-client-go"

	"github.com/polytrace/polytrace/internal/hdrscan"
	"github.com/polytrace/polytrace/propagation"
)

// clientOnly are the headers left to jaeger-client-go's HTTP propagator:
// the debug id, the ad hoc baggage list and the uberctx-* items (which
// the client takes even without a trace context); anyHeader adds
// uber-trace-id, every header the client reads.
var (
	clientOnly = hdrscan.Fields{
		Names:    []string{jaegerclient.JaegerDebugHeader, jaegerclient.JaegerBaggageHeader},
		Prefixes: []string{jaegerclient.TraceBaggageHeaderPrefix},
	}
	anyHeader = hdrscan.Fields{
		Names:    append([]string{jaegerclient.TraceContextHeaderName}, clientOnly.Names...),
		Prefixes: clientOnly.Prefixes,
	}
)

// headerExtractor is the tracer's extractor for the HTTPHeaders format:
// uber-trace-id is read by package propagation's Jaeger format, the one
// parser of that format, without the copy of every header's name that
// the client's propagator makes on every request. Headers the client
// alone reads (baggage, debug ids), a debug trace, an uber-trace-id that
// does not parse (for the client's own error), and any other carrier go
// to the client's propagator. The client marks what either returns as a
// remote parent.
type headerExtractor struct{ next jaegerclient.Extractor }

func newHeaderExtractor(m *jaegerclient.Metrics) headerExtractor {
	return headerExtractor{next: jaegerclient.NewHTTPHeaderPropagator((&jaegerclient.HeadersConfig{}).ApplyDefaults(), *m)}
}

var jaegerFormat = propagation.Formats{propagation.Jaeger}

// Extract implements jaegerclient.Extractor.
func (e headerExtractor) Extract(carrier interface{}) (jaegerclient.SpanContext, error) {
	h, ok := carrier.(opentracing.HTTPHeadersCarrier)
	switch {
	case ok && anyHeader.Absent(h): // the common request: one scan
		return jaegerclient.SpanContext{}, opentracing.ErrSpanContextNotFound
	case !ok || !clientOnly.Absent(h):
		return e.next.Extract(carrier)
	}
	// An empty uber-trace-id is "not found" here and an error for the
	// client: any error goes to the client, for its own answer.
	n, err := jaegerFormat.Extract(h)
	if err != nil || n.Sampling == propagation.Debug {
		return e.next.Extract(carrier)
	}
	tid := jaegerclient.TraceID{High: n.TraceID.High, Low: n.TraceID.Low}
	return jaegerclient.NewSpanContext(tid, jaegerclient.SpanID(n.SpanID), jaegerclient.SpanID(n.ParentID),
		n.Sampling == propagation.Sampled, n.Baggage), nil
}
