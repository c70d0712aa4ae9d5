package zipkin

import (
	"context"
	"testing"

	"github.com/opentracing/opentracing-go"
	"github.com/openzipkin/zipkin-go/reporter"

	"github.com/polytrace/polytrace/internal/sampling"
	"github.com/polytrace/polytrace/tracer"
)

func TestSamplingRecorded(t *testing.T) {
	tests := []struct {
		name string
		rate float64
		want bool
	}{
		{"sampled", 1, true},
		{"unsampled", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inst, err := NewWithReporter(tracer.Config{ServiceName: "svc", SampleRate: tracer.Rate(tt.rate)}, reporter.NewNoopReporter())
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = inst.Shutdown(context.Background()) }()
			span := inst.Tracer.StartSpan("op")
			defer span.Finish()
			if got := sampling.Recorded(span); got != tt.want {
				t.Errorf("sampling.Recorded = %v, want %v", got, tt.want)
			}
			child := inst.Tracer.StartSpan("child", opentracing.ChildOf(span.Context()))
			defer child.Finish()
			if got := sampling.Recorded(child); got != tt.want {
				t.Errorf("child: sampling.Recorded = %v, want %v", got, tt.want)
			}
		})
	}
	if _, known := recorded(opentracing.NoopTracer{}.StartSpan("x")); known {
		t.Error("recorded claims to know a span of another tracer")
	}
}
