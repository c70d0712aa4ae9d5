package tracer_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/opentracing/opentracing-go"

	"github.com/polytrace/polytrace/tracer"
)

func openNoop(tracer.Config) (*tracer.Instance, error) {
	return &tracer.Instance{Tracer: opentracing.NoopTracer{}}, nil
}

func TestRegistryNamesSortedAndCaseInsensitive(t *testing.T) {
	var r tracer.Registry
	r.Register("Zeta", openNoop)
	r.Register("alpha", openNoop)
	if got, want := r.Names(), []string{"alpha", "zeta"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("Names() = %v, want %v", got, want)
	}
	for _, name := range []string{"zeta", "ZETA", "  Zeta "} {
		if _, err := r.Open(name, tracer.Config{}); err != nil {
			t.Errorf("Open(%q): %v", name, err)
		}
	}
}

func TestRegistryRegisterPanics(t *testing.T) {
	tests := []struct {
		name string
		give func(r *tracer.Registry)
		want string
	}{
		{"empty name", func(r *tracer.Registry) { r.Register(" ", openNoop) }, "empty backend name"},
		{"nil open", func(r *tracer.Registry) { r.Register("x", nil) }, "nil OpenFunc"},
		{"duplicate", func(r *tracer.Registry) { r.Register("x", openNoop); r.Register("X", openNoop) }, "twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				msg, _ := recover().(string)
				if !strings.Contains(msg, tt.want) {
					t.Fatalf("panic = %q, want it to contain %q", msg, tt.want)
				}
			}()
			var r tracer.Registry
			tt.give(&r)
		})
	}
}

func TestRegistryOpenErrors(t *testing.T) {
	var r tracer.Registry
	r.Register("good", openNoop)
	r.Register("fails", func(tracer.Config) (*tracer.Instance, error) { return nil, errors.New("boom") })
	r.Register("nil", func(tracer.Config) (*tracer.Instance, error) { return nil, nil })
	r.Register("niltracer", func(tracer.Config) (*tracer.Instance, error) { return &tracer.Instance{}, nil })

	tests := []struct {
		give    string
		want    []string
		unknown bool
	}{
		{give: "bogus", want: []string{`"bogus"`, "fails, good, nil, niltracer", "imported"}, unknown: true},
		{give: "fails", want: []string{"fails: boom"}},
		{give: "nil", want: []string{"nil: backend returned no tracer"}},
		{give: "niltracer", want: []string{"niltracer: backend returned no tracer"}},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			inst, err := r.Open(tt.give, tracer.Config{})
			if err == nil {
				t.Fatalf("Open(%q) = %v, nil; want an error", tt.give, inst)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if got := errors.Is(err, tracer.ErrUnknownBackend); got != tt.unknown {
				t.Errorf("errors.Is(err, ErrUnknownBackend) = %v, want %v", got, tt.unknown)
			}
		})
	}
}

func TestConfigDefaults(t *testing.T) {
	var c tracer.Config
	if c.Flush() != tracer.DefaultFlushTimeout {
		t.Errorf("zero Config Flush() = %v, want %v", c.Flush(), tracer.DefaultFlushTimeout)
	}
	if c.Service() == "" {
		t.Error("zero Config Service() is empty, want the executable's name")
	}
	if _, ok := c.Get("ANY"); ok {
		t.Error("zero Config Get reports a setting as set")
	}
	c = tracer.Config{ServiceName: "svc", Lookup: tracer.MapLookup(map[string]string{"A": "  x ", "B": "  "})}
	if c.Service() != "svc" {
		t.Errorf("Service() = %q, want svc", c.Service())
	}
	if v, ok := c.Get("A"); !ok || v != "x" {
		t.Errorf(`Get("A") = %q, %v; want "x", true`, v, ok)
	}
	if _, ok := c.Get("B"); ok {
		t.Error(`Get("B") of a blank value reports it as set`)
	}
	if r := tracer.Rate(0.25); *r != 0.25 {
		t.Errorf("Rate(0.25) = %v", *r)
	}
}
