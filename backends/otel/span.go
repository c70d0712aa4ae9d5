package otel

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	"github.com/opentracing/opentracing-go/log"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/bridge/opentracing/migration"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/polytrace/polytrace/internal/sampling"
)

// A span started with plain opentracing options (Tag, Tags, StartTime,
// SpanReference) whose trace is sampled, or whose sampling is up to the
// SDK, is a sampledSpan: an SDK span started directly, driven the way the
// OpenTracing bridge (go.opentelemetry.io/otel/bridge/opentracing v1.47.0)
// drives it, so that the exporter receives the same span:
//
//   - The parent (see classify) is handed to the SDK as a remote span
//     context; other references of this backend become links with an
//     ot-span-reference-type attribute.
//   - span.kind given at the start sets the kind (client, server,
//     producer, consumer; a string in any case); error=true sets the
//     Error status; other tags become attributes, converted as the bridge
//     converts them (ints and floats widened, uint and uint64 as decimal
//     strings, other types through fmt.Sprint). Of a key given twice, the
//     last value counts.
//   - Logged fields become an event named after the last non-empty
//     "event" field, else "log", with the fields as attributes; the log
//     records of FinishOptions keep their timestamps.
//   - The span context carries OpenTracing baggage: the parent's items
//     and those set on the span, which Inject writes as the bridge does.
//
// The bridge applies the options to a map, converts the tags into a new
// slice, wraps the span and its context in objects of its own and builds
// a baggage and a Go context on every span; here the start tags go from
// the options into a reused buffer, which the SDK copies, and the span
// and its context are one object.

// sampledSpan is a span recorded by the SDK, or left to its sampler.
type sampledSpan struct {
	span   trace.Span // the SDK's
	tracer *otTracer
	ctx    lightContext

	// tag holds SetTag's attribute for SetAttributes, which copies it: a
	// variadic argument of its own would be allocated on every call.
	tagMu sync.Mutex
	tag   [1]attribute.KeyValue
}

var _ opentracing.Span = (*sampledSpan)(nil)

func init() {
	sampling.Register(func(s opentracing.Span) (bool, bool) {
		ss, ok := s.(*sampledSpan)
		if !ok {
			return false, false
		}
		return ss.span.IsRecording(), true
	})
}

// deferredSetup is the Go context the bridge starts its spans from: it
// tells the bridge's wrapper tracer not to put the new span in a context.
// Span processors see it in OnStart, as they would from the bridge.
var deferredSetup = migration.WithDeferredSetup(context.Background())

// The values of the ot-span-reference-type attribute the bridge gives
// links.
var (
	extraChildOf = attribute.String("ot-span-reference-type", "extra-child-of")
	followsFrom  = attribute.String("ot-span-reference-type", "follows-from-ref")
)

// kindOptions are the SDK's start options for each span kind, made once.
var kindOptions = func() (opts [trace.SpanKindConsumer + 1]trace.SpanStartOption) {
	for k := range opts {
		opts[k] = trace.WithSpanKind(trace.SpanKind(k))
	}
	return opts
}()

// maxStartTags is how many distinct start tags a startBuf holds; more
// are fine, at the cost of an allocation.
const maxStartTags = 8

// startBuf holds what startSampled hands the SDK, which copies it: kept
// for the next span rather than allocated for each.
type startBuf struct {
	opts  [4]trace.SpanStartOption
	attrs [maxStartTags]attribute.KeyValue
}

var startBufs = sync.Pool{New: func() any { return new(startBuf) }}

// startSampled starts a sampledSpan named name with opts, which classify
// found plain; parent is the parent it found (nil: a new trace).
func (t *otTracer) startSampled(name string, parent otelContext, opts []opentracing.StartSpanOption) *sampledSpan {
	buf := startBufs.Get().(*startBuf)
	defer func() {
		*buf = startBuf{} // references nothing of this span
		startBufs.Put(buf)
	}()
	var (
		start   time.Time
		attrs   = buf.attrs[:0]
		kind    = trace.SpanKindInternal
		isError bool
		links   []trace.Link
		parentI = -1 // the parent's index among opts
	)
	// The parent's option: the first ChildOf reference to a span context
	// of this backend, else the first FollowsFrom one, as classify picks.
	if parent != nil {
		follows := -1
		for i, o := range opts {
			ref, ok := o.(opentracing.SpanReference)
			if !ok {
				continue
			}
			if _, ok := ref.ReferencedContext.(otelContext); !ok {
				continue
			}
			if ref.Type == opentracing.ChildOfRef {
				parentI = i
				break
			}
			if ref.Type == opentracing.FollowsFromRef && follows < 0 {
				follows = i
			}
		}
		if parentI < 0 {
			parentI = follows
		}
	}
	// The tags as the map StartSpanOptions.Tags would hold them: the last
	// value of a key wins, kept at its first position.
	set := func(key string, value interface{}) {
		switch key {
		case string(ext.SpanKind):
			kind = spanKind(value)
			return
		case string(ext.Error):
			b, ok := value.(bool)
			isError = ok && b
			return
		}
		kv := tagAttribute(key, value)
		for i := range attrs {
			if attrs[i].Key == kv.Key {
				attrs[i] = kv
				return
			}
		}
		attrs = append(attrs, kv)
	}
	for i, o := range opts {
		switch o := o.(type) {
		case opentracing.Tag:
			set(o.Key, o.Value)
		case opentracing.Tags:
			for k, v := range o {
				set(k, v)
			}
		case opentracing.StartTime:
			start = time.Time(o)
		case opentracing.SpanReference:
			c, ok := o.ReferencedContext.(otelContext)
			if !ok || i == parentI {
				continue // other tracers' contexts are ignored
			}
			link := trace.Link{SpanContext: otelSpanContext(c)}
			switch o.Type {
			case opentracing.ChildOfRef:
				link.Attributes = []attribute.KeyValue{extraChildOf}
			case opentracing.FollowsFromRef:
				link.Attributes = []attribute.KeyValue{followsFrom}
			default:
				link.Attributes = []attribute.KeyValue{attribute.String("ot-span-reference-type", fmt.Sprintf("unknown-%d", int(o.Type)))}
			}
			links = append(links, link)
		}
	}

	ctx := deferredSetup
	if parent != nil {
		ctx = trace.ContextWithRemoteSpanContext(ctx, otelSpanContext(parent))
	}
	sopts := append(buf.opts[:0], kindOptions[kind])
	if len(attrs) > 0 {
		sopts = append(sopts, trace.WithAttributes(attrs...))
	}
	if !start.IsZero() {
		sopts = append(sopts, trace.WithTimestamp(start))
	}
	if len(links) > 0 {
		sopts = append(sopts, trace.WithLinks(links...))
	}
	_, span := t.sdk.Start(ctx, name, sopts...)
	if isError {
		span.SetStatus(codes.Error, "")
	}
	s := &sampledSpan{span: span, tracer: t}
	s.ctx.SpanContext = span.SpanContext()
	if parent != nil {
		// Item by item, as the bridge copies them: what is not valid
		// baggage, and the properties of inbound items, are dropped.
		c := &s.ctx // not yet shared: no lock
		parent.ForeachBaggageItem(func(k, v string) bool {
			c.bag = withItem(c.bag, k, v)
			return true
		})
	}
	return s
}

// otelSpanContext returns c's OpenTelemetry span context.
func otelSpanContext(c otelContext) trace.SpanContext {
	if l, ok := c.(*lightContext); ok {
		return l.SpanContext
	}
	return trace.NewSpanContext(trace.SpanContextConfig{
		TraceID:    c.TraceID(),
		SpanID:     c.SpanID(),
		TraceFlags: c.TraceFlags(),
		TraceState: c.TraceState(),
		Remote:     c.IsRemote(),
	})
}

// spanKind is the bridge's reading of a span.kind tag: a string in any
// case, or an ext.SpanKindEnum in lower case, names a kind; anything else
// leaves the span internal.
func spanKind(v interface{}) trace.SpanKind {
	k := v
	if s, ok := v.(string); ok {
		k = ext.SpanKindEnum(strings.ToLower(s))
	}
	switch k {
	case ext.SpanKindRPCClientEnum:
		return trace.SpanKindClient
	case ext.SpanKindRPCServerEnum:
		return trace.SpanKindServer
	case ext.SpanKindProducerEnum:
		return trace.SpanKindProducer
	case ext.SpanKindConsumerEnum:
		return trace.SpanKindConsumer
	}
	return trace.SpanKindInternal
}

// tagAttribute converts a tag as the bridge does: signed ints and uint8
// to uint32 become Int64, floats Float64, uint and uint64 a decimal
// string, and other types fmt.Sprint's string.
func tagAttribute(k string, v interface{}) attribute.KeyValue {
	key := attribute.Key(k)
	switch v := v.(type) {
	case bool:
		return key.Bool(v)
	case int64:
		return key.Int64(v)
	case uint64:
		return key.String(strconv.FormatUint(v, 10))
	case float64:
		return key.Float64(v)
	case int8:
		return key.Int64(int64(v))
	case uint8:
		return key.Int64(int64(v))
	case int16:
		return key.Int64(int64(v))
	case uint16:
		return key.Int64(int64(v))
	case int32:
		return key.Int64(int64(v))
	case uint32:
		return key.Int64(int64(v))
	case float32:
		return key.Float64(float64(v))
	case int:
		return key.Int(v)
	case uint:
		return key.String(strconv.FormatUint(uint64(v), 10))
	case string:
		return key.String(v)
	}
	return key.String(fmt.Sprint(v))
}

// fieldEncoder converts log fields to attributes, each value as a tag of
// the same value would be.
type fieldEncoder struct{ attrs []attribute.KeyValue }

var _ log.Encoder = (*fieldEncoder)(nil)

func (e *fieldEncoder) add(key string, value interface{}) {
	e.attrs = append(e.attrs, tagAttribute(key, value))
}

func (e *fieldEncoder) EmitString(key, value string)          { e.add(key, value) }
func (e *fieldEncoder) EmitBool(key string, value bool)       { e.add(key, value) }
func (e *fieldEncoder) EmitInt(key string, value int)         { e.add(key, value) }
func (e *fieldEncoder) EmitInt32(key string, value int32)     { e.add(key, value) }
func (e *fieldEncoder) EmitInt64(key string, value int64)     { e.add(key, value) }
func (e *fieldEncoder) EmitUint32(key string, value uint32)   { e.add(key, value) }
func (e *fieldEncoder) EmitUint64(key string, value uint64)   { e.add(key, value) }
func (e *fieldEncoder) EmitFloat32(key string, value float32) { e.add(key, value) }
func (e *fieldEncoder) EmitFloat64(key string, value float64) { e.add(key, value) }
func (e *fieldEncoder) EmitObject(key string, value interface{}) {
	e.add(key, value)
}
func (e *fieldEncoder) EmitLazyLogger(value log.LazyLogger) { value(e) }

// event adds the event the bridge makes of fields; at is its time (zero:
// now).
func (s *sampledSpan) event(at time.Time, fields []log.Field) {
	var e fieldEncoder
	if len(fields) > 0 {
		e.attrs = make([]attribute.KeyValue, 0, len(fields))
	}
	for _, f := range fields {
		f.Marshal(&e)
	}
	if at.IsZero() {
		s.span.AddEvent(eventName(e.attrs), trace.WithAttributes(e.attrs...))
		return
	}
	s.span.AddEvent(eventName(e.attrs), trace.WithTimestamp(at), trace.WithAttributes(e.attrs...))
}

// eventName is the bridge's name for an event: the value of the last
// "event" field, "log" when there is none or it is empty.
func eventName(attrs []attribute.KeyValue) string {
	for _, a := range slices.Backward(attrs) {
		if a.Key != "event" {
			continue
		}
		if name := a.Value.String(); name != "" {
			return name
		}
		return "log"
	}
	return "log"
}

// opentracing.Span

func (s *sampledSpan) Context() opentracing.SpanContext { return &s.ctx }
func (s *sampledSpan) Tracer() opentracing.Tracer       { return s.tracer }

func (s *sampledSpan) SetOperationName(name string) opentracing.Span {
	s.span.SetName(name)
	return s
}

// SetTag implements opentracing.Span as the bridge does: error=true sets
// the Error status (and nothing unsets it), other tags become attributes.
// span.kind is ignored, with one warning per tracer, as by otSpan.
func (s *sampledSpan) SetTag(key string, value interface{}) opentracing.Span {
	switch key {
	case string(ext.SpanKind):
		s.tracer.warnKind()
	case string(ext.Error):
		if b, ok := value.(bool); ok && b {
			s.span.SetStatus(codes.Error, "")
		}
	default:
		kv := tagAttribute(key, value)
		s.tagMu.Lock()
		s.tag[0] = kv
		s.span.SetAttributes(s.tag[:]...)
		s.tag[0] = attribute.KeyValue{}
		s.tagMu.Unlock()
	}
	return s
}

func (s *sampledSpan) LogFields(fields ...log.Field) { s.event(time.Time{}, fields) }

// LogKV implements opentracing.Span; a list that is not key-value pairs
// is dropped, as by the bridge.
func (s *sampledSpan) LogKV(alternatingKeyValues ...interface{}) {
	fields, err := log.InterleavedKVToFields(alternatingKeyValues...)
	if err != nil {
		return
	}
	s.LogFields(fields...)
}

func (s *sampledSpan) SetBaggageItem(key, value string) opentracing.Span {
	s.ctx.setItem(key, value)
	return s
}

func (s *sampledSpan) BaggageItem(key string) string {
	return s.ctx.baggage().Member(key).Value()
}

func (s *sampledSpan) Finish() { s.span.End() }

func (s *sampledSpan) FinishWithOptions(opts opentracing.FinishOptions) {
	for _, r := range opts.LogRecords {
		s.event(r.Timestamp, r.Fields)
	}
	for _, d := range opts.BulkLogData {
		r := d.ToLogRecord()
		s.event(r.Timestamp, r.Fields)
	}
	if opts.FinishTime.IsZero() {
		s.span.End()
		return
	}
	s.span.End(trace.WithTimestamp(opts.FinishTime))
}

// Deprecated opentracing.Span methods, as the bridge implements them: the
// time of the log data is not used.

func (s *sampledSpan) LogEvent(event string) { s.LogEventWithPayload(event, nil) }

func (s *sampledSpan) LogEventWithPayload(event string, payload interface{}) {
	s.Log(opentracing.LogData{Event: event, Payload: payload})
}

func (s *sampledSpan) Log(data opentracing.LogData) {
	s.LogFields(data.ToLogRecord().Fields...)
}
