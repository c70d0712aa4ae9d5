package otel

import (
	"context"
	"net/http"

	"github.com/opentracing/opentracing-go"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// extract is Extract for the formats the bridge knows. The configured
// propagator reads the carrier once: a request without a trace context
// costs no allocation, an unsampled context becomes a lightContext
// (when the sampler keeps the decision, so that its children are
// unsampledSpans), and a sampled one is handed to the bridge, which makes
// it a span context of its own, as it would have. Carriers the
// propagator cannot read as they are go to the bridge, which adapts
// them or refuses them with its errors.
func (t *otTracer) extract(format, carrier interface{}) (opentracing.SpanContext, error) {
	var tc propagation.TextMapCarrier
	switch format {
	case opentracing.HTTPHeaders:
		if h, ok := carrier.(opentracing.HTTPHeadersCarrier); ok {
			tc = headerCarrier(h)
		}
	case opentracing.TextMap:
		tc, _ = carrier.(propagation.TextMapCarrier)
	}
	if tc == nil {
		return t.bridge.Extract(format, carrier)
	}
	ctx := t.prop.Extract(context.Background(), tc)
	sc := trace.SpanContextFromContext(ctx)
	switch {
	case !sc.IsValid():
		return nil, opentracing.ErrSpanContextNotFound // as the bridge says
	case !sc.IsSampled() && t.decide.parents:
		return &lightContext{SpanContext: sc, bag: baggage.FromContext(ctx)}, nil
	}
	return t.bridge.Extract(opentracing.TextMap, &extracted{ctx: ctx})
}

// headerCarrier is propagation.HeaderCarrier (which the bridge makes of
// an HTTPHeadersCarrier), except that looking up the W3C header names
// allocates nothing: http.Header canonicalizes the key of every lookup,
// and makes "traceparent" a new string each time.
type headerCarrier http.Header

var _ propagation.ValuesGetter = headerCarrier(nil)

// The canonical forms of the header names the W3C propagators read.
const (
	canonicalTraceparent = "Traceparent"
	canonicalTracestate  = "Tracestate"
	canonicalBaggage     = "Baggage"
)

func canonicalKey(key string) string {
	switch key {
	case "traceparent":
		return canonicalTraceparent
	case "tracestate":
		return canonicalTracestate
	case "baggage":
		return canonicalBaggage
	}
	return key // http.Header canonicalizes it
}

func (h headerCarrier) Get(key string) string      { return http.Header(h).Get(canonicalKey(key)) }
func (h headerCarrier) Values(key string) []string { return http.Header(h).Values(canonicalKey(key)) }
func (h headerCarrier) Set(key, value string)      { http.Header(h).Set(key, value) }
func (h headerCarrier) Keys() []string             { return propagation.HeaderCarrier(h).Keys() }

// extracted is a carrier for the bridge's Extract holding what the
// propagator already extracted from the real carrier.
type extracted struct{ ctx context.Context }

func (*extracted) Get(string) string  { return "" }
func (*extracted) Set(string, string) {}
func (*extracted) Keys() []string     { return nil }

// bridgePropagator is the propagator the bridge is given: the configured
// one, except that the context an extracted carrier holds is returned as
// it is, without reading a carrier a second time.
type bridgePropagator struct {
	propagation.TextMapPropagator
}

func (p bridgePropagator) Extract(ctx context.Context, carrier propagation.TextMapCarrier) context.Context {
	if e, ok := carrier.(*extracted); ok {
		return e.ctx // ctx is the bridge's context.Background()
	}
	return p.TextMapPropagator.Extract(ctx, carrier)
}
