// Package jaegertest runs a real Jaeger v2 all-in-one (in-memory storage)
// for end-to-end tests, and reads back what it stored through Jaeger's
// query API.
//
//	func TestReport(t *testing.T) {
//		j := jaegertest.Start(t) // stopped in t.Cleanup
//		// ... point a tracer at j.CollectorURL, j.AgentHost/j.AgentPort,
//		// j.ZipkinURL, j.OTLPGRPCAddr or j.OTLPHTTPURL, send spans ...
//		traces := j.WaitForTraces(t, "my-service", func(ts []jaegertest.Trace) bool {
//			return len(ts) == 1
//		}, 30*time.Second)
//		span := traces[0].SpanByOperation("GET /users/:id")
//		// ...
//	}
//
// Every endpoint listens on a free port of 127.0.0.1, so several instances
// (in one test binary or in parallel test processes) never collide.
//
// The binary comes from [Binary]: the file named by the environment variable
// POLYTRACE_JAEGER_BIN when it is set, otherwise a build of the nested module
// tools/jaeger, made once and cached under the user cache directory
// (a cold build takes about ten minutes on a small machine; later runs reuse
// it). Nothing here ever skips a test: a missing or broken Jaeger fails it,
// with the build output or the tail of Jaeger's own log.
//
// The helpers call t.Fatal, so call them from the test's own goroutine.
package jaegertest
