package propagation

import (
	"strings"

	"github.com/opentracing/opentracing-go"
)

// maxTracestate is the longest tracestate passed on; W3C asks vendors to
// propagate at least 512 characters and lets them drop longer ones.
const maxTracestate = 512

var (
	errTraceparent     = corrupted("tracecontext", "malformed traceparent")
	errTraceparentZero = corrupted("tracecontext", "zero trace id or span id in traceparent")
	errTraceparentDup  = corrupted("tracecontext", "more than one traceparent")
)

// traceContext parses W3C traceparent
// (version-traceid-parentid-flags, lower-case hex) and keeps tracestate.
func (h *headers) traceContext() (SpanContext, error) {
	switch {
	case h.traceparents == 0:
		return SpanContext{}, opentracing.ErrSpanContextNotFound
	case h.traceparents > 1:
		return SpanContext{}, errTraceparentDup
	}
	sc, err := parseTraceparent(h.traceparent)
	if err != nil {
		return SpanContext{}, err
	}
	if ts := strings.TrimSpace(h.tracestate); len(ts) <= maxTracestate {
		sc.TraceState = ts
	}
	return sc, nil
}

// parseTraceparent follows W3C Trace Context level 1: version 00 is
// exactly 55 characters; a later version may append fields after a dash;
// version ff, upper-case hex and zero ids are invalid.
func parseTraceparent(v string) (SpanContext, error) {
	v = strings.TrimSpace(v)
	if len(v) < 55 || v[2] != '-' || v[35] != '-' || v[52] != '-' {
		return SpanContext{}, errTraceparent
	}
	version, ok := parseHex64(v[:2], true)
	if !ok || version == 0xff || (version == 0 && len(v) != 55) || (len(v) > 55 && v[55] != '-') {
		return SpanContext{}, errTraceparent
	}
	tid, ok1 := parseTraceID(v[3:35], true)
	sid, ok2 := parseHex64(v[36:52], true)
	flags, ok3 := parseHex64(v[53:55], true)
	if !ok1 || !ok2 || !ok3 {
		return SpanContext{}, errTraceparent
	}
	if !tid.IsValid() || sid == 0 {
		return SpanContext{}, errTraceparentZero
	}
	sc := SpanContext{TraceID: tid, SpanID: sid, Sampling: NotSampled}
	if flags&1 != 0 {
		sc.Sampling = Sampled
	}
	return sc, nil
}

func injectTraceContext(sc SpanContext, w opentracing.TextMapWriter) {
	var b [55]byte
	buf := append(b[:0], "00-"...)
	buf = appendTraceID32(buf, sc.TraceID)
	buf = append(buf, '-')
	buf = appendHex16(buf, sc.SpanID)
	if sc.Sampling.IsSampled() {
		buf = append(buf, "-01"...)
	} else {
		buf = append(buf, "-00"...)
	}
	w.Set(hTraceparent, string(buf))
	if sc.TraceState != "" {
		w.Set(hTracestate, sc.TraceState)
	}
}
