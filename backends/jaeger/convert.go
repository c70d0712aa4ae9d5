package jaeger

import (
	"fmt"
	"strings"

	"github.com/opentracing/opentracing-go"
	jaegerclient "github.com/uber/jaeger-client-go"

	"github.com/polytrace/polytrace/internal/lightspan"
	"github.com/polytrace/polytrace/propagation"
	"github.com/polytrace/polytrace/tracelog"
)

func init() { tracelog.Register(ids) }

// converter translates between jaeger-client-go span contexts and the
// neutral form of package propagation, for TRACER_PROPAGATION.
type converter struct {
	tr opentracing.Tracer // the jaeger-client-go tracer
}

var _ propagation.Converter = converter{}

// ToNeutral implements propagation.Converter: the 128-bit trace id (High
// is zero for 64-bit ids), span and parent ids, the sampled and debug
// flags, and the baggage.
func (converter) ToNeutral(sc opentracing.SpanContext) (propagation.SpanContext, bool) {
	c, ok := sc.(jaegerclient.SpanContext)
	if !ok || !c.IsValid() {
		return propagation.SpanContext{}, false
	}
	tid := c.TraceID()
	n := propagation.SpanContext{
		TraceID:  propagation.TraceID{High: tid.High, Low: tid.Low},
		SpanID:   uint64(c.SpanID()),
		ParentID: uint64(c.ParentID()),
		Sampling: propagation.NotSampled,
	}
	switch {
	case c.IsDebug():
		n.Sampling = propagation.Debug
	case c.IsSampled():
		n.Sampling = propagation.Sampled
	}
	n.Baggage = lightspan.Baggage(c)
	return n, true
}

// FromNeutral implements propagation.Converter. It goes through the
// tracer's own Extract, the only way to build a context jaeger-client-go
// treats as a remote parent (its sampling decision final, not re-made by
// the local sampler). Baggage items with lower-case keys travel in the
// same text map; the others are added one by one, since the client's
// text map reader lowers keys. An undecided sampling decision arrives as
// not sampled: Jaeger has no such state.
func (c converter) FromNeutral(n propagation.SpanContext) (opentracing.SpanContext, error) {
	ids := n
	ids.Baggage = nil
	carrier := make(opentracing.TextMapCarrier, 1+len(n.Baggage))
	if err := (propagation.Formats{propagation.Jaeger}).Inject(ids, carrier); err != nil {
		return nil, err
	}
	var mixed []string
	for k, v := range n.Baggage {
		if strings.ToLower(k) == k {
			carrier[baggagePrefix+k] = v
		} else {
			mixed = append(mixed, k)
		}
	}
	sc, err := c.tr.Extract(opentracing.TextMap, carrier)
	if err != nil {
		return nil, fmt.Errorf("jaeger: convert span context: %w", err)
	}
	jc, ok := sc.(jaegerclient.SpanContext)
	if !ok {
		return nil, fmt.Errorf("jaeger: convert span context: got %T", sc)
	}
	for _, k := range mixed {
		jc = jc.WithBaggageItem(k, n.Baggage[k])
	}
	return jc, nil
}

// baggagePrefix starts jaeger-client-go's baggage keys in text maps.
const baggagePrefix = "uberctx-"

// ids gives jaeger-client-go's string forms for log correlation: the trace
// id in 16 or 32 hex digits (as the Jaeger UI shows it), the span id in 16.
func ids(sc opentracing.SpanContext) (traceID, spanID string, ok bool) {
	c, ok := sc.(jaegerclient.SpanContext)
	if !ok || !c.IsValid() {
		return "", "", false
	}
	return c.TraceID().String(), c.SpanID().String(), true
}
