package lightstep

import (
	"context"
	"testing"
	"time"

	lsgo "github.com/lightstep/lightstep-tracer-go"
	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/mocktracer"

	"github.com/polytrace/polytrace/internal/sampling"
	"github.com/polytrace/polytrace/tracer"
)

// offline builds a tracer whose collector is never reached within the
// test: its reports go to a closed local port.
func offline(t *testing.T, rate *float64, traceID func() uint64) *tracer.Instance {
	t.Helper()
	inst, err := build(tracer.Config{SampleRate: rate},
		Options{AccessToken: "sampler-test-token", CollectorHost: "127.0.0.1", CollectorPort: 9, Plaintext: true}, traceID)
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
		if ot, ok := inst.Tracer.(*otTracer); !ok || ot.keep != nil {
			t.Errorf("rate %v: tracer %T samples", rate, inst.Tracer)
		}
	}
	if _, ok := offline(t, tracer.Rate(0.5), nil).Tracer.(lsgo.Tracer); !ok {
		t.Error("the sampler hides the lightstep.Tracer methods (Flush, Close)")
	}
}

// TestSamplerDecidesRootsByTraceID: a root is kept when its trace id's
// low 63 bits are below rate×2⁶³ (as every backend decides), and the id
// decided on is the trace's.
func TestSamplerDecidesRootsByTraceID(t *testing.T) {
	at := func(f float64) uint64 { return uint64(f * (1 << 63)) }
	ids := []uint64{at(0.1), at(0.3), at(0.2499), at(0.25), 1, 1<<63 | at(0.1)}
	want := []string{"", "false", "", "false", "", ""}
	i := 0
	inst := offline(t, tracer.Rate(0.25), func() uint64 { i++; return ids[i-1] })
	for n, w := range want {
		root := inst.Tracer.StartSpan("root")
		if got := sampledFlag(root); got != w {
			t.Errorf("root %d (trace id %#x): Sampled = %q, want %q", n, ids[n], got, w)
		}
		if got := root.Context().(lsgo.SpanContext).TraceID; got != ids[n] {
			t.Errorf("root %d: trace id %#x, want the one decided on, %#x", n, got, ids[n])
		}
		child := inst.Tracer.StartSpan("child", opentracing.ChildOf(root.Context()))
		if got := sampledFlag(child); got != w {
			t.Errorf("child of root %d: Sampled = %q, want the parent's %q", n, got, w)
		}
		child.Finish()
		root.Finish()
	}
	if i != len(ids) {
		t.Errorf("%d trace ids drawn for %d roots: children must not draw", i, len(ids))
	}
	// A root started with options the light path does not read, and one
	// whose caller gave the trace id, are decided the same way.
	i = 3 // at(0.25): dropped
	if got := sampledFlag(inst.Tracer.StartSpan("root", unread{})); got != "false" {
		t.Errorf("root with other options: Sampled = %q, want false", got)
	}
	if got := sampledFlag(inst.Tracer.StartSpan("root", lsgo.SetTraceID(at(0.1)))); got != "" {
		t.Errorf("root with the caller's trace id %#x: Sampled = %q, want kept", at(0.1), got)
	}
}

// TestSamplerAgreesWithOtherBackends: for the same trace id and rate,
// the lightstep backend decides as sampling.ByTraceID, which the zipkin
// backend uses too, and as jaeger-client-go's probabilistic sampler.
func TestSamplerAgreesWithOtherBackends(t *testing.T) {
	keep := sampling.ByTraceID(0.3)
	var id uint64
	inst := offline(t, tracer.Rate(0.3), func() uint64 { return id })
	for n := uint64(1); n < 2000; n++ {
		id = n * 0x9E3779B97F4A7C15 // spread over the whole range
		if id == 0 {
			continue
		}
		if got := sampledFlag(inst.Tracer.StartSpan("root")) != "false"; got != keep(id) {
			t.Fatalf("trace id %#x: lightstep keeps %v, sampling.ByTraceID %v", id, got, keep(id))
		}
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
	if _, id := decides([]opentracing.StartSpanOption{lsgo.SetTraceID(5)}); id != 5 {
		t.Errorf("decides with SetTraceID(5): trace id %d, want the caller's", id)
	}
	for _, tt := range tests {
		if got, _ := decides(tt.give); got != tt.want {
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
