package ui

import (
	"testing"

	"github.com/polytrace/polytrace/tracer"
	"github.com/polytrace/polytrace/tracer/tracertest"
	"github.com/polytrace/polytrace/traceview"
)

// BenchmarkConformance runs the suite's benchmarks on a store of its own,
// without a listener.
func BenchmarkConformance(b *testing.B) {
	tracertest.Benchmark(b, func(b *testing.B, cfg tracer.Config) *tracer.Instance {
		inst, err := New(cfg, Options{Store: traceview.NewStore(traceview.DefaultMaxBytes)})
		if err != nil {
			b.Fatal(err)
		}
		return inst
	})
}
