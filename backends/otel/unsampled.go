package otel

import (
	"context"
	"encoding/binary"
	"math/rand/v2"
	"net/http"
	"sync"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/log"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/embedded"

	"github.com/polytrace/polytrace/internal/sampling"
)

// A span of a trace that is not sampled never reaches the bridge when the
// backend knows the sampler's answer beforehand. Through the bridge, such a
// span costs the option conversion, a conversion of every start tag to an
// attribute, the SDK's non-recording span and the bridge's wrappers, all
// to be dropped. Here the backend builds the span context the SDK would
// give it (the parent's trace id, flags and trace state, or a new trace
// id for a root; a new span id; the sampled flag off) with the baggage the
// bridge would copy, in one allocation; tags and logs are dropped, as the
// SDK drops them.
//
// Plain opentracing options (Tag, Tags, StartTime, SpanReference) are read
// as they are, without applying them, which would build a map of the tags;
// options of other types are applied first, as for the bridge. A span
// that is sampled, or whose sampling is up to the SDK, is a sampledSpan
// (see span.go), or goes through the bridge when its options are not
// plain. Extract makes an inbound unsampled context a lightContext
// too (see extract.go), and Inject writes one with the configured
// propagator, as the bridge would.

// decider is what the backend knows of the sampler it gave the SDK.
type decider struct {
	// parents: the sampler keeps an unsampled parent's decision. True
	// for the parent-based samplers the backend builds itself; a
	// sampler from [Options].Sampler might sample such a child.
	parents bool
	// noRoots: the sampler samples no new trace (TRACER_SAMPLE_RATE=0).
	noRoots bool
}

// unsampled reports whether a span with parent (nil: none) is known not
// to be sampled.
func (d decider) unsampled(parent otelContext) bool {
	switch {
	case !d.parents:
		return false
	case parent == nil || !parent.TraceID().IsValid():
		// A new trace (the SDK ignores a parent without a trace id).
		return d.noRoots
	}
	return !parent.TraceFlags().IsSampled()
}

// otelContext is a span context of this backend: the bridge's, or a
// lightContext. Both carry an OpenTelemetry span context.
type otelContext interface {
	opentracing.SpanContext
	TraceID() trace.TraceID
	SpanID() trace.SpanID
	TraceFlags() trace.TraceFlags
	TraceState() trace.TraceState
	IsRemote() bool
}

// classify reads opts without applying them. plain is false when an
// option is of a type it does not know; otherwise parent is the span's
// parent as StartSpan picks it: the first ChildOf reference to a span
// context of this backend, else the first FollowsFrom one (nil: none).
func classify(opts []opentracing.StartSpanOption) (plain bool, parent otelContext) {
	var follows otelContext
	for _, o := range opts {
		switch o := o.(type) {
		case opentracing.Tag, opentracing.Tags, opentracing.StartTime:
		case opentracing.SpanReference:
			if parent != nil {
				continue
			}
			c, ok := o.ReferencedContext.(otelContext)
			if !ok {
				continue // not of this backend: ignored, as by StartSpan
			}
			switch {
			case o.Type == opentracing.ChildOfRef:
				parent = c
			case o.Type == opentracing.FollowsFromRef && follows == nil:
				follows = c
			}
		default:
			return false, nil
		}
	}
	if parent == nil {
		parent = follows
	}
	return true, parent
}

// unsampledSpan is a span of a trace that is not sampled. Its context
// propagates (with the sampled flag off) and carries baggage; everything
// else is dropped. It is also the non-recording OpenTelemetry span that
// ContextWithSpanHook puts in a Go context, so that spans started from
// that context through the OpenTelemetry API join its trace.
type unsampledSpan struct {
	embedded.Span // trace.Span's marker; never called
	tracer        *otTracer
	ctx           lightContext
}

// lightContext is the span context of the backend's own spans
// (unsampledSpan, sampledSpan) and of an inbound unsampled trace. The
// bridge does not know it: bridgeContext converts it for the bridge. As
// the bridge's, it is updated in place by SetBaggageItem.
type lightContext struct {
	trace.SpanContext // immutable

	mu  sync.Mutex
	bag baggage.Baggage // replaced, never changed: children share it
}

var (
	_ opentracing.Span = (*unsampledSpan)(nil)
	_ trace.Span       = (*unsampledSpan)(nil)
	_ otelContext      = (*lightContext)(nil)
)

func init() {
	sampling.Register(func(s opentracing.Span) (bool, bool) {
		_, ok := s.(*unsampledSpan)
		return false, ok
	})
}

// startUnsampled starts a span as the SDK would start it unsampled: a
// child of parent, or the root of a new trace when parent is nil or has
// no trace id. The baggage is the parent's, as the bridge copies it.
func (t *otTracer) startUnsampled(parent otelContext) *unsampledSpan {
	s := &unsampledSpan{tracer: t}
	cfg := trace.SpanContextConfig{SpanID: newSpanID()}
	if parent != nil {
		// The SDK's choices for a span its sampler drops.
		cfg.TraceID = parent.TraceID()
		cfg.TraceFlags = parent.TraceFlags() &^ trace.FlagsSampled
		cfg.TraceState = parent.TraceState()
		if p, ok := parent.(*lightContext); ok {
			s.ctx.bag = p.baggage()
		} else {
			c := &s.ctx // not yet shared: no lock
			parent.ForeachBaggageItem(func(k, v string) bool {
				c.bag = withItem(c.bag, k, v)
				return true
			})
		}
	}
	if !cfg.TraceID.IsValid() {
		cfg.TraceID = newTraceID()
	}
	s.ctx.SpanContext = trace.NewSpanContext(cfg)
	return s
}

// newTraceID and newSpanID make random non-zero ids, as the SDK's default
// id generator does.
func newTraceID() (id trace.TraceID) {
	for !id.IsValid() {
		binary.NativeEndian.PutUint64(id[:8], rand.Uint64())
		binary.NativeEndian.PutUint64(id[8:], rand.Uint64())
	}
	return id
}

func newSpanID() (id trace.SpanID) {
	for !id.IsValid() {
		binary.NativeEndian.PutUint64(id[:], rand.Uint64())
	}
	return id
}

// withItem returns bag with key set to value. As in the bridge, an item
// that is not valid W3C baggage is dropped.
func withItem(bag baggage.Baggage, key, value string) baggage.Baggage {
	m, err := baggage.NewMemberRaw(key, value)
	if err != nil {
		return bag
	}
	if b, err := bag.SetMember(m); err == nil {
		return b
	}
	return bag
}

func (c *lightContext) setItem(key, value string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.bag = withItem(c.bag, key, value)
}

func (c *lightContext) baggage() baggage.Baggage {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bag
}

// ForeachBaggageItem implements opentracing.SpanContext. handler runs on a
// snapshot, without the lock: it may set baggage on the span.
func (c *lightContext) ForeachBaggageItem(handler func(k, v string) bool) {
	for _, m := range c.baggage().Members() {
		if !handler(m.Key(), m.Value()) {
			return
		}
	}
}

// opentracing.Span

func (s *unsampledSpan) Context() opentracing.SpanContext { return &s.ctx }
func (s *unsampledSpan) Tracer() opentracing.Tracer       { return s.tracer }

func (s *unsampledSpan) SetBaggageItem(key, value string) opentracing.Span {
	s.ctx.setItem(key, value)
	return s
}

func (s *unsampledSpan) BaggageItem(key string) string {
	return s.ctx.baggage().Member(key).Value()
}

func (s *unsampledSpan) SetOperationName(string) opentracing.Span    { return s }
func (s *unsampledSpan) SetTag(string, interface{}) opentracing.Span { return s }
func (s *unsampledSpan) LogFields(...log.Field)                      {}
func (s *unsampledSpan) LogKV(...interface{})                        {}
func (s *unsampledSpan) Finish()                                     {}
func (s *unsampledSpan) FinishWithOptions(opentracing.FinishOptions) {}
func (s *unsampledSpan) LogEvent(string)                             {}
func (s *unsampledSpan) LogEventWithPayload(string, interface{})     {}
func (s *unsampledSpan) Log(opentracing.LogData)                     {}

// trace.Span: a non-recording span.

func (s *unsampledSpan) SpanContext() trace.SpanContext { return s.ctx.SpanContext }
func (s *unsampledSpan) IsRecording() bool              { return false }

// TracerProvider returns the backend's provider, as the SDK's spans return
// theirs: instrumentation that starts spans from it joins the trace.
func (s *unsampledSpan) TracerProvider() trace.TracerProvider { return s.tracer.provider }

func (s *unsampledSpan) End(...trace.SpanEndOption)              {}
func (s *unsampledSpan) AddEvent(string, ...trace.EventOption)   {}
func (s *unsampledSpan) AddLink(trace.Link)                      {}
func (s *unsampledSpan) RecordError(error, ...trace.EventOption) {}
func (s *unsampledSpan) SetStatus(codes.Code, string)            {}
func (s *unsampledSpan) SetName(string)                          {}
func (s *unsampledSpan) SetAttributes(...attribute.KeyValue)     {}

// injectLight is Inject for a lightContext, which the bridge does
// not accept: what the bridge's Inject does for its own span contexts,
// with the same carriers and errors.
func (t *otTracer) injectLight(c *lightContext, format, carrier interface{}) error {
	var tc propagation.TextMapCarrier
	switch format {
	case opentracing.HTTPHeaders:
		if h, ok := carrier.(opentracing.HTTPHeadersCarrier); ok {
			tc = propagation.HeaderCarrier(http.Header(h))
		}
	case opentracing.TextMap:
		tc, _ = carrier.(propagation.TextMapCarrier)
	default:
		return opentracing.ErrUnsupportedFormat
	}
	if tc == nil {
		w, ok := carrier.(opentracing.TextMapWriter)
		if !ok {
			return opentracing.ErrInvalidCarrier
		}
		r, _ := carrier.(opentracing.TextMapReader)
		tc = &writerCarrier{w: w, r: r}
	}
	ctx := trace.ContextWithSpanContext(context.Background(), c.SpanContext)
	if bag := c.baggage(); bag.Len() > 0 {
		ctx = baggage.ContextWithBaggage(ctx, bag)
	}
	t.prop.Inject(ctx, tc)
	return nil
}

// writerCarrier is the propagator's carrier over an opentracing writer
// (and reader, when it is one), as the bridge adapts them.
type writerCarrier struct {
	w opentracing.TextMapWriter
	r opentracing.TextMapReader // nil: nothing to read
}

func (c *writerCarrier) Set(key, value string) { c.w.Set(key, value) }

func (c *writerCarrier) Get(key string) string {
	var got string
	c.each(func(k, v string) {
		if k == key {
			got = v
		}
	})
	return got
}

func (c *writerCarrier) Keys() []string {
	var keys []string
	c.each(func(k, _ string) { keys = append(keys, k) })
	return keys
}

func (c *writerCarrier) each(f func(k, v string)) {
	if c.r != nil {
		_ = c.r.ForeachKey(func(k, v string) error { f(k, v); return nil })
	}
}

// bridgeContext returns a span context of the bridge for c, for the
// bridge to use as a parent or link: it ignores span contexts of other
// types, and would start a new trace instead. This costs a few
// allocations, only for spans started with option types classify does not
// read.
func (t *otTracer) bridgeContext(c *lightContext) opentracing.SpanContext {
	otelSpan := trace.SpanFromContext(trace.ContextWithSpanContext(context.Background(), c.SpanContext))
	span := opentracing.SpanFromContext(t.bridge.ContextWithBridgeSpan(context.Background(), otelSpan))
	if span == nil { // not a bridge that behaves as documented
		return c
	}
	c.ForeachBaggageItem(func(k, v string) bool {
		span.SetBaggageItem(k, v)
		return true
	})
	return span.Context()
}
