package propagation

import (
	"net/url"
	"strings"

	"github.com/opentracing/opentracing-go"
)

// Jaeger's flag bits in uber-trace-id.
const (
	jaegerSampled = 1
	jaegerDebug   = 2
)

var (
	errUber     = corrupted("jaeger", "malformed uber-trace-id")
	errUberZero = corrupted("jaeger", "zero trace id or span id in uber-trace-id")
)

// jaeger parses uber-trace-id, {trace-id}:{span-id}:{parent-id}:{flags}
// with ids of up to 32 and 16 hex digits and flags in hex, percent-decoded
// first if need be (as jaeger-client-go reads HTTP headers), and the
// uberctx-* baggage, whose values it query-unescapes like jaeger-client-go.
func (h *headers) jaeger() (SpanContext, error) {
	v := strings.TrimSpace(h.uber)
	if v == "" {
		return SpanContext{}, opentracing.ErrSpanContextNotFound
	}
	if strings.IndexByte(v, '%') >= 0 {
		u, err := url.QueryUnescape(v)
		if err != nil {
			return SpanContext{}, errUber
		}
		v = u
	}
	traceHex, rest, ok1 := strings.Cut(v, ":")
	spanHex, rest, ok2 := strings.Cut(rest, ":")
	parentHex, flagsHex, ok3 := strings.Cut(rest, ":")
	if !ok1 || !ok2 || !ok3 {
		return SpanContext{}, errUber
	}
	tid, ok1 := parseTraceID(traceHex, false)
	sid, ok2 := parseHex64(spanHex, false)
	pid, ok3 := parseHex64(parentHex, false)
	flags, ok4 := parseHex64(flagsHex, false)
	if !ok1 || !ok2 || !ok3 || !ok4 || len(flagsHex) > 2 {
		return SpanContext{}, errUber
	}
	sc := SpanContext{TraceID: tid, SpanID: sid, ParentID: pid, Sampling: NotSampled}
	if !sc.IsValid() {
		return SpanContext{}, errUberZero
	}
	switch {
	case flags&jaegerDebug != 0:
		sc.Sampling = Debug
	case flags&jaegerSampled != 0:
		sc.Sampling = Sampled
	}
	sc.Baggage = decodeValues(h.uberctx, queryUnescape)
	return sc, nil
}

func injectJaeger(sc SpanContext, w opentracing.TextMapWriter) {
	var b [68]byte // 32 + 1 + 16 + 1 + 16 + 2
	buf := appendTraceID(b[:0], sc.TraceID)
	buf = append(buf, ':')
	buf = appendHex16(buf, sc.SpanID)
	buf = append(buf, ':')
	buf = appendHex16(buf, sc.ParentID)
	switch sc.Sampling {
	case Debug:
		buf = append(buf, ":3"...)
	case Sampled:
		buf = append(buf, ":1"...)
	default:
		buf = append(buf, ":0"...)
	}
	w.Set(hUberTraceID, string(buf))
	for k, v := range sc.Baggage {
		if isToken(k) {
			w.Set(hUberctxPrefix+k, url.QueryEscape(v))
		}
	}
}

func queryUnescape(s string) (string, error) { return url.QueryUnescape(s) }

// decodeValues decodes the values of m in place where they hold escapes,
// keeping a value that does not decode as it is. It returns m.
func decodeValues(m map[string]string, decode func(string) (string, error)) map[string]string {
	for k, v := range m {
		if strings.ContainsAny(v, "%+") {
			if u, err := decode(v); err == nil {
				m[k] = u
			}
		}
	}
	return m
}
