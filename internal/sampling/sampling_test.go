package sampling

import (
	"testing"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/mocktracer"
)

// unsampledSpan is a span type a test function recognises.
type unsampledSpan struct{ opentracing.Span }

func TestRecorded(t *testing.T) {
	saved := funcs
	t.Cleanup(func() { funcs = saved })
	funcs = nil
	Register(nil) // ignored
	Register(func(s opentracing.Span) (bool, bool) {
		_, ok := s.(unsampledSpan)
		return false, ok
	})

	mock := mocktracer.New().StartSpan("x")
	tests := []struct {
		name string
		give opentracing.Span
		want bool
	}{
		{"known and unsampled", unsampledSpan{mock}, false},
		{"unknown span", mock, true},
		{"noop span", opentracing.NoopTracer{}.StartSpan("x"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Recorded(tt.give); got != tt.want {
				t.Errorf("Recorded = %v, want %v", got, tt.want)
			}
		})
	}
	if len(funcs) != 1 {
		t.Errorf("Register(nil) added a function: %d registered, want 1", len(funcs))
	}
}
