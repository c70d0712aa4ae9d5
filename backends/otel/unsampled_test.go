package otel

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	otlog "github.com/opentracing/opentracing-go/log"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/polytrace/polytrace/internal/sampling"
	"github.com/polytrace/polytrace/tracer"
)

// The inbound trace context of the tests' requests.
const (
	inTrace = "0af7651916cd43dd8448eb211c80319c"
	inSpan  = "b7ad6b7169203331"
)

// inbound returns request headers carrying a W3C trace context with the
// given trace flags, a trace state and baggage.
func inbound(flags string) http.Header {
	return http.Header{
		"Traceparent": {"00-" + inTrace + "-" + inSpan + "-" + flags},
		"Tracestate":  {"vendor=opaque"},
		"Baggage":     {"tenant=acme"},
	}
}

func extract(t *testing.T, tr opentracing.Tracer, h http.Header) opentracing.SpanContext {
	t.Helper()
	sc, err := tr.Extract(opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(h))
	if err != nil {
		t.Fatalf("Extract(%v): %v", h, err)
	}
	return sc
}

// general is a start option of a type classify does not know, which
// StartSpan applies as the bridge would; it applies nothing.
type general struct{}

func (general) Apply(*opentracing.StartSpanOptions) {}

func isLight(s opentracing.Span) bool {
	_, ok := s.(*lightSpan)
	return ok
}

// injected returns the HTTP headers tr injects for sc, with the span's
// own ids (and a new trace's id) replaced by placeholders, so that spans
// of random ids compare.
func injected(t *testing.T, tr opentracing.Tracer, sc opentracing.SpanContext) http.Header {
	t.Helper()
	h := http.Header{}
	if err := tr.Inject(sc, opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(h)); err != nil {
		t.Fatalf("Inject: %v", err)
	}
	c, ok := SpanContext(sc)
	if !ok {
		t.Fatalf("SpanContext(%T) not recognised", sc)
	}
	pairs := []string{c.SpanID().String(), "<span>"}
	if tid := c.TraceID().String(); tid != inTrace {
		pairs = append(pairs, tid, "<trace>")
	}
	r := strings.NewReplacer(pairs...)
	for _, vs := range h {
		for i := range vs {
			vs[i] = r.Replace(vs[i])
		}
	}
	return h
}

// TestUnsampledSpanMatchesBridge starts the same spans through a tracer
// that may take the light path and through one that cannot (it has the
// same sampler, given as a user's, which the backend knows nothing of),
// and compares what they propagate and export.
func TestUnsampledSpanMatchesBridge(t *testing.T) {
	configs := []struct {
		name string
		rate *float64
		same sdktrace.Sampler
	}{
		{"rate 0", tracer.Rate(0), sdktrace.ParentBased(sdktrace.TraceIDRatioBased(0))},
		{"rate 0.5", tracer.Rate(0.5), sdktrace.ParentBased(sdktrace.TraceIDRatioBased(0.5))},
		{"default sampler", nil, sdktrace.ParentBased(sdktrace.AlwaysSample())},
	}
	foreign := opentracing.NoopTracer{}.StartSpan("x").Context()
	parents := []struct {
		name  string
		flags string // of the inbound traceparent; "" for none
		refs  func(sc opentracing.SpanContext) []opentracing.StartSpanOption
	}{
		{"none", "", nil},
		{"unsampled", "00", func(sc opentracing.SpanContext) []opentracing.StartSpanOption {
			return []opentracing.StartSpanOption{opentracing.ChildOf(sc)}
		}},
		{"unsampled, random flag", "02", func(sc opentracing.SpanContext) []opentracing.StartSpanOption {
			return []opentracing.StartSpanOption{opentracing.ChildOf(sc)}
		}},
		{"sampled", "01", func(sc opentracing.SpanContext) []opentracing.StartSpanOption {
			return []opentracing.StartSpanOption{opentracing.ChildOf(sc)}
		}},
		{"unsampled, follows from", "00", func(sc opentracing.SpanContext) []opentracing.StartSpanOption {
			return []opentracing.StartSpanOption{opentracing.FollowsFrom(sc)}
		}},
		{"unsampled after a foreign parent", "00", func(sc opentracing.SpanContext) []opentracing.StartSpanOption {
			return []opentracing.StartSpanOption{opentracing.ChildOf(foreign), opentracing.FollowsFrom(sc)}
		}},
		{"sampled server", "01", func(sc opentracing.SpanContext) []opentracing.StartSpanOption {
			return []opentracing.StartSpanOption{ext.RPCServerOption(sc)}
		}},
		{"unsampled server", "00", func(sc opentracing.SpanContext) []opentracing.StartSpanOption {
			return []opentracing.StartSpanOption{ext.RPCServerOption(sc)}
		}},
	}
	for _, cfg := range configs {
		for _, p := range parents {
			for _, kind := range []string{"plain", "general"} {
				if cfg.rate != nil && *cfg.rate == 0.5 && p.flags == "" {
					continue // a new decision each time
				}
				t.Run(fmt.Sprintf("%s/%s/%s", cfg.name, p.name, kind), func(t *testing.T) {
					fastInst, fastMem := newRecorded(t, tracer.Config{SampleRate: cfg.rate}, Options{})
					slowInst, slowMem := newRecorded(t, tracer.Config{}, Options{Sampler: cfg.same})
					start := func(tr opentracing.Tracer) opentracing.Span {
						opts := []opentracing.StartSpanOption{ext.SpanKindRPCServer, opentracing.Tag{Key: "k", Value: "v"}}
						if p.refs != nil {
							opts = append(opts, p.refs(extract(t, tr, inbound(p.flags)))...)
						}
						if kind == "general" {
							opts = append(opts, general{})
						}
						return tr.StartSpan("op", opts...)
					}
					fast, slow := start(fastInst.Tracer), start(slowInst.Tracer)
					wantLight := (p.flags == "" && cfg.rate != nil && *cfg.rate == 0) || p.flags == "00" || p.flags == "02"
					if isLight(fast) != wantLight || isLight(slow) {
						t.Errorf("light: %v (want %v) and %v (want false)", isLight(fast), wantLight, isLight(slow))
					}
					if got, want := injected(t, fastInst.Tracer, fast.Context()), injected(t, slowInst.Tracer, slow.Context()); !reflect.DeepEqual(got, want) {
						t.Errorf("injected %v\nwant (bridge) %v", got, want)
					}
					fc, _ := SpanContext(fast.Context())
					sc, _ := SpanContext(slow.Context())
					if fc.IsSampled() != sc.IsSampled() || fc.IsRemote() || fc.TraceFlags() != sc.TraceFlags() || fc.TraceState().String() != sc.TraceState().String() {
						t.Errorf("span context %v, want like %v", fc, sc)
					}
					if fc.SpanID().String() == inSpan || !fc.SpanID().IsValid() {
						t.Errorf("span id %s: want a new one", fc.SpanID())
					}
					fast.Finish()
					slow.Finish()
					if got, want := len(flushed(t, fastInst, fastMem)), len(flushed(t, slowInst, slowMem)); got != want {
						t.Errorf("%d spans exported, want %d as through the bridge", got, want)
					}
				})
			}
		}
	}
}

// TestUserSamplerDecides: a sampler given in Options may sample a child of
// an unsampled parent, or a new trace at any rate; the SDK decides.
func TestUserSamplerDecides(t *testing.T) {
	inst, mem := newRecorded(t, tracer.Config{}, Options{Sampler: sdktrace.AlwaysSample()})
	tr := inst.Tracer
	sc := extract(t, tr, inbound("00"))
	if _, ok := sc.(lightContext); ok {
		t.Error("Extract gave a lightContext for a sampler that may sample its children")
	}
	child := tr.StartSpan("child", opentracing.ChildOf(sc))
	if isLight(child) {
		t.Fatal("child of an unsampled parent is light under AlwaysSample")
	}
	child.Finish()
	spans := flushed(t, inst, mem)
	if len(spans) != 1 || spans[0].SpanContext.TraceID().String() != inTrace || !spans[0].SpanContext.IsSampled() {
		t.Errorf("exported %v, want the sampled child in the inbound trace", spans)
	}
}

// TestUnsampledInject compares what Inject writes for a light span
// context with what the bridge writes for the same ids and baggage, for
// every format and kind of carrier.
func TestUnsampledInject(t *testing.T) {
	inst, mem := newRecorded(t, tracer.Config{SampleRate: tracer.Rate(0)}, Options{})
	defer flushed(t, inst, mem)
	tr := inst.Tracer.(*otTracer)
	span := tr.StartSpan("s").SetBaggageItem("tenant", "acme")
	c := span.Context().(lightContext)
	bridged := tr.bridgeContext(c)

	carriers := []struct {
		name    string
		format  interface{}
		carrier func() interface{}
	}{
		{"HTTPHeaders", opentracing.HTTPHeaders, func() interface{} { return opentracing.HTTPHeadersCarrier{} }},
		{"HTTPHeaders, TextMapCarrier", opentracing.HTTPHeaders, func() interface{} { return opentracing.TextMapCarrier{} }},
		{"TextMap, MapCarrier", opentracing.TextMap, func() interface{} { return propagation.MapCarrier{} }},
		{"TextMap, TextMapCarrier", opentracing.TextMap, func() interface{} { return opentracing.TextMapCarrier{} }},
		{"Binary", opentracing.Binary, func() interface{} { return &bytes.Buffer{} }},
		{"unknown format", "mine", func() interface{} { return opentracing.TextMapCarrier{} }},
		{"HTTPHeaders, not a carrier", opentracing.HTTPHeaders, func() interface{} { return "x" }},
		{"TextMap, not a carrier", opentracing.TextMap, func() interface{} { return 42 }},
		{"Binary, not a writer", opentracing.Binary, func() interface{} { return "x" }},
	}
	for _, tt := range carriers {
		t.Run(tt.name, func(t *testing.T) {
			got, want := tt.carrier(), tt.carrier()
			gotErr := tr.Inject(c, tt.format, got)
			wantErr := tr.Inject(bridged, tt.format, want)
			if !errors.Is(gotErr, wantErr) {
				t.Errorf("Inject: %v, want %v as the bridge", gotErr, wantErr)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Inject wrote %v, want %v as the bridge", got, want)
			}
		})
	}

	h := http.Header{}
	if err := tr.Inject(c, opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(h)); err != nil {
		t.Fatal(err)
	}
	if want := "00-" + c.TraceID().String() + "-" + c.SpanID().String() + "-00"; h.Get("Traceparent") != want || h.Get("Baggage") != "tenant=acme" {
		t.Errorf("headers %v, want traceparent %s and the baggage", h, want)
	}
}

// TestBridgeContext checks the conversion that lets the bridge use a
// light span context as a parent or a link.
func TestBridgeContext(t *testing.T) {
	light, lightMem := newRecorded(t, tracer.Config{SampleRate: tracer.Rate(0)}, Options{})
	defer flushed(t, light, lightMem)
	root := light.Tracer.StartSpan("root").SetBaggageItem("tenant", "acme")
	lc, _ := SpanContext(root.Context())

	// Another tracer, whose sampler the backend does not know, starts a
	// child; and one that samples links to it from a sampled span.
	user, userMem := newRecorded(t, tracer.Config{}, Options{Sampler: sdktrace.AlwaysSample()})
	child := user.Tracer.StartSpan("child", opentracing.ChildOf(root.Context()))
	if child.BaggageItem("tenant") != "acme" {
		t.Errorf("child baggage %q, want the parent's", child.BaggageItem("tenant"))
	}
	parent := user.Tracer.StartSpan("parent")
	linked := user.Tracer.StartSpan("linked", opentracing.FollowsFrom(root.Context()), opentracing.ChildOf(parent.Context()))
	for _, s := range []opentracing.Span{linked, parent, child} {
		s.Finish()
	}
	spans := byName(t, flushed(t, user, userMem), "child", "parent", "linked")
	if c := spans["child"]; c.Parent.SpanID() != lc.SpanID() || c.SpanContext.TraceID() != lc.TraceID() {
		t.Errorf("child: parent %s in trace %s, want %s in trace %s", c.Parent.SpanID(), c.SpanContext.TraceID(), lc.SpanID(), lc.TraceID())
	}
	childOf(t, spans, "linked", "parent")
	if links := spans["linked"].Links; len(links) != 1 || links[0].SpanContext.SpanID() != lc.SpanID() || links[0].SpanContext.TraceID() != lc.TraceID() {
		t.Errorf("linked: links %+v, want one to the light root %v", links, lc)
	}
}

// TestExtractUnsampled: an inbound unsampled context extracts as an
// lightContext, whose children are light spans of the inbound trace.
func TestExtractUnsampled(t *testing.T) {
	inst, mem := newRecorded(t, tracer.Config{}, Options{})
	defer flushed(t, inst, mem)
	tr := inst.Tracer
	for _, tt := range []struct {
		name    string
		format  interface{}
		carrier interface{}
		light   bool // a lightContext
	}{
		{"HTTPHeaders", opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(inbound("00")), true},
		{"HTTPHeaders, TextMapCarrier", opentracing.HTTPHeaders, opentracing.TextMapCarrier{"traceparent": "00-" + inTrace + "-" + inSpan + "-00", "tracestate": "vendor=opaque", "baggage": "tenant=acme"}, true},
		{"TextMap", opentracing.TextMap, propagation.MapCarrier{"traceparent": "00-" + inTrace + "-" + inSpan + "-00", "tracestate": "vendor=opaque", "baggage": "tenant=acme"}, true},
		{"Binary", opentracing.Binary, strings.NewReader(`{"traceparent":"00-` + inTrace + "-" + inSpan + `-00","tracestate":"vendor=opaque","baggage":"tenant=acme"}`), true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sc, err := tr.Extract(tt.format, tt.carrier)
			if err != nil {
				t.Fatal(err)
			}
			if _, light := sc.(lightContext); light != tt.light {
				t.Errorf("extracted a %T", sc)
			}
			got, ok := SpanContext(sc)
			if !ok || got.TraceID().String() != inTrace || got.SpanID().String() != inSpan || got.IsSampled() || !got.IsRemote() || got.TraceState().Get("vendor") != "opaque" {
				t.Errorf("extracted %v (%v)", got, ok)
			}
			child := tr.StartSpan("child", opentracing.ChildOf(sc))
			if !isLight(child) {
				t.Fatalf("child is a %T, want a light span", child)
			}
			cc, _ := SpanContext(child.Context())
			if cc.TraceID().String() != inTrace || cc.SpanID().String() == inSpan || cc.IsRemote() {
				t.Errorf("child context %v, want a new local span in trace %s", cc, inTrace)
			}
			want := http.Header{"Traceparent": {"00-" + inTrace + "-<span>-00"}, "Tracestate": {"vendor=opaque"}, "Baggage": {"tenant=acme"}}
			if h := injected(t, tr, child.Context()); !reflect.DeepEqual(h, want) {
				t.Errorf("child injects %v, want %v", h, want)
			}
		})
	}
	if _, err := tr.Extract(opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier{"Baggage": {"tenant=acme"}}); !errors.Is(err, opentracing.ErrSpanContextNotFound) {
		t.Errorf("no trace context: %v, want ErrSpanContextNotFound", err)
	}
	if _, err := tr.Extract(opentracing.HTTPHeaders, "x"); !errors.Is(err, opentracing.ErrInvalidCarrier) {
		t.Errorf("not a carrier: %v, want ErrInvalidCarrier", err)
	}
	if _, err := tr.Extract("mine", opentracing.TextMapCarrier{}); !errors.Is(err, opentracing.ErrUnsupportedFormat) {
		t.Errorf("unknown format: %v, want ErrUnsupportedFormat", err)
	}
}

// TestUnsampledChildren: children of a light span are light, in its trace,
// with the baggage it had when they started.
func TestUnsampledChildren(t *testing.T) {
	inst, mem := newRecorded(t, tracer.Config{SampleRate: tracer.Rate(0)}, Options{})
	tr := inst.Tracer
	root := tr.StartSpan("root").SetBaggageItem("tenant", "acme")
	rc, _ := SpanContext(root.Context())
	for _, tt := range []struct {
		name string
		opts []opentracing.StartSpanOption
	}{
		{"child of", []opentracing.StartSpanOption{opentracing.ChildOf(root.Context())}},
		{"follows from", []opentracing.StartSpanOption{opentracing.FollowsFrom(root.Context())}},
		{"general options", []opentracing.StartSpanOption{opentracing.ChildOf(root.Context()), general{}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			child := tr.StartSpan("child", tt.opts...)
			if !isLight(child) {
				t.Fatalf("child is a %T, want a light span", child)
			}
			cc, _ := SpanContext(child.Context())
			if cc.TraceID() != rc.TraceID() || cc.SpanID() == rc.SpanID() || cc.IsSampled() {
				t.Errorf("child %v of root %v", cc, rc)
			}
			if child.BaggageItem("tenant") != "acme" {
				t.Errorf("child baggage %q, want the root's", child.BaggageItem("tenant"))
			}
		})
	}
	before := tr.StartSpan("before", opentracing.ChildOf(root.Context()))
	root.SetBaggageItem("late", "1")
	if before.BaggageItem("late") != "" {
		t.Error("baggage set on the parent after a child started reached the child")
	}
	ctx := opentracing.ContextWithSpan(context.Background(), root)
	grandchild, _ := opentracing.StartSpanFromContextWithTracer(ctx, tr, "from context")
	if gc, _ := SpanContext(grandchild.Context()); !isLight(grandchild) || gc.TraceID() != rc.TraceID() || grandchild.BaggageItem("late") != "1" {
		t.Errorf("span started from the context: %T %v baggage %q", grandchild, gc, grandchild.BaggageItem("late"))
	}
	if n := len(flushed(t, inst, mem)); n != 0 {
		t.Errorf("%d spans exported, want none", n)
	}
}

// TestUnsampledBaggage compares SetBaggageItem and BaggageItem of a light
// span with a bridge span's. A light span's context is a snapshot, as
// jaeger-client-go's and lightstep-tracer-go's are: the bridge's, updated
// in place, is the exception, so the context is taken after the items
// are set.
func TestUnsampledBaggage(t *testing.T) {
	inst, mem := newRecorded(t, tracer.Config{}, Options{})
	defer flushed(t, inst, mem)
	tr := inst.Tracer
	light := tr.StartSpan("light", opentracing.ChildOf(extract(t, tr, inbound("00"))))
	bridged := tr.StartSpan("bridged")
	if !isLight(light) || isLight(bridged) {
		t.Fatalf("spans %T and %T", light, bridged)
	}
	items := map[string]string{"tenant": "t2", "user id": "7", "plan": "gold, silver", "empty": ""}
	got := map[opentracing.Span]map[string]string{}
	for _, s := range []opentracing.Span{light, bridged} {
		for k, v := range items {
			s.SetBaggageItem(k, v)
		}
		sc := s.Context()
		m := map[string]string{}
		sc.ForeachBaggageItem(func(k, v string) bool { m[k] = v; return true })
		got[s] = m
	}
	if !reflect.DeepEqual(got[light], got[bridged]) || got[light]["tenant"] != "t2" {
		t.Errorf("light span baggage %v, want %v as the bridge's", got[light], got[bridged])
	}
	for k := range items {
		if light.BaggageItem(k) != bridged.BaggageItem(k) {
			t.Errorf("BaggageItem(%q) = %q, bridge %q", k, light.BaggageItem(k), bridged.BaggageItem(k))
		}
	}
}

// TestUnsampledContextWithSpan: a Go context holding a light span holds a
// non-recording OpenTelemetry span with its context, so that spans started
// from it through the OpenTelemetry API join the trace, unsampled, and
// OpenTracing spans started from theirs are light in turn.
func TestUnsampledContextWithSpan(t *testing.T) {
	inst, mem := newRecorded(t, tracer.Config{SampleRate: tracer.Rate(0)}, Options{})
	tp, _ := TracerProvider(inst.Tracer)
	span := inst.Tracer.StartSpan("ot").SetBaggageItem("tenant", "acme")
	sc, _ := SpanContext(span.Context())
	ctx := opentracing.ContextWithSpan(context.Background(), span)
	if opentracing.SpanFromContext(ctx) != span {
		t.Error("SpanFromContext does not give the span back")
	}
	otelSpan := trace.SpanFromContext(ctx)
	if otelSpan.IsRecording() || !otelSpan.SpanContext().Equal(sc) {
		t.Errorf("OpenTelemetry span in the context: recording %v, context %v; want non-recording %v", otelSpan.IsRecording(), otelSpan.SpanContext(), sc)
	}
	if otelSpan.TracerProvider() != tp {
		t.Errorf("its TracerProvider is %T, want the backend's", otelSpan.TracerProvider())
	}
	octx, otelChild := tp.Tracer("test").Start(ctx, "otel")
	if oc := otelChild.SpanContext(); oc.TraceID() != sc.TraceID() || oc.IsSampled() || oc.SpanID() == sc.SpanID() {
		t.Errorf("OpenTelemetry child %v of %v", oc, sc)
	}
	grandchild, _ := opentracing.StartSpanFromContextWithTracer(octx, inst.Tracer, "ot-grandchild")
	if gc, _ := SpanContext(grandchild.Context()); !isLight(grandchild) || gc.TraceID() != sc.TraceID() || grandchild.BaggageItem("tenant") != "acme" {
		t.Errorf("grandchild %T %v, baggage %q", grandchild, gc, grandchild.BaggageItem("tenant"))
	}
	grandchild.Finish()
	otelChild.End()
	span.Finish()
	if n := len(flushed(t, inst, mem)); n != 0 {
		t.Errorf("%d spans exported, want none", n)
	}
}

// TestUnsampledSpanDropsEverything: a light span is not recorded (the
// middleware skips its tags), not counted, and not exported; its Tracer
// is the backend's.
func TestUnsampledSpanDropsEverything(t *testing.T) {
	inst, mem := newRecorded(t, tracer.Config{SampleRate: tracer.Rate(0)}, Options{})
	tr := inst.Tracer
	span := tr.StartSpan("root", opentracing.Tag{Key: "k", Value: "v"})
	if !isLight(span) {
		t.Fatalf("root span is a %T, want a light span", span)
	}
	if sampling.Recorded(span) {
		t.Error("sampling.Recorded(light span) = true")
	}
	if span.Tracer() != tr {
		t.Errorf("Tracer() = %T, want the backend's tracer", span.Tracer())
	}
	span.SetOperationName("renamed").SetTag("error", true)
	span.LogFields(otlog.String("event", "x"))
	span.LogKV("event", "y")
	span.FinishWithOptions(opentracing.FinishOptions{FinishTime: time.Now()})
	span.Finish()
	// One span of a sampled trace, to show that those are counted.
	sampled := tr.StartSpan("sampled", opentracing.ChildOf(extract(t, tr, inbound("01"))))
	if !sampling.Recorded(sampled) {
		t.Error("sampling.Recorded(sampled span) = false")
	}
	sampled.Finish()
	spans := flushed(t, inst, mem)
	if st := inst.Stats(); st.SpansStarted != 1 || st.SpansFinished != 1 {
		t.Errorf("Stats = %s, want the sampled span only", st)
	}
	if len(spans) != 1 || spans[0].Name != "sampled" {
		t.Errorf("exported %v, want the sampled span only", spans)
	}
}

// TestUnsampledSpanConcurrent is for the race detector: a light span's
// baggage is set while other goroutines read it, inject its context and
// start children.
func TestUnsampledSpanConcurrent(t *testing.T) {
	inst, mem := newRecorded(t, tracer.Config{SampleRate: tracer.Rate(0)}, Options{})
	defer flushed(t, inst, mem)
	tr := inst.Tracer
	span := tr.StartSpan("root")
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 50 {
				span.SetBaggageItem(fmt.Sprintf("k%d", i), fmt.Sprint(j))
				_ = span.BaggageItem("k0")
				_ = tr.Inject(span.Context(), opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier{})
				tr.StartSpan("child", opentracing.ChildOf(span.Context())).Finish()
				opentracing.ContextWithSpan(context.Background(), span)
			}
		}()
	}
	wg.Wait()
	for i := range 4 {
		if span.BaggageItem(fmt.Sprintf("k%d", i)) != "49" {
			t.Errorf("k%d = %q, want 49", i, span.BaggageItem(fmt.Sprintf("k%d", i)))
		}
	}
}

// TestUnsampledAllocations: starting and finishing a light span with the
// middleware's options allocates the span only, a request without a trace
// context costs Extract nothing, and an unsampled one what the propagator
// allocates plus the span context.
func TestUnsampledAllocations(t *testing.T) {
	inst, mem := newRecorded(t, tracer.Config{SampleRate: tracer.Rate(0)}, Options{})
	defer flushed(t, inst, mem)
	tr := inst.Tracer
	// The options ginmw starts a server span with.
	opts := []opentracing.StartSpanOption{ext.SpanKindRPCServer,
		opentracing.Tag{Key: string(ext.Component), Value: "gin"},
		opentracing.Tag{Key: string(ext.HTTPMethod), Value: "GET"},
		opentracing.Tag{Key: "http.route", Value: "/users/:id"}}
	parent := tr.StartSpan("parent")
	childOpts := append(opts[:len(opts):len(opts)], opentracing.ChildOf(parent.Context()))
	plain := opentracing.HTTPHeadersCarrier{"User-Agent": {"test"}, "Accept": {"*/*"}}
	unsampled := opentracing.HTTPHeadersCarrier{"User-Agent": {"test"}, "Traceparent": {"00-" + inTrace + "-" + inSpan + "-00"}}
	for _, tt := range []struct {
		name string
		run  func()
		want float64
	}{
		{"root", func() {
			s := tr.StartSpan("GET /users/:id", opts...)
			s.SetTag("http.status_code", 200)
			s.Finish()
		}, 1},
		{"child", func() { tr.StartSpan("GET /users/:id", childOpts...).Finish() }, 1},
		{"extract, no trace context", func() { _, _ = tr.Extract(opentracing.HTTPHeaders, plain) }, 0},
		// The span context.
		{"extract, unsampled", func() { _, _ = tr.Extract(opentracing.HTTPHeaders, unsampled) }, 1},
	} {
		if n := testing.AllocsPerRun(100, tt.run); n != tt.want {
			t.Errorf("%s: %v allocations, want %v", tt.name, n, tt.want)
		}
	}
}

// TestOpenTelemetryAPILightSpans: a span started through the backend's
// TracerProvider whose trace is known not to be sampled is the backend's
// light span, as an OpenTracing span would be; the others are the SDK's,
// through the bridge.
func TestOpenTelemetryAPILightSpans(t *testing.T) {
	remote := func(flags trace.TraceFlags) context.Context {
		tid, _ := trace.TraceIDFromHex(inTrace)
		sid, _ := trace.SpanIDFromHex(inSpan)
		return trace.ContextWithRemoteSpanContext(context.Background(),
			trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: flags, Remote: true}))
	}
	for _, tt := range []struct {
		name      string
		rate      float64
		ctx       context.Context
		opts      []trace.SpanStartOption
		light     bool
		sameTrace bool
	}{
		{"root at rate 0", 0, context.Background(), nil, true, false},
		{"root at rate 1", 1, context.Background(), nil, false, false},
		{"child of an unsampled remote parent", 1, remote(0), []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindServer)}, true, true},
		{"new root despite an unsampled parent", 1, remote(0), []trace.SpanStartOption{trace.WithNewRoot()}, false, false},
		{"child of a sampled remote parent at rate 0", 0, remote(trace.FlagsSampled), nil, false, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			inst, mem := newRecorded(t, tracer.Config{SampleRate: tracer.Rate(tt.rate)}, Options{})
			ctx, span := inst.TracerProvider.Tracer("test").Start(tt.ctx, "op", tt.opts...)
			_, light := span.(*lightSpan)
			if light != tt.light || span.IsRecording() == tt.light {
				t.Errorf("span %T recording %v, want light %v", span, span.IsRecording(), tt.light)
			}
			if sameTrace := span.SpanContext().TraceID().String() == inTrace; sameTrace != tt.sameTrace {
				t.Errorf("trace %s, want the parent's: %v", span.SpanContext().TraceID(), tt.sameTrace)
			}
			if trace.SpanFromContext(ctx) != span {
				t.Error("the context does not hold the span")
			}
			child, _ := opentracing.StartSpanFromContextWithTracer(ctx, inst.Tracer, "ot child")
			if cc, _ := SpanContext(child.Context()); cc.TraceID() != span.SpanContext().TraceID() || isLight(child) != tt.light {
				t.Errorf("OpenTracing child %T in trace %s, want light %v in %s", child, cc.TraceID(), tt.light, span.SpanContext().TraceID())
			}
			child.Finish()
			span.End()
			want := 2
			if tt.light {
				want = 0
			}
			if n := len(flushed(t, inst, mem)); n != want {
				t.Errorf("%d spans exported, want %d", n, want)
			}
		})
	}
}
