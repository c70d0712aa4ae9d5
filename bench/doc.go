// Package bench holds polytrace's performance benchmarks and its load
// generator, in a module of its own so that the peers it measures against
// (otelgin and the OpenTelemetry SDK) never enter the library's go.mod.
//
// Run the middleware benchmarks interleaved, ten rounds, and read the
// ratios the targets are stated in:
//
//	./run.sh 10 > new.txt
//	go run ./cmd/ratios new.txt
//	benchstat new.txt
//
// cmd/loadgen measures the two-service example's throughput against a
// real Jaeger. BENCHMARKS.md at the repository root has the figures, the
// machine they come from and how to read them.
package bench
