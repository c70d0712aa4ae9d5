package zipkin

import (
	"testing"

	"github.com/openzipkin/zipkin-go/reporter"

	"github.com/polytrace/polytrace/tracer"
	"github.com/polytrace/polytrace/tracer/tracertest"
)

// BenchmarkConformance runs the suite's benchmarks over zipkin-go's no-op
// reporter: the tracer's cost, without the HTTP reporter's.
func BenchmarkConformance(b *testing.B) {
	tracertest.Benchmark(b, func(b *testing.B, cfg tracer.Config) *tracer.Instance {
		inst, err := NewWithReporter(cfg, reporter.NewNoopReporter())
		if err != nil {
			b.Fatal(err)
		}
		return inst
	})
}
