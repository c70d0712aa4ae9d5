// Package noop is the backend that reports nothing: opentracing-go's
// NoopTracer. It is what polytrace uses when TRACER_BACKEND is unset or
// empty, so instrumented code costs next to nothing when tracing is off.
package noop

import (
	"github.com/opentracing/opentracing-go"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/polytrace/polytrace/tracer"
)

// Name is the backend's registered name.
const Name = "noop"

func init() { tracer.Register(Name, Open) }

// Open returns an Instance whose tracer is opentracing.NoopTracer. It reads
// no settings and never fails.
func Open(tracer.Config) (*tracer.Instance, error) {
	return &tracer.Instance{Tracer: opentracing.NoopTracer{}, TracerProvider: tracenoop.NewTracerProvider()}, nil
}
