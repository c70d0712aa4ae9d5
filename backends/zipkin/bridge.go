package zipkin

import (
	"maps"
	"sync"
	"sync/atomic"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/log"
	zipkingo "github.com/openzipkin/zipkin-go"
	"github.com/openzipkin/zipkin-go/model"

	"github.com/polytrace/polytrace/internal/spanstats"
)

// otTracer is the opentracing.Tracer the backend hands out, over a
// zipkin-go tracer, which times and reports the spans. It does what
// zipkin-go-opentracing does (span.go: tag and span.kind translation,
// logs as annotations), and what that library lacks: baggage, the Binary
// format, and the error values the OpenTracing API specifies for bad
// carriers and corrupt headers.
type otTracer struct {
	ztr    *zipkingo.Tracer
	stats  *spanstats.Counters // counts sampled spans started; may be nil
	decide decider             // the sampler, for the fast paths (fast.go)
}

var (
	_ opentracing.Tracer      = (*otTracer)(nil)
	_ opentracing.Span        = (*otSpan)(nil)
	_ opentracing.SpanContext = (*spanContext)(nil)
)

// spanContext is the span context of otTracer's spans. It is immutable:
// setting baggage on a span replaces the span's context with a new one.
type spanContext struct {
	zipkin  model.SpanContext
	baggage map[string]string // never written after the context is shared
}

// ForeachBaggageItem implements opentracing.SpanContext.
func (c *spanContext) ForeachBaggageItem(handler func(k, v string) bool) {
	for k, v := range c.baggage {
		if !handler(k, v) {
			return
		}
	}
}

// StartSpan implements opentracing.Tracer. The parent is the first ChildOf
// reference to a context of this tracer, else the first FollowsFrom one;
// baggage is inherited from every reference, as OpenTracing specifies.
func (t *otTracer) StartSpan(operationName string, opts ...opentracing.StartSpanOption) opentracing.Span {
	if span, ok := t.startFast(operationName, opts); ok {
		return span // see fast.go
	}
	var so opentracing.StartSpanOptions
	for _, o := range opts {
		o.Apply(&so)
	}
	var (
		parent        *spanContext
		parentIsChild bool
		baggage       map[string]string
	)
	for _, ref := range so.References {
		sc, ok := ref.ReferencedContext.(*spanContext)
		if !ok || sc == nil {
			continue
		}
		if parent == nil || (ref.Type == opentracing.ChildOfRef && !parentIsChild) {
			parent, parentIsChild = sc, ref.Type == opentracing.ChildOfRef
		}
		if len(sc.baggage) > 0 {
			if baggage == nil {
				baggage = make(map[string]string, len(sc.baggage))
			}
			maps.Copy(baggage, sc.baggage)
		}
	}
	var pz *model.SpanContext
	if parent != nil {
		pz = &parent.zipkin
	}
	return t.wrap(t.startZipkin(operationName, pz, false, so.StartTime, startTags{m: so.Tags}), baggage)
}

// Inject implements opentracing.Tracer. See propagation.go.
func (t *otTracer) Inject(sc opentracing.SpanContext, format, carrier interface{}) error {
	return inject(sc, format, carrier)
}

// Extract implements opentracing.Tracer. See propagation.go.
func (t *otTracer) Extract(format, carrier interface{}) (opentracing.SpanContext, error) {
	return extract(format, carrier)
}

// otSpan is the backend's span: a zipkin-go span (span.go), or none for
// a trace that is not sampled, plus baggage.
type otSpan struct {
	inner  innerSpan // &direct, or noInner
	direct zipkinSpan
	tracer *otTracer

	mu  sync.Mutex // serializes baggage writers; readers use ctx alone
	ctx atomic.Pointer[spanContext]

	// Allocated with the span: the context ctx starts with, and for spans
	// started by startUnsampled what its pointers point to.
	first      spanContext
	notSampled bool
	parentID   model.ID
}

func (s *otSpan) Context() opentracing.SpanContext { return s.ctx.Load() }

func (s *otSpan) Tracer() opentracing.Tracer { return s.tracer }

func (s *otSpan) SetBaggageItem(key, value string) opentracing.Span {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.ctx.Load()
	baggage := make(map[string]string, len(old.baggage)+1)
	maps.Copy(baggage, old.baggage)
	baggage[key] = value
	s.ctx.Store(&spanContext{zipkin: old.zipkin, baggage: baggage})
	return s
}

func (s *otSpan) BaggageItem(key string) string { return s.ctx.Load().baggage[key] }

func (s *otSpan) SetOperationName(name string) opentracing.Span {
	s.inner.SetOperationName(name)
	return s
}

func (s *otSpan) SetTag(key string, value interface{}) opentracing.Span {
	s.inner.SetTag(key, value)
	return s
}

// LogFields implements opentracing.Span: each field becomes one Zipkin
// annotation "key:value", all with the record's timestamp.
func (s *otSpan) LogFields(fields ...log.Field) { s.inner.LogFields(fields...) }

// LogKV implements opentracing.Span. Unlike zipkin-go-opentracing, which
// stamps each field separately, it logs the pairs as one record with one
// timestamp, so readers can group them back.
func (s *otSpan) LogKV(alternatingKeyValues ...interface{}) {
	fields, err := log.InterleavedKVToFields(alternatingKeyValues...)
	if err != nil {
		s.inner.LogFields(log.Error(err), log.String("function", "LogKV"))
		return
	}
	s.inner.LogFields(fields...)
}

func (s *otSpan) Finish() { s.inner.Finish() }

func (s *otSpan) FinishWithOptions(opts opentracing.FinishOptions) {
	s.inner.FinishWithOptions(opts)
}

// LogEvent is deprecated in OpenTracing; it logs the field event.
func (s *otSpan) LogEvent(event string) { s.inner.LogFields(log.String("event", event)) }

// LogEventWithPayload is deprecated in OpenTracing; it logs the fields
// event and payload.
func (s *otSpan) LogEventWithPayload(event string, payload interface{}) {
	s.inner.LogFields(log.String("event", event), log.Object("payload", payload))
}

// Log is deprecated in OpenTracing; it logs the fields of
// LogData.ToLogRecord, stamped now.
func (s *otSpan) Log(data opentracing.LogData) {
	s.inner.LogFields(data.ToLogRecord().Fields...)
}
