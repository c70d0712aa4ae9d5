package propagation

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/opentracing/opentracing-go"
)

// Format is one wire format for trace context.
type Format uint8

// The formats, named as OpenTelemetry's OTEL_PROPAGATORS names them.
const (
	// TraceContext is W3C Trace Context: traceparent and tracestate.
	TraceContext Format = iota + 1
	// Baggage is W3C Baggage: the baggage header. It carries baggage
	// only, added to the context another listed format carries.
	Baggage
	// B3 is Zipkin's B3 single header, b3, with baggage in baggage-*.
	B3
	// B3Multi is Zipkin's B3 multi headers, x-b3-*, with baggage in
	// baggage-*. The baggage-* entries are those of jaeger-client-go's
	// Zipkin propagator and Brave; listed with B3, they are written once.
	B3Multi
	// Jaeger is Jaeger's uber-trace-id, with baggage in uberctx-*.
	Jaeger
	// OTTrace is the OpenTracing basic tracer's and Lightstep's
	// ot-tracer-*, with baggage in ot-baggage-*.
	OTTrace
)

var formatNames = [...]string{
	TraceContext: "tracecontext",
	Baggage:      "baggage",
	B3:           "b3",
	B3Multi:      "b3multi",
	Jaeger:       "jaeger",
	OTTrace:      "ottrace",
}

// String returns the format's name, as [Parse] takes it.
func (f Format) String() string {
	if int(f) < len(formatNames) && formatNames[f] != "" {
		return formatNames[f]
	}
	return "Format(" + strconv.Itoa(int(f)) + ")"
}

// Names returns the names [Parse] accepts.
func Names() []string {
	return []string{"tracecontext", "baggage", "b3", "b3multi", "jaeger", "ottrace"}
}

// ErrUnknownFormat is wrapped by the error [Parse] returns for a name it
// does not know.
var ErrUnknownFormat = errors.New("unknown propagation format")

// Formats is an ordered list of formats: Inject writes all of them,
// Extract prefers the earlier ones. An empty list injects nothing and
// extracts nothing.
type Formats []Format

// Parse reads a comma-separated list of format names such as
// "tracecontext,baggage,jaeger", as TRACER_PROPAGATION (and
// OTEL_PROPAGATORS) give it. Names are matched without regard to case or
// surrounding space; empty entries and repeats are ignored. An empty list
// gives nil. An unknown name gives an error wrapping [ErrUnknownFormat]
// that names it and lists the accepted ones.
func Parse(list string) (Formats, error) {
	var fs Formats
	for name := range strings.SplitSeq(list, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		f := lookup(name)
		if f == 0 {
			return nil, fmt.Errorf("propagation: %w %q (accepted: %s)", ErrUnknownFormat, name, strings.Join(Names(), ", "))
		}
		if !fs.has(f) {
			fs = append(fs, f)
		}
	}
	return fs, nil
}

func lookup(name string) Format {
	for f, n := range formatNames {
		if n != "" && strings.EqualFold(n, name) {
			return Format(f)
		}
	}
	return 0
}

// String returns fs as Parse takes it: "tracecontext,baggage".
func (fs Formats) String() string {
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = f.String()
	}
	return strings.Join(names, ",")
}

func (fs Formats) has(f Format) bool { return fs.index(f) >= 0 }

func (fs Formats) index(f Format) int {
	for i, g := range fs {
		if g == f {
			return i
		}
	}
	return -1
}

func (fs Formats) mask() uint8 {
	var m uint8
	for _, f := range fs {
		m |= bit(f)
	}
	return m
}

func bit(f Format) uint8 { return 1 << (f & 7) }

// Fields returns the names of the headers fs writes, lower case; baggage
// entries (uberctx-*, ot-baggage-*, baggage-*) are left out, as their names depend on
// the items.
func (fs Formats) Fields() []string {
	var out []string
	for _, f := range fs {
		switch f {
		case TraceContext:
			out = append(out, hTraceparent, hTracestate)
		case Baggage:
			out = append(out, hBaggage)
		case B3:
			out = append(out, hB3)
		case B3Multi:
			out = append(out, hB3TraceID, hB3SpanID, hB3ParentSpanID, hB3Sampled, hB3Flags)
		case Jaeger:
			out = append(out, hUberTraceID)
		case OTTrace:
			out = append(out, hOTTraceID, hOTSpanID, hOTSampled)
		}
	}
	return out
}

// Inject writes sc into w in every format of fs, in order. It writes
// nothing and returns opentracing.ErrInvalidSpanContext when sc has a zero
// trace or span id, and opentracing.ErrInvalidCarrier when w is nil (or a
// nil map carrier). Baggage items whose keys cannot be header names are
// left out of uberctx-*, ot-baggage-* and baggage-*; values are percent-encoded where
// the format calls for it.
func (fs Formats) Inject(sc SpanContext, w opentracing.TextMapWriter) error {
	if !writable(w) {
		return opentracing.ErrInvalidCarrier
	}
	if !sc.IsValid() {
		return opentracing.ErrInvalidSpanContext
	}
	b3Baggage := fs.has(B3) || fs.has(B3Multi)
	for _, f := range fs {
		switch f {
		case TraceContext:
			injectTraceContext(sc, w)
		case Baggage:
			injectBaggage(sc.Baggage, w)
		case B3:
			injectB3(sc, w)
		case B3Multi:
			injectB3Multi(sc, w)
		case Jaeger:
			injectJaeger(sc, w)
		case OTTrace:
			injectOTTrace(sc, w)
		}
	}
	if b3Baggage {
		injectB3Baggage(sc, w)
	}
	return nil
}

// Extract reads a span context from r. The first format of fs, in order,
// that is present and valid gives the ids, the sampling decision and the
// baggage it carries; when fs lists Baggage, the items of the W3C baggage
// header are added (for a key both carry, the format listed first wins).
//
// When no listed format is present it returns
// opentracing.ErrSpanContextNotFound; when formats are present but none
// is valid, an error wrapping opentracing.ErrSpanContextCorrupted that
// names the first invalid one. The W3C baggage header alone is no span
// context. A nil r gives opentracing.ErrInvalidCarrier.
func (fs Formats) Extract(r opentracing.TextMapReader) (SpanContext, error) {
	sc, _, err := fs.extract(r)
	return sc, err
}

// extract is Extract that also returns the W3C baggage it read when no
// span context is found, for propagators that carry baggage on its own.
func (fs Formats) extract(r opentracing.TextMapReader) (SpanContext, map[string]string, error) {
	if r == nil {
		return SpanContext{}, nil, opentracing.ErrInvalidCarrier
	}
	h := headers{want: fs.mask()}
	// The standard carriers are read directly: through ForeachKey, h
	// would escape to the heap on every request.
	switch c := r.(type) {
	case opentracing.HTTPHeadersCarrier:
		for k, vs := range c {
			for _, v := range vs {
				_ = h.add(k, v) // never fails
			}
		}
	case opentracing.TextMapCarrier:
		for k, v := range c {
			_ = h.add(k, v)
		}
	default:
		g := &headers{want: h.want}
		if err := r.ForeachKey(g.add); err != nil {
			return SpanContext{}, nil, fmt.Errorf("%w: read carrier: %w", opentracing.ErrSpanContextCorrupted, err)
		}
		h = *g
	}
	var (
		sc       SpanContext
		found    = -1
		firstErr error
	)
	for i, f := range fs {
		if f == Baggage {
			continue
		}
		c, err := h.parse(f)
		if err == nil {
			sc, found = c, i
			break
		}
		if err != opentracing.ErrSpanContextNotFound && firstErr == nil {
			firstErr = err
		}
	}
	var w3c map[string]string
	if h.baggage != "" {
		w3c = parseBaggage(h.baggage)
	}
	if found < 0 {
		if firstErr == nil {
			firstErr = opentracing.ErrSpanContextNotFound
		}
		return SpanContext{}, w3c, firstErr
	}
	switch {
	case len(w3c) == 0:
	case len(sc.Baggage) == 0:
		sc.Baggage = w3c
	default:
		w3cFirst := fs.index(Baggage) < found
		for k, v := range w3c {
			if _, dup := sc.Baggage[k]; w3cFirst || !dup {
				sc.Baggage[k] = v
			}
		}
	}
	return sc, nil, nil
}

func (h *headers) parse(f Format) (SpanContext, error) {
	switch f {
	case TraceContext:
		return h.traceContext()
	case B3:
		return h.b3Single()
	case B3Multi:
		return h.b3MultiHeaders()
	case Jaeger:
		return h.jaeger()
	case OTTrace:
		return h.otTrace()
	}
	return SpanContext{}, opentracing.ErrSpanContextNotFound
}

// writable refuses nil carriers, including the nil maps of the carriers
// opentracing defines, whose Set would panic.
func writable(w opentracing.TextMapWriter) bool {
	switch c := w.(type) {
	case nil:
		return false
	case opentracing.HTTPHeadersCarrier:
		return c != nil
	case opentracing.TextMapCarrier:
		return c != nil
	}
	return true
}

// corrupted builds the errors the parsers return, once.
func corrupted(format, what string) error {
	return fmt.Errorf("%w: %s: %s", opentracing.ErrSpanContextCorrupted, format, what)
}
