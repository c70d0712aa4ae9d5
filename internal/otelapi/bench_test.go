package otelapi_test

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// BenchmarkSDK is the reference for the conformance suite's child-otel
// benchmark: the same child span (three attributes, a parent in the
// context) on the OpenTelemetry SDK alone, sampling everything, batching
// to an exporter that drops the spans.
func BenchmarkSDK(b *testing.B) {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()),
		sdktrace.WithBatcher(tracetest.NewNoopExporter()))
	b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	tr := tp.Tracer("bench")
	ctx, parent := tr.Start(context.Background(), "parent")
	defer parent.End()
	attrs := trace.WithAttributes(attribute.String("db.system", "postgresql"), attribute.String("db.operation", "SELECT"), attribute.Int("rows", 3))
	b.ReportAllocs()
	for b.Loop() {
		_, span := tr.Start(ctx, "child", attrs)
		span.End()
	}
}
