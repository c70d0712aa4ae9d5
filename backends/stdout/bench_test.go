package stdout

import (
	"io"
	"testing"

	"github.com/polytrace/polytrace/tracer"
	"github.com/polytrace/polytrace/tracer/tracertest"
)

// BenchmarkConformance runs the suite's benchmarks, writing lines to
// io.Discard.
func BenchmarkConformance(b *testing.B) {
	tracertest.Benchmark(b, func(b *testing.B, cfg tracer.Config) *tracer.Instance {
		inst, err := New(cfg, Options{Writer: io.Discard})
		if err != nil {
			b.Fatal(err)
		}
		return inst
	})
}
