package otel

import (
	"context"
	"sync"

	"github.com/opentracing/opentracing-go"
	otbridge "go.opentelemetry.io/otel/bridge/opentracing"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/embedded"

	"github.com/polytrace/polytrace/internal/lightspan"
)

// apiProvider is the backend's OpenTelemetry TracerProvider: the bridge's
// wrapper provider over the SDK's, whose spans OpenTracing code finds in
// a Go context, except that a span whose trace is known not to be sampled
// is the backend's light span, as through OpenTracing. The SDK would make
// it a non-recording span of its own, and the bridge would wrap that in a
// span and two span contexts of the bridge's.
type apiProvider struct {
	embedded.TracerProvider
	bridge  *otbridge.TracerProvider
	t       *otTracer
	tracers sync.Map // the bridge's tracer → *apiTracer
}

// Tracer implements trace.TracerProvider: the bridge's tracer of that
// name, version and schema.
func (p *apiProvider) Tracer(name string, opts ...trace.TracerOption) trace.Tracer {
	wrapped := p.bridge.Tracer(name, opts...)
	if t, ok := p.tracers.Load(wrapped); ok {
		return t.(*apiTracer)
	}
	t, _ := p.tracers.LoadOrStore(wrapped, &apiTracer{wrapped: wrapped, t: p.t})
	return t.(*apiTracer)
}

type apiTracer struct {
	embedded.Tracer
	wrapped trace.Tracer // the bridge's
	t       *otTracer
}

// Start implements trace.Tracer. The parent is the SDK's: the
// OpenTelemetry span in ctx (or a remote span context there), unless
// WithNewRoot is given. The sampling decision is the one an OpenTracing
// span takes; a light span inherits the baggage of the OpenTracing span
// in ctx, as the bridge's spans do.
func (a *apiTracer) Start(ctx context.Context, name string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	if ctx == nil {
		ctx = context.Background()
	}
	span := trace.SpanFromContext(ctx)
	sc := span.SpanContext()
	if !a.t.decide.unsampledTrace(sc.TraceID(), sc.TraceFlags()) {
		return a.wrapped.Start(ctx, name, opts...)
	}
	hasParent := sc.IsValid()
	if hasParent && len(opts) > 0 {
		if cfg := trace.NewSpanStartConfig(opts...); cfg.NewRoot() {
			if !a.t.decide.unsampledTrace(trace.TraceID{}, 0) {
				return a.wrapped.Start(ctx, name, opts...)
			}
			hasParent = false
		}
	}
	var parent otelContext
	if hasParent {
		parent = a.t.apiParent(ctx, span, sc)
	}
	s := a.t.startLight(parent, hasParent)
	// Through the backend's hook, the span goes in under both APIs' keys.
	return opentracing.ContextWithSpan(ctx, s), s
}

// apiParent is the parent of a light span started from ctx through the
// OpenTelemetry API: span, the OpenTelemetry span in ctx, whose context
// is sc, as a context of this backend with the OpenTracing baggage of
// ctx.
func (t *otTracer) apiParent(ctx context.Context, span trace.Span, sc trace.SpanContext) otelContext {
	if s, ok := span.(*lightSpan); ok && s.lightBase.Tracer() == opentracing.Tracer(t) {
		return s.lightBase.SpanContext()
	}
	c := lightContext{SpanContext: sc}
	if ot := opentracing.SpanFromContext(ctx); ot != nil {
		c.bag = lightspan.Baggage(ot.Context())
	}
	return c
}
