package propagation

import "strings"

// Header names, lower case.
const (
	hTraceparent    = "traceparent"
	hTracestate     = "tracestate"
	hBaggage        = "baggage"
	hB3             = "b3"
	hB3Prefix       = "x-b3-"
	hB3TraceID      = "x-b3-traceid"
	hB3SpanID       = "x-b3-spanid"
	hB3ParentSpanID = "x-b3-parentspanid"
	hB3Sampled      = "x-b3-sampled"
	hB3Flags        = "x-b3-flags"
	hB3Baggage      = "baggage-"
	hUberTraceID    = "uber-trace-id"
	hUberctxPrefix  = "uberctx-"
	hOTPrefix       = "ot-tracer-"
	hOTTraceID      = "ot-tracer-traceid"
	hOTSpanID       = "ot-tracer-spanid"
	hOTSampled      = "ot-tracer-sampled"
	hOTBaggage      = "ot-baggage-"
)

// Indexes into headers.b3m and headers.ot.
const (
	b3TraceID = iota
	b3SpanID
	b3Parent
	b3Sampled
	b3Flags
)

const (
	otTraceID = iota
	otSpanID
	otSampled
)

// headers collects, in one pass over a carrier, the entries of the wanted
// formats. Names match without regard to case; for single-valued headers
// the first value wins.
type headers struct {
	want uint8 // bit(f) for each wanted format

	traceparent  string
	traceparents int    // more than one makes tracecontext invalid
	tracestate   string // several are joined with commas
	baggage      string // W3C; several are joined with commas
	b3           string
	b3m          [5]string
	b3Baggage    map[string]string // raw values
	uber         string
	uberctx      map[string]string // raw values
	ot           [3]string
	otBaggage    map[string]string // raw values
}

func (h *headers) wants(f Format) bool { return h.want&bit(f) != 0 }

func (h *headers) add(k, v string) error {
	if len(k) < 2 {
		return nil
	}
	switch k[0] | 0x20 { // ASCII lower case
	case 't':
		if !h.wants(TraceContext) {
			return nil
		}
		if strings.EqualFold(k, hTraceparent) {
			if h.traceparents == 0 {
				h.traceparent = v
			}
			h.traceparents++
		} else if strings.EqualFold(k, hTracestate) {
			h.tracestate = join(h.tracestate, v)
		}
	case 'b':
		switch {
		case len(k) == 2 && k[1] == '3':
			if h.wants(B3) {
				first(&h.b3, v)
			}
		case len(k) > len(hB3Baggage) && hasPrefixFold(k, hB3Baggage):
			if h.wants(B3) || h.wants(B3Multi) {
				h.b3Baggage = put(h.b3Baggage, strings.ToLower(k[len(hB3Baggage):]), v)
			}
		case h.wants(Baggage) && strings.EqualFold(k, hBaggage):
			h.baggage = join(h.baggage, v)
		}
	case 'x':
		if !h.wants(B3Multi) || !hasPrefixFold(k, hB3Prefix) {
			return nil
		}
		switch {
		case strings.EqualFold(k, hB3TraceID):
			first(&h.b3m[b3TraceID], v)
		case strings.EqualFold(k, hB3SpanID):
			first(&h.b3m[b3SpanID], v)
		case strings.EqualFold(k, hB3ParentSpanID):
			first(&h.b3m[b3Parent], v)
		case strings.EqualFold(k, hB3Sampled):
			first(&h.b3m[b3Sampled], v)
		case strings.EqualFold(k, hB3Flags):
			first(&h.b3m[b3Flags], v)
		}
	case 'u':
		if !h.wants(Jaeger) {
			return nil
		}
		if strings.EqualFold(k, hUberTraceID) {
			first(&h.uber, v)
		} else if len(k) > len(hUberctxPrefix) && hasPrefixFold(k, hUberctxPrefix) {
			h.uberctx = put(h.uberctx, strings.ToLower(k[len(hUberctxPrefix):]), v)
		}
	case 'o':
		if !h.wants(OTTrace) {
			return nil
		}
		switch {
		case hasPrefixFold(k, hOTPrefix):
			switch {
			case strings.EqualFold(k, hOTTraceID):
				first(&h.ot[otTraceID], v)
			case strings.EqualFold(k, hOTSpanID):
				first(&h.ot[otSpanID], v)
			case strings.EqualFold(k, hOTSampled):
				first(&h.ot[otSampled], v)
			}
		case len(k) > len(hOTBaggage) && hasPrefixFold(k, hOTBaggage):
			h.otBaggage = put(h.otBaggage, strings.ToLower(k[len(hOTBaggage):]), v)
		}
	}
	return nil
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// first sets *dst to v unless it is already set.
func first(dst *string, v string) {
	if *dst == "" {
		*dst = v
	}
}

func join(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "," + b
}

func put(m map[string]string, k, v string) map[string]string {
	if m == nil {
		m = make(map[string]string, 4)
	}
	m[k] = v
	return m
}
