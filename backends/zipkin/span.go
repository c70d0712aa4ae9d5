package zipkin

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	"github.com/opentracing/opentracing-go/log"
	zipkingo "github.com/openzipkin/zipkin-go"
	"github.com/openzipkin/zipkin-go/model"
)

// Sampled spans are zipkin-go spans, driven here the way
// zipkin-go-opentracing v0.5.0 drives them, so that the same span reaches
// the collector:
//
//   - span.kind given at the start becomes the span's kind when it is
//     client, server, producer or consumer (in any case), else a
//     span.kind tag; peer.service, peer.ipv4, peer.ipv6 and peer.port
//     given at the start become the remote endpoint. Set later, those
//     tags are ignored, as is sampling.priority.
//   - Every other tag becomes a string tag, formatted as fmt.Sprint
//     formats it.
//   - Each logged field becomes an annotation "key:value"; a finish time
//     sets the duration from the span's start.
//
// zipkin-go-opentracing converts every span's start options through a
// fresh map, slice, endpoint and string per tag, sampled or not, and
// boxes the span context on each Context call; here the start tags go
// straight to the zipkin-go span.

// innerSpan is what an otSpan delegates its recording to: a zipkinSpan,
// or noInner for spans that are not sampled.
type innerSpan interface {
	SetOperationName(name string)
	SetTag(key string, value interface{})
	LogFields(fields ...log.Field)
	Finish()
	FinishWithOptions(opts opentracing.FinishOptions)
}

// noopInner records nothing: the inner span of unsampled spans.
type noopInner struct{}

func (noopInner) SetOperationName(string)                     {}
func (noopInner) SetTag(string, interface{})                  {}
func (noopInner) LogFields(...log.Field)                      {}
func (noopInner) Finish()                                     {}
func (noopInner) FinishWithOptions(opentracing.FinishOptions) {}

var noInner innerSpan = noopInner{}

// zipkinSpan records into a zipkin-go span.
type zipkinSpan struct {
	span  zipkingo.Span
	start time.Time // for a finish time given to FinishWithOptions
}

// The span kinds zipkin-go knows, as start options made once.
var (
	kindClient   = zipkingo.Kind(model.Client)
	kindServer   = zipkingo.Kind(model.Server)
	kindProducer = zipkingo.Kind(model.Producer)
	kindConsumer = zipkingo.Kind(model.Consumer)
)

// startTags is where a span's start tags come from: the caller's Tag and
// Tags options as they are (the fast path), or a map of applied options.
type startTags struct {
	opts []opentracing.StartSpanOption
	m    map[string]interface{}
}

// each calls f for every tag, in the order the options give them.
func (st startTags) each(f func(key string, value interface{})) {
	for k, v := range st.m {
		f(k, v)
	}
	for _, o := range st.opts {
		switch o := o.(type) {
		case opentracing.Tag:
			f(o.Key, o.Value)
		case opentracing.Tags:
			for k, v := range o {
				f(k, v)
			}
		}
	}
}

// isStartOnly reports whether key is one of the tags zipkin-go takes only
// when a span starts (kind and remote endpoint).
func isStartOnly(key string) bool {
	switch key {
	case string(ext.SpanKind), string(ext.PeerService), string(ext.PeerHostIPv4), string(ext.PeerHostIPv6), string(ext.PeerPort):
		return true
	}
	return false
}

// startZipkin starts a zipkin-go span: a child of parent, or a new trace
// when parent is nil (decided as sampled when sampledRoot is set), at
// start (zero: now), with tags. It is zipkin-go-opentracing's StartSpan.
func (t *otTracer) startZipkin(name string, parent *model.SpanContext, sampledRoot bool, start time.Time, tags startTags) zipkinSpan {
	var (
		buf      [5]zipkingo.SpanOption
		zopts    = buf[:0]
		kind     interface{}
		hasKind  bool
		endpoint model.Endpoint
		others   int
		errValue interface{}
		hasErr   bool
	)
	switch {
	case parent != nil:
		zopts = append(zopts, zipkingo.Parent(*parent))
	case sampledRoot:
		zopts = append(zopts, sampledRootOption)
	}
	began := start
	if start.IsZero() {
		began = time.Now()
	} else {
		zopts = append(zopts, zipkingo.StartTime(start))
	}
	// Later values win, as in the map the options would be applied to.
	tags.each(func(key string, value interface{}) {
		switch key {
		case string(ext.SpanKind):
			kind, hasKind = value, true
		case string(ext.PeerService):
			endpoint.ServiceName, _ = value.(string)
		case string(ext.PeerHostIPv4):
			s, _ := value.(string)
			endpoint.IPv4 = net.ParseIP(s)
		case string(ext.PeerHostIPv6):
			s, _ := value.(string)
			endpoint.IPv6 = net.ParseIP(s)
		case string(ext.PeerPort):
			endpoint.Port, _ = value.(uint16)
		default:
			others++
		}
	})
	kindTag, tagKind := "", false
	if hasKind {
		opt, tag := kindOption(kind)
		if opt != nil {
			zopts = append(zopts, opt)
		} else {
			kindTag, tagKind = tag, true
		}
	}
	if !endpoint.Empty() {
		ep := endpoint
		zopts = append(zopts, zipkingo.RemoteEndpoint(&ep))
	}
	span := t.ztr.StartSpan(name, zopts...)
	if others > 0 {
		// Later values overwrite earlier ones, as in the map the options
		// would be applied to; zipkin-go keeps the first "error" tag
		// instead, so that one is set once, with its last value.
		tags.each(func(key string, value interface{}) {
			switch {
			case isStartOnly(key):
			case key == string(ext.Error):
				errValue, hasErr = value, true
			default:
				span.Tag(key, tagValue(value))
			}
		})
		if hasErr {
			span.Tag(string(ext.Error), tagValue(errValue))
		}
	}
	if tagKind {
		span.Tag(string(ext.SpanKind), kindTag)
	}
	return zipkinSpan{span: span, start: began}
}

// sampledRootOption makes zipkin-go start a new trace already decided as
// sampled: a parent with no ids but a decision.
var sampledRootOption = func() zipkingo.SpanOption {
	yes := true
	return zipkingo.Parent(model.SpanContext{Sampled: &yes})
}()

// kindOption returns the start option for a span.kind value zipkin-go
// knows as a kind, or, for other values, the tag it becomes.
func kindOption(v interface{}) (zipkingo.SpanOption, string) {
	var kind string
	switch k := v.(type) {
	case ext.SpanKindEnum:
		kind = string(k)
	case string:
		kind = k
	default:
		kind = fmt.Sprintf("%v", k)
	}
	switch kind {
	case "server":
		return kindServer, ""
	case "client":
		return kindClient, ""
	case "producer":
		return kindProducer, ""
	case "consumer":
		return kindConsumer, ""
	}
	switch model.Kind(strings.ToUpper(kind)) {
	case model.Server:
		return kindServer, ""
	case model.Client:
		return kindClient, ""
	case model.Producer:
		return kindProducer, ""
	case model.Consumer:
		return kindConsumer, ""
	}
	return nil, kind
}

// tagValue formats v as fmt.Sprint does, without fmt for the common types.
func tagValue(v interface{}) string {
	switch v := v.(type) {
	case string:
		return v
	case bool:
		return strconv.FormatBool(v)
	case int:
		return strconv.Itoa(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case int32:
		return strconv.FormatInt(int64(v), 10)
	case uint16:
		if int(v) < len(statusText) {
			return statusText[v] // HTTP status codes, without an allocation
		}
		return strconv.FormatUint(uint64(v), 10)
	case uint32:
		return strconv.FormatUint(uint64(v), 10)
	case uint64:
		return strconv.FormatUint(v, 10)
	}
	return fmt.Sprint(v)
}

// statusText holds the decimal forms of 0 to 599, the range of HTTP
// status codes, which the middleware tags as uint16 on every request.
var statusText = func() (t [600]string) {
	for i := range t {
		t[i] = strconv.Itoa(i)
	}
	return t
}()

func (s *zipkinSpan) SetOperationName(name string) { s.span.SetName(name) }

// SetTag sets a string tag; the start-only tags and sampling.priority are
// ignored.
func (s *zipkinSpan) SetTag(key string, value interface{}) {
	if key == string(ext.SamplingPriority) || isStartOnly(key) {
		return
	}
	s.span.Tag(key, tagValue(value))
}

func (s *zipkinSpan) LogFields(fields ...log.Field) { s.logFields(time.Now(), fields) }

func (s *zipkinSpan) logFields(at time.Time, fields []log.Field) {
	for _, f := range fields {
		s.span.Annotate(at, f.String())
	}
}

func (s *zipkinSpan) Finish() { s.span.Finish() }

func (s *zipkinSpan) FinishWithOptions(opts opentracing.FinishOptions) {
	for _, lr := range opts.LogRecords {
		s.logFields(lr.Timestamp, lr.Fields)
	}
	if !opts.FinishTime.IsZero() {
		s.span.FinishedWithDuration(opts.FinishTime.Sub(s.start))
		return
	}
	s.span.Finish()
}
