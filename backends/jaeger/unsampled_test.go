package jaeger_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	"github.com/opentracing/opentracing-go/mocktracer"
	jaegerclient "github.com/uber/jaeger-client-go"
	"github.com/uber/jaeger-lib/metrics"

	"github.com/polytrace/polytrace/backends/jaeger"
	"github.com/polytrace/polytrace/internal/sampling"
	"github.com/polytrace/polytrace/tracer"
)

// spanSender keeps the spans the client reports.
type spanSender struct {
	mu    sync.Mutex
	spans []*jaegerclient.Span
}

func (s *spanSender) Append(span *jaegerclient.Span) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.spans = append(s.spans, span)
	return 0, nil
}

func (s *spanSender) Flush() (int, error) { return 0, nil }
func (s *spanSender) Close() error        { return nil }

func (s *spanSender) reported() []*jaegerclient.Span {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*jaegerclient.Span(nil), s.spans...)
}

// newTracer builds the backend's tracer at rate (nil: unset) with env as
// its JAEGER_* settings. clientOnly sets Options.Metrics, which sends
// every span through jaeger-client-go: the reference the unsampled path
// is compared with.
func newTracer(t *testing.T, rate *float64, env map[string]string, clientOnly bool) (opentracing.Tracer, *spanSender) {
	tr, sender, _ := newInstance(t, rate, env, clientOnly)
	return tr, sender
}

// newInstance is newTracer, with a function that flushes the tracer.
func newInstance(t *testing.T, rate *float64, env map[string]string, clientOnly bool) (opentracing.Tracer, *spanSender, func()) {
	t.Helper()
	cfg := tracer.Config{ServiceName: "svc", SampleRate: rate, Lookup: tracer.MapLookup(env)}
	o, err := jaeger.OptionsFromConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	sender := &spanSender{}
	o.Sender = sender
	if clientOnly {
		o.Metrics = metrics.NullFactory
	}
	inst, err := jaeger.New(cfg, o)
	if err != nil {
		t.Fatal(err)
	}
	flush := func() {
		if err := inst.Shutdown(context.Background()); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	}
	t.Cleanup(func() { _ = inst.Shutdown(context.Background()) })
	return inst.Tracer, sender, flush
}

// inbound returns a context extracted from an uber-trace-id header with
// the given flags, and one baggage item.
func inbound(t *testing.T, tr opentracing.Tracer, flags string) opentracing.SpanContext {
	t.Helper()
	h := opentracing.HTTPHeadersCarrier{}
	h.Set("uber-trace-id", "00000000000000a1000000000000b0b1:00000000000000b2:0:"+flags)
	h.Set("uberctx-tenant", "acme")
	sc, err := tr.Extract(opentracing.HTTPHeaders, h)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// wire is what Inject writes for sc: the uber-trace-id fields and the
// baggage headers.
type wire struct {
	traceID, spanID, parentID, flags string
	baggage                          string
}

func injected(t *testing.T, tr opentracing.Tracer, sc opentracing.SpanContext) wire {
	t.Helper()
	m := opentracing.TextMapCarrier{}
	if err := tr.Inject(sc, opentracing.TextMap, m); err != nil {
		t.Fatal(err)
	}
	f := strings.Split(m["uber-trace-id"], ":")
	if len(f) != 4 {
		t.Fatalf("uber-trace-id %q", m["uber-trace-id"])
	}
	var bag []string
	for k, v := range m {
		if strings.HasPrefix(k, "uberctx-") {
			bag = append(bag, k+"="+v)
		}
	}
	if len(bag) > 1 {
		t.Fatalf("more baggage than expected: %v", bag)
	}
	return wire{f[0], f[1], f[2], f[3], strings.Join(bag, ",")}
}

func TestUnsampledSpansMatchTheClient(t *testing.T) {
	// Each case starts a span on the backend's tracer and on one that sends
	// every span through jaeger-client-go, with the same parent: the span
	// takes the unsampled path (or not) as wanted, and what Inject writes
	// for it is what the client writes, but for the new span id.
	serverOpts := []opentracing.StartSpanOption{ext.SpanKindRPCServer, opentracing.Tag{Key: "component", Value: "gin"}}
	tests := []struct {
		name      string
		rate      *float64
		env       map[string]string
		parent    func(t *testing.T, tr opentracing.Tracer) []opentracing.StartSpanOption
		wantLight bool
		selfRef   bool // the options give the span's own ids
	}{
		{"root, rate 0", tracer.Rate(0), nil, nil, true, false},
		{"root, jaeger const 0", nil, map[string]string{"JAEGER_SAMPLER_TYPE": "const", "JAEGER_SAMPLER_PARAM": "0"}, nil, true, false},
		{"root, 128-bit ids", tracer.Rate(0), map[string]string{"JAEGER_TRACEID_128BIT": "true"}, nil, true, false},
		{"root, rate 1", tracer.Rate(1), nil, nil, false, false},
		{"root, rate 0.5: the client's sampler decides", tracer.Rate(0.5), nil, nil, false, false},
		{"child of an unsampled inbound context", tracer.Rate(1), nil, func(t *testing.T, tr opentracing.Tracer) []opentracing.StartSpanOption {
			return []opentracing.StartSpanOption{opentracing.ChildOf(inbound(t, tr, "0"))}
		}, true, false},
		{"follows an unsampled inbound context", tracer.Rate(1), nil, func(t *testing.T, tr opentracing.Tracer) []opentracing.StartSpanOption {
			return []opentracing.StartSpanOption{opentracing.FollowsFrom(inbound(t, tr, "0"))}
		}, true, false},
		{"child of a sampled inbound context", tracer.Rate(0), nil, func(t *testing.T, tr opentracing.Tracer) []opentracing.StartSpanOption {
			return []opentracing.StartSpanOption{opentracing.ChildOf(inbound(t, tr, "1"))}
		}, false, false},
		{"child of a debug inbound context", tracer.Rate(0), nil, func(t *testing.T, tr opentracing.Tracer) []opentracing.StartSpanOption {
			return []opentracing.StartSpanOption{opentracing.ChildOf(inbound(t, tr, "3"))}
		}, false, false},
		{"child of an unsampled local span", tracer.Rate(0), nil, func(t *testing.T, tr opentracing.Tracer) []opentracing.StartSpanOption {
			parent := tr.StartSpan("parent")
			parent.SetBaggageItem("tenant", "acme")
			return []opentracing.StartSpanOption{opentracing.ChildOf(parent.Context())}
		}, true, false},
		{"remote sampler: an inbound decision goes to the client", nil, map[string]string{"JAEGER_SAMPLER_TYPE": "remote", "JAEGER_SAMPLING_ENDPOINT": "http://127.0.0.1:1/sampling"},
			func(t *testing.T, tr opentracing.Tracer) []opentracing.StartSpanOption {
				return []opentracing.StartSpanOption{opentracing.ChildOf(inbound(t, tr, "0"))}
			}, false, false},
		{"a reference to another tracer's context is ignored", tracer.Rate(0), nil, func(t *testing.T, tr opentracing.Tracer) []opentracing.StartSpanOption {
			return []opentracing.StartSpanOption{opentracing.ChildOf(mocktracer.New().StartSpan("x").Context())}
		}, true, false},
		{"a debug id alone goes to the client", tracer.Rate(0), nil, func(t *testing.T, tr opentracing.Tracer) []opentracing.StartSpanOption {
			h := opentracing.HTTPHeadersCarrier{}
			h.Set("jaeger-debug-id", "ticket-1")
			sc, err := tr.Extract(opentracing.HTTPHeaders, h)
			if err != nil {
				t.Fatal(err)
			}
			return []opentracing.StartSpanOption{opentracing.ChildOf(sc)}
		}, false, false},
		{"the client's own options go to the client", tracer.Rate(0), nil, func(t *testing.T, tr opentracing.Tracer) []opentracing.StartSpanOption {
			self := jaegerclient.NewSpanContext(jaegerclient.TraceID{Low: 7}, 8, 0, false, nil)
			return []opentracing.StartSpanOption{jaegerclient.SelfRef(self)}
		}, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ours, _ := newTracer(t, tt.rate, tt.env, false)
			ref, _ := newTracer(t, tt.rate, tt.env, true)
			// start starts the span on tr, and returns what Inject writes
			// for its jaeger-client-go parent, if any.
			start := func(tr opentracing.Tracer) (opentracing.Span, *wire) {
				opts := append([]opentracing.StartSpanOption(nil), serverOpts...)
				var parent *wire
				if tt.parent != nil {
					refs := tt.parent(t, tr)
					for _, o := range refs {
						if ref, ok := o.(opentracing.SpanReference); ok {
							if sc, ok := ref.ReferencedContext.(jaegerclient.SpanContext); ok && sc.IsValid() {
								w := injected(t, tr, sc)
								parent = &w
							}
						}
					}
					opts = append(opts, refs...)
				}
				return tr.StartSpan("GET /users/:id", opts...), parent
			}
			got, gotParent := start(ours)
			want, wantParent := start(ref)
			defer got.Finish()
			defer want.Finish()

			if _, isClient := got.(*jaegerclient.Span); isClient == tt.wantLight {
				t.Fatalf("span is %T: unsampled path taken = %v, want %v", got, !isClient, tt.wantLight)
			}
			if _, isClient := want.(*jaegerclient.Span); !isClient {
				t.Fatalf("with metrics on, span is %T, want a client span", want)
			}
			if _, isClient := got.(*jaegerclient.Span); !isClient && got.Tracer() != ours {
				t.Errorf("span.Tracer() = %T, want the backend's tracer", got.Tracer())
			}
			if tt.rate != nil && *tt.rate == 0.5 {
				return // the two samplers decided on different random ids
			}
			if sampling.Recorded(got) != sampling.Recorded(want) {
				t.Errorf("sampling.Recorded = %v, client span's %v", sampling.Recorded(got), sampling.Recorded(want))
			}
			g, w := injected(t, ours, got.Context()), injected(t, ref, want.Context())
			// Ids that are random, or the parent's, are compared as such.
			g, w = relative(g, gotParent), relative(w, wantParent)
			if isRoot(g) && isRoot(w) {
				// New traces: random ids of the same width.
				if len(g.traceID) != len(w.traceID) {
					t.Errorf("trace id %q, client's %q: not the same width", g.traceID, w.traceID)
				}
				g.traceID, w.traceID = "new", "new"
			}
			if g.spanID == "" || strings.Trim(g.spanID, "0") == "" {
				t.Errorf("span id %q: want a non-zero one", g.spanID)
			}
			if g.spanID != w.spanID || !tt.selfRef {
				g.spanID, w.spanID = "new", "new"
			}
			if g != w {
				t.Errorf("Inject wrote %+v, the client %+v (span ids aside)", g, w)
			}
		})
	}
}

// relative returns w with the ids of parent, when not nil, replaced by
// their role.
func relative(w wire, parent *wire) wire {
	if parent == nil {
		return w
	}
	if w.traceID == parent.traceID {
		w.traceID = "parent's trace"
	}
	if w.parentID == parent.spanID {
		w.parentID = "parent's span"
	}
	return w
}

// isRoot reports whether w is the context of a new trace's first span.
func isRoot(w wire) bool { return strings.Trim(w.parentID, "0") == "" }

func TestUnsampledSpanBaggage(t *testing.T) {
	tr, sender, flush := newInstance(t, tracer.Rate(0), nil, false)
	root := tr.StartSpan("root")
	root.SetBaggageItem("tenant", "acme")
	root.SetBaggageItem("tenant", "globex") // replaced, not added
	if got := root.BaggageItem("tenant"); got != "globex" {
		t.Errorf("BaggageItem = %q, want globex", got)
	}
	child := tr.StartSpan("child", opentracing.ChildOf(root.Context()))
	if got := child.BaggageItem("tenant"); got != "globex" {
		t.Errorf("child's BaggageItem = %q, want globex (inherited)", got)
	}
	child.SetBaggageItem("user", "7")
	if got := root.BaggageItem("user"); got != "" {
		t.Errorf("the child's baggage leaked to the parent: %q", got)
	}
	m := opentracing.TextMapCarrier{}
	if err := tr.Inject(child.Context(), opentracing.TextMap, m); err != nil {
		t.Fatal(err)
	}
	if m["uberctx-tenant"] != "globex" || m["uberctx-user"] != "7" {
		t.Errorf("Inject wrote %v, want uberctx-tenant=globex and uberctx-user=7", m)
	}
	child.Finish()
	root.Finish()
	flush()
	if n := len(sender.reported()); n != 0 {
		t.Errorf("%d unsampled spans reported, want 0", n)
	}
}

func TestUnsampledSpanSampledByPriority(t *testing.T) {
	// sampling.priority samples the span as the client would: reported with
	// its start time, name and parent, debug, with the tags set from then on.
	tr, sender, flush := newInstance(t, tracer.Rate(1), nil, false)
	parent := inbound(t, tr, "0")
	start := time.Now().Add(-time.Second)
	span := tr.StartSpan("GET /x", opentracing.ChildOf(parent), opentracing.StartTime(start), ext.SpanKindRPCServer)
	if sampling.Recorded(span) {
		t.Fatal("unsampled span counted as recorded")
	}
	span.SetTag("dropped", 1)
	span.SetBaggageItem("user", "7")
	ext.SamplingPriority.Set(span, 1)
	if !sampling.Recorded(span) {
		t.Error("after sampling.priority=1 the span is not recorded")
	}
	span.SetTag("kept", 2)
	span.SetOperationName("GET /y")
	sc, ok := span.Context().(jaegerclient.SpanContext)
	if !ok || !sc.IsSampled() || !sc.IsDebug() {
		t.Fatalf("context %v after sampling.priority=1, want sampled and debug", span.Context())
	}
	span.Finish()
	flush()

	spans := sender.reported()
	if len(spans) != 1 {
		t.Fatalf("%d spans reported, want 1", len(spans))
	}
	got := spans[0]
	if got.OperationName() != "GET /y" || !got.StartTime().Equal(start) {
		t.Errorf("reported %q started %v, want %q started %v", got.OperationName(), got.StartTime(), "GET /y", start)
	}
	gc := got.SpanContext()
	if gc.TraceID().String() != "00000000000000a1000000000000b0b1" || gc.ParentID().String() != "00000000000000b2" {
		t.Errorf("reported trace %s parent %s, want the inbound trace 00000000000000a1000000000000b0b1 and parent 00000000000000b2",
			gc.TraceID(), gc.ParentID())
	}
	if got.BaggageItem("tenant") != "acme" || got.BaggageItem("user") != "7" {
		t.Errorf("reported baggage tenant=%q user=%q, want acme and 7", got.BaggageItem("tenant"), got.BaggageItem("user"))
	}
	tags := got.Tags()
	if _, ok := tags["dropped"]; ok || tags["kept"] != 2 {
		t.Errorf("reported tags %v: want kept, not dropped", tags)
	}
}

func TestUnsampledSpanIsCheap(t *testing.T) {
	// The middleware's options, as Gin sends them for each request: the
	// unsampled root costs the span and its sampling state, nothing more.
	tr, _ := newTracer(t, tracer.Rate(0), nil, false)
	opts := []opentracing.StartSpanOption{ext.SpanKindRPCServer, opentracing.Tag{Key: "component", Value: "gin"}}
	allocs := testing.AllocsPerRun(1000, func() {
		span := tr.StartSpan("GET /users/:id", opts...)
		span.SetTag("http.status_code", uint16(200))
		span.Finish()
	})
	if allocs > 2 {
		t.Errorf("an unsampled root span costs %v allocations, want at most 2", allocs)
	}
}

func TestUnsampledSpanConcurrentUse(t *testing.T) {
	// Run with -race: baggage, contexts and sampling from several
	// goroutines at once.
	tr, sender, flush := newInstance(t, tracer.Rate(0), nil, false)
	span := tr.StartSpan("shared")
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			key := string(rune('a' + i))
			span.SetBaggageItem(key, "v")
			_ = tr.StartSpan("child", opentracing.ChildOf(span.Context()))
			if i%4 == 0 {
				ext.SamplingPriority.Set(span, 1)
			}
			span.SetTag("worker", i)
			_ = span.BaggageItem(key)
		}()
	}
	wg.Wait()
	span.Finish()
	flush()
	if n := len(sender.reported()); n != 1 {
		t.Errorf("%d spans reported, want exactly 1 (sampled once by priority)", n)
	}
}
