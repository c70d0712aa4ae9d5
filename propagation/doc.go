// Package propagation reads and writes trace context in the wire formats
// of several tracing systems, so that services reporting to different
// backends still join one trace.
//
// A [SpanContext] is the neutral form of a span's identity: a 128-bit
// trace id, a 64-bit span id, the parent id where a format carries one, a
// sampling decision and baggage. [Formats] write it into, and read it
// from, any opentracing.TextMapWriter/TextMapReader (HTTP headers, message
// headers) in the formats named as OpenTelemetry's OTEL_PROPAGATORS names
// them:
//
//	tracecontext  W3C traceparent and tracestate
//	baggage       W3C baggage (baggage only; combines with the others)
//	b3            B3 single header (b3) and baggage-*
//	b3multi       B3 multi headers (x-b3-traceid, x-b3-spanid, ...) and baggage-*
//	jaeger        uber-trace-id and uberctx-* baggage
//	ottrace       ot-tracer-traceid/-spanid/-sampled and ot-baggage-*
//
// Inject writes every listed format; Extract uses the first listed format
// that is present and valid, plus the items of the W3C baggage header when
// baggage is listed.
//
// A [Converter], one per backend, translates between the neutral form and
// the backend's own span context. [Wrap] uses it to make any OpenTracing
// tracer speak the configured formats; [TextMapPropagator] does the same
// for the OpenTelemetry SDK.
//
// # What survives a hop
//
// 128-bit trace ids travel intact through tracecontext, b3, b3multi and
// jaeger. ottrace writes only the low 64 bits, as Lightstep and
// OpenTelemetry's ottrace propagator do, and 64-bit tracers (Lightstep, or
// Jaeger without JAEGER_TRACEID_128BIT for new traces) keep only the low 64
// bits for the spans they start: downstream of such a hop the trace id is
// the low half of the original one. Sampling decisions cross every format
// (debug becomes plain sampled where a format has no debug flag; an
// undecided context becomes "not sampled" where a format cannot say
// "undecided", except ottrace, which says "true" as Lightstep does).
// Baggage travels in every format but tracecontext, so list baggage with
// it. Malformed input never
// panics: it is reported as opentracing.ErrSpanContextCorrupted, or, when
// no listed format is present, opentracing.ErrSpanContextNotFound.
package propagation
