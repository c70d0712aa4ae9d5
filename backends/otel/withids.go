package otel

import (
	"context"
	"encoding/binary"
	"sync/atomic"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/polytrace/polytrace/internal/lightspan"
	"github.com/polytrace/polytrace/internal/otelapi"
	"github.com/polytrace/polytrace/propagation"
)

// startWithIDs starts a recorded span with the identity of ids (see
// tracer.Instance.StartWithIDs): through the bridge's wrapper tracer, from
// a context that holds ids, which the provider's IDGenerator and sampler
// read ([givenIDs], [givenSampler]), and ids' parent as a remote parent.
// The span is the bridge's, as one StartSpan gives.
func (t *otTracer) startWithIDs(name string, ids propagation.SpanContext, opts ...opentracing.StartSpanOption) opentracing.Span {
	if !t.following.Load() {
		t.following.Store(true) // before the context below exists
	}
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
		sopts = append(sopts, trace.WithSpanKind(otelapi.Kind(k)))
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

// idsKey is the context key under which startWithIDs puts the ids
// (*propagation.SpanContext) of the span it starts.
type idsKey struct{}

// following is set by the first startWithIDs: until then no context
// holds ids, and the provider's IDGenerator and sampler do not look.
type following struct{ atomic.Bool }

func (f *following) ids(ctx context.Context) *propagation.SpanContext {
	if !f.Load() {
		return nil
	}
	ids, _ := ctx.Value(idsKey{}).(*propagation.SpanContext)
	return ids
}

// givenIDs is the provider's IDGenerator: the ids startWithIDs put in the
// context, else random ones (never zero).
type givenIDs struct{ *following }

func (g givenIDs) NewIDs(ctx context.Context) (trace.TraceID, trace.SpanID) {
	if ids := g.ids(ctx); ids != nil {
		sc := propagation.ToOTel(*ids)
		return sc.TraceID(), sc.SpanID()
	}
	var tid trace.TraceID
	binary.NativeEndian.PutUint64(tid[:8], lightspan.NewID())
	binary.NativeEndian.PutUint64(tid[8:], lightspan.NewID())
	return tid, newSpanID()
}

func (g givenIDs) NewSpanID(ctx context.Context, _ trace.TraceID) trace.SpanID {
	if ids := g.ids(ctx); ids != nil {
		return propagation.ToOTel(*ids).SpanID()
	}
	return newSpanID()
}

// givenSampler samples every span startWithIDs starts (its decision was
// made elsewhere) and leaves the others to the configured sampler.
type givenSampler struct {
	sdktrace.Sampler
	*following
}

func (s givenSampler) ShouldSample(p sdktrace.SamplingParameters) sdktrace.SamplingResult {
	if s.ids(p.ParentContext) != nil {
		return sdktrace.SamplingResult{Decision: sdktrace.RecordAndSample,
			Tracestate: trace.SpanContextFromContext(p.ParentContext).TraceState()}
	}
	return s.Sampler.ShouldSample(p)
}
