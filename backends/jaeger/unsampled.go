package jaeger

import (
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	"github.com/opentracing/opentracing-go/log"
	jaegerclient "github.com/uber/jaeger-client-go"

	"github.com/polytrace/polytrace/internal/sampling"
)

// A span of a trace that is known not to be sampled never reaches
// jaeger-client-go, which would build it in full (a Span with its lock,
// tags slice, references and observer) only to drop it when finished. The
// backend builds the same context itself (the client's ids: a new trace,
// or the parent's trace id with the parent span as parent; the parent's
// baggage) in two allocations. Tags and logs are dropped, as the client
// drops them from an unsampled span whose decision is final.
//
// A trace is known not to be sampled when:
//
//   - the span has no parent and the sampler samples no new trace (sample
//     rate 0, or JAEGER_SAMPLER_TYPE=const with JAEGER_SAMPLER_PARAM=0);
//   - its parent, a valid jaeger-client-go span context, is neither
//     sampled nor debug, and its decision cannot change: it is final, or
//     the sampler is one whose decisions always are (all but remote), so
//     that an unsampled context is the sampler's last word or came from
//     another process (Extract).
//
// Only spans started with plain opentracing options (Tag, Tags, StartTime,
// SpanReference) take this path; jaeger-client-go's own options (SelfRef)
// go to the client. Setting sampling.priority to a positive value on such
// a span samples it as the client would (debug, unless the client was
// told otherwise): the span is then started in the client, with the same
// start time, options and parent, and every later call goes to it; it
// gets new ids, which matters only to children started and contexts
// injected before that moment (they stay unsampled).

// otTracer is the tracer the backend hands out: jaeger-client-go's, with
// the unsampled path above.
type otTracer struct {
	client *jaegerclient.Tracer

	// light enables the unsampled path.
	light bool

	// neverRoot: the sampler samples no new trace.
	neverRoot bool
	// finalDecisions: every decision of the sampler is final, so an
	// unsampled context need not say so itself.
	finalDecisions bool
	// traceID128: new traces get 128-bit ids (JAEGER_TRACEID_128BIT).
	traceID128 bool
}

var _ opentracing.Tracer = (*otTracer)(nil)

// Unwrap returns the jaeger-client-go tracer, for code that needs its own
// features (its sampler, its tags).
func (t *otTracer) Unwrap() opentracing.Tracer { return t.client }

// Inject implements opentracing.Tracer: jaeger-client-go's Inject.
func (t *otTracer) Inject(sc opentracing.SpanContext, format, carrier interface{}) error {
	return t.client.Inject(sc, format, carrier)
}

// Extract implements opentracing.Tracer: jaeger-client-go's Extract.
func (t *otTracer) Extract(format, carrier interface{}) (opentracing.SpanContext, error) {
	return t.client.Extract(format, carrier)
}

// StartSpan implements opentracing.Tracer.
func (t *otTracer) StartSpan(operationName string, opts ...opentracing.StartSpanOption) opentracing.Span {
	if parent, hasParent, ok := t.unsampled(opts); ok {
		return t.startUnsampled(operationName, parent, hasParent, opts)
	}
	return t.client.StartSpan(operationName, opts...)
}

// unsampled reports whether a span started with opts belongs to a trace
// known not to be sampled, and its parent (none for a new trace), as
// jaeger-client-go picks it: the first ChildOf reference to a context
// that is not empty, else the first FollowsFrom one. Contexts are
// returned by value: a pointer to one would escape to the heap.
func (t *otTracer) unsampled(opts []opentracing.StartSpanOption) (parent jaegerclient.SpanContext, hasParent, ok bool) {
	if !t.light {
		return parent, false, false
	}
	var (
		follows    jaegerclient.SpanContext
		hasFollows bool
	)
	for _, o := range opts {
		switch o := o.(type) {
		case opentracing.Tag, opentracing.Tags, opentracing.StartTime:
		case opentracing.SpanReference:
			if o.Type != opentracing.ChildOfRef && o.Type != opentracing.FollowsFromRef {
				return parent, false, false // the client's own (SelfRef)
			}
			sc, isJaeger := o.ReferencedContext.(jaegerclient.SpanContext)
			if !isJaeger {
				continue // the client logs and ignores it
			}
			if !sc.IsValid() {
				// Empty, or a debug id or baggage alone: the client makes
				// a new trace of it, perhaps a debug one.
				return parent, false, false
			}
			switch {
			case o.Type == opentracing.ChildOfRef && !hasParent:
				parent, hasParent = sc, true
			case !hasFollows:
				follows, hasFollows = sc, true
			}
		default:
			return parent, false, false
		}
	}
	if !hasParent {
		parent, hasParent = follows, hasFollows
	}
	if !hasParent {
		return parent, false, t.neverRoot
	}
	decided := parent.IsSamplingFinalized() || t.finalDecisions
	return parent, true, decided && !parent.IsSampled() && !parent.IsDebug()
}

// startUnsampled starts a span of a trace that is not sampled, with the
// context jaeger-client-go would give it.
func (t *otTracer) startUnsampled(operationName string, parent jaegerclient.SpanContext, hasParent bool, opts []opentracing.StartSpanOption) *unsampledSpan {
	s := &unsampledSpan{tracer: t, operationName: operationName, opts: opts}
	for _, o := range opts {
		if st, ok := o.(opentracing.StartTime); ok {
			s.start = time.Time(st) // the last one wins, as in the client
		}
	}
	if s.start.IsZero() {
		s.start = time.Now()
	}
	var (
		traceID  jaegerclient.TraceID
		parentID jaegerclient.SpanID
		baggage  map[string]string
	)
	if hasParent {
		traceID, parentID = parent.TraceID(), parent.SpanID()
		parent.ForeachBaggageItem(func(k, v string) bool {
			if baggage == nil {
				baggage = make(map[string]string)
			}
			baggage[k] = v
			return true
		})
	} else {
		traceID = jaegerclient.TraceID{Low: nonZero()}
		if t.traceID128 {
			traceID.High = rand.Uint64()
		}
	}
	s.ctx = jaegerclient.NewSpanContext(traceID, jaegerclient.SpanID(nonZero()), parentID, false, baggage)
	s.cur.Store(&s.ctx)
	return s
}

// nonZero returns a random id, never zero.
func nonZero() uint64 {
	for {
		if v := rand.Uint64(); v != 0 {
			return v
		}
	}
}

// unsampledSpan is a span of a trace that is not sampled. Its context
// propagates (not sampled) and carries baggage; tags and logs are
// dropped, until sampling.priority makes it a client span (sampled).
type unsampledSpan struct {
	tracer        *otTracer
	operationName string
	opts          []opentracing.StartSpanOption // read only
	start         time.Time

	ctx     jaegerclient.SpanContext                 // the first context
	cur     atomic.Pointer[jaegerclient.SpanContext] // ctx, or a copy with more baggage
	sampled atomic.Pointer[jaegerclient.Span]        // set once sampled
}

var _ opentracing.Span = (*unsampledSpan)(nil)

func init() {
	sampling.Register(func(s opentracing.Span) (bool, bool) {
		us, ok := s.(*unsampledSpan)
		if !ok {
			return false, false
		}
		if cs := us.sampled.Load(); cs != nil {
			return recorded(cs)
		}
		return false, true
	})
}

// Context implements opentracing.Span: a jaeger-client-go span context.
func (s *unsampledSpan) Context() opentracing.SpanContext {
	if cs := s.sampled.Load(); cs != nil {
		return cs.Context()
	}
	return *s.cur.Load()
}

// SetBaggageItem implements opentracing.Span.
func (s *unsampledSpan) SetBaggageItem(key, value string) opentracing.Span {
	if cs := s.sampled.Load(); cs != nil {
		cs.SetBaggageItem(key, value)
		return s
	}
	for {
		old := s.cur.Load()
		next := old.WithBaggageItem(key, value)
		if s.cur.CompareAndSwap(old, &next) {
			return s
		}
	}
}

// BaggageItem implements opentracing.Span.
func (s *unsampledSpan) BaggageItem(key string) string {
	if cs := s.sampled.Load(); cs != nil {
		return cs.BaggageItem(key)
	}
	var v string
	s.cur.Load().ForeachBaggageItem(func(k, val string) bool {
		if k == key {
			v = val
			return false
		}
		return true
	})
	return v
}

// SetTag implements opentracing.Span. Tags are dropped, except a positive
// sampling.priority, which samples the span.
func (s *unsampledSpan) SetTag(key string, value interface{}) opentracing.Span {
	cs := s.sampled.Load()
	if cs == nil && key == string(ext.SamplingPriority) && positive(value) {
		cs = s.sample()
	}
	if cs != nil {
		cs.SetTag(key, value)
	}
	return s
}

// positive reports whether v is a sampling priority jaeger-client-go
// samples with: a positive uint16, the type ext.SamplingPriority sets.
func positive(v interface{}) bool {
	p, ok := v.(uint16)
	return ok && p > 0
}

// sample starts the span in the client, with its start time, options and
// parent, and returns the span every call goes to from then on.
func (s *unsampledSpan) sample() *jaegerclient.Span {
	opts := make([]opentracing.StartSpanOption, 0, len(s.opts)+1)
	opts = append(opts, s.opts...)
	opts = append(opts, opentracing.StartTime(s.start)) // also when it was given
	cs := s.tracer.client.StartSpan(s.operationName, opts...).(*jaegerclient.Span)
	// The client copied the parent's baggage; items set on this span since
	// it started are added.
	s.cur.Load().ForeachBaggageItem(func(k, v string) bool {
		if cs.BaggageItem(k) != v {
			cs.SetBaggageItem(k, v)
		}
		return true
	})
	if s.sampled.CompareAndSwap(nil, cs) {
		return cs
	}
	return s.sampled.Load() // another goroutine sampled it first
}

// SetOperationName implements opentracing.Span.
func (s *unsampledSpan) SetOperationName(name string) opentracing.Span {
	if cs := s.sampled.Load(); cs != nil {
		cs.SetOperationName(name)
	}
	return s
}

// Tracer implements opentracing.Span: the backend's tracer.
func (s *unsampledSpan) Tracer() opentracing.Tracer { return s.tracer }

// Finish implements opentracing.Span.
func (s *unsampledSpan) Finish() {
	if cs := s.sampled.Load(); cs != nil {
		cs.Finish()
	}
}

// FinishWithOptions implements opentracing.Span.
func (s *unsampledSpan) FinishWithOptions(opts opentracing.FinishOptions) {
	if cs := s.sampled.Load(); cs != nil {
		cs.FinishWithOptions(opts)
	}
}

// LogFields implements opentracing.Span.
func (s *unsampledSpan) LogFields(fields ...log.Field) {
	if cs := s.sampled.Load(); cs != nil {
		cs.LogFields(fields...)
	}
}

// LogKV implements opentracing.Span.
func (s *unsampledSpan) LogKV(kv ...interface{}) {
	if cs := s.sampled.Load(); cs != nil {
		cs.LogKV(kv...)
	}
}

// LogEvent implements opentracing.Span (deprecated API).
func (s *unsampledSpan) LogEvent(event string) {
	if cs := s.sampled.Load(); cs != nil {
		cs.LogEvent(event)
	}
}

// LogEventWithPayload implements opentracing.Span (deprecated API).
func (s *unsampledSpan) LogEventWithPayload(event string, payload interface{}) {
	if cs := s.sampled.Load(); cs != nil {
		cs.LogEventWithPayload(event, payload)
	}
}

// Log implements opentracing.Span (deprecated API).
func (s *unsampledSpan) Log(ld opentracing.LogData) {
	if cs := s.sampled.Load(); cs != nil {
		cs.Log(ld)
	}
}
