package jaeger_test

import (
	"net"
	"testing"

	"github.com/polytrace/polytrace/backends/jaeger"
	"github.com/polytrace/polytrace/tracer"
	"github.com/polytrace/polytrace/tracer/tracertest"
)

// BenchmarkConformance runs the suite's benchmarks, reporting over UDP to
// a socket that reads nothing.
func BenchmarkConformance(b *testing.B) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = pc.Close() })
	host, port, _ := net.SplitHostPort(pc.LocalAddr().String())
	tracertest.Benchmark(b, func(b *testing.B, cfg tracer.Config) *tracer.Instance {
		cfg.Lookup = tracer.MapLookup(map[string]string{"JAEGER_AGENT_HOST": host, "JAEGER_AGENT_PORT": port})
		inst, err := jaeger.Open(cfg)
		if err != nil {
			b.Fatal(err)
		}
		return inst
	})
}
