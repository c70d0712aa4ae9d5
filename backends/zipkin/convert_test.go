package zipkin

import (
	"maps"
	"testing"

	"github.com/opentracing/opentracing-go"
	"github.com/openzipkin/zipkin-go/reporter"

	"github.com/polytrace/polytrace/propagation"
	"github.com/polytrace/polytrace/tracer"
)

// TestConverter: FromNeutral contexts are parents whose decision holds,
// except an undecided one, which this tracer's sampler decides, as B3
// does.
func TestConverter(t *testing.T) {
	tests := []struct {
		name        string
		sampling    propagation.Sampling
		rate        float64
		wantSampled bool
		wantDebug   bool
	}{
		{"caller says no", propagation.NotSampled, 1, false, false},
		{"caller says yes", propagation.Sampled, 0, true, false},
		{"debug", propagation.Debug, 0, true, true},
		{"undecided, sampler says yes", propagation.Undecided, 1, true, false},
		{"undecided, sampler says no", propagation.Undecided, 0, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inst, err := NewWithReporter(tracer.Config{SampleRate: tracer.Rate(tt.rate)}, reporter.NewNoopReporter())
			if err != nil {
				t.Fatal(err)
			}
			bag := map[string]string{"Tenant": "Acme"}
			n := propagation.SpanContext{TraceID: propagation.TraceID{High: 1, Low: 2}, SpanID: 3, ParentID: 4, Sampling: tt.sampling, Baggage: bag}
			sc, err := converter{}.FromNeutral(n)
			if err != nil {
				t.Fatal(err)
			}
			child := inst.Tracer.StartSpan("child", opentracing.ChildOf(sc))
			got, ok := converter{}.ToNeutral(child.Context())
			if !ok || got.TraceID != n.TraceID || got.ParentID != 3 || got.SpanID == 3 || !maps.Equal(got.Baggage, bag) {
				t.Fatalf("child %+v, %v; want trace 1/2, parent 3 and the baggage", got, ok)
			}
			if got.Sampling.IsSampled() != tt.wantSampled || (got.Sampling == propagation.Debug) != tt.wantDebug {
				t.Errorf("child sampling %v, want sampled=%v debug=%v", got.Sampling, tt.wantSampled, tt.wantDebug)
			}
			bag["Tenant"] = "changed" // FromNeutral copied the map
			if child.BaggageItem("Tenant") != "Acme" {
				t.Errorf("the context shares the caller's baggage map")
			}
		})
	}
}

func TestConverterForeignContexts(t *testing.T) {
	for _, sc := range []opentracing.SpanContext{nil, opentracing.NoopTracer{}.StartSpan("x").Context(), (*spanContext)(nil), &spanContext{}} {
		if _, ok := (converter{}).ToNeutral(sc); ok {
			t.Errorf("ToNeutral(%#v) is ok", sc)
		}
		if _, _, ok := ids(sc); ok {
			t.Errorf("ids(%#v) is ok", sc)
		}
	}
}
