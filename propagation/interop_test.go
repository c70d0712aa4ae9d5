package propagation_test

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"testing"

	lsgo "github.com/lightstep/lightstep-tracer-go"
	"github.com/opentracing/opentracing-go"
	"github.com/openzipkin/zipkin-go/model"
	"github.com/openzipkin/zipkin-go/propagation/b3"
	jaegerclient "github.com/uber/jaeger-client-go"
	"go.opentelemetry.io/otel/baggage"
	otelprop "go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/polytrace/polytrace/propagation"
)

// The interop tests check each format against the reference implementation
// of the system that defined it, in both directions: what this package
// writes, the reference reads as the same context, and the reverse.

// samples returns contexts with random ids, 64- and 128-bit, under every
// sampling decision.
func samples(t *testing.T) []propagation.SpanContext {
	t.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	nz := func() uint64 {
		for {
			if v := r.Uint64(); v != 0 {
				return v
			}
		}
	}
	var out []propagation.SpanContext
	for _, s := range []propagation.Sampling{propagation.Sampled, propagation.NotSampled, propagation.Debug, propagation.Undecided} {
		for _, high := range []uint64{0, nz()} {
			for range 4 {
				out = append(out, propagation.SpanContext{
					TraceID:  propagation.TraceID{High: high, Low: nz()},
					SpanID:   nz(),
					ParentID: []uint64{0, nz()}[r.IntN(2)],
					Sampling: s,
				})
			}
		}
	}
	return out
}

func inject(t *testing.T, f propagation.Format, sc propagation.SpanContext) http.Header {
	t.Helper()
	h := http.Header{}
	if err := (propagation.Formats{f}).Inject(sc, opentracing.HTTPHeadersCarrier(h)); err != nil {
		t.Fatal(err)
	}
	return h
}

func extract(t *testing.T, f propagation.Format, h http.Header) propagation.SpanContext {
	t.Helper()
	sc, err := propagation.Formats{f}.Extract(opentracing.HTTPHeadersCarrier(h))
	if err != nil {
		t.Fatalf("Extract %s from %v: %v", f, h, err)
	}
	return sc
}

func TestInteropTraceContextWithOpenTelemetry(t *testing.T) {
	ref := otelprop.TraceContext{}
	for _, sc := range samples(t) {
		sc.TraceState = "vendor=value"
		got := trace.SpanContextFromContext(ref.Extract(context.Background(), otelprop.HeaderCarrier(inject(t, propagation.TraceContext, sc))))
		want := propagation.ToOTel(sc)
		if !got.Equal(want) {
			t.Fatalf("OpenTelemetry read %v as %+v, want %+v", sc, got, want)
		}

		h := http.Header{}
		ref.Inject(trace.ContextWithSpanContext(context.Background(), want), otelprop.HeaderCarrier(h))
		back := extract(t, propagation.TraceContext, h)
		if back.TraceID != sc.TraceID || back.SpanID != sc.SpanID || back.Sampling.IsSampled() != sc.Sampling.IsSampled() || back.TraceState != "vendor=value" {
			t.Fatalf("read OpenTelemetry's %v as %+v, want %+v", h, back, sc)
		}
	}
}

func TestInteropBaggageWithOpenTelemetry(t *testing.T) {
	items := map[string]string{"tenant": "acme", "Path": "a b,c;d=%", "uni": "ünï", "empty": ""}
	sc := ctx64
	sc.Baggage = items
	h := inject(t, propagation.Baggage, sc)
	got := baggage.FromContext(otelprop.Baggage{}.Extract(context.Background(), otelprop.HeaderCarrier(h)))
	for k, v := range items {
		if m := got.Member(k); m.Key() != k || m.Value() != v {
			t.Errorf("OpenTelemetry read item %q as %q=%q from %v, want %q", k, m.Key(), m.Value(), h, v)
		}
	}

	var ms []baggage.Member
	for k, v := range items {
		m, err := baggage.NewMemberRaw(k, v)
		if err != nil {
			t.Fatal(err)
		}
		ms = append(ms, m)
	}
	b, _ := baggage.New(ms...)
	h = http.Header{"Traceparent": {"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}}
	otelprop.Baggage{}.Inject(baggage.ContextWithBaggage(context.Background(), b), otelprop.HeaderCarrier(h))
	back, err := propagation.Formats{propagation.TraceContext, propagation.Baggage}.Extract(opentracing.HTTPHeadersCarrier(h))
	if err != nil || !maps.Equal(back.Baggage, items) {
		t.Fatalf("read OpenTelemetry's %v as %v, %v; want %v", h, back.Baggage, err, items)
	}
}

// zipkinContext is sc as zipkin-go's model has it.
func zipkinContext(sc propagation.SpanContext) model.SpanContext {
	z := model.SpanContext{TraceID: model.TraceID{High: sc.TraceID.High, Low: sc.TraceID.Low}, ID: model.ID(sc.SpanID)}
	if sc.ParentID != 0 {
		p := model.ID(sc.ParentID)
		z.ParentID = &p
	}
	switch sc.Sampling {
	case propagation.Debug:
		z.Debug = true
	case propagation.Sampled, propagation.NotSampled:
		s := sc.Sampling == propagation.Sampled
		z.Sampled = &s
	}
	return z
}

func sameZipkin(a, b model.SpanContext) bool {
	return a.TraceID == b.TraceID && a.ID == b.ID && a.Debug == b.Debug &&
		fmt.Sprint(deref(a.ParentID)) == fmt.Sprint(deref(b.ParentID)) && fmt.Sprint(derefB(a.Sampled)) == fmt.Sprint(derefB(b.Sampled))
}

func deref(p *model.ID) any {
	if p == nil {
		return nil
	}
	return *p
}

func derefB(p *bool) any {
	if p == nil {
		return nil
	}
	return *p
}

func TestInteropB3WithZipkin(t *testing.T) {
	for _, sc := range samples(t) {
		want := zipkinContext(sc)
		if sc.Sampling == propagation.Undecided {
			want.ParentID = nil // the single header cannot carry it then
		}
		h := inject(t, propagation.B3, sc)
		got, err := b3.ParseSingleHeader(h.Get("b3"))
		if err != nil || !sameZipkin(*got, want) {
			t.Fatalf("zipkin-go read b3 %q as %+v, %v; want %+v", h.Get("b3"), got, err, want)
		}
		// zipkin-go writes trace-span-parent for an undecided context with
		// a parent, which the B3 spec (and zipkin-go's own parser) refuse:
		// give it none.
		single := b3.BuildSingleHeader(want)
		back := extract(t, propagation.B3, http.Header{"B3": {single}})
		if !sameZipkin(zipkinContext(back), want) {
			t.Fatalf("read zipkin-go's b3 %q as %+v, want %+v", single, back, want)
		}
	}
}

func TestInteropB3MultiWithZipkin(t *testing.T) {
	for _, sc := range samples(t) {
		want := zipkinContext(sc)
		h := inject(t, propagation.B3Multi, sc)
		got, err := b3.ParseHeaders(h.Get(b3.TraceID), h.Get(b3.SpanID), h.Get(b3.ParentSpanID), h.Get(b3.Sampled), h.Get(b3.Flags))
		if err != nil || !sameZipkin(*got, want) {
			t.Fatalf("zipkin-go read %v as %+v, %v; want %+v", h, got, err, want)
		}
		m := b3.Map{}
		if err := m.Inject()(want); err != nil {
			t.Fatal(err)
		}
		back, err := propagation.Formats{propagation.B3Multi}.Extract(opentracing.TextMapCarrier(m))
		if err != nil || !sameZipkin(zipkinContext(back), want) {
			t.Fatalf("read zipkin-go's %v as %+v, %v; want %+v", m, back, err, sc)
		}
	}
}

func TestInteropJaegerWithJaegerClient(t *testing.T) {
	for _, sc := range samples(t) {
		h := inject(t, propagation.Jaeger, sc)
		got, err := jaegerclient.ContextFromString(h.Get("uber-trace-id"))
		if err != nil {
			t.Fatalf("jaeger-client-go cannot read %q: %v", h.Get("uber-trace-id"), err)
		}
		if got.TraceID().High != sc.TraceID.High || got.TraceID().Low != sc.TraceID.Low || uint64(got.SpanID()) != sc.SpanID ||
			uint64(got.ParentID()) != sc.ParentID || got.IsSampled() != sc.Sampling.IsSampled() || got.IsDebug() != (sc.Sampling == propagation.Debug) {
			t.Fatalf("jaeger-client-go read %q as %v, want %+v", h.Get("uber-trace-id"), got, sc)
		}
		back := extract(t, propagation.Jaeger, http.Header{"Uber-Trace-Id": {got.String()}})
		want := sc
		if want.Sampling == propagation.Undecided {
			want.Sampling = propagation.NotSampled
		}
		if back.TraceID != want.TraceID || back.SpanID != want.SpanID || back.ParentID != want.ParentID || back.Sampling != want.Sampling {
			t.Fatalf("read jaeger-client-go's %q as %+v, want %+v", got.String(), back, want)
		}
	}
}

func TestInteropOTTraceWithLightstep(t *testing.T) {
	for _, sc := range samples(t) {
		sc.Baggage = map[string]string{"tenant": "acme"}
		h := inject(t, propagation.OTTrace, sc)
		got, err := lsgo.LightStepPropagator.Extract(opentracing.HTTPHeadersCarrier(h))
		if err != nil {
			t.Fatalf("lightstep-tracer-go cannot read %v: %v", h, err)
		}
		lc := got.(lsgo.SpanContext)
		wantSampled := "true"
		if sc.Sampling == propagation.NotSampled {
			wantSampled = "false"
		}
		if lc.TraceID != sc.TraceID.Low || lc.SpanID != sc.SpanID || lc.Sampled != wantSampled || lc.Baggage["tenant"] != "acme" {
			t.Fatalf("lightstep-tracer-go read %v as %+v, want low trace id %x, span %x, sampled %s", h, lc, sc.TraceID.Low, sc.SpanID, wantSampled)
		}
		h = http.Header{}
		if err := lsgo.LightStepPropagator.Inject(lc, opentracing.HTTPHeadersCarrier(h)); err != nil {
			t.Fatal(err)
		}
		back := extract(t, propagation.OTTrace, h)
		if back.TraceID != (propagation.TraceID{Low: sc.TraceID.Low}) || back.SpanID != sc.SpanID ||
			back.Sampling.IsSampled() != (wantSampled == "true") || back.Baggage["tenant"] != "acme" {
			t.Fatalf("read lightstep-tracer-go's %v as %+v", h, back)
		}
	}
}
