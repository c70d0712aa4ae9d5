package lightstep

import (
	"errors"
	"testing"

	lsgo "github.com/lightstep/lightstep-tracer-go"
	"github.com/opentracing/opentracing-go"

	"github.com/polytrace/polytrace/propagation"
)

func TestConverter(t *testing.T) {
	tests := []struct {
		name string
		give propagation.Sampling
		want string
		back propagation.Sampling
	}{
		{"sampled", propagation.Sampled, "true", propagation.Sampled},
		{"not sampled", propagation.NotSampled, "false", propagation.NotSampled},
		{"debug", propagation.Debug, "true", propagation.Sampled},
		{"undecided", propagation.Undecided, "true", propagation.Sampled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := propagation.SpanContext{TraceID: propagation.TraceID{High: 1, Low: 2}, SpanID: 3, Sampling: tt.give,
				Baggage: map[string]string{"k": "v"}}
			sc, err := converter{}.FromNeutral(n)
			if err != nil {
				t.Fatal(err)
			}
			c := sc.(lsgo.SpanContext)
			if c.TraceIDUpper != 1 || c.TraceID != 2 || c.SpanID != 3 || c.Sampled != tt.want || c.Baggage["k"] != "v" {
				t.Fatalf("FromNeutral = %+v, want trace 1/2, span 3, sampled %q", c, tt.want)
			}
			back, ok := converter{}.ToNeutral(c)
			if !ok || back.TraceID != n.TraceID || back.SpanID != 3 || back.Sampling != tt.back {
				t.Fatalf("ToNeutral = %+v, %v", back, ok)
			}
		})
	}
	if back, _ := (converter{}).ToNeutral(lsgo.SpanContext{TraceID: 2, SpanID: 3}); back.Sampling != propagation.Sampled {
		t.Errorf("empty Sampled (Lightstep's default) became %v, want sampled", back.Sampling)
	}
}

func TestConverterRefuses(t *testing.T) {
	_, err := converter{}.FromNeutral(propagation.SpanContext{TraceID: propagation.TraceID{High: 1}, SpanID: 3})
	if !errors.Is(err, opentracing.ErrSpanContextCorrupted) {
		t.Errorf("a trace id with a zero low half: %v, want ErrSpanContextCorrupted", err)
	}
	for _, sc := range []opentracing.SpanContext{nil, opentracing.NoopTracer{}.StartSpan("x").Context(), lsgo.SpanContext{}} {
		if _, ok := (converter{}).ToNeutral(sc); ok {
			t.Errorf("ToNeutral(%#v) is ok", sc)
		}
		if _, _, ok := ids(sc); ok {
			t.Errorf("ids(%#v) is ok", sc)
		}
	}
}
