package lightstep

import (
	"fmt"
	"maps"

	lsgo "github.com/lightstep/lightstep-tracer-go"
	"github.com/opentracing/opentracing-go"

	"github.com/polytrace/polytrace/propagation"
	"github.com/polytrace/polytrace/tracelog"
)

func init() { tracelog.Register(ids) }

// converter translates between lightstep-tracer-go span contexts and the
// neutral form of package propagation, for TRACER_PROPAGATION.
//
// Lightstep trace ids are 64-bit. A context extracted from a 128-bit id
// keeps the high half (SpanContext.TraceIDUpper), but spans started from
// it do not: lightstep-tracer-go copies only the low half to children, and
// its collector protocol has no room for more. So a 128-bit trace keeps
// its low 64 bits through a Lightstep service, and what that service
// injects downstream carries a trace id whose high half is zero: 64-bit
// systems (Lightstep, Jaeger in 64-bit mode, B3 with 16-digit ids) still
// see one trace; 128-bit ones see the part downstream as a trace of its
// own, with the same low half.
type converter struct{}

var _ propagation.Converter = converter{}

// ToNeutral implements propagation.Converter. Lightstep has sampled
// ("true" or empty) and not sampled ("false"), nothing else. The baggage
// map is shared: lightstep-tracer-go copies on write.
func (converter) ToNeutral(sc opentracing.SpanContext) (propagation.SpanContext, bool) {
	c, ok := sc.(lsgo.SpanContext)
	if !ok || c.TraceID == 0 || c.SpanID == 0 {
		return propagation.SpanContext{}, false
	}
	n := propagation.SpanContext{
		TraceID:  propagation.TraceID{High: c.TraceIDUpper, Low: c.TraceID},
		SpanID:   c.SpanID,
		Sampling: propagation.Sampled,
		Baggage:  c.Baggage,
	}
	if c.Sampled == "false" {
		n.Sampling = propagation.NotSampled
	}
	return n, true
}

// FromNeutral implements propagation.Converter. An undecided or debug
// context arrives as sampled. A trace id whose low half is zero cannot be
// a Lightstep id: it gives an error wrapping
// opentracing.ErrSpanContextCorrupted.
func (converter) FromNeutral(n propagation.SpanContext) (opentracing.SpanContext, error) {
	if n.TraceID.Low == 0 {
		return nil, fmt.Errorf("lightstep: %w: trace id %s has a zero low half", opentracing.ErrSpanContextCorrupted, n.TraceID)
	}
	c := lsgo.SpanContext{
		TraceID:      n.TraceID.Low,
		TraceIDUpper: n.TraceID.High,
		SpanID:       n.SpanID,
		Sampled:      "true",
	}
	if n.Sampling == propagation.NotSampled {
		c.Sampled = "false"
	}
	if len(n.Baggage) > 0 {
		c.Baggage = maps.Clone(n.Baggage)
	}
	return c, nil
}

// ids gives the ids as 16 hex digits each, the low 64 bits of the trace
// id, as Lightstep shows them.
func ids(sc opentracing.SpanContext) (traceID, spanID string, ok bool) {
	c, ok := sc.(lsgo.SpanContext)
	if !ok || c.TraceID == 0 || c.SpanID == 0 {
		return "", "", false
	}
	return fmt.Sprintf("%016x", c.TraceID), fmt.Sprintf("%016x", c.SpanID), true
}
