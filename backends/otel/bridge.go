package otel

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	otbridge "go.opentelemetry.io/otel/bridge/opentracing"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/polytrace/polytrace/internal/ratelog"
)

// otTracer is the opentracing.Tracer the backend hands out: the
// OpenTelemetry bridge's BridgeTracer, which does the span work, plus what
// it lacks: the Binary format, spans whose Tracer() is this tracer (the
// bridge's own lack Binary too), a warning when span.kind is set after
// a span started (OpenTelemetry fixes a span's kind at its start; the
// bridge ignores it silently), light spans for traces that are not
// sampled (see unsampled.go), and spans driving the SDK directly for the
// others started with plain options (see span.go).
type otTracer struct {
	bridge   *otbridge.BridgeTracer
	provider *otbridge.TracerProvider
	sdk      trace.Tracer                  // the SDK's tracer, which the bridge's wraps
	prop     propagation.TextMapPropagator // as configured; the bridge has it wrapped in a bridgePropagator
	sampler  sdktrace.Sampler              // as configured, for tests
	decide   decider
	warn     *ratelog.Logger
	kindOnce sync.Once
}

var (
	_ opentracing.Tracer                         = (*otTracer)(nil)
	_ opentracing.TracerContextWithSpanExtension = (*otTracer)(nil)
	_ opentracing.Span                           = (*otSpan)(nil)
)

// StartSpan implements opentracing.Tracer. The parent is the first ChildOf
// reference to a span context of this backend, else the first FollowsFrom
// one (the bridge alone would make a FollowsFrom reference a mere link, so
// the span would start a new trace); other references become links.
// References to span contexts of other tracers are ignored. A span whose
// trace is known not to be sampled is an unsampledSpan (see unsampled.go);
// other spans started with plain options are sampledSpans (see span.go);
// the rest go through the bridge.
func (t *otTracer) StartSpan(operationName string, opts ...opentracing.StartSpanOption) opentracing.Span {
	if plain, parent := classify(opts); plain {
		if t.decide.unsampled(parent) {
			return t.startUnsampled(parent)
		}
		return t.startSampled(operationName, parent, opts)
	}
	var so opentracing.StartSpanOptions
	for _, o := range opts {
		o.Apply(&so)
	}
	child, follows, light := -1, -1, false
	for i, ref := range so.References {
		c, ok := ref.ReferencedContext.(otelContext)
		if !ok {
			continue
		}
		if _, ok := c.(*lightContext); ok {
			light = true
		}
		switch {
		case ref.Type == opentracing.ChildOfRef && child < 0:
			child = i
		case ref.Type == opentracing.FollowsFromRef && follows < 0:
			follows = i
		}
	}
	if child >= 0 {
		follows = -1 // the bridge takes the first ChildOf reference itself
	}
	var parent otelContext
	switch {
	case child >= 0:
		parent = so.References[child].ReferencedContext.(otelContext)
	case follows >= 0:
		parent = so.References[follows].ReferencedContext.(otelContext)
	}
	if t.decide.unsampled(parent) {
		return t.startUnsampled(parent)
	}
	if follows >= 0 || light {
		refs := make([]opentracing.SpanReference, 0, len(so.References))
		if follows >= 0 {
			refs = append(refs, opentracing.SpanReference{Type: opentracing.ChildOfRef, ReferencedContext: so.References[follows].ReferencedContext})
			refs = append(refs, so.References[:follows]...)
			refs = append(refs, so.References[follows+1:]...)
		} else {
			refs = append(refs, so.References...)
		}
		for i, ref := range refs {
			if c, ok := ref.ReferencedContext.(*lightContext); ok {
				refs[i].ReferencedContext = t.bridgeContext(c)
			}
		}
		so.References = refs
		opts = []opentracing.StartSpanOption{startOptions(so)}
	}
	return &otSpan{Span: t.bridge.StartSpan(operationName, opts...), tracer: t}
}

// startOptions hands already-applied options to the bridge.
type startOptions opentracing.StartSpanOptions

func (o startOptions) Apply(so *opentracing.StartSpanOptions) { *so = opentracing.StartSpanOptions(o) }

// Inject implements opentracing.Tracer with the configured propagator.
// Binary writes the propagator's fields as one JSON object.
func (t *otTracer) Inject(sc opentracing.SpanContext, format, carrier interface{}) error {
	if format != opentracing.Binary {
		return t.inject(sc, format, carrier)
	}
	w, ok := carrier.(io.Writer)
	if !ok {
		return opentracing.ErrInvalidCarrier
	}
	m := propagation.MapCarrier{}
	if err := t.inject(sc, opentracing.TextMap, m); err != nil {
		return err
	}
	return json.NewEncoder(w).Encode(map[string]string(m))
}

// inject is Inject for the formats the bridge knows.
func (t *otTracer) inject(sc opentracing.SpanContext, format, carrier interface{}) error {
	if c, ok := sc.(*lightContext); ok && c != nil {
		return t.injectLight(c, format, carrier)
	}
	return t.bridge.Inject(sc, format, carrier)
}

// Extract implements opentracing.Tracer with the configured propagator.
// No valid span context gives opentracing.ErrSpanContextNotFound; a
// Binary carrier that is not a JSON object gives an error wrapping
// opentracing.ErrSpanContextCorrupted.
func (t *otTracer) Extract(format, carrier interface{}) (opentracing.SpanContext, error) {
	if format != opentracing.Binary {
		return t.extract(format, carrier)
	}
	r, ok := carrier.(io.Reader)
	if !ok {
		return nil, opentracing.ErrInvalidCarrier
	}
	var m map[string]string
	if err := json.NewDecoder(r).Decode(&m); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, opentracing.ErrSpanContextNotFound
		}
		return nil, fmt.Errorf("%w: %w", opentracing.ErrSpanContextCorrupted, err)
	}
	return t.extract(opentracing.TextMap, propagation.MapCarrier(m))
}

// ContextWithSpanHook implements opentracing.TracerContextWithSpanExtension:
// opentracing.ContextWithSpan calls it, and it puts the span's
// OpenTelemetry span into ctx as well, so that spans started from ctx
// through the OpenTelemetry API are its children.
func (t *otTracer) ContextWithSpanHook(ctx context.Context, span opentracing.Span) context.Context {
	switch s := span.(type) {
	case *unsampledSpan:
		// The span is its own non-recording OpenTelemetry span.
		return trace.ContextWithSpan(ctx, s)
	case *sampledSpan:
		// What the bridge's hook does for its spans.
		return trace.ContextWithSpan(ctx, s.span)
	case *otSpan:
		span = s.Span
	}
	return t.bridge.ContextWithSpanHook(ctx, span)
}

// otSpan is a bridge span whose Tracer() is the otTracer.
type otSpan struct {
	opentracing.Span // the bridge's span
	tracer           *otTracer
}

func (s *otSpan) Tracer() opentracing.Tracer { return s.tracer }

// warnKind warns, once per tracer, that span.kind set after a span
// started is ignored.
func (t *otTracer) warnKind() {
	t.kindOnce.Do(func() {
		t.warn.Log("span.kind set after the span started is ignored: give it as a start option, such as ext.SpanKindRPCClient")
	})
}

func (s *otSpan) SetOperationName(name string) opentracing.Span {
	s.Span.SetOperationName(name)
	return s
}

// SetTag implements opentracing.Span. span.kind can only be given when the
// span starts (as a start option such as ext.SpanKindRPCClient): set later,
// it is ignored, with one warning per tracer.
func (s *otSpan) SetTag(key string, value interface{}) opentracing.Span {
	if key == string(ext.SpanKind) {
		s.tracer.warnKind()
		return s
	}
	s.Span.SetTag(key, value)
	return s
}

func (s *otSpan) SetBaggageItem(key, value string) opentracing.Span {
	s.Span.SetBaggageItem(key, value)
	return s
}

// TracerProvider returns the OpenTelemetry TracerProvider behind t, a
// tracer built by this backend (also when wrapped, as polytrace.Tracer
// wraps it, by tracers with an Unwrap() opentracing.Tracer method). Its
// spans and t's nest: an OpenTelemetry span started from a context holding
// an OpenTracing span of t is its child, and opentracing.SpanFromContext
// of the context it returns is the OpenTelemetry span, so an OpenTracing
// span started from it is its child in turn. Install it for OpenTelemetry
// instrumentation (otel.SetTracerProvider, or an instrumentation's
// WithTracerProvider option); this package sets no global.
func TracerProvider(t opentracing.Tracer) (trace.TracerProvider, bool) {
	for range 16 { // bounds a cycle of Unwrap methods
		switch tt := t.(type) {
		case *otTracer:
			return tt.provider, true
		case interface{ Unwrap() opentracing.Tracer }:
			t = tt.Unwrap()
		default:
			return nil, false
		}
	}
	return nil, false
}

// SpanContext returns the OpenTelemetry span context of sc, a span context
// of this backend's tracer (from a span or from Extract), and whether sc
// is one.
func SpanContext(sc opentracing.SpanContext) (trace.SpanContext, bool) {
	c, ok := sc.(otelContext)
	if !ok {
		return trace.SpanContext{}, false
	}
	return trace.NewSpanContext(trace.SpanContextConfig{
		TraceID:    c.TraceID(),
		SpanID:     c.SpanID(),
		TraceFlags: c.TraceFlags(),
		TraceState: c.TraceState(),
		Remote:     c.IsRemote(),
	}), true
}
