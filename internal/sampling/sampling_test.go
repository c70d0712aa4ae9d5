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

func TestByTraceID(t *testing.T) {
	const half = uint64(1) << 62 // rate 0.5's boundary
	tests := []struct {
		rate float64
		id   uint64
		want bool
	}{
		{0, 0, false}, {0, 1, false},
		{1, 0, true}, {1, 1<<64 - 1, true},
		{0.5, half - 1, true}, {0.5, half, false},
		{0.5, 1<<63 | (half - 1), true}, // the top bit does not count
		{0.25, half/2 - 1, true}, {0.25, half / 2, false},
	}
	for _, tt := range tests {
		if got := ByTraceID(tt.rate)(tt.id); got != tt.want {
			t.Errorf("ByTraceID(%v)(%#x) = %v, want %v", tt.rate, tt.id, got, tt.want)
		}
	}
}
