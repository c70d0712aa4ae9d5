// Package polytrace builds an OpenTracing tracer for the backend named by
// one environment variable, so the same binary reports to Jaeger, Zipkin,
// Lightstep or an OpenTelemetry collector (or shows its traces on a viewer
// of its own, prints them, or does nothing) with no code change:
//
//	tr, err := polytrace.FromEnv() // reads TRACER_BACKEND and friends
//	if err != nil {
//		log.Printf("tracing disabled: %v", err) // tr is a working no-op tracer
//	}
//	defer tr.Close()
//
//	r := gin.New()
//	r.Use(ginmw.Middleware(tr))
//
// The environment variables are documented on [FromEnv] and in the README.
// Programs that configure in code use [New] with a [tracer.Config] instead.
//
// Backends live in backends/, one package each, and register themselves by
// name like database/sql drivers; this package imports all the built-in
// ones. Shared contracts (configuration, registry, conformance suite) live
// in the tracer package.
package polytrace
