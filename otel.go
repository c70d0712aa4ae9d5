package polytrace

import (
	"go.opentelemetry.io/otel"
	otprop "go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// TracerProvider returns an OpenTelemetry TracerProvider whose spans are
// spans of t's backend, exported with its OpenTracing spans: for
// OpenTelemetry instrumentation (otelhttp, otelgrpc, otelsql, ...) in a
// service traced with OpenTracing. The two APIs nest both ways: an
// OpenTelemetry span started from a context holding an OpenTracing span of
// t is its child, and opentracing.StartSpanFromContext on a context
// holding one of these spans starts a child of it, in one trace.
//
// On the otel backend it is the SDK's provider, paired with the
// OpenTracing bridge (a span whose trace is known not to be sampled is the
// backend's light span, as through OpenTracing). On the others its spans
// are the backend's own spans driven through the OpenTelemetry API: the
// mapping (attributes to tags, span kind, status, events, links, ids) is
// in the README's "Mixing OpenTracing and OpenTelemetry". On noop it is
// OpenTelemetry's no-op provider. [FromEnv] installs it as
// OpenTelemetry's global provider.
func (t *Tracer) TracerProvider() trace.TracerProvider { return t.provider }

// TextMapPropagator returns an OpenTelemetry propagator that reads and
// writes exactly what t's Inject and Extract do: the formats of
// TRACER_PROPAGATION when set, else the backend's native ones. [FromEnv]
// installs it as OpenTelemetry's global propagator. On noop it propagates
// nothing.
func (t *Tracer) TextMapPropagator() otprop.TextMapPropagator {
	if t.propagator == nil {
		return otprop.NewCompositeTextMapPropagator()
	}
	return t.propagator
}

// installOTel makes t OpenTelemetry's global provider and propagator.
func (t *Tracer) installOTel() {
	otel.SetTracerProvider(t.TracerProvider())
	otel.SetTextMapPropagator(t.TextMapPropagator())
}
