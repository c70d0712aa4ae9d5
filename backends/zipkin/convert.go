package zipkin

import (
	"maps"

	"github.com/opentracing/opentracing-go"
	"github.com/openzipkin/zipkin-go/model"

	"github.com/polytrace/polytrace/propagation"
	"github.com/polytrace/polytrace/tracelog"
)

func init() { tracelog.Register(ids) }

// converter translates between the backend's span contexts (Zipkin's
// model.SpanContext plus baggage) and the neutral form of package
// propagation, for TRACER_PROPAGATION. The stdout backend shares it.
type converter struct{}

var _ propagation.Converter = converter{}

// ToNeutral implements propagation.Converter. The baggage map is shared:
// the backend never writes a context's map once it is built.
func (converter) ToNeutral(sc opentracing.SpanContext) (propagation.SpanContext, bool) {
	c, ok := sc.(*spanContext)
	if !ok || c == nil || c.zipkin.TraceID.Empty() || c.zipkin.ID == 0 {
		return propagation.SpanContext{}, false
	}
	z := c.zipkin
	n := propagation.SpanContext{
		TraceID: propagation.TraceID{High: z.TraceID.High, Low: z.TraceID.Low},
		SpanID:  uint64(z.ID),
		Baggage: c.baggage,
	}
	if z.ParentID != nil {
		n.ParentID = uint64(*z.ParentID)
	}
	switch {
	case z.Debug:
		n.Sampling = propagation.Debug
	case z.Sampled == nil:
		n.Sampling = propagation.Undecided
	case *z.Sampled:
		n.Sampling = propagation.Sampled
	default:
		n.Sampling = propagation.NotSampled
	}
	return n, true
}

// FromNeutral implements propagation.Converter. An undecided context
// leaves the decision to this tracer's sampler, as B3 does.
func (converter) FromNeutral(n propagation.SpanContext) (opentracing.SpanContext, error) {
	z := model.SpanContext{
		TraceID: model.TraceID{High: n.TraceID.High, Low: n.TraceID.Low},
		ID:      model.ID(n.SpanID),
	}
	if n.ParentID != 0 {
		p := model.ID(n.ParentID)
		z.ParentID = &p
	}
	switch n.Sampling {
	case propagation.Debug:
		z.Debug = true
	case propagation.Sampled, propagation.NotSampled:
		sampled := n.Sampling == propagation.Sampled
		z.Sampled = &sampled
	}
	c := &spanContext{zipkin: z}
	if len(n.Baggage) > 0 {
		c.baggage = maps.Clone(n.Baggage)
	}
	return c, nil
}

// ids gives Zipkin's string forms for log correlation: the trace id in 16
// or 32 hex digits, the span id in 16, as the Zipkin UI shows them.
func ids(sc opentracing.SpanContext) (traceID, spanID string, ok bool) {
	c, ok := sc.(*spanContext)
	if !ok || c == nil || c.zipkin.TraceID.Empty() || c.zipkin.ID == 0 {
		return "", "", false
	}
	return c.zipkin.TraceID.String(), c.zipkin.ID.String(), true
}
