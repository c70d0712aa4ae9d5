package otel

import (
	"bytes"
	"context"
	"errors"
	"log"
	"net/http"
	"strings"
	"testing"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/polytrace/polytrace/tracer"
)

// byName indexes exported spans by name.
func byName(t *testing.T, spans tracetest.SpanStubs, names ...string) map[string]tracetest.SpanStub {
	t.Helper()
	m := map[string]tracetest.SpanStub{}
	for _, s := range spans {
		m[s.Name] = s
	}
	for _, n := range names {
		if _, ok := m[n]; !ok {
			t.Fatalf("no exported span %q among %d", n, len(spans))
		}
	}
	return m
}

func childOf(t *testing.T, spans map[string]tracetest.SpanStub, child, parent string) {
	t.Helper()
	c, p := spans[child], spans[parent]
	if c.Parent.SpanID() != p.SpanContext.SpanID() || c.SpanContext.TraceID() != p.SpanContext.TraceID() {
		t.Errorf("%s: parent %s in trace %s; want %s (%s) in trace %s", child, c.Parent.SpanID(), c.SpanContext.TraceID(),
			p.SpanContext.SpanID(), parent, p.SpanContext.TraceID())
	}
}

// unwrapper stands for polytrace.Tracer, which wraps a backend's tracer.
type unwrapper struct{ opentracing.Tracer }

func (u unwrapper) Unwrap() opentracing.Tracer { return u.Tracer }

// TestNesting checks the bridge's context links both ways: an OpenTracing
// span started from a context holding an OpenTelemetry span of the
// backend's TracerProvider is its child, and an OpenTelemetry span started
// from a context holding an OpenTracing span is its child.
func TestNesting(t *testing.T) {
	inst, mem := newRecorded(t, tracer.Config{}, Options{})
	tp, ok := TracerProvider(unwrapper{inst.Tracer})
	if !ok {
		t.Fatal("TracerProvider did not find the backend through Unwrap")
	}
	otelTracer := tp.Tracer("test")

	// OTel root → OT child → OTel grandchild → OT great-grandchild.
	ctx, otelRoot := otelTracer.Start(context.Background(), "otel-root")
	otChild, ctx := opentracing.StartSpanFromContextWithTracer(ctx, inst.Tracer, "ot-child")
	ctx, otelGrandchild := otelTracer.Start(ctx, "otel-grandchild")
	otGreat, _ := opentracing.StartSpanFromContextWithTracer(ctx, inst.Tracer, "ot-great-grandchild")
	otGreat.Finish()
	otelGrandchild.End()
	otChild.Finish()
	otelRoot.End()

	spans := byName(t, flushed(t, inst, mem), "otel-root", "ot-child", "otel-grandchild", "ot-great-grandchild")
	childOf(t, spans, "ot-child", "otel-root")
	childOf(t, spans, "otel-grandchild", "ot-child")
	childOf(t, spans, "ot-great-grandchild", "otel-grandchild")
	if spans["otel-root"].Parent.IsValid() {
		t.Error("otel-root has a parent")
	}
}

// TestNestingPlainProvider shows the trap TracerProvider avoids: a span of
// a plain OpenTelemetry TracerProvider is invisible to the OpenTracing
// API, whose span then starts a new trace.
func TestNestingPlainProvider(t *testing.T) {
	inst, mem := newRecorded(t, tracer.Config{}, Options{})
	plain := sdktrace.NewTracerProvider()
	defer plain.Shutdown(context.Background())
	ctx, foreign := plain.Tracer("x").Start(context.Background(), "foreign")
	span, _ := opentracing.StartSpanFromContextWithTracer(ctx, inst.Tracer, "ot")
	span.Finish()
	foreign.End()
	got := byName(t, flushed(t, inst, mem), "ot")["ot"]
	if got.Parent.IsValid() || got.SpanContext.TraceID() == foreign.SpanContext().TraceID() {
		t.Errorf("ot span: parent %v trace %v; the plain provider's span %v was expected to be invisible",
			got.Parent, got.SpanContext.TraceID(), foreign.SpanContext())
	}
}

func TestTracerProviderNotFound(t *testing.T) {
	for _, tr := range []opentracing.Tracer{nil, opentracing.NoopTracer{}, unwrapper{opentracing.NoopTracer{}}, unwrapper{}} {
		if tp, ok := TracerProvider(tr); ok || tp != nil {
			t.Errorf("TracerProvider(%T) = %v, %v", tr, tp, ok)
		}
	}
	var loop selfUnwrapper
	if _, ok := TracerProvider(loop); ok {
		t.Error("TracerProvider of an Unwrap cycle succeeded")
	}
}

type selfUnwrapper struct{ opentracing.NoopTracer }

func (s selfUnwrapper) Unwrap() opentracing.Tracer { return s }

func TestFollowsFrom(t *testing.T) {
	inst, mem := newRecorded(t, tracer.Config{}, Options{})
	tr := inst.Tracer
	a := tr.StartSpan("a")
	b := tr.StartSpan("b")
	follows := tr.StartSpan("follows", opentracing.FollowsFrom(a.Context()))
	both := tr.StartSpan("both", opentracing.FollowsFrom(a.Context()), opentracing.ChildOf(b.Context()))
	foreign := tr.StartSpan("foreign", opentracing.ChildOf(opentracing.NoopTracer{}.StartSpan("x").Context()), opentracing.FollowsFrom(b.Context()))
	for _, s := range []opentracing.Span{foreign, both, follows, b, a} {
		s.Finish()
	}
	spans := byName(t, flushed(t, inst, mem), "a", "b", "follows", "both", "foreign")
	childOf(t, spans, "follows", "a")
	childOf(t, spans, "both", "b")
	childOf(t, spans, "foreign", "b")
	if links := spans["both"].Links; len(links) != 1 || links[0].SpanContext.SpanID() != spans["a"].SpanContext.SpanID() {
		t.Errorf("both: links %+v, want one to a", links)
	}
}

// TestTags checks how OpenTracing tags arrive in OpenTelemetry spans.
func TestTags(t *testing.T) {
	var logs bytes.Buffer
	inst, mem := newRecorded(t, tracer.Config{}, Options{Logger: log.New(&logs, "", 0)})
	tr := inst.Tracer
	client := tr.StartSpan("client", ext.SpanKindRPCClient, opentracing.Tag{Key: "component", Value: "net/http"})
	ext.HTTPStatusCode.Set(client, 502)
	ext.Error.Set(client, true)
	client.SetTag("big", uint64(1)<<63)
	client.LogKV("event", "retry", "attempt", 1)
	client.Finish()
	late := tr.StartSpan("late")
	ext.SpanKindRPCServer.Set(late)
	ext.SpanKindRPCServer.Set(late)
	late.Finish()
	server := tr.StartSpan("server", opentracing.Tag{Key: "span.kind", Value: "SERVER"})
	server.Finish()

	spans := byName(t, flushed(t, inst, mem), "client", "late", "server")
	c := spans["client"]
	if c.SpanKind != trace.SpanKindClient || spans["server"].SpanKind != trace.SpanKindServer {
		t.Errorf("kinds %v, %v; want client, server", c.SpanKind, spans["server"].SpanKind)
	}
	if c.Status.Code != codes.Error {
		t.Errorf("status %v, want Error", c.Status)
	}
	attrs := attribute.NewSet(c.Attributes...)
	if v, _ := attrs.Value("http.status_code"); v.AsInt64() != 502 {
		t.Errorf("http.status_code = %v", v.Emit())
	}
	if v, _ := attrs.Value("big"); v.AsString() != "9223372036854775808" {
		t.Errorf("uint64 tag = %v", v.Emit())
	}
	if v, _ := attrs.Value("component"); v.AsString() != "net/http" {
		t.Errorf("component = %v", v.Emit())
	}
	if len(c.Events) != 1 || c.Events[0].Name != "retry" {
		t.Errorf("events %+v", c.Events)
	}
	if spans["late"].SpanKind != trace.SpanKindInternal {
		t.Errorf("late kind %v, want internal: a kind set after start is ignored", spans["late"].SpanKind)
	}
	if n := strings.Count(logs.String(), "span.kind set after the span started is ignored"); n != 1 {
		t.Errorf("log has %d warnings about span.kind, want 1:\n%s", n, logs.String())
	}
}

// TestBridgeWarningsLogged checks that the bridge's warnings reach the
// configured logger.
func TestBridgeWarningsLogged(t *testing.T) {
	var logs bytes.Buffer
	inst, mem := newRecorded(t, tracer.Config{}, Options{Logger: log.New(&logs, "", 0)})
	hook := inst.Tracer.(opentracing.TracerContextWithSpanExtension)
	ctx := hook.ContextWithSpanHook(context.Background(), opentracing.NoopTracer{}.StartSpan("foreign"))
	if ctx == nil {
		t.Fatal("nil context")
	}
	flushed(t, inst, mem)
	if !strings.Contains(logs.String(), "opentracing bridge: Encountered a foreign OpenTracing span") {
		t.Errorf("log %q, want the bridge's warning", logs.String())
	}
}

func TestPropagation(t *testing.T) {
	tests := []struct {
		name       string
		prop       propagation.TextMapPropagator
		wantFields []string
		noFields   []string
	}{
		{name: "default", wantFields: []string{"Traceparent", "Baggage"}},
		{name: "trace context only", prop: propagation.TraceContext{}, wantFields: []string{"Traceparent"}, noFields: []string{"Baggage"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inst, mem := newRecorded(t, tracer.Config{}, Options{Propagator: tt.prop})
			defer flushed(t, inst, mem)
			span := inst.Tracer.StartSpan("s").SetBaggageItem("tenant", "acme corp")
			h := http.Header{}
			if err := inst.Tracer.Inject(span.Context(), opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(h)); err != nil {
				t.Fatal(err)
			}
			for _, f := range tt.wantFields {
				if h.Get(f) == "" {
					t.Errorf("no %s header in %v", f, h)
				}
			}
			for _, f := range tt.noFields {
				if h.Get(f) != "" {
					t.Errorf("%s header in %v", f, h)
				}
			}
			otelSC, _ := SpanContext(span.Context())
			if want := "00-" + otelSC.TraceID().String() + "-" + otelSC.SpanID().String() + "-01"; h.Get("Traceparent") != want {
				t.Errorf("traceparent %q, want %q", h.Get("Traceparent"), want)
			}
		})
	}
}

func TestBinaryFormat(t *testing.T) {
	inst, mem := newRecorded(t, tracer.Config{}, Options{})
	defer flushed(t, inst, mem)
	tr := inst.Tracer
	span := tr.StartSpan("s").SetBaggageItem("k", "v")
	var buf bytes.Buffer
	if err := span.Tracer().Inject(span.Context(), opentracing.Binary, &buf); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(buf.String(), `{"baggage":"k=v","traceparent":"00-`) {
		t.Errorf("binary carrier %q", buf.String())
	}
	sc, err := tr.Extract(opentracing.Binary, &buf)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := SpanContext(span.Context())
	got, ok := SpanContext(sc)
	if !ok || got.TraceID() != want.TraceID() || got.SpanID() != want.SpanID() || !got.IsRemote() {
		t.Errorf("binary round trip gave %v, want %v", got, want)
	}
	bag := map[string]string{}
	sc.ForeachBaggageItem(func(k, v string) bool { bag[k] = v; return true })
	if bag["k"] != "v" {
		t.Errorf("baggage %v", bag)
	}
	if _, err := tr.Extract(opentracing.Binary, strings.NewReader("{not json")); !errors.Is(err, opentracing.ErrSpanContextCorrupted) {
		t.Errorf("garbage: %v, want ErrSpanContextCorrupted", err)
	}
	if _, err := tr.Extract(opentracing.Binary, strings.NewReader("")); !errors.Is(err, opentracing.ErrSpanContextNotFound) {
		t.Errorf("empty: %v, want ErrSpanContextNotFound", err)
	}
	if _, err := tr.Extract(opentracing.Binary, strings.NewReader(`{"other":"1"}`)); !errors.Is(err, opentracing.ErrSpanContextNotFound) {
		t.Errorf("no trace context: %v, want ErrSpanContextNotFound", err)
	}
	if err := tr.Inject(opentracing.NoopTracer{}.StartSpan("x").Context(), opentracing.Binary, &buf); !errors.Is(err, opentracing.ErrInvalidSpanContext) {
		t.Errorf("foreign context: %v, want ErrInvalidSpanContext", err)
	}
}

func TestSpanContext(t *testing.T) {
	inst, mem := newRecorded(t, tracer.Config{}, Options{})
	span := inst.Tracer.StartSpan("s")
	span.Finish()
	sc, ok := SpanContext(span.Context())
	spans := byName(t, flushed(t, inst, mem), "s")
	if !ok || sc.SpanID() != spans["s"].SpanContext.SpanID() || sc.TraceID() != spans["s"].SpanContext.TraceID() || !sc.IsSampled() || sc.IsRemote() {
		t.Errorf("SpanContext = %v, %v; exported %v", sc, ok, spans["s"].SpanContext)
	}
	if _, ok := SpanContext(opentracing.NoopTracer{}.StartSpan("x").Context()); ok {
		t.Error("SpanContext of a foreign context succeeded")
	}
	if _, ok := SpanContext(nil); ok {
		t.Error("SpanContext(nil) succeeded")
	}
}
