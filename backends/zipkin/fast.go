package zipkin

import (
	"maps"
	"time"

	"github.com/opentracing/opentracing-go"
	zipkingo "github.com/openzipkin/zipkin-go"
	"github.com/openzipkin/zipkin-go/model"
)

// The fast path of otTracer.StartSpan, for options that are all plain
// opentracing values (Tag, Tags, StartTime, SpanReference), as the Gin
// middleware's are; the general path applies other options first. Here:
//
//   - A span whose trace is not sampled never reaches zipkin-go at all:
//     zipkin-go would make it a no-op span anyway (WithNoopSpan), so the
//     backend builds the same context (ids, parent, sampling decision,
//     baggage) itself, in one allocation. Its tags and logs are dropped,
//     as zipkin-go drops them.
//   - A sampled span goes to zipkin-go (span.go) with its tags read from
//     the caller's options as they are, without applying them to a map.
//
// What reaches the collector is the same as through the general path.

// decider is the trace sampler zipkin-go was given, with what the
// backend knows of it: a rate of 1 (or none) samples every trace, 0 none.
type decider struct {
	sample        zipkingo.Sampler // nil: unknown, leave decisions to zipkin-go
	always, never bool
}

func newDecider(rate *float64, sample zipkingo.Sampler) decider {
	return decider{
		sample: sample,
		always: rate == nil || *rate == 1,
		never:  rate != nil && *rate == 0,
	}
}

// startFast is StartSpan for plain options. ok is false, and nothing was
// started, when an option is of another type: the general path then
// applies them all.
func (t *otTracer) startFast(operationName string, opts []opentracing.StartSpanOption) (span opentracing.Span, ok bool) {
	var (
		parent        *spanContext
		parentIsChild bool
		baggage       map[string]string
		start         time.Time
	)
	for _, o := range opts {
		switch o := o.(type) {
		case opentracing.Tag, opentracing.Tags:
		case opentracing.StartTime:
			start = time.Time(o) // the last one wins, as when applied
		case opentracing.SpanReference:
			sc, ok := o.ReferencedContext.(*spanContext)
			if !ok || sc == nil {
				continue // not of this tracer: ignored, as by the general path
			}
			if parent == nil || (o.Type == opentracing.ChildOfRef && !parentIsChild) {
				parent, parentIsChild = sc, o.Type == opentracing.ChildOfRef
			}
			if len(sc.baggage) > 0 {
				if baggage == nil {
					baggage = make(map[string]string, len(sc.baggage))
				}
				maps.Copy(baggage, sc.baggage)
			}
		default:
			return nil, false
		}
	}

	decided := false // a new trace this function sampled
	switch sampled, known := t.decide.trace(parent); {
	case !known:
	case !sampled:
		return t.startUnsampled(parent, baggage), true
	case parent == nil && !t.decide.always:
		decided = true
	}

	// A new trace this function sampled goes to zipkin-go decided, so
	// that the decision is not taken again (on other ids).
	var pz *model.SpanContext
	if parent != nil {
		pz = &parent.zipkin
	}
	return t.wrap(t.startZipkin(operationName, pz, decided, start, startTags{opts: opts}), baggage), true
}

// trace tells whether a span with parent (nil: a new trace) is sampled,
// when that is known without zipkin-go: the parent's decision, or the
// sampler's on the parent's trace id (as zipkin-go would ask it), or for
// a new trace the sampler's on a fresh id. Debug traces are sampled.
func (d decider) trace(parent *spanContext) (sampled, known bool) {
	if parent == nil {
		switch {
		case d.never:
			return false, true
		case d.always:
			return true, true
		case d.sample == nil:
			return false, false
		}
		return d.sample(nonZero()), true
	}
	p := parent.zipkin
	switch {
	case p.Debug:
		return true, true
	case p.Sampled != nil:
		return *p.Sampled, true
	case p.TraceID.Empty() || d.sample == nil:
		// zipkin-go would decide on ids it has yet to make.
		return false, false
	}
	return d.sample(p.TraceID.Low), true
}

// startUnsampled starts a span of a trace that is not sampled, with the
// context zipkin-go would give it: a new trace, or a child of parent.
func (t *otTracer) startUnsampled(parent *spanContext, baggage map[string]string) *otSpan {
	s := &otSpan{inner: noInner, tracer: t}
	c := &s.first
	c.baggage = baggage
	c.zipkin.Sampled = &s.notSampled
	if parent == nil || parent.zipkin.TraceID.Empty() {
		c.zipkin.TraceID = idGenerator{}.TraceID()
	} else {
		c.zipkin.TraceID = parent.zipkin.TraceID
		s.parentID = parent.zipkin.ID
		c.zipkin.ParentID = &s.parentID
	}
	c.zipkin.ID = idGenerator{}.SpanID(c.zipkin.TraceID)
	s.ctx.Store(c)
	return s
}

// wrap returns the span the backend hands out for zs, a sampled (or
// undecided) zipkin-go span, with the inherited baggage.
func (t *otTracer) wrap(zs zipkinSpan, baggage map[string]string) *otSpan {
	zc := zs.span.Context()
	if t.stats != nil && (zc.Debug || (zc.Sampled != nil && *zc.Sampled)) {
		t.stats.Started(1)
	}
	s := &otSpan{direct: zs, tracer: t}
	s.inner = &s.direct
	s.first = spanContext{zipkin: zc, baggage: baggage}
	s.ctx.Store(&s.first)
	return s
}
