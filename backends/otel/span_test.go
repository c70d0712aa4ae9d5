package otel

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	"github.com/opentracing/opentracing-go/log"
	"github.com/opentracing/opentracing-go/mocktracer"
	otbridge "go.opentelemetry.io/otel/bridge/opentracing"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/polytrace/polytrace/tracer"
)

// custom is a start option classify does not read: the span goes through
// the bridge.
type custom struct{}

func (custom) Apply(*opentracing.StartSpanOptions) {}

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// inboundTrace is the trace of the inbound requests of the scenarios.
const inboundTrace = "4bf92f3577b34da6a3ce929d0e0e4736"

// scenario is what a test does with a tracer: spans through the
// OpenTracing API, and Inject's headers kept for comparison.
type scenario struct {
	tr      opentracing.Tracer
	headers []string // Inject's output, or its error
}

// inject writes span's context as HTTP headers and keeps them.
func (sc *scenario) inject(span opentracing.Span) {
	h := http.Header{}
	if err := sc.tr.Inject(span.Context(), opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(h)); err != nil {
		sc.headers = append(sc.headers, "error: "+err.Error())
		return
	}
	var lines []string
	for k, vs := range h {
		for _, v := range vs {
			if k == "Baggage" { // items in no particular order
				items := strings.Split(v, ",")
				sort.Strings(items)
				v = strings.Join(items, ",")
			}
			lines = append(lines, k+": "+v)
		}
	}
	sort.Strings(lines)
	sc.headers = append(sc.headers, strings.Join(lines, " | "))
}

// extract is Extract of HTTP headers that must hold a span context.
func (sc *scenario) extract(h http.Header) opentracing.SpanContext {
	c, err := sc.tr.Extract(opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(h))
	if err != nil {
		panic(err)
	}
	return c
}

func finishAt(s opentracing.Span, d time.Duration) {
	s.FinishWithOptions(opentracing.FinishOptions{FinishTime: t0.Add(d)})
}

// spanScenarios drive a tracer through the OpenTracing API; each must
// reach the exporter, and inject, the same through this backend as
// through the OpenTelemetry bridge on the same SDK configuration.
var spanScenarios = []struct {
	name string
	run  func(sc *scenario)
}{
	{"middleware server span", func(sc *scenario) {
		s := sc.tr.StartSpan("GET /users/:id", ext.SpanKindRPCServer, opentracing.Tag{Key: "component", Value: "gin"},
			opentracing.Tag{Key: "http.method", Value: "GET"}, opentracing.Tag{Key: "http.route", Value: "/users/:id"},
			opentracing.StartTime(t0))
		ext.HTTPUrl.Set(s, "/users/42?q=1")
		ext.PeerAddress.Set(s, "10.0.0.1:5678")
		ext.PeerHostIPv4.SetString(s, "10.0.0.1")
		s.SetTag("span.kind", "client") // ignored after the start
		s.LogFields(log.String("event", "error"), log.String("message", "db down"))
		ext.Error.Set(s, true)
		ext.HTTPStatusCode.Set(s, 503)
		sc.inject(s)
		finishAt(s, 3*time.Millisecond)
	}},
	{"middleware span with a uint16 status, not started at a given time", func(sc *scenario) {
		s := sc.tr.StartSpan("GET /", ext.SpanKindRPCServer, opentracing.Tag{Key: "component", Value: "gin"})
		ext.HTTPStatusCode.Set(s, uint16(200))
		s.Finish()
	}},
	{"client span with peer tags", func(sc *scenario) {
		s := sc.tr.StartSpan("call", opentracing.Tag{Key: "span.kind", Value: "CLIENT"},
			opentracing.Tags{"peer.service": "inventory", "peer.ipv4": "192.0.2.7", "peer.port": uint16(8080), "peer.hostname": "inv"},
			opentracing.StartTime(t0))
		sc.inject(s)
		finishAt(s, time.Second)
	}},
	{"kinds", func(sc *scenario) {
		for i, k := range []interface{}{ext.SpanKindProducerEnum, "consumer", "Server", ext.SpanKindEnum("CLIENT"), "batch", "", 7, nil} {
			s := sc.tr.StartSpan(fmt.Sprint("kind-", i), opentracing.Tag{Key: "span.kind", Value: k}, opentracing.StartTime(t0))
			finishAt(s, time.Millisecond)
		}
		s := sc.tr.StartSpan("kind-last-wins", ext.SpanKindRPCClient, opentracing.Tags{"x": 1}, ext.SpanKindConsumer, opentracing.StartTime(t0))
		finishAt(s, time.Millisecond)
	}},
	{"tag values and repeats", func(sc *scenario) {
		s := sc.tr.StartSpan("values",
			opentracing.Tags{"int": 1, "int8": int8(-8), "int16": int16(16), "int32": int32(3), "int64": int64(-2),
				"uint": uint(6), "uint8": uint8(8), "uint16": uint16(16), "uint32": uint32(4), "uint64": uint64(1 << 63),
				"float32": float32(0.1), "float64": 1.5, "bool": false, "string": "s", "empty": "", "nil": nil,
				"err": errors.New("boom"), "struct": struct{ A int }{1}, "bytes": []byte("b"), "kind enum": ext.SpanKindRPCServerEnum},
			opentracing.Tag{Key: "dup", Value: 1}, opentracing.Tag{Key: "dup", Value: "two"},
			opentracing.Tags{"dup": 2.5, "start dup": 1},
			opentracing.Tag{Key: "start dup", Value: "last"},
			opentracing.Tag{Key: "", Value: "empty key"},
			opentracing.StartTime(t0))
		s.SetTag("later", uint8(9))
		s.SetTag("dup", 3)
		s.SetTag("dup", true)
		s.SetTag("", "empty key later")
		s.SetOperationName("renamed")
		finishAt(s, time.Millisecond)
	}},
	{"error tags", func(sc *scenario) {
		for i, tags := range []opentracing.Tags{{"error": true}, {"error": "true"}, {"error": 1}, {"error": false}} {
			s := sc.tr.StartSpan(fmt.Sprint("error-start-", i), tags, opentracing.StartTime(t0))
			finishAt(s, time.Millisecond)
		}
		s := sc.tr.StartSpan("error-last-wins", opentracing.Tag{Key: "error", Value: true}, opentracing.Tag{Key: "error", Value: false}, opentracing.StartTime(t0))
		finishAt(s, time.Millisecond)
		s = sc.tr.StartSpan("error-later", opentracing.StartTime(t0))
		s.SetTag("error", "yes")
		s.SetTag("error", true)
		s.SetTag("error", false) // does not clear it
		finishAt(s, time.Millisecond)
	}},
	{"logs", func(sc *scenario) {
		s := sc.tr.StartSpan("logs", opentracing.StartTime(t0))
		s.LogFields(log.String("event", "retry"), log.Int("attempt", 2), log.Bool("ok", false), log.Float32("f", 0.5),
			log.Float64("g", 2.5), log.Int32("i32", 32), log.Int64("i64", 64), log.Uint32("u32", 32), log.Uint64("u64", 64),
			log.Error(errors.New("failed")), log.Object("obj", struct{ B string }{"b"}))
		s.LogFields(log.String("message", "no event"))
		s.LogFields(log.String("event", "first"), log.String("event", "second"))
		s.LogFields(log.String("event", "x"), log.String("event", ""))
		s.LogFields(log.Int("event", 7))
		s.LogFields()
		s.LogFields(log.Lazy(func(e log.Encoder) { e.EmitString("lazy", "yes"); e.EmitInt("n", 1) }))
		s.LogKV("event", "kv", "n", 1, "ok", true)
		s.LogKV("odd") // not pairs: dropped
		s.LogKV(1, 2)  // a key that is not a string: dropped
		s.LogEvent("legacy")
		s.LogEventWithPayload("legacy with payload", map[string]int{"a": 1})
		s.Log(opentracing.LogData{Timestamp: t0.Add(time.Minute), Event: "old", Payload: 3})
		s.FinishWithOptions(opentracing.FinishOptions{
			FinishTime: t0.Add(2 * time.Millisecond),
			LogRecords: []opentracing.LogRecord{
				{Timestamp: t0.Add(time.Millisecond), Fields: []log.Field{log.String("event", "finish log"), log.Int("attempt", 3)}},
				{Fields: []log.Field{log.String("untimed", "now")}},
			},
			BulkLogData: []opentracing.LogData{{Timestamp: t0.Add(1500 * time.Microsecond), Event: "bulk", Payload: "p"}},
		})
	}},
	{"finish without a finish time", func(sc *scenario) {
		s := sc.tr.StartSpan("finish logs", opentracing.StartTime(t0))
		s.FinishWithOptions(opentracing.FinishOptions{LogRecords: []opentracing.LogRecord{
			{Timestamp: t0.Add(time.Millisecond), Fields: []log.Field{log.String("event", "e")}},
		}})
	}},
	{"parent, children and references", func(sc *scenario) {
		p := sc.tr.StartSpan("parent", opentracing.StartTime(t0))
		c := sc.tr.StartSpan("child", opentracing.ChildOf(p.Context()), opentracing.StartTime(t0.Add(time.Microsecond)))
		f := sc.tr.StartSpan("follower", opentracing.FollowsFrom(c.Context()), opentracing.StartTime(t0.Add(2*time.Microsecond)))
		other := sc.tr.StartSpan("other root", opentracing.StartTime(t0))
		foreign := mocktracer.New().StartSpan("foreign").Context()
		m := sc.tr.StartSpan("many references",
			opentracing.FollowsFrom(other.Context()),
			opentracing.SpanReference{Type: opentracing.SpanReferenceType(9), ReferencedContext: p.Context()},
			opentracing.ChildOf(foreign),
			opentracing.ChildOf(f.Context()),
			opentracing.ChildOf(c.Context()),
			opentracing.FollowsFrom(p.Context()),
			opentracing.StartTime(t0))
		ff := sc.tr.StartSpan("follows first", opentracing.FollowsFrom(other.Context()), opentracing.FollowsFrom(p.Context()),
			opentracing.ChildOf(foreign), opentracing.StartTime(t0))
		only := sc.tr.StartSpan("only foreign", opentracing.ChildOf(foreign), opentracing.StartTime(t0))
		sc.inject(m)
		sc.inject(ff)
		for _, s := range []opentracing.Span{only, ff, m, other, f, c, p} {
			finishAt(s, time.Millisecond)
		}
	}},
	{"baggage", func(sc *scenario) {
		p := sc.tr.StartSpan("parent", opentracing.StartTime(t0))
		p.SetBaggageItem("user", "42").SetBaggageItem("bad key", "dropped").SetBaggageItem("plan", "free")
		p.SetBaggageItem("plan", "pro")
		c := sc.tr.StartSpan("child", opentracing.ChildOf(p.Context()), opentracing.StartTime(t0))
		c.SetBaggageItem("region", "eu")
		c.SetTag("seen", c.BaggageItem("user")+"/"+c.BaggageItem("region")+"/"+c.BaggageItem("bad key"))
		p.SetTag("seen", p.BaggageItem("region")+"/"+p.BaggageItem("plan"))
		var items []string
		c.Context().ForeachBaggageItem(func(k, v string) bool { items = append(items, k+"="+v); return true })
		sort.Strings(items)
		c.SetTag("items", strings.Join(items, ","))
		g := sc.tr.StartSpan("grandchild", opentracing.FollowsFrom(c.Context()), opentracing.StartTime(t0))
		sc.inject(p)
		sc.inject(c)
		sc.inject(g)
		for _, s := range []opentracing.Span{g, c, p} {
			finishAt(s, time.Millisecond)
		}
	}},
	{"inbound parent", func(sc *scenario) {
		h := http.Header{}
		h.Set("traceparent", "00-"+inboundTrace+"-00f067aa0ba902b7-01")
		h.Set("tracestate", "vendor=x")
		h.Set("baggage", "user=42;prop=1,tenant=acme")
		parent := sc.extract(h)
		s := sc.tr.StartSpan("GET /", ext.RPCServerOption(parent), opentracing.Tag{Key: "component", Value: "gin"}, opentracing.StartTime(t0))
		s.SetTag("user", s.BaggageItem("user"))
		c := sc.tr.StartSpan("db", opentracing.ChildOf(s.Context()), ext.SpanKindRPCClient, opentracing.StartTime(t0))
		sc.inject(s)
		sc.inject(c)
		finishAt(c, time.Millisecond)
		finishAt(s, 2*time.Millisecond)
		link := sc.tr.StartSpan("linked", opentracing.FollowsFrom(parent), opentracing.ChildOf(c.Context()), opentracing.StartTime(t0))
		finishAt(link, time.Millisecond)
	}},
	{"through the bridge and back", func(sc *scenario) {
		p := sc.tr.StartSpan("fast parent", opentracing.StartTime(t0))
		p.SetBaggageItem("k", "v")
		b := sc.tr.StartSpan("bridge child", custom{}, opentracing.ChildOf(p.Context()), opentracing.Tag{Key: "n", Value: 1}, opentracing.StartTime(t0))
		l := sc.tr.StartSpan("bridge follower", custom{}, opentracing.FollowsFrom(p.Context()), opentracing.StartTime(t0))
		c := sc.tr.StartSpan("fast grandchild", opentracing.ChildOf(b.Context()), opentracing.FollowsFrom(l.Context()), opentracing.StartTime(t0))
		c.SetTag("k", c.BaggageItem("k"))
		sc.inject(b)
		sc.inject(c)
		for _, s := range []opentracing.Span{c, l, b, p} {
			finishAt(s, time.Millisecond)
		}
	}},
	{"unsampled by the sampler", func(sc *scenario) {
		d := sc.tr.StartSpan("drop root", opentracing.StartTime(t0))
		d.SetTag("x", 1)
		c := sc.tr.StartSpan("child of dropped", opentracing.ChildOf(d.Context()), opentracing.StartTime(t0))
		sc.inject(d)
		sc.inject(c)
		finishAt(c, time.Millisecond)
		finishAt(d, time.Millisecond)
	}},
}

// dropNamed samples every span but those named "drop…", whatever the
// parent: a sampler the backend knows nothing of.
type dropNamed struct{}

func (dropNamed) ShouldSample(p sdktrace.SamplingParameters) sdktrace.SamplingResult {
	d := sdktrace.RecordAndSample
	if strings.HasPrefix(p.Name, "drop") {
		d = sdktrace.Drop
	}
	return sdktrace.SamplingResult{Decision: d, Tracestate: trace.SpanContextFromContext(p.ParentContext).TraceState()}
}

func (dropNamed) Description() string { return "dropNamed" }

// reportedSpans renders spans for comparison, with ids replaced by the
// names of the spans they stand for and times relative to t0 ("now" for
// times after before, which the SDK took from the clock).
func reportedSpans(spans tracetest.SpanStubs, headers []string, before time.Time) []string {
	names := map[string]string{}
	traces := map[string]string{}
	for _, s := range spans {
		names[s.SpanContext.SpanID().String()] = s.Name
		tid := s.SpanContext.TraceID().String()
		if n, ok := traces[tid]; !ok || s.Name < n {
			traces[tid] = s.Name
		}
	}
	// Spans that were not exported (dropped by the sampler, or remote)
	// are named after a span that refers to them.
	byName := slices.Clone(spans)
	sort.Slice(byName, func(i, j int) bool { return byName[i].Name < byName[j].Name })
	for _, s := range byName {
		if sid := s.Parent.SpanID().String(); s.Parent.IsValid() && names[sid] == "" {
			names[sid] = "parent of " + s.Name
		}
		for _, l := range s.Links {
			if sid := l.SpanContext.SpanID().String(); names[sid] == "" {
				names[sid] = "link of " + s.Name
			}
		}
	}
	id := func(sc trace.SpanContext) string {
		if !sc.IsValid() {
			return "none"
		}
		tr, ok := traces[sc.TraceID().String()]
		if !ok {
			tr = sc.TraceID().String()
		}
		sp, ok := names[sc.SpanID().String()]
		if !ok {
			sp = sc.SpanID().String()
		}
		return fmt.Sprintf("%s in trace of %s (flags %s, state %q, remote %v)", sp, tr, sc.TraceFlags(), sc.TraceState(), sc.IsRemote())
	}
	at := func(t time.Time) string {
		if t.After(before) {
			return "now"
		}
		return t.Sub(t0).String()
	}
	var out []string
	for _, s := range spans {
		attrs := make([]string, 0, len(s.Attributes))
		for _, a := range s.Attributes {
			attrs = append(attrs, fmt.Sprintf("%s=%s:%s", a.Key, a.Value.Type(), a.Value.Emit()))
		}
		sort.Strings(attrs)
		var events []string
		for _, e := range s.Events {
			ea := make([]string, 0, len(e.Attributes))
			for _, a := range e.Attributes {
				ea = append(ea, fmt.Sprintf("%s=%s:%s", a.Key, a.Value.Type(), a.Value.Emit()))
			}
			events = append(events, fmt.Sprintf("%q at %s %v dropped=%d", e.Name, at(e.Time), ea, e.DroppedAttributeCount))
		}
		var links []string
		for _, l := range s.Links {
			links = append(links, fmt.Sprintf("%s %v", id(l.SpanContext), l.Attributes))
		}
		out = append(out, fmt.Sprintf("%s kind=%s span=%s parent=%s start=%s end=%s status=%v attrs=%v dropped=%d events=%v dropped=%d links=%v dropped=%d children=%d scope=%s",
			s.Name, s.SpanKind, id(s.SpanContext), id(s.Parent), at(s.StartTime), at(s.EndTime), s.Status, attrs, s.DroppedAttributes,
			events, s.DroppedEvents, links, s.DroppedLinks, s.ChildSpanCount, s.InstrumentationScope.Name))
	}
	sort.Strings(out)
	// Injected ids, as names too.
	for _, h := range headers {
		for tid, n := range traces {
			h = strings.ReplaceAll(h, tid, "<trace of "+n+">")
		}
		for sid, n := range names {
			h = strings.ReplaceAll(h, sid, "<"+n+">")
		}
		out = append(out, "injected "+h)
	}
	return out
}

// referenceTracer is the OpenTelemetry bridge alone over an SDK set up as
// build sets it up, exporting to mem as spans end, with the one rule the
// backend adds to the bridge's (see otTracer.StartSpan): with no ChildOf
// reference, the first FollowsFrom one is the parent.
func referenceTracer(mem *tracetest.InMemoryExporter, sampler sdktrace.Sampler) opentracing.Tracer {
	provider := sdktrace.NewTracerProvider(sdktrace.WithSampler(sampler), sdktrace.WithSyncer(mem))
	bt := otbridge.NewBridgeTracer()
	bt.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	tp := otbridge.NewTracerProvider(bt, provider)
	bt.SetOpenTelemetryTracer(tp.Tracer(instrumentationName))
	return followsFromParent{bt}
}

// followsFromParent is a tracer whose spans with no ChildOf reference to
// a span context of the tracer are children of the first FollowsFrom one.
type followsFromParent struct{ *otbridge.BridgeTracer }

func (t followsFromParent) StartSpan(name string, opts ...opentracing.StartSpanOption) opentracing.Span {
	var so opentracing.StartSpanOptions
	for _, o := range opts {
		o.Apply(&so)
	}
	follows := -1
	for i, ref := range so.References {
		if _, ours := ref.ReferencedContext.(otelContext); !ours {
			continue
		}
		if ref.Type == opentracing.ChildOfRef {
			return t.BridgeTracer.StartSpan(name, opts...)
		}
		if ref.Type == opentracing.FollowsFromRef && follows < 0 {
			follows = i
		}
	}
	if follows >= 0 {
		refs := []opentracing.SpanReference{{Type: opentracing.ChildOfRef, ReferencedContext: so.References[follows].ReferencedContext}}
		refs = append(refs, so.References[:follows]...)
		so.References = append(refs, so.References[follows+1:]...)
	}
	return t.BridgeTracer.StartSpan(name, startOptions(so))
}

func TestSpansMatchBridge(t *testing.T) {
	samplers := []struct {
		name    string
		sampler sdktrace.Sampler // nil: the backend's default
	}{
		{"default sampler", nil},
		{"sampler of the program", dropNamed{}},
	}
	for _, smp := range samplers {
		for _, sc := range spanScenarios {
			t.Run(smp.name+"/"+sc.name, func(t *testing.T) {
				before := time.Now()
				inst, mem := newRecorded(t, tracer.Config{ServiceName: "svc"}, Options{Sampler: smp.sampler})
				ours := &scenario{tr: inst.Tracer}
				sc.run(ours)
				got := reportedSpans(flushed(t, inst, mem), ours.headers, before)

				sampler := smp.sampler
				if sampler == nil {
					sampler = sdktrace.ParentBased(sdktrace.AlwaysSample())
				}
				ref := tracetest.NewInMemoryExporter()
				theirs := &scenario{tr: referenceTracer(ref, sampler)}
				sc.run(theirs)
				want := reportedSpans(ref.GetSpans(), theirs.headers, before)

				if len(got) == 0 {
					t.Fatal("no span exported")
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("exported\n%s\nwant (the bridge)\n%s", join(got), join(want))
				}
			})
		}
	}
}

func join(lines []string) string {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString("  " + l + "\n")
	}
	return b.String()
}

// TestSampledSpansSkipTheBridge checks that spans started with plain
// options are sampledSpans, and the others the bridge's.
func TestSampledSpansSkipTheBridge(t *testing.T) {
	inst, mem := newRecorded(t, tracer.Config{}, Options{})
	tr := inst.Tracer
	p := tr.StartSpan("p", ext.SpanKindRPCServer, opentracing.Tags{"a": 1}, opentracing.StartTime(t0))
	if _, ok := p.(*sampledSpan); !ok {
		t.Errorf("a span with plain options is a %T", p)
	}
	if p.Tracer() != tr {
		t.Errorf("Tracer() = %v, want the backend's tracer", p.Tracer())
	}
	c := tr.StartSpan("c", opentracing.ChildOf(p.Context()), custom{})
	if _, ok := c.(*otSpan); !ok {
		t.Errorf("a span with an option of another type is a %T", c)
	}
	ctx := opentracing.ContextWithSpan(context.Background(), p)
	if got := trace.SpanFromContext(ctx).SpanContext(); !got.Equal(p.(*sampledSpan).ctx.SpanContext) {
		t.Errorf("the OpenTelemetry span of ContextWithSpan's context has context %v, want the span's", got)
	}
	if sc, ok := SpanContext(p.Context()); !ok || !sc.IsSampled() || sc.SpanID() != p.(*sampledSpan).ctx.SpanID() {
		t.Errorf("SpanContext = %v, %v", sc, ok)
	}
	c.Finish()
	p.Finish()
	if n := len(flushed(t, inst, mem)); n != 2 {
		t.Errorf("%d spans exported, want 2", n)
	}
}

func TestSampledServerSpanAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates, and sync.Pool drops buffers at random under it")
	}
	// The middleware's start options on a new trace.
	inst, _ := newRecorded(t, tracer.Config{ServiceName: "svc"}, Options{})
	opts := []opentracing.StartSpanOption{ext.SpanKindRPCServer, opentracing.Tag{Key: "component", Value: "gin"},
		opentracing.Tag{Key: "http.method", Value: "GET"}, opentracing.Tag{Key: "http.route", Value: "/users/:id"}}
	tests := []struct {
		name string
		tags int
		want float64 // the bridge took 23 and 27
	}{
		// The span, the SDK's span, its copies of the options and
		// attributes, the Go context it returns, and what the batcher
		// keeps of the ended span; nothing per start tag.
		{"started and finished", 0, 7},
		// One allocation when the SDK's attribute slice grows, none per
		// tag.
		{"with three tags set", 3, 8},
	}
	tags := []opentracing.Tag{{Key: "http.url", Value: "/users/42"}, {Key: "http.status_code", Value: uint16(200)},
		{Key: "peer.ipv4", Value: "192.0.2.1"}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			allocs := testing.AllocsPerRun(200, func() {
				s := inst.Tracer.StartSpan("GET /users/:id", opts...)
				for _, tag := range tags[:tt.tags] {
					tag.Set(s)
				}
				s.Finish()
			})
			if allocs > tt.want {
				t.Errorf("%v allocations, want at most %v", allocs, tt.want)
			}
		})
	}
}

// TestSampledSpanConcurrentUse sets tags, baggage and logs on one span
// from several goroutines (run with -race).
func TestSampledSpanConcurrentUse(t *testing.T) {
	inst, mem := newRecorded(t, tracer.Config{}, Options{})
	s := inst.Tracer.StartSpan("shared")
	const workers = 4
	done := make(chan struct{})
	for i := range workers {
		go func() {
			defer func() { done <- struct{}{} }()
			key := fmt.Sprint("k", i)
			s.SetTag(key, i)
			s.SetBaggageItem(key, "v")
			s.LogFields(log.Int(key, i))
			_ = s.BaggageItem(key)
		}()
	}
	for range workers {
		<-done
	}
	s.Finish()
	spans := flushed(t, inst, mem)
	if len(spans) != 1 || len(spans[0].Attributes) != workers || len(spans[0].Events) != workers {
		t.Fatalf("exported %+v, want one span with %d attributes and events", spans, workers)
	}
	n := 0
	s.Context().ForeachBaggageItem(func(string, string) bool { n++; return true })
	if n != workers {
		t.Errorf("%d baggage items, want %d", n, workers)
	}
}
