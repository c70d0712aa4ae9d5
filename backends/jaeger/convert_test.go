package jaeger

import (
	"maps"
	"testing"

	"github.com/opentracing/opentracing-go"
	jaegerclient "github.com/uber/jaeger-client-go"

	"github.com/polytrace/polytrace/propagation"
)

// TestConverterRemoteParent: a context made by FromNeutral is a remote
// parent: the caller's sampling decision holds whatever the local sampler
// says, and baggage keys keep their case.
func TestConverterRemoteParent(t *testing.T) {
	tests := []struct {
		name        string
		sampling    propagation.Sampling
		localSample bool
		wantSampled bool
		wantDebug   bool
	}{
		{"caller says no, sampler says yes", propagation.NotSampled, true, false, false},
		{"caller says yes, sampler says no", propagation.Sampled, false, true, false},
		{"debug", propagation.Debug, false, true, true},
		{"undecided arrives as not sampled", propagation.Undecided, true, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, closer := jaegerclient.NewTracer("svc", jaegerclient.NewConstSampler(tt.localSample), jaegerclient.NewNullReporter())
			defer closer.Close()
			conv := converter{tr: tr}
			bag := map[string]string{"Tenant": "Acme", "k": "v"}
			n := propagation.SpanContext{TraceID: propagation.TraceID{High: 1, Low: 2}, SpanID: 3, ParentID: 4, Sampling: tt.sampling, Baggage: bag}
			sc, err := conv.FromNeutral(n)
			if err != nil {
				t.Fatal(err)
			}
			child := tr.StartSpan("child", opentracing.ChildOf(sc))
			c := child.Context().(jaegerclient.SpanContext)
			if c.TraceID() != (jaegerclient.TraceID{High: 1, Low: 2}) || c.ParentID() != 3 {
				t.Errorf("child %v, want trace 1/2 and parent 3", c)
			}
			if c.IsSampled() != tt.wantSampled || c.IsDebug() != tt.wantDebug {
				t.Errorf("child sampled=%v debug=%v, want %v %v", c.IsSampled(), c.IsDebug(), tt.wantSampled, tt.wantDebug)
			}
			got := map[string]string{}
			c.ForeachBaggageItem(func(k, v string) bool { got[k] = v; return true })
			if !maps.Equal(got, bag) {
				t.Errorf("child baggage %v, want %v", got, bag)
			}

			back, ok := conv.ToNeutral(c)
			if !ok || back.TraceID != n.TraceID || back.SpanID != uint64(c.SpanID()) || back.ParentID != 3 || !maps.Equal(back.Baggage, bag) {
				t.Errorf("ToNeutral(child) = %+v, %v", back, ok)
			}
		})
	}
}

func TestConverterForeignContexts(t *testing.T) {
	conv := converter{}
	for _, sc := range []opentracing.SpanContext{nil, opentracing.NoopTracer{}.StartSpan("x").Context(), jaegerclient.SpanContext{}} {
		if _, ok := conv.ToNeutral(sc); ok {
			t.Errorf("ToNeutral(%#v) is ok", sc)
		}
		if _, _, ok := ids(sc); ok {
			t.Errorf("ids(%#v) is ok", sc)
		}
	}
}
