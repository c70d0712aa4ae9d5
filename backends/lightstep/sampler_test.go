package lightstep

import (
	"context"
	"testing"
	"time"

	lsgo "github.com/lightstep/lightstep-tracer-go"
	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/mocktracer"

	"github.com/polytrace/polytrace/tracer"
)

// offline builds a tracer whose collector is never reached within the
// test: its reports go to a closed local port.
func offline(t *testing.T, rate *float64, random func() float64) *tracer.Instance {
	t.Helper()
	inst, err := build(tracer.Config{SampleRate: rate},
		Options{AccessToken: "sampler-test-token", CollectorHost: "127.0.0.1", CollectorPort: 9, Plaintext: true}, random)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = inst.Shutdown(ctx)
	})
	return inst
}

func sampledFlag(s opentracing.Span) string { return s.Context().(lsgo.SpanContext).Sampled }

func TestNoSamplerWithoutRateBelowOne(t *testing.T) {
	for _, rate := range []*float64{nil, tracer.Rate(1)} {
		inst := offline(t, rate, nil)
		if _, ok := inst.Tracer.(lsgo.Tracer); !ok {
			t.Errorf("rate %v: tracer is %T, want the client's own", rate, inst.Tracer)
		}
		if _, ok := inst.Tracer.(*sampler); ok {
			t.Errorf("rate %v: a sampler wraps the tracer", rate)
		}
	}
	if _, ok := offline(t, tracer.Rate(0.5), nil).Tracer.(lsgo.Tracer); !ok {
		t.Error("the sampler hides the lightstep.Tracer methods (Flush, Close)")
	}
}

func TestSamplerDecidesRootsByRate(t *testing.T) {
	draws := []float64{0.1, 0.3, 0.2499, 0.25, 0}
	want := []string{"", "false", "", "false", ""}
	i := 0
	inst := offline(t, tracer.Rate(0.25), func() float64 { i++; return draws[i-1] })
	for n, w := range want {
		root := inst.Tracer.StartSpan("root")
		if got := sampledFlag(root); got != w {
			t.Errorf("root %d (draw %v): Sampled = %q, want %q", n, draws[n], got, w)
		}
		child := inst.Tracer.StartSpan("child", opentracing.ChildOf(root.Context()))
		if got := sampledFlag(child); got != w {
			t.Errorf("child of root %d: Sampled = %q, want the parent's %q", n, got, w)
		}
		child.Finish()
		root.Finish()
	}
	if i != len(draws) {
		t.Errorf("%d draws for %d roots: children must not draw", i, len(draws))
	}
}

func TestSamplerRateIsHonoured(t *testing.T) {
	const n, rate = 4000, 0.3
	inst := offline(t, tracer.Rate(rate), nil)
	kept := 0
	for i := 0; i < n; i++ {
		if sampledFlag(inst.Tracer.StartSpan("root")) != "false" {
			kept++
		}
	}
	// Seven standard deviations either side: fails only when broken.
	if lo, hi := int((rate-0.05)*n), int((rate+0.05)*n); kept < lo || kept > hi {
		t.Errorf("kept %d of %d roots at rate %v, want between %d and %d", kept, n, rate, lo, hi)
	}
}

func TestDecides(t *testing.T) {
	ls := lsgo.SpanContext{TraceID: 1, SpanID: 2, Sampled: "true"}
	foreign := mocktracer.New().StartSpan("x").Context()
	tests := []struct {
		name string
		give []opentracing.StartSpanOption
		want bool
	}{
		{"no options", nil, true},
		{"tags only", []opentracing.StartSpanOption{opentracing.Tag{Key: "k", Value: 1}}, true},
		{"child of lightstep", []opentracing.StartSpanOption{opentracing.ChildOf(ls)}, false},
		{"follows lightstep", []opentracing.StartSpanOption{opentracing.FollowsFrom(ls)}, false},
		{"child of nil", []opentracing.StartSpanOption{opentracing.ChildOf(nil)}, true},
		{"nil first", []opentracing.StartSpanOption{opentracing.ChildOf(nil), opentracing.ChildOf(ls)}, false},
		{"child of foreign", []opentracing.StartSpanOption{opentracing.ChildOf(foreign)}, true},
		{"foreign first", []opentracing.StartSpanOption{opentracing.ChildOf(foreign), opentracing.ChildOf(ls)}, true},
		{"lightstep first", []opentracing.StartSpanOption{opentracing.ChildOf(ls), opentracing.ChildOf(foreign)}, false},
		{"explicit decision", []opentracing.StartSpanOption{lsgo.SetSampled("true")}, false},
		{"explicit ids", []opentracing.StartSpanOption{lsgo.SetTraceID(5), lsgo.SetSpanID(6)}, true},
	}
	for _, tt := range tests {
		if got := decides(tt.give); got != tt.want {
			t.Errorf("%s: decides = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestSamplerLeavesCallerOptionsAlone(t *testing.T) {
	inst := offline(t, tracer.Rate(0), nil)
	opts := make([]opentracing.StartSpanOption, 1, 4)
	opts[0] = opentracing.Tag{Key: "k", Value: "v"}
	span := inst.Tracer.StartSpan("root", opts...)
	if sampledFlag(span) != "false" {
		t.Fatal("rate 0 kept a root")
	}
	if extra := opts[:2][1]; extra != nil {
		t.Errorf("StartSpan wrote %v into the caller's option slice", extra)
	}
	span.Finish()
}
