package lightstep

import (
	lsgo "github.com/lightstep/lightstep-tracer-go"
	"github.com/opentracing/opentracing-go"

	"github.com/polytrace/polytrace/internal/sampling"
)

// sampler adds client-side sampling to a lightstep-tracer-go tracer, which
// has no sampler of its own but drops every finished span whose context
// says Sampled "false" and propagates that flag (ot-tracer-sampled). The
// sampler decides once per trace, when a root span starts: it picks the
// trace id itself (lightstep.SetTraceID) and keeps the trace when
// sampling.ByTraceID says so for that id, as the other backends decide,
// otherwise it starts the span with lightstep.SetSampled("false").
// Children inherit their parent's flag, in this process and in downstream
// services that read the ot-tracer-* headers, so a trace is reported whole
// or not at all; a parent extracted from a request keeps the caller's
// decision.
type sampler struct {
	lsgo.Tracer
	keep    func(traceID uint64) bool
	traceID func() uint64 // the id of a new trace, never zero
}

var _ lsgo.Tracer = (*sampler)(nil)

func newSampler(t lsgo.Tracer, rate float64) *sampler {
	return &sampler{Tracer: t, keep: sampling.ByTraceID(rate), traceID: nonZero}
}

// StartSpan implements opentracing.Tracer.
func (s *sampler) StartSpan(operationName string, opts ...opentracing.StartSpanOption) opentracing.Span {
	switch v, parent, id := s.classify(opts); v { // see unsampled.go
	case notSampled:
		return newUnsampledSpan(s, parent, id)
	case sampled:
		if id == 0 { // a child: the client takes its parent's trace
			return s.Tracer.StartSpan(operationName, opts...)
		}
		return s.Tracer.StartSpan(operationName, with(opts, lsgo.SetTraceID(id))...)
	}
	root, given := decides(opts)
	if !root {
		return s.Tracer.StartSpan(operationName, opts...)
	}
	id := given
	if id == 0 {
		id = s.traceID()
		opts = with(opts, lsgo.SetTraceID(id))
	}
	if s.keep(id) {
		return s.Tracer.StartSpan(operationName, opts...)
	}
	return s.Tracer.StartSpan(operationName, with(opts, lsgo.SetSampled("false"))...)
}

// with returns a copy of opts with o appended, leaving the caller's slice
// alone.
func with(opts []opentracing.StartSpanOption, o opentracing.StartSpanOption) []opentracing.StartSpanOption {
	out := make([]opentracing.StartSpanOption, len(opts), len(opts)+1)
	copy(out, opts)
	return append(out, o)
}

// decides reports whether a span started with opts is a root whose
// sampling is still to be decided, and the trace id the caller gave it
// with lightstep.SetTraceID (zero if none). As in lightstep-tracer-go,
// only the first ChildOf or FollowsFrom reference counts, and only when it
// points to a lightstep.SpanContext; an explicit lightstep.SetSampled is
// the caller's decision.
func decides(opts []opentracing.StartSpanOption) (root bool, traceID uint64) {
	root, refSeen := true, false
	for _, o := range opts {
		switch o := o.(type) {
		case lsgo.SetSampled:
			return false, 0
		case lsgo.SetTraceID:
			traceID = uint64(o)
		case opentracing.SpanReference:
			if refSeen || o.ReferencedContext == nil || (o.Type != opentracing.ChildOfRef && o.Type != opentracing.FollowsFromRef) {
				continue
			}
			refSeen = true
			if _, ok := o.ReferencedContext.(lsgo.SpanContext); ok {
				root = false
			}
		}
	}
	return root, traceID
}
