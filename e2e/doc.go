// Package e2e holds polytrace's end-to-end tests: the two-service example
// (examples/twoservice), built once and run unchanged with each
// TRACER_BACKEND, reports to real collectors — a Jaeger v2 all-in-one
// (through its UDP agent port, its HTTP collector and its Zipkin receiver)
// and a receiver speaking Lightstep's own protocol over HTTP and gRPC — or
// keeps them for its own viewer (TRACER_BACKEND=ui, read through the
// viewer's Jaeger-shaped query API with the code that reads Jaeger's), and
// the tests read the traces back and check that each request's spans form
// one trace across both services; with a list of backends
// (TRACER_BACKEND=jaeger,lightstep), that every collector holds the same
// spans. The viewer's pages are tested in a browser by the nested module
// e2e/browser.
//
// The Jaeger binary comes from internal/jaegertest, which builds it from
// the nested tools/jaeger module when POLYTRACE_JAEGER_BIN is not set. If it
// cannot be built or started, the tests fail; they never skip.
package e2e
