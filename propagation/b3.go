package propagation

import (
	"net/url"
	"strings"

	"github.com/opentracing/opentracing-go"
)

var (
	errB3         = corrupted("b3", "malformed b3 header")
	errB3Zero     = corrupted("b3", "zero trace id or span id")
	errB3Multi    = corrupted("b3multi", "malformed x-b3-* headers")
	errB3MultiIDs = corrupted("b3multi", "x-b3-traceid and x-b3-spanid must come together, non-zero")
)

// b3Single parses the B3 single header,
// {traceid}-{spanid}[-{sampling}[-{parentspanid}]], with a trace id of 16
// or 32 hex digits, span ids of 16 and sampling 0, 1 or d. A header with
// only a sampling decision ("b3: 0") carries no ids: it counts as absent.
// The baggage-* entries come with it, as with the multi headers.
func (h *headers) b3Single() (SpanContext, error) {
	v := strings.TrimSpace(h.b3)
	switch {
	case v == "":
		return SpanContext{}, opentracing.ErrSpanContextNotFound
	case len(v) == 1:
		if _, ok := b3Sampling(v); ok {
			return SpanContext{}, opentracing.ErrSpanContextNotFound
		}
		return SpanContext{}, errB3
	}
	traceHex, rest, _ := strings.Cut(v, "-")
	spanHex, rest, more := strings.Cut(rest, "-")
	if !b3TraceIDLen(traceHex) || len(spanHex) != 16 {
		return SpanContext{}, errB3
	}
	tid, ok1 := parseTraceID(traceHex, false)
	sid, ok2 := parseHex64(spanHex, false)
	if !ok1 || !ok2 {
		return SpanContext{}, errB3
	}
	sc := SpanContext{TraceID: tid, SpanID: sid}
	if more {
		state, parentHex, hasParent := strings.Cut(rest, "-")
		s, ok := b3Sampling(state)
		if !ok {
			return SpanContext{}, errB3
		}
		sc.Sampling = s
		if hasParent {
			p, ok := parseHex64(parentHex, false)
			if !ok || len(parentHex) != 16 {
				return SpanContext{}, errB3
			}
			sc.ParentID = p
		}
	}
	if !sc.IsValid() {
		return SpanContext{}, errB3Zero
	}
	sc.Baggage = decodeValues(h.b3Baggage, url.PathUnescape)
	return sc, nil
}

func b3TraceIDLen(s string) bool { return len(s) == 16 || len(s) == 32 }

func b3Sampling(s string) (Sampling, bool) {
	switch s {
	case "1":
		return Sampled, true
	case "0":
		return NotSampled, true
	case "d":
		return Debug, true
	}
	return Undecided, false
}

// b3MultiHeaders parses x-b3-traceid (16 or 32 hex digits), x-b3-spanid
// and x-b3-parentspanid (16), x-b3-sampled (1, 0, true or false) and
// x-b3-flags (1 means debug), and the baggage-* entries, whose values it
// percent-decodes. Only a sampling decision, without ids, counts as
// absent.
func (h *headers) b3MultiHeaders() (SpanContext, error) {
	m := &h.b3m
	traceHex, spanHex := strings.TrimSpace(m[b3TraceID]), strings.TrimSpace(m[b3SpanID])
	switch {
	case traceHex == "" && spanHex == "":
		return SpanContext{}, opentracing.ErrSpanContextNotFound
	case traceHex == "" || spanHex == "":
		return SpanContext{}, errB3MultiIDs
	}
	if !b3TraceIDLen(traceHex) || len(spanHex) != 16 {
		return SpanContext{}, errB3Multi
	}
	tid, ok1 := parseTraceID(traceHex, false)
	sid, ok2 := parseHex64(spanHex, false)
	if !ok1 || !ok2 {
		return SpanContext{}, errB3Multi
	}
	sc := SpanContext{TraceID: tid, SpanID: sid}
	if !sc.IsValid() {
		return SpanContext{}, errB3MultiIDs
	}
	if p := strings.TrimSpace(m[b3Parent]); p != "" {
		id, ok := parseHex64(p, false)
		if !ok || len(p) != 16 {
			return SpanContext{}, errB3Multi
		}
		sc.ParentID = id
	}
	switch s := strings.TrimSpace(m[b3Sampled]); {
	case s == "":
	case s == "1" || strings.EqualFold(s, "true"):
		sc.Sampling = Sampled
	case s == "0" || strings.EqualFold(s, "false"):
		sc.Sampling = NotSampled
	default:
		return SpanContext{}, errB3Multi
	}
	switch f := strings.TrimSpace(m[b3Flags]); f {
	case "", "0":
	case "1":
		sc.Sampling = Debug
	default:
		return SpanContext{}, errB3Multi
	}
	sc.Baggage = decodeValues(h.b3Baggage, url.PathUnescape)
	return sc, nil
}

func injectB3(sc SpanContext, w opentracing.TextMapWriter) {
	var b [68]byte // 32 + 1 + 16 + 2 + 17
	buf := appendTraceID(b[:0], sc.TraceID)
	buf = append(buf, '-')
	buf = appendHex16(buf, sc.SpanID)
	if s := b3State(sc.Sampling); s != 0 {
		buf = append(buf, '-', s)
		if sc.ParentID != 0 {
			buf = append(buf, '-')
			buf = appendHex16(buf, sc.ParentID)
		}
	}
	w.Set(hB3, string(buf))
}

// injectB3Baggage writes the baggage-* entries of B3, values
// percent-encoded.
func injectB3Baggage(sc SpanContext, w opentracing.TextMapWriter) {
	for k, v := range sc.Baggage {
		if isToken(k) {
			w.Set(hB3Baggage+k, url.PathEscape(v))
		}
	}
}

func b3State(s Sampling) byte {
	switch s {
	case NotSampled:
		return '0'
	case Sampled:
		return '1'
	case Debug:
		return 'd'
	}
	return 0
}

func injectB3Multi(sc SpanContext, w opentracing.TextMapWriter) {
	var b [32]byte
	w.Set(hB3TraceID, string(appendTraceID(b[:0], sc.TraceID)))
	w.Set(hB3SpanID, string(appendHex16(b[:0], sc.SpanID)))
	if sc.ParentID != 0 {
		w.Set(hB3ParentSpanID, string(appendHex16(b[:0], sc.ParentID)))
	}
	switch sc.Sampling {
	case Debug:
		w.Set(hB3Flags, "1") // debug implies sampled; B3 sends flags alone
	case Sampled:
		w.Set(hB3Sampled, "1")
	case NotSampled:
		w.Set(hB3Sampled, "0")
	}
}
