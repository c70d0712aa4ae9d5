package zipkin

import (
	"maps"

	"github.com/opentracing/opentracing-go"
	zipkinot "github.com/openzipkin-contrib/zipkin-go-opentracing"
	zipkingo "github.com/openzipkin/zipkin-go"
)

// The fast paths of otTracer.StartSpan. zipkin-go-opentracing turns every
// span's start options into zipkin-go options through a fresh map, slice
// and string per tag, sampled or not, and StartSpan's general path adds
// its own copy of the options on top. Here:
//
//   - A span whose trace is not sampled never reaches zipkin-go at all:
//     zipkin-go would make it a no-op span anyway (WithNoopSpan), so the
//     backend builds the same context (ids, parent, sampling decision,
//     baggage) itself, in one allocation. Its tags and logs are dropped,
//     as zipkin-go drops them.
//   - A sampled span whose options are all plain opentracing values (Tag,
//     Tags, StartTime, SpanReference), as the Gin middleware's are, goes
//     to zipkin-go-opentracing with the caller's options as they are, the
//     references replaced by the one parent it understands.
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

// noInner is the inner span of unsampled spans: every method does nothing.
var noInner = opentracing.NoopTracer{}.StartSpan("")

// sampledRoot is a parent reference that makes zipkin-go start a new trace
// already decided as sampled, so that a decision this file took is not
// taken again (on other ids).
var sampledRoot opentracing.StartSpanOption = func() opentracing.StartSpanOption {
	yes := true
	return opentracing.SpanReference{Type: opentracing.ChildOfRef, ReferencedContext: zipkinot.SpanContext{Sampled: &yes}}
}()

// startFast is StartSpan for plain options. ok is false, and nothing was
// started, when an option is of another type: the general path then
// applies them all.
func (t *otTracer) startFast(operationName string, opts []opentracing.StartSpanOption) (span opentracing.Span, ok bool) {
	var (
		parent        *spanContext
		parentIsChild bool
		baggage       map[string]string
		refs          int
	)
	for _, o := range opts {
		switch o := o.(type) {
		case opentracing.Tag, opentracing.Tags, opentracing.StartTime:
		case opentracing.SpanReference:
			refs++
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

	inner := opts
	if refs > 0 || decided {
		inner = make([]opentracing.StartSpanOption, 0, len(opts)-refs+1)
		for _, o := range opts {
			if _, isRef := o.(opentracing.SpanReference); !isRef {
				inner = append(inner, o)
			}
		}
		switch {
		case parent != nil:
			ref := parent.boxed
			if ref == nil {
				ref = zipkinot.SpanContext(parent.zipkin)
			}
			inner = append(inner, opentracing.SpanReference{Type: opentracing.ChildOfRef, ReferencedContext: ref})
		case decided:
			inner = append(inner, sampledRoot)
		}
	}
	return t.wrap(t.inner.StartSpan(operationName, inner...), baggage), true
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

// wrap returns the span the backend hands out for span, a span of
// zipkin-go-opentracing, with the inherited baggage.
func (t *otTracer) wrap(span opentracing.Span, baggage map[string]string) *otSpan {
	boxed := span.Context()
	zc := zipkinContext(boxed)
	if t.stats != nil && (zc.Debug || (zc.Sampled != nil && *zc.Sampled)) {
		t.stats.Started(1)
	}
	s := &otSpan{inner: span, tracer: t}
	s.first = spanContext{zipkin: zc, boxed: boxed, baggage: baggage}
	s.ctx.Store(&s.first)
	return s
}
