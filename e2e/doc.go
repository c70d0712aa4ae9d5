// Package e2e holds polytrace's end-to-end tests: the two-service example
// (examples/twoservice), built once and run unchanged with each
// TRACER_BACKEND, reports to real collectors — a Jaeger v2 all-in-one
// (through its UDP agent port, its HTTP collector and its Zipkin receiver)
// and a receiver speaking Lightstep's own protocol over HTTP and gRPC — and
// the tests read the traces back and check that each request's spans form
// one trace across both services.
//
// The Jaeger binary comes from internal/jaegertest, which builds it from
// the nested tools/jaeger module when POLYTRACE_JAEGER_BIN is not set. If it
// cannot be built or started, the tests fail; they never skip.
package e2e
