package lightstep_test

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/opentracing/opentracing-go"

	"github.com/polytrace/polytrace/backends/lightstep"
	"github.com/polytrace/polytrace/internal/lightsteptest"
	"github.com/polytrace/polytrace/tracer"
)

// Open reads the LIGHTSTEP_* settings through Config.Lookup (the
// environment, with polytrace.FromEnv). Here they point at a local
// receiver in plaintext over gRPC.
func Example() {
	collector, err := lightsteptest.Listen(lightsteptest.GRPC)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer collector.Close()

	inst, err := lightstep.Open(tracer.Config{
		ServiceName: "checkout",
		Lookup: tracer.MapLookup(map[string]string{
			"LIGHTSTEP_ACCESS_TOKEN":        "my-project-token",
			"LIGHTSTEP_COLLECTOR_HOST":      collector.Host,
			"LIGHTSTEP_COLLECTOR_PORT":      strconv.Itoa(collector.Port),
			"LIGHTSTEP_COLLECTOR_PLAINTEXT": "true",
			"LIGHTSTEP_TRANSPORT":           "grpc",
		}),
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	parent := inst.Tracer.StartSpan("GET /orders/:id")
	inst.Tracer.StartSpan("SELECT orders", opentracing.ChildOf(parent.Context())).Finish()
	parent.Finish()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := inst.Shutdown(ctx); err != nil { // flushes
		fmt.Println(err)
		return
	}
	for _, s := range collector.Spans() {
		fmt.Printf("%s: %q child=%t\n", s.Component, s.Operation, s.ParentSpanID != 0)
	}
	// Output:
	// checkout: "SELECT orders" child=true
	// checkout: "GET /orders/:id" child=false
}

// Printed Options never show the access token.
func ExampleOptionsFromConfig() {
	opts, err := lightstep.OptionsFromConfig(tracer.Config{
		Lookup: tracer.MapLookup(map[string]string{
			"LIGHTSTEP_ACCESS_TOKEN":   "my-project-token",
			"LIGHTSTEP_COLLECTOR_HOST": "satellite.internal",
			"LIGHTSTEP_TRANSPORT":      "grpc",
		}),
	})
	fmt.Println(opts, err)

	_, err = lightstep.OptionsFromConfig(tracer.Config{})
	fmt.Println(err)
	// Output:
	// lightstep.Options{AccessToken:[redacted] CollectorHost:"satellite.internal" CollectorPort:443 Plaintext:false Transport:"grpc"} <nil>
	// lightstep: LIGHTSTEP_ACCESS_TOKEN="": want the access token of your Lightstep project (required)
}
