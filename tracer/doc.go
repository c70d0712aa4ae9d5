// Package tracer holds the contracts shared by polytrace and its backends:
// the portable [Config], the [Instance] a backend builds, and the [Registry]
// that maps backend names (the values of TRACER_BACKEND) to constructors.
//
// A backend is a package under backends/ that registers itself by name from
// its init function, the way database/sql drivers do:
//
//	func init() { tracer.Register("mybackend", Open) }
//
// Its New returns [Ready] of the instance it built, which gives every
// backend the same guarantees (TRACER_PROPAGATION, a bounded Shutdown,
// TRACER_STRICT's check, the OpenTelemetry API); it proves itself by
// running the shared conformance suite in
// [github.com/polytrace/polytrace/tracer/tracertest]. [Combine] makes one
// instance of several, each recording every span (TRACER_BACKEND=jaeger,otel).
//
// Nothing in this package reads the process environment: backend-specific
// settings (JAEGER_*, ZIPKIN_*, LIGHTSTEP_*) reach a backend through
// [Config.Lookup], which the root package fills from the environment and
// programs that configure in code may fill from a map.
package tracer
