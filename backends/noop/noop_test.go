package noop_test

import (
	"testing"

	"github.com/opentracing/opentracing-go"

	"github.com/polytrace/polytrace/backends/noop"
	"github.com/polytrace/polytrace/tracer"
)

func TestOpenIsNoopTracer(t *testing.T) {
	inst, err := tracer.Open(noop.Name, tracer.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := inst.Tracer.(opentracing.NoopTracer); !ok {
		t.Fatalf("noop backend built %T, want opentracing.NoopTracer", inst.Tracer)
	}
}
