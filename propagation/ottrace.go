package propagation

import (
	"net/url"
	"strings"

	"github.com/opentracing/opentracing-go"
)

var (
	errOT     = corrupted("ottrace", "malformed ot-tracer-* headers")
	errOTIDs  = corrupted("ottrace", "ot-tracer-traceid and ot-tracer-spanid must come together, non-zero")
	errOTFlag = corrupted("ottrace", "ot-tracer-sampled is neither true nor false")
)

// otTrace parses ot-tracer-traceid (up to 32 hex digits: Lightstep writes
// them unpadded, OpenTelemetry 16), ot-tracer-spanid (up to 16),
// ot-tracer-sampled (true, false, 1 or 0; absent means undecided) and the
// ot-baggage-* items, percent-decoded where they hold escapes.
func (h *headers) otTrace() (SpanContext, error) {
	traceHex, spanHex := strings.TrimSpace(h.ot[otTraceID]), strings.TrimSpace(h.ot[otSpanID])
	switch {
	case traceHex == "" && spanHex == "":
		return SpanContext{}, opentracing.ErrSpanContextNotFound
	case traceHex == "" || spanHex == "":
		return SpanContext{}, errOTIDs
	}
	tid, ok1 := parseTraceID(traceHex, false)
	sid, ok2 := parseHex64(spanHex, false)
	if !ok1 || !ok2 {
		return SpanContext{}, errOT
	}
	sc := SpanContext{TraceID: tid, SpanID: sid}
	if !sc.IsValid() {
		return SpanContext{}, errOTIDs
	}
	switch s := strings.TrimSpace(h.ot[otSampled]); {
	case s == "":
	case s == "1" || strings.EqualFold(s, "true"):
		sc.Sampling = Sampled
	case s == "0" || strings.EqualFold(s, "false"):
		sc.Sampling = NotSampled
	default:
		return SpanContext{}, errOTFlag
	}
	sc.Baggage = decodeValues(h.otBaggage, url.PathUnescape)
	return sc, nil
}

// injectOTTrace writes the low 64 bits of the trace id, as Lightstep's
// tracer (which parses at most 16 hex digits) and OpenTelemetry's ottrace
// propagator do. An undecided context is written as sampled, Lightstep's
// default.
func injectOTTrace(sc SpanContext, w opentracing.TextMapWriter) {
	var b [16]byte
	w.Set(hOTTraceID, string(appendHex16(b[:0], sc.TraceID.Low)))
	w.Set(hOTSpanID, string(appendHex16(b[:0], sc.SpanID)))
	if sc.Sampling == NotSampled {
		w.Set(hOTSampled, "false")
	} else {
		w.Set(hOTSampled, "true")
	}
	for k, v := range sc.Baggage {
		if isToken(k) {
			w.Set(hOTBaggage+k, url.PathEscape(v))
		}
	}
}
