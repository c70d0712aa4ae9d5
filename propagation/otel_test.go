package propagation_test

import (
	"context"
	"net/http"
	"reflect"
	"testing"

	"go.opentelemetry.io/otel/baggage"
	otelprop "go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/polytrace/polytrace/propagation"
)

func TestTextMapPropagatorInject(t *testing.T) {
	p := propagation.TextMapPropagator(propagation.Formats{propagation.B3Multi, propagation.Baggage})
	m, _ := baggage.NewMemberRaw("tenant", "a b")
	b, _ := baggage.New(m)
	sc := propagation.ToOTel(ctx128)
	ctx := baggage.ContextWithBaggage(trace.ContextWithSpanContext(context.Background(), sc), b)

	h := http.Header{}
	p.Inject(ctx, otelprop.HeaderCarrier(h))
	want := http.Header{
		"X-B3-Traceid":   {"0af7651916cd43dd8448eb211c80319c"},
		"X-B3-Spanid":    {"b7ad6b7169203331"},
		"X-B3-Sampled":   {"1"},
		"Baggage-Tenant": {"a%20b"},
		"Baggage":        {"tenant=a%20b"},
	}
	if !equalHeaders(h, want) {
		t.Fatalf("wrote %v, want %v", h, want)
	}

	h = http.Header{}
	p.Inject(baggage.ContextWithBaggage(context.Background(), b), otelprop.HeaderCarrier(h))
	if !equalHeaders(h, http.Header{"Baggage": {"tenant=a%20b"}}) {
		t.Fatalf("baggage without a span: wrote %v, want the baggage header alone", h)
	}
	p.Inject(ctx, nil) // must not panic
}

func TestTextMapPropagatorExtract(t *testing.T) {
	p := propagation.TextMapPropagator(propagation.Formats{propagation.Jaeger, propagation.Baggage})
	tests := []struct {
		name        string
		give        http.Header
		wantSC      trace.SpanContext
		wantBaggage map[string]string
	}{
		{"jaeger and baggage",
			http.Header{"Uber-Trace-Id": {"0af7651916cd43dd8448eb211c80319c:b7ad6b7169203331:0:3"}, "Uberctx-K": {"v"}, "Baggage": {"w=x"}},
			propagation.ToOTel(with(ctx128, func(sc *propagation.SpanContext) { sc.Baggage = nil })),
			map[string]string{"k": "v", "w": "x"}},
		{"baggage alone", http.Header{"Baggage": {"w=x"}}, trace.SpanContext{}, map[string]string{"w": "x"}},
		{"malformed", http.Header{"Uber-Trace-Id": {"nope"}}, trace.SpanContext{}, nil},
		{"nothing", http.Header{}, trace.SpanContext{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := p.Extract(context.Background(), otelprop.HeaderCarrier(tt.give))
			if sc := trace.SpanContextFromContext(ctx); !sc.Equal(tt.wantSC) || sc.IsValid() && !sc.IsRemote() {
				t.Errorf("span context %+v, want remote %+v", sc, tt.wantSC)
			}
			got := map[string]string{}
			for _, m := range baggage.FromContext(ctx).Members() {
				got[m.Key()] = m.Value()
			}
			if len(got) == 0 {
				got = nil
			}
			if !reflect.DeepEqual(got, tt.wantBaggage) {
				t.Errorf("baggage %v, want %v", got, tt.wantBaggage)
			}
		})
	}
	if ctx := p.Extract(context.Background(), nil); ctx != context.Background() {
		t.Errorf("nil carrier changed the context")
	}
}

func TestTextMapPropagatorFields(t *testing.T) {
	p := propagation.TextMapPropagator(propagation.Formats{propagation.TraceContext, propagation.OTTrace})
	want := []string{"traceparent", "tracestate", "ot-tracer-traceid", "ot-tracer-spanid", "ot-tracer-sampled"}
	if got := p.Fields(); !reflect.DeepEqual(got, want) {
		t.Fatalf("Fields() = %v, want %v", got, want)
	}
}

func TestOTelConversion(t *testing.T) {
	for _, give := range samples(t) {
		give.TraceState = "a=b"
		got := propagation.FromOTel(propagation.ToOTel(give))
		want := give
		want.ParentID = 0
		want.Sampling = propagation.NotSampled
		if give.Sampling.IsSampled() {
			want.Sampling = propagation.Sampled
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("through OpenTelemetry %+v became %+v, want %+v", give, got, want)
		}
	}
}
