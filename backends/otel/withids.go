package otel

import (
	"context"
	"encoding/binary"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/polytrace/polytrace/internal/lightspan"
	"github.com/polytrace/polytrace/propagation"
)

// startWithIDs starts a recorded span with the identity of ids (see
// tracer.Instance.StartWithIDs): through the bridge's wrapper tracer, from
// a context that holds ids, which the provider's IDGenerator and sampler
// read ([givenIDs], [givenSampler]), and ids' parent as a remote parent.
// The span is the bridge's, as one StartSpan gives.
func (t *otTracer) startWithIDs(name string, ids propagation.SpanContext, opts ...opentracing.StartSpanOption) opentracing.Span {
	var so opentracing.StartSpanOptions
	for _, o := range opts {
		o.Apply(&so)
	}
	ctx := context.WithValue(context.Background(), idsKey{}, &ids)
	if ids.ParentID != 0 {
		parent := ids
		parent.SpanID, parent.ParentID, parent.Sampling = ids.ParentID, 0, propagation.Sampled
		ctx = trace.ContextWithRemoteSpanContext(ctx, propagation.ToOTel(parent))
	}
	sopts := make([]trace.SpanStartOption, 0, 2)
	if !so.StartTime.IsZero() {
		sopts = append(sopts, trace.WithTimestamp(so.StartTime))
	}
	if k, ok := so.Tags[string(ext.SpanKind)]; ok {
		sopts = append(sopts, trace.WithSpanKind(spanKind(k)))
	}
	ctx, _ = t.wrapped.Start(ctx, name, sopts...)
	s := &otSpan{Span: opentracing.SpanFromContext(ctx), tracer: t}
	for k, v := range so.Tags {
		if k != string(ext.SpanKind) {
			s.Span.SetTag(k, v)
		}
	}
	for k, v := range ids.Baggage {
		s.Span.SetBaggageItem(k, v)
	}
	return s
}

// spanKind is the OpenTelemetry kind of a span.kind tag's value, as the
// bridge reads it.
func spanKind(v any) trace.SpanKind {
	s, _ := v.(string)
	if e, ok := v.(ext.SpanKindEnum); ok {
		s = string(e)
	}
	switch s {
	case string(ext.SpanKindRPCClientEnum):
		return trace.SpanKindClient
	case string(ext.SpanKindRPCServerEnum):
		return trace.SpanKindServer
	case string(ext.SpanKindProducerEnum):
		return trace.SpanKindProducer
	case string(ext.SpanKindConsumerEnum):
		return trace.SpanKindConsumer
	}
	return trace.SpanKindInternal
}

// idsKey is the context key under which startWithIDs puts the ids
// (*propagation.SpanContext) of the span it starts.
type idsKey struct{}

func idsFrom(ctx context.Context) *propagation.SpanContext {
	ids, _ := ctx.Value(idsKey{}).(*propagation.SpanContext)
	return ids
}

// givenIDs is the provider's IDGenerator: the ids startWithIDs put in the
// context, else random ones (never zero).
type givenIDs struct{}

func (givenIDs) NewIDs(ctx context.Context) (trace.TraceID, trace.SpanID) {
	if ids := idsFrom(ctx); ids != nil {
		return propagation.ToOTel(*ids).TraceID(), spanIDOf(ids.SpanID)
	}
	var tid trace.TraceID
	binary.NativeEndian.PutUint64(tid[:8], lightspan.NewID())
	binary.NativeEndian.PutUint64(tid[8:], lightspan.NewID())
	return tid, newSpanID()
}

func (givenIDs) NewSpanID(ctx context.Context, _ trace.TraceID) trace.SpanID {
	if ids := idsFrom(ctx); ids != nil {
		return spanIDOf(ids.SpanID)
	}
	return newSpanID()
}

func spanIDOf(id uint64) (s trace.SpanID) {
	binary.BigEndian.PutUint64(s[:], id)
	return s
}

// givenSampler samples every span startWithIDs starts (its decision was
// made elsewhere) and leaves the others to the configured sampler.
type givenSampler struct{ sdktrace.Sampler }

func (s givenSampler) ShouldSample(p sdktrace.SamplingParameters) sdktrace.SamplingResult {
	if idsFrom(p.ParentContext) != nil {
		return sdktrace.SamplingResult{Decision: sdktrace.RecordAndSample,
			Tracestate: trace.SpanContextFromContext(p.ParentContext).TraceState()}
	}
	return s.Sampler.ShouldSample(p)
}
