package propagation

import "strconv"

// TraceID is a 128-bit trace id. A 64-bit id has High zero.
type TraceID struct {
	High, Low uint64
}

// IsValid reports whether t is not all zero.
func (t TraceID) IsValid() bool { return t.High != 0 || t.Low != 0 }

// String returns t as 32 lower-case hex digits, the W3C and OpenTelemetry
// form.
func (t TraceID) String() string {
	var b [32]byte
	return string(appendTraceID32(b[:0], t))
}

// Sampling is a sampling decision as formats carry it.
type Sampling uint8

// The sampling decisions. The zero value is Undecided.
const (
	// Undecided: the sender made no decision (B3 without a sampled
	// header); the receiver's sampler decides.
	Undecided Sampling = iota
	// NotSampled: the sender does not record the trace.
	NotSampled
	// Sampled: the sender records the trace.
	Sampled
	// Debug: sampled, and forced through every sampler on the way (B3's
	// "d" and x-b3-flags, Jaeger's debug flag).
	Debug
)

// IsSampled reports whether s is Sampled or Debug.
func (s Sampling) IsSampled() bool { return s >= Sampled }

// String returns "undecided", "not-sampled", "sampled" or "debug".
func (s Sampling) String() string {
	switch s {
	case Undecided:
		return "undecided"
	case NotSampled:
		return "not-sampled"
	case Sampled:
		return "sampled"
	case Debug:
		return "debug"
	}
	return "Sampling(" + strconv.Itoa(int(s)) + ")"
}

// SpanContext is a span's identity in neutral form, between a backend's
// own span context and the wire.
type SpanContext struct {
	// TraceID identifies the trace; it must not be zero.
	TraceID TraceID
	// SpanID identifies the span; it must not be zero.
	SpanID uint64
	// ParentID is the span's parent, where the source knows it (jaeger,
	// b3, b3multi, and backends' own contexts); zero otherwise.
	ParentID uint64
	// Sampling is the sampling decision.
	Sampling Sampling
	// Baggage holds the baggage items. Contexts handed between this
	// package and converters may share the map: treat it as read-only.
	Baggage map[string]string
	// TraceState is the W3C tracestate header, kept for formats and
	// tracers that pass it on (the OpenTelemetry propagator does);
	// OpenTracing backends drop it.
	TraceState string
}

// IsValid reports whether sc has a non-zero trace id and span id, which
// every format needs.
func (sc SpanContext) IsValid() bool { return sc.TraceID.IsValid() && sc.SpanID != 0 }
