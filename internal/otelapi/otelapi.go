// Package otelapi implements OpenTelemetry's tracing API over an
// OpenTracing tracer, the reverse of OpenTelemetry's OpenTracing bridge: a
// span started through its TracerProvider is a span of the tracer (the
// backend's own, exported with the others), and the two APIs nest both
// ways in one trace.
//
// The mapping of each OpenTelemetry call onto the OpenTracing span is the
// table in the README's "Mixing OpenTracing and OpenTelemetry"; the
// conformance suite's OpenTelemetryMapping checks it on every backend.
//
// The parent of a span started from ctx is, unless WithNewRoot is given:
// the OpenTracing span in ctx (opentracing.SpanFromContext) when it was
// put there after this package's span in ctx, or there is none of this
// package's; else this package's span in ctx; else a remote or foreign
// OpenTelemetry span context in ctx (as an OpenTelemetry propagator
// extracts it), converted with the backend's Converter, with the
// OpenTelemetry baggage of ctx. The context Start returns holds the new
// span under both APIs' keys, so that opentracing.StartSpanFromContext
// makes children of it too.
package otelapi

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	otlog "github.com/opentracing/opentracing-go/log"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/embedded"

	"github.com/polytrace/polytrace/internal/lightspan"
	"github.com/polytrace/polytrace/internal/sampling"
	"github.com/polytrace/polytrace/propagation"
)

// Provider is a trace.TracerProvider whose spans are spans of an
// OpenTracing tracer.
type Provider struct {
	embedded.TracerProvider
	tracer opentracing.Tracer
	conv   propagation.Converter // nil: no remote parents, no span contexts
	byName sync.Map              // scope → *tracerImpl
}

// NewProvider returns the provider of tr's spans. conv translates tr's
// span contexts (for SpanContext, remote parents and links); nil leaves
// spans with an empty SpanContext and ignores remote parents.
func NewProvider(tr opentracing.Tracer, conv propagation.Converter) *Provider {
	return &Provider{tracer: tr, conv: conv}
}

type scope struct{ name, version string }

// Tracer implements trace.TracerProvider. Tracers of one name and version
// are one.
func (p *Provider) Tracer(name string, opts ...trace.TracerOption) trace.Tracer {
	cfg := trace.NewTracerConfig(opts...)
	key := scope{name, cfg.InstrumentationVersion()}
	if t, ok := p.byName.Load(key); ok {
		return t.(*tracerImpl)
	}
	t, _ := p.byName.LoadOrStore(key, &tracerImpl{p: p, scopeName: boxed(key.name), scopeVersion: boxed(key.version)})
	return t.(*tracerImpl)
}

type tracerImpl struct {
	embedded.Tracer
	p *Provider
	// The scope's tag values, boxed once (nil when empty).
	scopeName, scopeVersion interface{}
}

func boxed(s string) interface{} {
	if s == "" {
		return nil
	}
	return s
}

// Start implements trace.Tracer.
func (t *tracerImpl) Start(ctx context.Context, name string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	if ctx == nil {
		ctx = context.Background()
	}
	cfg := trace.NewSpanStartConfig(opts...)
	s := &span{p: t.p}
	otOpts := s.opts[:0] // in s: no allocation of their own
	light := false       // the parent is a span known not to be recorded
	if !cfg.NewRoot() {
		parent, parentSpan := t.p.parent(ctx)
		if parent != nil {
			otOpts = append(otOpts, opentracing.ChildOf(parent))
			light = parentSpan != nil && !sampling.Recorded(parentSpan)
		}
	}
	for _, l := range cfg.Links() {
		if c := t.p.remote(l.SpanContext, baggage.Baggage{}); c != nil {
			otOpts = append(otOpts, opentracing.FollowsFrom(c))
		}
	}
	if ts := cfg.Timestamp(); !ts.IsZero() {
		otOpts = append(otOpts, opentracing.StartTime(ts))
	}
	if !light {
		// A child of a span that is not recorded is not either: its tags
		// would be dropped.
		otOpts = append(otOpts, t.tags(cfg))
	}
	s.ot = t.p.tracer.StartSpan(name, otOpts...)
	return s.withParent(ctx), s
}

// tags are a new span's start tags: its attributes, kind and scope,
// handed over to the span rather than copied.
func (t *tracerImpl) tags(cfg trace.SpanConfig) lightspan.Tags {
	attrs := cfg.Attributes()
	tags := make(lightspan.Tags, len(attrs)+3)
	for _, kv := range attrs {
		tags[string(kv.Key)] = tagValue(kv.Value)
	}
	if k := kindTags[cfg.SpanKind()]; k != nil {
		tags[string(ext.SpanKind)] = k
	}
	if t.scopeName != nil {
		tags["otel.scope.name"] = t.scopeName
	}
	if t.scopeVersion != nil {
		tags["otel.scope.version"] = t.scopeVersion
	}
	return tags
}

// parent finds the parent of a span started from ctx (see the package
// documentation), and the span it is the context of when that is in ctx.
func (p *Provider) parent(ctx context.Context) (opentracing.SpanContext, opentracing.Span) {
	ot := opentracing.SpanFromContext(ctx)
	if s, ok := trace.SpanFromContext(ctx).(*span); ok && s.p == p && (ot == nil || ot == s.ot) {
		return s.ot.Context(), s.ot
	}
	if ot != nil {
		return ot.Context(), ot
	}
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		return p.remote(sc, baggage.FromContext(ctx)), nil
	}
	return nil, nil
}

// remote converts an OpenTelemetry span context (and baggage) into one of
// the tracer's, nil when it cannot.
func (p *Provider) remote(sc trace.SpanContext, bag baggage.Baggage) opentracing.SpanContext {
	if p.conv == nil || !sc.IsValid() {
		return nil
	}
	n := propagation.FromOTel(sc)
	if bag.Len() > 0 {
		n.Baggage = make(map[string]string, bag.Len())
		for _, m := range bag.Members() {
			n.Baggage[m.Key()] = m.Value()
		}
	}
	c, err := p.conv.FromNeutral(n)
	if err != nil {
		return nil
	}
	return c
}

// kindTags are the span.kind values of the OpenTelemetry kinds that have
// one, boxed once.
var kindTags = map[trace.SpanKind]interface{}{
	trace.SpanKindServer:   string(ext.SpanKindRPCServerEnum),
	trace.SpanKindClient:   string(ext.SpanKindRPCClientEnum),
	trace.SpanKindProducer: string(ext.SpanKindProducerEnum),
	trace.SpanKindConsumer: string(ext.SpanKindConsumerEnum),
}

// Kind is the OpenTelemetry kind of a span.kind tag's value (a string or
// an ext.SpanKindEnum), the reverse of the mapping above; Internal for
// any other value.
func Kind(tag interface{}) trace.SpanKind {
	if e, ok := tag.(ext.SpanKindEnum); ok {
		tag = string(e)
	}
	for k, v := range kindTags {
		if v == tag {
			return k
		}
	}
	return trace.SpanKindInternal
}

// tagValue is v as an OpenTracing tag value.
func tagValue(v attribute.Value) interface{} {
	switch v.Type() {
	case attribute.BOOL:
		return v.AsBool()
	case attribute.INT64:
		return v.AsInt64()
	case attribute.FLOAT64:
		return v.AsFloat64()
	case attribute.STRING:
		return v.AsString()
	}
	return v.Emit()
}

// span is a span of the OpenTelemetry API over an OpenTracing span. It is
// also the context Start returns (see withParent).
type span struct {
	embedded.Span
	ot opentracing.Span
	p  *Provider

	// The context the span was started from, when the span is the
	// context Start returned: its Deadline, Done and Err are the span's.
	context.Context
	// opts hold the start options, so that they need no allocation of
	// their own (a light span keeps them, for late sampling).
	opts [4]opentracing.StartSpanOption

	sc     atomic.Pointer[trace.SpanContext] // computed once
	mu     sync.Mutex
	events []opentracing.LogRecord // for Finish
	ended  atomic.Bool
}

// End implements trace.Span. Only the first call finishes the span.
func (s *span) End(opts ...trace.SpanEndOption) {
	if s.ended.Swap(true) {
		return
	}
	cfg := trace.NewSpanEndConfig(opts...)
	s.mu.Lock()
	fo := opentracing.FinishOptions{FinishTime: cfg.Timestamp(), LogRecords: s.events}
	s.mu.Unlock()
	if fo.FinishTime.IsZero() && len(fo.LogRecords) == 0 {
		s.ot.Finish()
		return
	}
	s.ot.FinishWithOptions(fo)
}

// AddEvent implements trace.Span.
func (s *span) AddEvent(name string, opts ...trace.EventOption) {
	cfg := trace.NewEventConfig(opts...)
	s.log(cfg, otlog.String("event", name))
}

// RecordError implements trace.Span: a log record with the error. A nil
// error records nothing, as in OpenTelemetry.
func (s *span) RecordError(err error, opts ...trace.EventOption) {
	if err == nil {
		return
	}
	cfg := trace.NewEventConfig(opts...)
	s.log(cfg, otlog.String("event", "error"), otlog.Error(err), otlog.String("error.kind", fmt.Sprintf("%T", err)))
}

func (s *span) log(cfg trace.EventConfig, first ...otlog.Field) {
	if !s.IsRecording() {
		return
	}
	attrs := cfg.Attributes()
	fields := make([]otlog.Field, 0, len(first)+len(attrs))
	fields = append(fields, first...)
	for _, kv := range attrs {
		fields = append(fields, otlog.Object(string(kv.Key), tagValue(kv.Value)))
	}
	// Kept for End, which gives OpenTracing the records with their
	// times (LogFields would stamp them now).
	s.mu.Lock()
	s.events = append(s.events, opentracing.LogRecord{Timestamp: cfg.Timestamp(), Fields: fields})
	s.mu.Unlock()
}

// AddLink implements trace.Span: OpenTracing references are fixed when a
// span starts, so a link added later is lost.
func (s *span) AddLink(trace.Link) {}

// IsRecording implements trace.Span.
func (s *span) IsRecording() bool { return !s.ended.Load() && sampling.Recorded(s.ot) }

// SpanContext implements trace.Span: the span's ids, as the backend's.
func (s *span) SpanContext() trace.SpanContext {
	if sc := s.sc.Load(); sc != nil {
		return *sc
	}
	var sc trace.SpanContext
	if s.p.conv != nil {
		if n, ok := s.p.conv.ToNeutral(s.ot.Context()); ok {
			n.Baggage = nil
			sc = propagation.ToOTel(n).WithRemote(false)
		}
	}
	s.sc.Store(&sc)
	return sc
}

// SetStatus implements trace.Span.
func (s *span) SetStatus(code codes.Code, description string) {
	switch code {
	case codes.Error:
		s.ot.SetTag(string(ext.Error), true)
		s.ot.SetTag("otel.status_code", "ERROR")
		if description != "" {
			s.ot.SetTag("otel.status_description", description)
		}
	case codes.Ok:
		s.ot.SetTag("otel.status_code", "OK")
	}
}

// SetName implements trace.Span.
func (s *span) SetName(name string) { s.ot.SetOperationName(name) }

// SetAttributes implements trace.Span.
func (s *span) SetAttributes(kv ...attribute.KeyValue) {
	for _, a := range kv {
		s.ot.SetTag(string(a.Key), tagValue(a.Value))
	}
}

// The keys opentracing.ContextWithSpan and trace.ContextWithSpan store a
// span under, found by asking each package to read a context that records
// the key asked for. ok is false when either package reads a context in
// another way than one Value call, which Start then uses as it is.
var otKey, otelKey, contextKeysOK = contextKeys()

type keyProbe struct {
	context.Context
	key any
}

func (p *keyProbe) Value(key any) any { p.key = key; return nil }

func contextKeys() (ot, otel any, ok bool) {
	p := &keyProbe{Context: context.Background()}
	opentracing.SpanFromContext(p)
	ot = p.key
	p.key = nil
	trace.SpanFromContext(p)
	otel = p.key
	otProbe, otelProbe := opentracing.NoopTracer{}.StartSpan("probe"), &span{}
	ok = ot != nil && otel != nil && ot != otel &&
		opentracing.ContextWithSpan(context.Background(), otProbe).Value(ot) == otProbe &&
		trace.ContextWithSpan(context.Background(), otelProbe).Value(otel) == otelProbe
	return ot, otel, ok
}

// withParent returns the context of s started from ctx: ctx with s under
// both APIs' keys. It is s itself, a context of one allocation less per
// API, unless s's tracer has a hook of its own for contexts
// (opentracing.TracerContextWithSpanExtension).
func (s *span) withParent(ctx context.Context) context.Context {
	if _, hook := s.ot.Tracer().(opentracing.TracerContextWithSpanExtension); hook || !contextKeysOK {
		return trace.ContextWithSpan(opentracing.ContextWithSpan(ctx, s.ot), s)
	}
	s.Context = ctx
	return (*spanContext)(s)
}

// spanContext is a span as the context Start returned: the context it was
// started from, with the span under both APIs' keys.
type spanContext span

func (c *spanContext) Value(key any) any {
	switch key {
	case otelKey:
		return (*span)(c)
	case otKey:
		return c.ot
	}
	return c.Context.Value(key)
}

// String names the context as context.WithValue's do.
func (c *spanContext) String() string {
	return fmt.Sprintf("%v.WithValue(span %p)", c.Context, c)
}

// TracerProvider implements trace.Span.
func (s *span) TracerProvider() trace.TracerProvider { return s.p }
