package lightstep_test

import (
	"context"
	"testing"

	"github.com/lightstep/lightstep-tracer-common/golang/gogo/collectorpb"

	"github.com/polytrace/polytrace/backends/lightstep"
	"github.com/polytrace/polytrace/tracer"
	"github.com/polytrace/polytrace/tracer/tracertest"
)

// discard is a lightstep.Collector that accepts every report.
type discard struct{}

func (discard) Report(context.Context, *collectorpb.ReportRequest) (*collectorpb.ReportResponse, error) {
	return &collectorpb.ReportResponse{}, nil
}

// BenchmarkConformance runs the suite's benchmarks with a collector that
// accepts every report in memory.
func BenchmarkConformance(b *testing.B) {
	tracertest.Benchmark(b, func(b *testing.B, cfg tracer.Config) *tracer.Instance {
		inst, err := lightstep.New(cfg, lightstep.Options{AccessToken: "bench", Collector: discard{}})
		if err != nil {
			b.Fatal(err)
		}
		return inst
	})
}
