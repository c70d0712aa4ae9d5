package otel

import (
	"testing"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/polytrace/polytrace/tracer"
	"github.com/polytrace/polytrace/tracer/tracertest"
)

// BenchmarkConformance runs the suite's benchmarks with the SDK's no-op
// exporter behind the backend's batching.
func BenchmarkConformance(b *testing.B) {
	tracertest.Benchmark(b, func(b *testing.B, cfg tracer.Config) *tracer.Instance {
		inst, err := New(cfg, Options{Exporter: tracetest.NewNoopExporter(), Logger: quiet})
		if err != nil {
			b.Fatal(err)
		}
		return inst
	})
}
