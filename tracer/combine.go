package tracer

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/log"

	"github.com/polytrace/polytrace/internal/lightspan"
	"github.com/polytrace/polytrace/internal/sampling"
	"github.com/polytrace/polytrace/propagation"
)

// Member is one backend of a [Combine]d instance: its name, for errors
// and for [Stats.LastExportError], and its ready instance.
type Member struct {
	Name string
	*Instance
}

// Combine returns a ready instance that reports every span to each
// member: TRACER_BACKEND=jaeger,otel is Combine over the two backends.
//
// The first member starts every span, as when it is alone, and so
// decides its ids, its sampling and its parent; when it records the span,
// every other member records the same span (trace, span and parent ids,
// name, start and finish times in whole microseconds, tags, logs,
// baggage) through its [Instance.StartWithIDs], which it must have. A span
// of a trace the first member does not sample is the first member's own
// span, recorded nowhere. Span contexts, in references and on the wire,
// are the first member's, so Inject writes cfg.Propagation's formats, or
// else the first member's native one, which must have a Converter. Open
// the other members at sample rate 0, as TRACER_BACKEND does: they
// sample nothing of their own.
//
// Stats counts a span once: exported when every member exported it,
// dropped when any dropped it. From the members' counters that is the
// fewest spans any member exported and the most any dropped, exact when
// the members that drop spans drop the same ones; after Shutdown every
// finished span not counted as exported counts as dropped. Export errors
// add up; LastExportError lists each member's latest, by name;
// LastExportTime is the latest of any. Shutdown shuts every member down
// at once, within ctx's deadline, and joins their errors. Ping is not
// set: each member was pinged when opened, if cfg.Strict asked. A list
// of one is that member's instance, unchanged.
func Combine(cfg Config, members ...Member) (*Instance, error) {
	switch len(members) {
	case 0:
		return nil, errors.New("combine: no backend")
	case 1:
		return Ready(cfg, members[0].Instance) // the backend alone
	}
	if members[0].Converter == nil {
		return nil, fmt.Errorf("%s: its span contexts cannot be read: it has no Converter "+
			"(as the otel backend with OTEL_PROPAGATORS set, or a disabled backend): list it after another backend", members[0].Name)
	}
	lt := &listTracer{first: members[0].Native(), conv: members[0].Converter}
	for _, m := range members[1:] {
		if m.StartWithIDs == nil {
			return nil, fmt.Errorf("%s: it cannot record spans another backend starts: it has no StartWithIDs", m.Name)
		}
		lt.rest = append(lt.rest, m.StartWithIDs)
	}
	var closed atomic.Bool
	return Ready(cfg, &Instance{
		Tracer:     lt,
		Converter:  members[0].Converter,
		Propagator: members[0].Propagator,
		Shutdown: func(ctx context.Context) error {
			errs := make([]error, len(members))
			var wg sync.WaitGroup
			for i, m := range members {
				if m.Shutdown == nil {
					continue
				}
				wg.Go(func() {
					if err := m.Shutdown(ctx); err != nil {
						errs[i] = fmt.Errorf("%s: %w", m.Name, err)
					}
				})
			}
			wg.Wait()
			closed.Store(true)
			return errors.Join(errs...)
		},
		Stats: func() Stats { return combineStats(members, closed.Load()) },
	})
}

// combineStats is the Stats of a combined instance, from each member's
// (see [Combine]); closed tells that Shutdown has returned.
func combineStats(members []Member, closed bool) Stats {
	var out Stats
	var lastErrors []string
	for i, m := range members {
		var s Stats
		if m.Stats != nil {
			s = m.Stats()
		}
		out.SpansStarted = max(out.SpansStarted, s.SpansStarted)
		out.SpansFinished = max(out.SpansFinished, s.SpansFinished)
		if i == 0 || s.SpansExported < out.SpansExported {
			out.SpansExported = s.SpansExported
		}
		out.SpansDropped = max(out.SpansDropped, s.SpansDropped)
		out.ExportErrors += s.ExportErrors
		if s.LastExportError != "" {
			lastErrors = append(lastErrors, m.Name+": "+s.LastExportError)
		}
		if s.LastExportTime.After(out.LastExportTime) {
			out.LastExportTime = s.LastExportTime
		}
	}
	out.LastExportError = strings.Join(lastErrors, "; ")
	if closed {
		out.SpansDropped = max(out.SpansDropped, out.SpansFinished-out.SpansExported)
	}
	return out
}

// listTracer is the tracer of a combined instance (see [Combine]).
type listTracer struct {
	first opentracing.Tracer
	conv  propagation.Converter // the first backend's
	rest  []func(name string, ids propagation.SpanContext, opts ...opentracing.StartSpanOption) opentracing.Span
}

var (
	_ opentracing.Tracer = (*listTracer)(nil)
	_ opentracing.Span   = (*listSpan)(nil)
)

func init() {
	sampling.Register(func(s opentracing.Span) (recorded, known bool) {
		if ls, ok := s.(*listSpan); ok {
			return sampling.Recorded(ls.first), true
		}
		return false, false
	})
}

// StartSpan implements opentracing.Tracer.
func (t *listTracer) StartSpan(operationName string, opts ...opentracing.StartSpanOption) opentracing.Span {
	// The parent every backend chooses; a list's spans carry only the
	// first backend's contexts.
	st := lightspan.Parent[opentracing.SpanContext](opts)
	var first opentracing.Span
	var start opentracing.StartSpanOption // the start time given to every backend
	switch {
	case !st.Time.IsZero():
	case st.Plain && st.HasParent && t.unsampled(st.Parent):
		// Most spans of an unsampled trace: the first backend's light
		// span, as when it is alone.
		first = t.first.StartSpan(operationName, opts...)
		if !sampling.Recorded(first) {
			return first
		}
		// Sampled after all (a client's late decision): the others
		// start now.
		start = opentracing.StartTime(time.Now().Truncate(time.Microsecond))
	default:
		// One start time for every backend, in whole microseconds, which
		// every collector keeps alike.
		start = opentracing.StartTime(time.Now().Truncate(time.Microsecond))
		opts = append(opts[:len(opts):len(opts)], start)
	}
	if first == nil {
		first = t.first.StartSpan(operationName, opts...)
	}
	if !sampling.Recorded(first) {
		return first
	}
	ids, ok := t.conv.ToNeutral(first.Context())
	if !ok || !ids.IsValid() {
		return first
	}
	var tags opentracing.Tags
	parent, hasParent := st.Parent, st.HasParent
	if st.Plain {
		tags = plainTags(opts)
	} else {
		var so opentracing.StartSpanOptions
		for _, o := range opts {
			o.Apply(&so)
		}
		tags = so.Tags
		if start == nil {
			start = opentracing.StartTime(so.StartTime)
		}
		if i := lightspan.Reference[opentracing.SpanContext](so.References); i >= 0 {
			parent, hasParent = so.References[i].ReferencedContext, true
		}
	}
	if start == nil {
		start = opentracing.StartTime(st.Time)
	}
	if ids.ParentID == 0 && hasParent {
		// The first backend's contexts do not hold their parent
		// (Lightstep's, OpenTelemetry's): it is the reference.
		if n, ok := t.conv.ToNeutral(parent); ok {
			ids.ParentID = n.SpanID
		}
	}
	s := &listSpan{first: first, tracer: t}
	s.rest = s.inline[:0]
	s.same = [2]opentracing.StartSpanOption{start, tags}
	for _, startWithIDs := range t.rest {
		s.rest = append(s.rest, startWithIDs(operationName, ids, s.same[:]...))
	}
	return s
}

// unsampled reports whether parent is a context of the first backend
// whose trace is not sampled.
func (t *listTracer) unsampled(parent opentracing.SpanContext) bool {
	n, ok := t.conv.ToNeutral(parent)
	return ok && n.Sampling == propagation.NotSampled
}

// plainTags are the tags of opts, options of opentracing's plain types
// (lightspan.Start.Plain), read without applying them: the map of a lone
// Tags option is the caller's, as it is (the backends only read it).
func plainTags(opts []opentracing.StartSpanOption) opentracing.Tags {
	var tags opentracing.Tags
	shared := false // tags is a caller's map
	for _, o := range opts {
		if t, ok := o.(lightspan.Tags); ok {
			o = opentracing.Tags(t)
		}
		switch o := o.(type) {
		case opentracing.Tags:
			if tags == nil {
				tags, shared = o, true
				continue
			}
			if shared {
				tags, shared = maps.Clone(tags), false
			}
			maps.Copy(tags, o)
		case opentracing.Tag:
			if tags == nil || shared {
				own := make(opentracing.Tags, len(tags)+1)
				maps.Copy(own, tags)
				tags, shared = own, false
			}
			tags[o.Key] = o.Value
		}
	}
	return tags
}

// Inject implements opentracing.Tracer: the first backend's.
func (t *listTracer) Inject(sc opentracing.SpanContext, format, carrier interface{}) error {
	return t.first.Inject(sc, format, carrier)
}

// Extract implements opentracing.Tracer: the first backend's.
func (t *listTracer) Extract(format, carrier interface{}) (opentracing.SpanContext, error) {
	return t.first.Extract(format, carrier)
}

// listSpan is a span recorded by every backend of a list: first's and
// the same span in each other backend, to which every call goes too.
type listSpan struct {
	first  opentracing.Span
	rest   []opentracing.Span // in inline, for up to four backends
	tracer *listTracer

	inline [3]opentracing.Span
	same   [2]opentracing.StartSpanOption // what the others start with: its start time and tags
}

func (s *listSpan) Context() opentracing.SpanContext { return s.first.Context() }
func (s *listSpan) Tracer() opentracing.Tracer       { return s.tracer }
func (s *listSpan) BaggageItem(key string) string    { return s.first.BaggageItem(key) }

func (s *listSpan) each(f func(opentracing.Span)) {
	f(s.first)
	for _, r := range s.rest {
		f(r)
	}
}

// Finish and FinishWithOptions give every backend the same finish time.
func (s *listSpan) Finish() { s.FinishWithOptions(opentracing.FinishOptions{}) }

func (s *listSpan) FinishWithOptions(o opentracing.FinishOptions) {
	if o.FinishTime.IsZero() {
		o.FinishTime = time.Now().Truncate(time.Microsecond)
	}
	s.each(func(sp opentracing.Span) { sp.FinishWithOptions(o) })
}

func (s *listSpan) SetOperationName(name string) opentracing.Span {
	s.each(func(sp opentracing.Span) { sp.SetOperationName(name) })
	return s
}

func (s *listSpan) SetTag(key string, value interface{}) opentracing.Span {
	s.each(func(sp opentracing.Span) { sp.SetTag(key, value) })
	return s
}

func (s *listSpan) SetBaggageItem(key, value string) opentracing.Span {
	s.each(func(sp opentracing.Span) { sp.SetBaggageItem(key, value) })
	return s
}

func (s *listSpan) LogFields(fields ...log.Field) {
	s.each(func(sp opentracing.Span) { sp.LogFields(fields...) })
}

func (s *listSpan) LogKV(alternatingKeyValues ...interface{}) {
	s.each(func(sp opentracing.Span) { sp.LogKV(alternatingKeyValues...) })
}

func (s *listSpan) LogEvent(event string) {
	s.each(func(sp opentracing.Span) { sp.LogEvent(event) })
}

func (s *listSpan) LogEventWithPayload(event string, payload interface{}) {
	s.each(func(sp opentracing.Span) { sp.LogEventWithPayload(event, payload) })
}

func (s *listSpan) Log(data opentracing.LogData) {
	s.each(func(sp opentracing.Span) { sp.Log(data) })
}
