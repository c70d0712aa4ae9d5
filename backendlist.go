package polytrace

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/log"

	"github.com/polytrace/polytrace/backends/noop"
	"github.com/polytrace/polytrace/internal/envconf"
	"github.com/polytrace/polytrace/internal/sampling"
	"github.com/polytrace/polytrace/propagation"
	"github.com/polytrace/polytrace/tracer"
)

// parseBackends returns the backend names value holds (TRACER_BACKEND's
// value, or New's first argument): one name, or a comma-separated list
// of distinct names other than noop, case-insensitive. Empty means noop.
func parseBackends(value string) ([]string, error) {
	v := strings.ToLower(strings.TrimSpace(value))
	if v == "" {
		return []string{noop.Name}, nil
	}
	parts := strings.Split(v, ",")
	names := make([]string, 0, len(parts))
	for _, p := range parts {
		name := strings.TrimSpace(p)
		var problem string
		switch {
		case name == "":
			problem = "the list has an empty name"
		case !registered(name):
			problem = fmt.Sprintf("%q is not a backend", name)
		case slices.Contains(names, name):
			problem = fmt.Sprintf("%s is listed twice", name)
		case name == noop.Name && len(parts) > 1:
			problem = "noop cannot be listed with other backends"
		}
		if problem != "" {
			err := &envconf.Error{Name: EnvBackend, Value: value, Want: "one of " + strings.Join(tracer.Backends(), ", ") +
				", or a comma-separated list of distinct backends other than noop (" + problem + ")"}
			return nil, fmt.Errorf("%w: %w", tracer.ErrUnknownBackend, err)
		}
		names = append(names, name)
	}
	return names, nil
}

// openList opens every backend of names, a list of two or more, and the
// tracer that records each span in all of them (see [listTracer]). Each
// backend reads its own settings from cfg as when it is alone; the first
// one samples at cfg's rate and the others follow its decisions. If one
// fails to open, those already open are shut down.
func openList(names []string, cfg tracer.Config) (*Tracer, error) {
	insts := make([]*tracer.Instance, 0, len(names))
	fail := func(err error) (*Tracer, error) {
		ctx, cancel := context.WithTimeout(context.Background(), cfg.Flush())
		defer cancel()
		for _, inst := range insts {
			_ = inst.Shutdown(ctx)
		}
		return noopTracer(), fmt.Errorf("polytrace: %s=%s: %w", EnvBackend, strings.Join(names, ","), err)
	}
	for i, name := range names {
		c := cfg
		if i > 0 {
			// The first backend's sampler decides; the others sample
			// nothing of their own and record what it samples.
			c.SampleRate = tracer.Rate(0)
		}
		inst, err := tracer.Open(name, c)
		if err != nil {
			return fail(err)
		}
		insts = append(insts, inst)
		switch {
		case i == 0 && inst.Converter == nil:
			return fail(fmt.Errorf("%s: its span contexts cannot be read (with OTEL_PROPAGATORS set, list it after another backend, or set TRACER_PROPAGATION instead)", name))
		case i > 0 && inst.StartWithIDs == nil:
			return fail(fmt.Errorf("%s: it cannot record spans started by another backend", name))
		}
	}
	lt := &listTracer{first: insts[0].Native(), conv: insts[0].Converter}
	for _, inst := range insts[1:] {
		lt.rest = append(lt.rest, inst.StartWithIDs)
	}
	var closed atomic.Bool
	byBackend := func() map[string]tracer.Stats {
		m := make(map[string]tracer.Stats, len(names))
		for i, inst := range insts {
			if inst.Stats != nil {
				m[names[i]] = inst.Stats()
			}
		}
		return m
	}
	inst, err := tracer.Ready(cfg, &tracer.Instance{
		Tracer:     lt,
		Converter:  insts[0].Converter,
		Propagator: insts[0].Propagator,
		Shutdown: func(ctx context.Context) error {
			errs := make([]error, len(insts))
			var wg sync.WaitGroup
			for i, inst := range insts {
				wg.Go(func() {
					if err := inst.Shutdown(ctx); err != nil {
						errs[i] = fmt.Errorf("%s: %w", names[i], err)
					}
				})
			}
			wg.Wait()
			closed.Store(true)
			return errors.Join(errs...)
		},
		Stats: func() tracer.Stats { return combineStats(names, byBackend(), closed.Load()) },
	})
	if err != nil {
		return fail(err)
	}
	return &Tracer{
		ot:           inst.Native(),
		prop:         inst.Tracer,
		unwrap:       insts[0].Native(),
		backend:      strings.Join(names, ","),
		flushTimeout: cfg.Flush(),
		shutdown:     inst.Shutdown,
		stats:        inst.Stats,
		byBackend:    byBackend,
		provider:     inst.TracerProvider,
		propagator:   inst.Propagator,
	}, nil
}

// combineStats is the Stats of a list of backends, from each one's (by
// name; names gives the order): a span counts as started and finished
// once (the most any backend counts), as exported only when every
// backend exported it and as dropped when any dropped it. From counters
// alone that is the fewest spans any backend exported and the most any
// dropped, which is exact when the backends that drop spans drop the
// same ones; after Shutdown (closed) every finished span not counted as
// exported is dropped. Export errors add up; LastExportError lists each
// backend's latest, by name; LastExportTime is the latest of any.
func combineStats(names []string, each map[string]tracer.Stats, closed bool) tracer.Stats {
	var out tracer.Stats
	var lastErrors []string
	for i, name := range names {
		s := each[name]
		out.SpansStarted = max(out.SpansStarted, s.SpansStarted)
		out.SpansFinished = max(out.SpansFinished, s.SpansFinished)
		if i == 0 || s.SpansExported < out.SpansExported {
			out.SpansExported = s.SpansExported
		}
		out.SpansDropped = max(out.SpansDropped, s.SpansDropped)
		out.ExportErrors += s.ExportErrors
		if s.LastExportError != "" {
			lastErrors = append(lastErrors, name+": "+s.LastExportError)
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

// listTracer records each span in several backends. The first backend
// starts every span, as when it is alone, and so decides its ids, its
// sampling and its parent; when it records the span, every other backend
// records the same span (same trace, span and parent ids, name, start and
// finish times, tags, logs, baggage) through its StartWithIDs. A span of
// a trace the first backend does not sample is the first backend's own
// (light) span: nothing to record elsewhere. Span contexts, on the wire
// and in references, are the first backend's.
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
	if !slices.ContainsFunc(opts, isStartTime) {
		// One start time for every backend, in whole microseconds, which
		// every collector keeps alike.
		opts = append(opts[:len(opts):len(opts)], opentracing.StartTime(time.Now().Truncate(time.Microsecond)))
	}
	first := t.first.StartSpan(operationName, opts...)
	if !sampling.Recorded(first) {
		return first
	}
	ids, ok := t.conv.ToNeutral(first.Context())
	if !ok || !ids.IsValid() {
		return first
	}
	var so opentracing.StartSpanOptions
	for _, o := range opts {
		o.Apply(&so)
	}
	if ids.ParentID == 0 {
		// The first backend's contexts do not hold their parent
		// (Lightstep's, OpenTelemetry's): it is the reference every
		// backend takes as the parent.
		ids.ParentID = t.parentID(so.References)
	}
	s := &listSpan{first: first, tracer: t, rest: make([]opentracing.Span, len(t.rest))}
	same := []opentracing.StartSpanOption{opentracing.StartTime(so.StartTime), opentracing.Tags(so.Tags)}
	for i, start := range t.rest {
		s.rest[i] = start(operationName, ids, same...)
	}
	return s
}

// parentID is the span id of the parent among refs, as every backend
// chooses it: the first ChildOf reference to a context of the first
// backend, else the first FollowsFrom one; zero when there is none.
func (t *listTracer) parentID(refs []opentracing.SpanReference) uint64 {
	var follows uint64
	for _, ref := range refs {
		if ref.ReferencedContext == nil || ref.Type != opentracing.ChildOfRef && ref.Type != opentracing.FollowsFromRef {
			continue
		}
		n, ok := t.conv.ToNeutral(ref.ReferencedContext)
		switch {
		case !ok || !n.IsValid():
		case ref.Type == opentracing.ChildOfRef:
			return n.SpanID
		case follows == 0:
			follows = n.SpanID
		}
	}
	return follows
}

func isStartTime(o opentracing.StartSpanOption) bool {
	_, ok := o.(opentracing.StartTime)
	return ok
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
	rest   []opentracing.Span
	tracer *listTracer
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
