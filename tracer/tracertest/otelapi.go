package tracertest

import (
	"context"
	"net/http"
	"testing"

	"github.com/opentracing/opentracing-go"
	otprop "go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/polytrace/polytrace/propagation"
)

// testOpenTelemetryAPI: spans of the instance's TracerProvider are the
// backend's, in one trace with its OpenTracing spans whichever API starts
// each, at any depth; the propagator carries them to another service as
// the OpenTracing Inject does; and they report the sampling decision.
func testOpenTelemetryAPI(t *testing.T, h bound) {
	inst := open(t, h)
	if inst.TracerProvider == nil {
		t.Skip("the harness's instances have no TracerProvider")
	}
	tr, otel := inst.Tracer, inst.TracerProvider.Tracer("tracertest")
	sampled := h.cfg.SampleRate == nil || *h.cfg.SampleRate > 0

	root := tr.StartSpan("ot-root")
	ctx := opentracing.ContextWithSpan(context.Background(), root)
	ctx, b := otel.Start(ctx, "otel-child", trace.WithSpanKind(trace.SpanKindClient))
	c, ctx := opentracing.StartSpanFromContextWithTracer(ctx, tr, "ot-grandchild")
	ctx, d := otel.Start(ctx, "otel-great-grandchild")
	defer func() {
		d.End()
		c.Finish()
		b.End()
		root.Finish()
	}()

	if b.IsRecording() != sampled || d.IsRecording() != sampled {
		t.Errorf("IsRecording = %v, %v; want %v", b.IsRecording(), d.IsRecording(), sampled)
	}
	chain := []trace.SpanContext{otelContext(t, inst.Converter, root.Context()), b.SpanContext(),
		otelContext(t, inst.Converter, c.Context()), d.SpanContext()}
	for i, sc := range chain {
		if !sc.IsValid() {
			t.Fatalf("span %d has no valid OpenTelemetry span context: %v", i, sc)
		}
		if sc.TraceID() != chain[0].TraceID() {
			t.Errorf("span %d is in trace %v, want %v: the APIs did not nest", i, sc.TraceID(), chain[0].TraceID())
		}
		if sc.IsSampled() != sampled {
			t.Errorf("span %d sampled %v, want %v", i, sc.IsSampled(), sampled)
		}
		if i > 0 && sc.SpanID() == chain[i-1].SpanID() {
			t.Errorf("span %d shares its parent's span id", i)
		}
	}
	// Where the backend's ids name the parent, the OpenTracing span's is
	// the OpenTelemetry span.
	if n, ok := inst.Converter.ToNeutral(c.Context()); ok && n.ParentID != 0 && n.ParentID != propagation.FromOTel(chain[1]).SpanID {
		t.Errorf("the OpenTracing span has parent %x, want the OpenTelemetry span %v", n.ParentID, chain[1].SpanID())
	}

	// To another service: the OpenTelemetry propagator writes what the
	// OpenTracing Inject reads back, and a span started from what it
	// extracts continues the trace.
	if inst.Propagator == nil {
		t.Fatal("the instance has a TracerProvider but no Propagator")
	}
	h1 := http.Header{}
	inst.Propagator.Inject(ctx, otprop.HeaderCarrier(h1))
	if len(h1) == 0 {
		t.Fatal("the propagator wrote no header")
	}
	sc, err := tr.Extract(opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(h1))
	if err != nil {
		t.Fatalf("OpenTracing Extract of what the propagator wrote (%v): %v", h1, err)
	}
	if got := otelContext(t, inst.Converter, sc); got.TraceID() != chain[0].TraceID() || got.SpanID() != d.SpanContext().SpanID() {
		t.Errorf("extracted %v, want the span %v", got, d.SpanContext())
	}
	remote := inst.Propagator.Extract(context.Background(), otprop.HeaderCarrier(h1))
	_, e := otel.Start(remote, "otel-remote-child")
	defer e.End()
	if got := e.SpanContext(); got.TraceID() != chain[0].TraceID() || got.SpanID() == d.SpanContext().SpanID() {
		t.Errorf("a span started from the extracted context is %v, want a new span of trace %v", got, chain[0].TraceID())
	}
}

// otelContext is sc in OpenTelemetry's form, through the backend's
// Converter (which the suite's otel harness has too).
func otelContext(t *testing.T, conv propagation.Converter, sc opentracing.SpanContext) trace.SpanContext {
	t.Helper()
	if conv == nil {
		t.Skip("the harness's instances have no Converter")
	}
	n, ok := conv.ToNeutral(sc)
	if !ok {
		t.Fatalf("span context %T is not the backend's", sc)
	}
	return propagation.ToOTel(n)
}
