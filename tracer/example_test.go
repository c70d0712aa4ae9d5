package tracer_test

import (
	"fmt"

	"github.com/opentracing/opentracing-go"

	"github.com/polytrace/polytrace/tracer"
)

// A backend registers an OpenFunc under its name; Open builds it from a
// Config. Programs use a fresh Registry in tests and the default one, filled
// by the backends' init functions, in production.
func ExampleRegistry() {
	var r tracer.Registry
	r.Register("discard", func(cfg tracer.Config) (*tracer.Instance, error) {
		return &tracer.Instance{Tracer: opentracing.NoopTracer{}}, nil
	})
	inst, err := r.Open("DISCARD", tracer.Config{ServiceName: "checkout"})
	fmt.Println(inst != nil, err)

	_, err = r.Open("jaegr", tracer.Config{})
	fmt.Println(err)
	// Output:
	// true <nil>
	// unknown tracer backend "jaegr" (registered: discard; is its package imported?)
}
