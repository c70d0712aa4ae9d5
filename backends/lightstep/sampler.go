package lightstep

import (
	"math/rand/v2"

	lsgo "github.com/lightstep/lightstep-tracer-go"
	"github.com/opentracing/opentracing-go"
)

// sampler adds client-side sampling to a lightstep-tracer-go tracer, which
// has no sampler of its own but drops every finished span whose context
// says Sampled "false" and propagates that flag (ot-tracer-sampled). The
// sampler decides once per trace, when a root span starts: with
// probability rate it leaves the span as it is, otherwise it starts it
// with lightstep.SetSampled("false"). Children inherit their parent's
// flag, in this process and in downstream services that read the
// ot-tracer-* headers, so a trace is reported whole or not at all; a
// parent extracted from a request keeps the caller's decision.
type sampler struct {
	lsgo.Tracer
	rate   float64
	random func() float64 // uniform in [0, 1)
}

var _ lsgo.Tracer = (*sampler)(nil)

func newSampler(t lsgo.Tracer, rate float64) *sampler {
	return &sampler{Tracer: t, rate: rate, random: rand.Float64}
}

// StartSpan implements opentracing.Tracer.
func (s *sampler) StartSpan(operationName string, opts ...opentracing.StartSpanOption) opentracing.Span {
	switch v, parent := s.classify(opts); v { // see unsampled.go
	case notSampled:
		return newUnsampledSpan(s, parent)
	case sampled:
		return s.Tracer.StartSpan(operationName, opts...)
	}
	if !decides(opts) || s.random() < s.rate {
		return s.Tracer.StartSpan(operationName, opts...)
	}
	drop := make([]opentracing.StartSpanOption, len(opts), len(opts)+1)
	copy(drop, opts)
	return s.Tracer.StartSpan(operationName, append(drop, lsgo.SetSampled("false"))...)
}

// decides reports whether a span started with opts is a root whose
// sampling is still to be decided. As in lightstep-tracer-go, only the
// first ChildOf or FollowsFrom reference counts, and only when it points
// to a lightstep.SpanContext; an explicit lightstep.SetSampled is the
// caller's decision.
func decides(opts []opentracing.StartSpanOption) bool {
	root, refSeen := true, false
	for _, o := range opts {
		switch o := o.(type) {
		case lsgo.SetSampled:
			return false
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
	return root
}
