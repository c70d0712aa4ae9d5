package otel

import (
	"context"
	"encoding/binary"
	"fmt"
	"log"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/baggage"
	otbridge "go.opentelemetry.io/otel/bridge/opentracing"
	"go.opentelemetry.io/otel/codes"
	otprop "go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/embedded"

	"github.com/polytrace/polytrace/internal/lightspan"
	"github.com/polytrace/polytrace/internal/ratelog"
	"github.com/polytrace/polytrace/internal/reach"
	"github.com/polytrace/polytrace/internal/sampling"
	"github.com/polytrace/polytrace/internal/shutdown"
	"github.com/polytrace/polytrace/internal/spanstats"
	"github.com/polytrace/polytrace/propagation"
	"github.com/polytrace/polytrace/tracer"
)

// Name is the backend's registered name, the value of TRACER_BACKEND that
// selects it.
const Name = "otel"

// instrumentationName is the instrumentation scope of the spans started
// through the OpenTracing API.
const instrumentationName = "github.com/polytrace/polytrace/backends/otel"

func init() { tracer.Register(Name, Open) }

// Open builds the backend from cfg and its OTEL_* settings (see
// [OptionsFromConfig]). It is the function registered under [Name]. It
// does no network I/O.
func Open(cfg tracer.Config) (*tracer.Instance, error) {
	return tracer.OpenWith(cfg, OptionsFromConfig, New)
}

// New builds the backend from cfg's portable settings and opts, for
// programs that configure in code; cfg.Lookup is not consulted, and
// neither is the process environment (see the package documentation for
// the few process-wide settings the OpenTelemetry and gRPC libraries still
// read). Zero fields of opts take their defaults. It does no network I/O:
// spans are exported in the background, and a collector that cannot be
// reached costs dropped spans and log lines, never a blocked caller.
//
// New sets no OpenTelemetry or OpenTracing global. See [TracerProvider]
// for OpenTelemetry instrumentation whose spans nest with the OpenTracing
// ones.
func New(cfg tracer.Config, opts Options) (*tracer.Instance, error) {
	return build(cfg, opts, opts.Exporter)
}

// build is New with the OTLP exporter replaceable for tests (nil means
// the one opts describe).
func build(cfg tracer.Config, opts Options, export sdktrace.SpanExporter) (*tracer.Instance, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("otel: %w", err)
	}
	s, err := opts.resolve()
	if err != nil {
		return nil, fmt.Errorf("otel: %w", err)
	}
	sampler, decide, err := samplerFor(cfg.SampleRate, s.Sampler)
	if err != nil {
		return nil, fmt.Errorf("otel: %w", err)
	}
	res, err := newResource(cfg, s.Options)
	if err != nil {
		return nil, fmt.Errorf("otel: %w", err)
	}
	logger := s.Logger
	if logger == nil {
		logger = log.New(os.Stderr, "polytrace otel: ", log.LstdFlags)
	}
	secrets := &ratelog.Secrets{}
	for _, v := range s.Headers {
		secrets.Add(v)
	}
	failures := &ratelog.Logger{Out: logger, Prefix: "export failed: ", Secrets: secrets, Limiter: ratelog.Limiter{Every: ratelog.Every}}
	warnings := &ratelog.Logger{Out: logger, Prefix: "opentracing bridge: ", Limiter: ratelog.Limiter{Every: ratelog.Every}}

	aborted, abort := context.WithCancel(context.Background())
	closeTransport := func() {}
	injected := export != nil // a test's exporter: nothing to ping
	if export == nil {
		if export, closeTransport, err = newOTLPExporter(s, aborted); err != nil {
			abort()
			return nil, fmt.Errorf("otel: %w", err)
		}
	}
	exp := newExporter(export, res, failures, aborted, abort)
	// TRACER_QUEUE_SIZE wins over OTEL_BSP_MAX_QUEUE_SIZE.
	queue := cfg.Queue(s.MaxQueueSize)
	stats := &spanstats.Counters{Redact: failures.Redact}
	// The SDK's batch span processor, with the same settings (every one
	// given, so that none comes from the process environment's OTEL_BSP_*),
	// and the counts of Stats; see batcher.
	counts := newBatcher(exp, stats, queue, s.MaxExportBatchSize, s.ScheduleDelay, s.ExportTimeout)
	exp.counts = counts
	follow := &following{} // set once the backend follows another in a list
	provider := sdktrace.NewTracerProvider(
		sdktrace.WithSampler(givenSampler{sampler, follow}),
		sdktrace.WithIDGenerator(givenIDs{follow}),
		// The SDK merges the process environment's OTEL_RESOURCE_ATTRIBUTES
		// and OTEL_SERVICE_NAME into this resource; exp puts res back.
		sdktrace.WithResource(res),
		// The defaults, set explicitly: otherwise the SDK reads
		// OTEL_SPAN_*_LIMIT from the process environment.
		sdktrace.WithRawSpanLimits(sdktrace.SpanLimits{
			AttributeValueLengthLimit:   sdktrace.DefaultAttributeValueLengthLimit,
			AttributeValueDepthLimit:    sdktrace.DefaultAttributeValueDepthLimit,
			AttributeCountLimit:         sdktrace.DefaultAttributeCountLimit,
			EventCountLimit:             sdktrace.DefaultEventCountLimit,
			LinkCountLimit:              sdktrace.DefaultLinkCountLimit,
			AttributePerEventCountLimit: sdktrace.DefaultAttributePerEventCountLimit,
			AttributePerLinkCountLimit:  sdktrace.DefaultAttributePerLinkCountLimit,
		}),
		sdktrace.WithSpanProcessor(counts),
	)

	t := newTracer(provider, s.Propagator, decide, warnings)
	t.following = follow
	inst := &tracer.Instance{
		Tracer: t,
		Shutdown: func(outer context.Context) error {
			// A little before the deadline, whatever is still under way
			// (a final export the collector does not answer) is
			// cancelled, so that nothing lingers and Stats are settled
			// when Shutdown returns.
			ctx, cancel := shutdown.Early(outer)
			defer cancel()
			exp.closing.Store(true)
			stop := context.AfterFunc(ctx, exp.abort)
			defer stop()
			err := provider.Shutdown(ctx)
			exp.abort()
			// The export under way returns once cancelled: wait for the
			// processor to end, so that its failure is counted before
			// Stats settle.
			select {
			case <-counts.done:
			case <-outer.Done():
			}
			closeTransport()
			stats.Closed()
			msg := exp.flushError() // redacted
			switch {
			case err != nil && msg != "":
				return fmt.Errorf("otel: flush spans: %w (last failure: %s)", err, msg)
			case err != nil:
				return fmt.Errorf("otel: flush spans: %w", err)
			case msg != "":
				return fmt.Errorf("otel: flush spans: %s", msg)
			}
			return nil
		},
		Stats:        stats.Stats,
		StartWithIDs: t.startWithIDs,
	}
	inst.Propagator = s.Propagator
	inst.TracerProvider = t.provider
	if s.Propagator == nil {
		// The formats of package propagation; a propagator of the
		// program's is the bridge's to apply.
		inst.Converter = converter{t}
		inst.Propagator = propagation.TextMapPropagator(nativeFormats)
	}
	if endpoint := s.Endpoint; endpoint != "" && !injected {
		inst.Ping = func(ctx context.Context) error {
			if strings.Contains(endpoint, "://") {
				return reach.URL(ctx, EnvEndpoint, endpoint)
			}
			return reach.Addr(ctx, EnvEndpoint, endpoint)
		}
	}
	return tracer.Ready(cfg, inst)
}

// samplerFor returns the sampler: parentbased_traceidratio at rate when
// rate is set, else s, else parentbased_always_on; and what the backend
// knows of it. Of s, nothing: it may sample a child of an unsampled
// parent.
func samplerFor(rate *float64, s sdktrace.Sampler) (sdktrace.Sampler, decider, error) {
	if rate == nil {
		if s == nil {
			return sdktrace.ParentBased(sdktrace.AlwaysSample()), decider{parents: true}, nil
		}
		return s, decider{}, nil
	}
	return sdktrace.ParentBased(newByTraceID(*rate)), decider{parents: true, noRoots: *rate == 0}, nil
}

// newResource returns the resource describing the process: the SDK's
// telemetry.sdk.* attributes, o.ResourceAttributes, cfg.Tags over them,
// and service.name: cfg.ServiceName, else o.ServiceName, else a
// service.name attribute, else the executable's name.
func newResource(cfg tracer.Config, o Options) (*resource.Resource, error) {
	attrs := map[string]string{
		"telemetry.sdk.name":     "opentelemetry",
		"telemetry.sdk.language": "go",
		"telemetry.sdk.version":  sdk.Version(),
	}
	maps.Copy(attrs, o.ResourceAttributes)
	maps.Copy(attrs, cfg.Tags) // keys not empty: cfg is valid
	name := cfg.ServiceName
	if name == "" {
		name = strings.TrimSpace(o.ServiceName)
	}
	if name == "" {
		name = attrs["service.name"]
	}
	if name == "" {
		name = cfg.Service()
	}
	attrs["service.name"] = name

	keys := make([]string, 0, len(attrs))
	for k := range attrs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	kvs := make([]attribute.KeyValue, len(keys))
	for i, k := range keys {
		kvs[i] = attribute.String(k, attrs[k])
	}
	return resource.NewSchemaless(kvs...), nil
}

// otTracer is the opentracing.Tracer the backend hands out: the
// OpenTelemetry bridge's BridgeTracer, which starts every recorded span,
// plus what it lacks: parents chosen as every backend chooses them (the
// bridge alone makes a FollowsFrom reference a mere link, so the span
// would start a new trace), light spans for traces that are not sampled,
// the Binary format, spans whose Tracer() is this tracer, and a warning
// when span.kind is set after a span started (OpenTelemetry fixes a
// span's kind at its start; the bridge ignores it silently).
type otTracer struct {
	bridge    *otbridge.BridgeTracer
	provider  *apiProvider
	wrapped   trace.Tracer // the bridge provider's tracer, which the bridge starts spans with
	following *following   // shared with the provider's IDGenerator and sampler
	light     lightspan.Backend[lightContext]
	decide    decider
	native    opentracing.Tracer // Inject and Extract of TextMap and HTTPHeaders
	warn      *ratelog.Logger
	kindOnce  sync.Once
}

var (
	_ opentracing.Tracer                         = (*otTracer)(nil)
	_ opentracing.TracerContextWithSpanExtension = (*otTracer)(nil)
)

// newTracer wires the bridge to the SDK's provider. prop nil means the
// native formats (W3C trace context and baggage) through package
// propagation, else prop through the bridge.
func newTracer(provider trace.TracerProvider, prop otprop.TextMapPropagator, decide decider, warn *ratelog.Logger) *otTracer {
	// What NewTracerPair does, without its deprecated provider type: the
	// bridge starts its spans through a wrapper tracer, which defers
	// putting the OpenTelemetry span into a Go context until
	// opentracing.ContextWithSpan is called, and the wrapper provider
	// makes spans started through the OpenTelemetry API visible to
	// opentracing.SpanFromContext.
	bt := otbridge.NewBridgeTracer()
	bt.SetWarningHandler(func(msg string) { warn.Log(msg) })
	native := prop
	if native == nil {
		native = propagation.TextMapPropagator(nativeFormats)
	}
	// Without a propagator of its own, the bridge would use
	// OpenTelemetry's global one, a no-op until a program sets it.
	bt.SetTextMapPropagator(bridgePropagator{native})
	tp := otbridge.NewTracerProvider(bt, provider)
	wrapped := tp.Tracer(instrumentationName)
	bt.SetOpenTelemetryTracer(wrapped)
	t := &otTracer{bridge: bt, wrapped: wrapped, decide: decide, warn: warn}
	t.provider = &apiProvider{bridge: tp, t: t}
	t.light = lightspan.Backend[lightContext]{Tracer: t, WithBaggageItem: lightContext.with}
	if prop != nil {
		// A propagator of the program's: the bridge applies it, and only
		// to its own span contexts.
		t.decide.parents = false
		t.native = bt
	} else {
		t.native = propagation.Wrap(bt, converter{t}, nativeFormats)
	}
	return t
}

// nativeFormats are the backend's formats when TRACER_PROPAGATION is
// unset: OpenTelemetry's default propagators.
var nativeFormats = propagation.Formats{propagation.TraceContext, propagation.Baggage}

// StartSpan implements opentracing.Tracer. The parent is the first
// ChildOf reference to a span context of this backend, else the first
// FollowsFrom one; other references become links. References to span
// contexts of other tracers are ignored. A span whose trace is known not
// to be sampled is a light span; the bridge starts the others.
func (t *otTracer) StartSpan(operationName string, opts ...opentracing.StartSpanOption) opentracing.Span {
	st := lightspan.Parent[otelContext](opts)
	if st.Plain && t.decide.unsampled(st.Parent, st.HasParent) {
		return t.startLight(st.Parent, st.HasParent)
	}
	if _, light := st.Parent.(lightContext); st.Plain && (st.Refs == 0 || st.Refs == 1 && st.ChildOf && !light) {
		// The bridge finds the same parent (or none) in the options as
		// they are.
		return &otSpan{Span: t.bridge.StartSpan(operationName, opts...), tracer: t}
	}
	var so opentracing.StartSpanOptions
	for _, o := range opts {
		o.Apply(&so)
	}
	if first := lightspan.Reference[otelContext](so.References); first >= 0 {
		parent := so.References[first].ReferencedContext.(otelContext)
		if !st.Plain && t.decide.unsampled(parent, true) {
			return t.startLight(parent, true)
		}
		// The bridge takes the first ChildOf reference to its own span
		// contexts: put the parent first, as one.
		refs := make([]opentracing.SpanReference, 0, len(so.References))
		refs = append(refs, opentracing.SpanReference{Type: opentracing.ChildOfRef, ReferencedContext: parent})
		refs = append(refs, so.References[:first]...)
		refs = append(refs, so.References[first+1:]...)
		for i, ref := range refs {
			if c, ok := ref.ReferencedContext.(lightContext); ok {
				refs[i].ReferencedContext = t.bridgeContext(c)
			}
		}
		so.References = refs
	} else if !st.Plain && t.decide.unsampled(nil, false) {
		return t.startLight(nil, false)
	}
	return &otSpan{Span: t.bridge.StartSpan(operationName, lightspan.Applied(so)), tracer: t}
}

// Inject implements opentracing.Tracer: W3C trace context and baggage
// (or Options.Propagator's formats). Binary writes those fields as one
// JSON object.
func (t *otTracer) Inject(sc opentracing.SpanContext, format, carrier interface{}) error {
	switch format {
	case opentracing.TextMap, opentracing.HTTPHeaders:
		if c, ok := carrier.(otprop.TextMapCarrier); ok {
			if _, ok := carrier.(opentracing.TextMapWriter); !ok {
				carrier = otelCarrier{c}
			}
		}
		return t.native.Inject(sc, format, carrier)
	case opentracing.Binary:
		return propagation.InjectBinary(t.native, sc, carrier)
	}
	return opentracing.ErrUnsupportedFormat
}

// Extract implements opentracing.Tracer, reading what Inject writes. No
// valid span context gives opentracing.ErrSpanContextNotFound; a Binary
// carrier that is not a JSON object gives an error wrapping
// opentracing.ErrSpanContextCorrupted.
func (t *otTracer) Extract(format, carrier interface{}) (opentracing.SpanContext, error) {
	switch format {
	case opentracing.TextMap, opentracing.HTTPHeaders:
		if c, ok := carrier.(otprop.TextMapCarrier); ok {
			if _, ok := carrier.(opentracing.TextMapReader); !ok {
				carrier = otelCarrier{c}
			}
		}
		return t.native.Extract(format, carrier)
	case opentracing.Binary:
		return propagation.ExtractBinary(t.native, carrier)
	}
	return nil, opentracing.ErrUnsupportedFormat
}

// otelCarrier lets Inject and Extract take OpenTelemetry's carriers (such
// as propagation.MapCarrier), as the bridge does.
type otelCarrier struct{ otprop.TextMapCarrier }

func (c otelCarrier) ForeachKey(handler func(key, val string) error) error {
	for _, k := range c.Keys() {
		if err := handler(k, c.Get(k)); err != nil {
			return err
		}
	}
	return nil
}

// ContextWithSpanHook implements opentracing.TracerContextWithSpanExtension:
// opentracing.ContextWithSpan calls it, and it puts the span's
// OpenTelemetry span into ctx as well, so that spans started from ctx
// through the OpenTelemetry API are its children.
func (t *otTracer) ContextWithSpanHook(ctx context.Context, span opentracing.Span) context.Context {
	switch s := span.(type) {
	case *lightSpan:
		// The span is its own non-recording OpenTelemetry span.
		return trace.ContextWithSpan(ctx, s)
	case *otSpan:
		span = s.Span
	}
	return t.bridge.ContextWithSpanHook(ctx, span)
}

// lightBase is the light span a lightSpan embeds (under this name, beside
// OpenTelemetry's embedded.Span).
type lightBase = lightspan.Span[lightContext]

// lightSpan is a light span that is also its own non-recording
// OpenTelemetry span, whose TracerProvider is the backend's (for
// instrumentation that takes the provider from the parent span): one
// allocation for both faces.
type lightSpan struct {
	lightBase
	embedded.Span
	provider trace.TracerProvider
}

// SpanContext implements trace.Span.
func (s *lightSpan) SpanContext() trace.SpanContext { return s.lightBase.SpanContext().SpanContext }

// IsRecording implements trace.Span: false, until sampling.priority has
// the vendor record it.
func (s *lightSpan) IsRecording() bool { return false }

// TracerProvider implements trace.Span.
func (s *lightSpan) TracerProvider() trace.TracerProvider { return s.provider }

// The rest of trace.Span records nothing.
func (s *lightSpan) End(...trace.SpanEndOption)              {}
func (s *lightSpan) AddEvent(string, ...trace.EventOption)   {}
func (s *lightSpan) AddLink(trace.Link)                      {}
func (s *lightSpan) RecordError(error, ...trace.EventOption) {}
func (s *lightSpan) SetStatus(codes.Code, string)            {}
func (s *lightSpan) SetName(string)                          {}
func (s *lightSpan) SetAttributes(...attribute.KeyValue)     {}

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
			s.tracer.warn.Log("span.kind set after the span started is ignored: give it as a start option, such as ext.SpanKindRPCClient")
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

// otelContext is what the backend's span contexts have in common: the
// bridge's (which embed an OpenTelemetry span context) and lightContext.
type otelContext interface {
	opentracing.SpanContext
	TraceID() trace.TraceID
	SpanID() trace.SpanID
	TraceFlags() trace.TraceFlags
	TraceState() trace.TraceState
	IsRemote() bool
}

// lightContext is the span context of a light span, and of an extracted
// parent that is not sampled: an OpenTelemetry span context, not sampled,
// and OpenTracing baggage. It is never changed: adding baggage makes a
// copy.
type lightContext struct {
	trace.SpanContext
	bag map[string]string
}

func (c lightContext) ForeachBaggageItem(handler func(k, v string) bool) {
	for k, v := range c.bag {
		if !handler(k, v) {
			return
		}
	}
}

func (c lightContext) with(key, value string) lightContext {
	bag := make(map[string]string, len(c.bag)+1)
	maps.Copy(bag, c.bag)
	bag[key] = value
	return lightContext{SpanContext: c.SpanContext, bag: bag}
}

// decider is what the backend knows of its sampler.
type decider struct {
	parents bool // a child follows its parent's decision
	noRoots bool // no new trace is sampled
}

// unsampled reports whether a span with this parent is known not to be
// sampled.
func (d decider) unsampled(parent otelContext, hasParent bool) bool {
	if !hasParent {
		return d.unsampledTrace(trace.TraceID{}, 0)
	}
	return d.unsampledTrace(parent.TraceID(), parent.TraceFlags())
}

// unsampledTrace is unsampled for a parent of that trace id and flags (an
// invalid id: no parent).
func (d decider) unsampledTrace(id trace.TraceID, flags trace.TraceFlags) bool {
	switch {
	case !d.parents:
		return false
	case !id.IsValid():
		return d.noRoots
	}
	return !flags.IsSampled()
}

// startLight returns the light span of a child of parent (a root when
// hasParent is false), which keeps its trace id, trace state and baggage.
func (t *otTracer) startLight(parent otelContext, hasParent bool) *lightSpan {
	cfg := trace.SpanContextConfig{SpanID: newSpanID()}
	var bag map[string]string
	if hasParent && parent.TraceID().IsValid() {
		cfg.TraceID = parent.TraceID()
		cfg.TraceFlags = parent.TraceFlags() &^ trace.FlagsSampled
		cfg.TraceState = parent.TraceState()
		if p, ok := parent.(lightContext); ok {
			bag = p.bag // never changed: shared
		} else {
			bag = lightspan.Baggage(parent)
		}
	} else {
		binary.NativeEndian.PutUint64(cfg.TraceID[:8], rand.Uint64())
		binary.NativeEndian.PutUint64(cfg.TraceID[8:], lightspan.NewID())
	}
	s := &lightSpan{provider: t.provider}
	s.Init(s, &t.light, lightContext{SpanContext: trace.NewSpanContext(cfg), bag: bag}, "", nil, time.Time{})
	return s
}

func newSpanID() (id trace.SpanID) {
	binary.NativeEndian.PutUint64(id[:], lightspan.NewID())
	return id
}

// bridgeContext returns a span context of the bridge for c, for the
// bridge to use as a parent or link: it ignores span contexts of other
// types. Only a sampler that may sample a child of an unsampled parent
// needs it.
func (t *otTracer) bridgeContext(c lightContext) opentracing.SpanContext {
	ctx := trace.ContextWithSpanContext(context.Background(), c.SpanContext)
	span := opentracing.SpanFromContext(t.bridge.ContextWithBridgeSpan(context.Background(), trace.SpanFromContext(ctx)))
	if span == nil { // not a bridge that behaves as documented
		return c
	}
	c.ForeachBaggageItem(func(k, v string) bool {
		span.SetBaggageItem(k, v)
		return true
	})
	return span.Context()
}

// converter translates the backend's span contexts to and from the
// neutral form, for package propagation's formats.
type converter struct{ t *otTracer }

// ToNeutral implements propagation.Converter for the bridge's span
// contexts and lightContexts.
func (c converter) ToNeutral(sc opentracing.SpanContext) (propagation.SpanContext, bool) {
	o, ok := sc.(otelContext)
	if !ok || !o.TraceID().IsValid() || !o.SpanID().IsValid() {
		return propagation.SpanContext{}, false
	}
	n := propagation.FromOTel(trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: o.TraceID(), SpanID: o.SpanID(), TraceFlags: o.TraceFlags(), TraceState: o.TraceState(),
	}))
	n.Baggage = lightspan.Baggage(o)
	return n, true
}

// FromNeutral implements propagation.Converter: a context that is not
// sampled becomes a lightContext where the sampler follows parents, any
// other a span context of the bridge.
func (c converter) FromNeutral(n propagation.SpanContext) (opentracing.SpanContext, error) {
	sc := propagation.ToOTel(n)
	if !sc.IsValid() {
		return nil, opentracing.ErrSpanContextNotFound
	}
	if !sc.IsSampled() && c.t.decide.parents {
		return lightContext{SpanContext: sc, bag: n.Baggage}, nil
	}
	ctx := trace.ContextWithRemoteSpanContext(context.Background(), sc)
	if len(n.Baggage) > 0 {
		var members []baggage.Member
		for k, v := range n.Baggage {
			if m, err := baggage.NewMemberRaw(k, v); err == nil {
				members = append(members, m)
			}
		}
		if b, err := baggage.New(members...); err == nil {
			ctx = baggage.ContextWithBaggage(ctx, b)
		}
	}
	return c.t.bridge.Extract(opentracing.TextMap, &extracted{ctx: ctx})
}

// extracted is a carrier holding an already extracted Go context, which
// bridgePropagator hands to the bridge as it is: the bridge builds its
// span context from a context only through its propagator.
type extracted struct{ ctx context.Context }

func (*extracted) Get(string) string  { return "" }
func (*extracted) Set(string, string) {}
func (*extracted) Keys() []string     { return nil }

// bridgePropagator is the propagator given to the bridge.
type bridgePropagator struct{ otprop.TextMapPropagator }

func (p bridgePropagator) Extract(ctx context.Context, carrier otprop.TextMapCarrier) context.Context {
	if e, ok := carrier.(*extracted); ok {
		return e.ctx
	}
	return p.TextMapPropagator.Extract(ctx, carrier)
}

// byTraceID is the SDK sampler of TRACER_SAMPLE_RATE: the decision of
// every backend (see sampling.ByTraceID) on the low 64 bits of the trace
// id.
type byTraceID struct {
	rate float64
	keep func(uint64) bool
}

func newByTraceID(rate float64) sdktrace.Sampler {
	return byTraceID{rate: rate, keep: sampling.ByTraceID(rate)}
}

func (s byTraceID) ShouldSample(p sdktrace.SamplingParameters) sdktrace.SamplingResult {
	r := sdktrace.SamplingResult{Decision: sdktrace.Drop, Tracestate: trace.SpanContextFromContext(p.ParentContext).TraceState()}
	if s.keep(binary.BigEndian.Uint64(p.TraceID[8:])) {
		r.Decision = sdktrace.RecordAndSample
	}
	return r
}

func (s byTraceID) Description() string {
	return fmt.Sprintf("TraceIDRatioBased{%g}", math.Max(0, math.Min(1, s.rate)))
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
