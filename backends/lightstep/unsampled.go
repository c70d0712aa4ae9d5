package lightstep

import (
	"math/rand/v2"
	"sync"

	lsgo "github.com/lightstep/lightstep-tracer-go"
	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/log"

	"github.com/polytrace/polytrace/internal/sampling"
)

// A span of a trace that is not sampled never reaches lightstep-tracer-go,
// which would build it in full (tags, logs, timing) and drop it only once
// finished. The sampler builds the same context itself, as the client
// would (new ids for a root; for a child, the parent's trace id and the
// client's handling of the first ChildOf or FollowsFrom reference), in
// one allocation; tags and logs are dropped, as the client drops them.
// Only spans started with plain opentracing options take this path:
// lightstep's own start options (SetTraceID, SetSampled, ...) go to the
// client as before.

// verdict is what the sampler knows of a span about to start.
type verdict int

const (
	undecided  verdict = iota // options the fast path does not read
	sampled                   // start it with the client
	notSampled                // start an unsampledSpan
)

// classify reads plain options: whether the span is sampled and, when it
// is not, its parent (the first ChildOf or FollowsFrom reference, when it
// is a lightstep.SpanContext, as the client reads it). For a root it picks
// the new trace's id, and decides by it.
func (s *sampler) classify(opts []opentracing.StartSpanOption) (v verdict, parent *lsgo.SpanContext, traceID uint64) {
	refSeen := false
	for _, o := range opts {
		switch o := o.(type) {
		case opentracing.Tag, opentracing.Tags, opentracing.StartTime:
		case opentracing.SpanReference:
			if refSeen || o.ReferencedContext == nil || (o.Type != opentracing.ChildOfRef && o.Type != opentracing.FollowsFromRef) {
				continue
			}
			refSeen = true
			if sc, ok := o.ReferencedContext.(lsgo.SpanContext); ok {
				parent = &sc
			}
		default:
			return undecided, nil, 0
		}
	}
	switch {
	case parent != nil && parent.Sampled == "false":
		return notSampled, parent, 0
	case parent != nil:
		return sampled, nil, 0 // the parent's decision, whatever it is
	}
	traceID = s.traceID()
	if s.keep(traceID) {
		return sampled, nil, traceID
	}
	return notSampled, nil, traceID
}

// unsampledSpan is a span of a trace that is not sampled. Its context
// propagates (ot-tracer-sampled: false) and carries baggage; everything
// else is dropped.
type unsampledSpan struct {
	tracer opentracing.Tracer // the sampler

	mu  sync.Mutex // guards ctx.Baggage's replacement
	ctx lsgo.SpanContext
}

var _ opentracing.Span = (*unsampledSpan)(nil)

func init() {
	sampling.Register(func(s opentracing.Span) (bool, bool) {
		_, ok := s.(*unsampledSpan)
		return false, ok
	})
}

// newUnsampledSpan starts a span as lightstep-tracer-go would with
// Sampled "false": a child of parent, or the root of trace traceID (a new
// id when zero).
func newUnsampledSpan(tr opentracing.Tracer, parent *lsgo.SpanContext, traceID uint64) *unsampledSpan {
	s := &unsampledSpan{tracer: tr}
	s.ctx.Sampled = "false"
	s.ctx.SpanID = nonZero()
	if parent != nil && parent.TraceID != 0 {
		// As the client does: the trace id, not its upper half.
		s.ctx.TraceID = parent.TraceID
		if len(parent.Baggage) > 0 {
			s.ctx.Baggage = make(map[string]string, len(parent.Baggage))
			for k, v := range parent.Baggage {
				s.ctx.Baggage[k] = v
			}
		}
	} else if s.ctx.TraceID = traceID; traceID == 0 {
		s.ctx.TraceID = nonZero()
	}
	return s
}

func nonZero() uint64 {
	for {
		if v := rand.Uint64(); v != 0 {
			return v
		}
	}
}

func (s *unsampledSpan) Context() opentracing.SpanContext {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ctx
}

func (s *unsampledSpan) SetBaggageItem(key, value string) opentracing.Span {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ctx = s.ctx.WithBaggageItem(key, value)
	return s
}

func (s *unsampledSpan) BaggageItem(key string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ctx.Baggage[key]
}

func (s *unsampledSpan) Tracer() opentracing.Tracer                  { return s.tracer }
func (s *unsampledSpan) SetOperationName(string) opentracing.Span    { return s }
func (s *unsampledSpan) SetTag(string, interface{}) opentracing.Span { return s }
func (s *unsampledSpan) LogFields(...log.Field)                      {}
func (s *unsampledSpan) LogKV(...interface{})                        {}
func (s *unsampledSpan) Finish()                                     {}
func (s *unsampledSpan) FinishWithOptions(opentracing.FinishOptions) {}
func (s *unsampledSpan) LogEvent(string)                             {}
func (s *unsampledSpan) LogEventWithPayload(string, interface{})     {}
func (s *unsampledSpan) Log(opentracing.LogData)                     {}
