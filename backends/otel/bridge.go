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
)

// otTracer is the opentracing.Tracer the backend hands out: the
// OpenTelemetry bridge's BridgeTracer, which does the span work, plus what
// it lacks: the Binary format, spans whose Tracer() is this tracer (the
// bridge's own lack Binary too), and a warning when span.kind is set after
// a span started (OpenTelemetry fixes a span's kind at its start; the
// bridge ignores it silently).
type otTracer struct {
	bridge   *otbridge.BridgeTracer
	provider *otbridge.TracerProvider
	sampler  sdktrace.Sampler // as configured, for tests
	warn     *limitedLog
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
// References to span contexts of other tracers are ignored.
func (t *otTracer) StartSpan(operationName string, opts ...opentracing.StartSpanOption) opentracing.Span {
	var so opentracing.StartSpanOptions
	for _, o := range opts {
		o.Apply(&so)
	}
	follows := -1
	for i, ref := range so.References {
		if _, ok := SpanContext(ref.ReferencedContext); !ok {
			continue
		}
		if ref.Type == opentracing.ChildOfRef {
			follows = -1
			break
		}
		if follows < 0 && ref.Type == opentracing.FollowsFromRef {
			follows = i
		}
	}
	if follows >= 0 {
		refs := make([]opentracing.SpanReference, 0, len(so.References))
		refs = append(refs, opentracing.SpanReference{Type: opentracing.ChildOfRef, ReferencedContext: so.References[follows].ReferencedContext})
		refs = append(refs, so.References[:follows]...)
		so.References = append(refs, so.References[follows+1:]...)
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
		return t.bridge.Inject(sc, format, carrier)
	}
	w, ok := carrier.(io.Writer)
	if !ok {
		return opentracing.ErrInvalidCarrier
	}
	m := propagation.MapCarrier{}
	if err := t.bridge.Inject(sc, opentracing.TextMap, m); err != nil {
		return err
	}
	return json.NewEncoder(w).Encode(map[string]string(m))
}

// Extract implements opentracing.Tracer with the configured propagator.
// No valid span context gives opentracing.ErrSpanContextNotFound; a
// Binary carrier that is not a JSON object gives an error wrapping
// opentracing.ErrSpanContextCorrupted.
func (t *otTracer) Extract(format, carrier interface{}) (opentracing.SpanContext, error) {
	if format != opentracing.Binary {
		return t.bridge.Extract(format, carrier)
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
	return t.bridge.Extract(opentracing.TextMap, propagation.MapCarrier(m))
}

// ContextWithSpanHook implements opentracing.TracerContextWithSpanExtension:
// opentracing.ContextWithSpan calls it, and it puts the span's
// OpenTelemetry span into ctx as well, so that spans started from ctx
// through the OpenTelemetry API are its children.
func (t *otTracer) ContextWithSpanHook(ctx context.Context, span opentracing.Span) context.Context {
	if s, ok := span.(*otSpan); ok {
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

func (s *otSpan) SetOperationName(name string) opentracing.Span {
	s.Span.SetOperationName(name)
	return s
}

// SetTag implements opentracing.Span. span.kind can only be given when the
// span starts (as a start option such as ext.SpanKindRPCClient): set later,
// it is ignored, with one warning per tracer.
func (s *otSpan) SetTag(key string, value interface{}) opentracing.Span {
	if key == string(ext.SpanKind) {
		s.tracer.kindOnce.Do(func() {
			s.tracer.warn.print("span.kind set after the span started is ignored: give it as a start option, such as ext.SpanKindRPCClient")
		})
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
	c, ok := sc.(interface {
		TraceID() trace.TraceID
		SpanID() trace.SpanID
		TraceFlags() trace.TraceFlags
		TraceState() trace.TraceState
		IsRemote() bool
	})
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
