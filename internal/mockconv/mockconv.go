// Package mockconv is a propagation.Converter for opentracing-go's
// mocktracer, for the unit tests of code that converts span contexts.
package mockconv

import (
	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/mocktracer"

	"github.com/polytrace/polytrace/propagation"
)

// Converter translates mocktracer's span contexts (int ids, a sampled
// flag, baggage). FromErr, when set, is FromNeutral's error.
type Converter struct{ FromErr error }

var _ propagation.Converter = Converter{}

// ToNeutral implements propagation.Converter.
func (Converter) ToNeutral(sc opentracing.SpanContext) (propagation.SpanContext, bool) {
	m, ok := sc.(mocktracer.MockSpanContext)
	if !ok {
		return propagation.SpanContext{}, false
	}
	n := propagation.SpanContext{TraceID: propagation.TraceID{Low: uint64(m.TraceID)}, SpanID: uint64(m.SpanID),
		Sampling: propagation.NotSampled, Baggage: m.Baggage}
	if m.Sampled {
		n.Sampling = propagation.Sampled
	}
	return n, true
}

// FromNeutral implements propagation.Converter.
func (c Converter) FromNeutral(n propagation.SpanContext) (opentracing.SpanContext, error) {
	if c.FromErr != nil {
		return nil, c.FromErr
	}
	return mocktracer.MockSpanContext{TraceID: int(n.TraceID.Low), SpanID: int(n.SpanID),
		Sampled: n.Sampling.IsSampled(), Baggage: n.Baggage}, nil
}
