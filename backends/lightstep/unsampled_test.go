package lightstep

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/lightstep/lightstep-tracer-common/golang/gogo/collectorpb"
	lsgo "github.com/lightstep/lightstep-tracer-go"
	"github.com/opentracing/opentracing-go"

	"github.com/polytrace/polytrace/internal/lightspan"
	"github.com/polytrace/polytrace/internal/sampling"
	"github.com/polytrace/polytrace/tracer"
)

// recording is a lightstep.Collector keeping the operation names it got.
type recording struct {
	mu    sync.Mutex
	names []string
}

func (c *recording) Report(_ context.Context, req *collectorpb.ReportRequest) (*collectorpb.ReportResponse, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range req.Spans {
		c.names = append(c.names, s.OperationName)
	}
	return &collectorpb.ReportResponse{}, nil
}

func inMemory(t *testing.T, rate float64, traceID func() uint64) (*tracer.Instance, *recording) {
	t.Helper()
	c := &recording{}
	inst, err := build(tracer.Config{SampleRate: tracer.Rate(rate)}, Options{AccessToken: "tok", Collector: c}, traceID)
	if err != nil {
		t.Fatal(err)
	}
	return inst, c
}

func flushed(t *testing.T, inst *tracer.Instance, c *recording) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := inst.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.names
}

// TestUnsampledSpanMatchesClient compares, for every kind of parent, the
// context of a span the sampler starts itself with the one the client
// starts when handed the same options plus one it does not read (which
// sends the sampler down its general path).
func TestUnsampledSpanMatchesClient(t *testing.T) {
	parents := map[string]*lsgo.SpanContext{
		"root":                   nil,
		"unsampled parent":       {TraceID: 11, SpanID: 12, Sampled: "false", Baggage: map[string]string{"k": "v"}},
		"unsampled, 128-bit":     {TraceID: 11, TraceIDUpper: 13, SpanID: 12, Sampled: "false"},
		"sampled parent":         {TraceID: 21, SpanID: 22, Sampled: "true"},
		"parent, no sampled key": {TraceID: 31, SpanID: 32},
	}
	for name, parent := range parents {
		for _, nilFirst := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/nil reference first=%v", name, nilFirst), func(t *testing.T) {
				inst, c := inMemory(t, 0, func() uint64 { return 1 << 62 })
				opts := []opentracing.StartSpanOption{opentracing.Tag{Key: "k", Value: "v"}}
				if nilFirst {
					// opentracing drops it, and so does the client.
					opts = append(opts, opentracing.ChildOf(nil))
				}
				if parent != nil {
					opts = append(opts, opentracing.ChildOf(*parent))
				}
				fast := inst.Tracer.StartSpan("fast", opts...)
				slow := inst.Tracer.StartSpan("slow", append(opts, unread{})...)
				_, fastIsOurs := fast.(*lightspan.Span[lsgo.SpanContext])
				fc, sc := fast.Context().(lsgo.SpanContext), slow.Context().(lsgo.SpanContext)
				if got, want := shape(parent, fc), shape(parent, sc); got != want {
					t.Errorf("sampler's own span: %s\nwant (client's): %s", got, want)
				}
				if fastIsOurs != (fc.Sampled == "false") {
					t.Errorf("span type %T for Sampled %q", fast, fc.Sampled)
				}
				fast.Finish()
				slow.Finish()
				names := flushed(t, inst, c)
				if (len(names) == 0) != (fc.Sampled == "false") || len(names) > 2 {
					t.Errorf("reported %q for Sampled %q", names, fc.Sampled)
				}
			})
		}
	}
}

// unread is a start option the sampler's fast path does not read.
type unread struct{}

func (unread) Apply(*opentracing.StartSpanOptions) {}

func shape(parent *lsgo.SpanContext, c lsgo.SpanContext) string {
	sameTrace := parent != nil && c.TraceID == parent.TraceID
	return fmt.Sprintf("trace %v (parent's %v) upper %d span ok %v sampled %q baggage %v",
		c.TraceID != 0, sameTrace, c.TraceIDUpper, c.SpanID != 0 && (parent == nil || c.SpanID != parent.SpanID), c.Sampled, c.Baggage)
}

func TestUnsampledSpanPropagates(t *testing.T) {
	inst, c := inMemory(t, 0, nil)
	root := inst.Tracer.StartSpan("root")
	if _, ok := root.(*lightspan.Span[lsgo.SpanContext]); !ok {
		t.Fatalf("root at rate 0 is %T, want *lightspan.Span[lsgo.SpanContext]", root)
	}
	if sampling.Recorded(root) {
		t.Error("sampling.Recorded = true for an unsampled span")
	}
	root.SetBaggageItem("tenant", "t1").SetTag("ignored", 1).SetOperationName("renamed")
	root.LogKV("event", "ignored")
	if got := root.BaggageItem("tenant"); got != "t1" {
		t.Errorf("BaggageItem = %q, want t1", got)
	}
	child := root.Tracer().StartSpan("child", opentracing.ChildOf(root.Context()))
	h := opentracing.HTTPHeadersCarrier{}
	if err := inst.Tracer.Inject(child.Context(), opentracing.HTTPHeaders, h); err != nil {
		t.Fatal(err)
	}
	child.Finish()
	root.Finish()
	got, err := inst.Tracer.Extract(opentracing.HTTPHeaders, h)
	if err != nil {
		t.Fatal(err)
	}
	rc, cc, gc := root.Context().(lsgo.SpanContext), child.Context().(lsgo.SpanContext), got.(lsgo.SpanContext)
	if cc.TraceID != rc.TraceID || cc.SpanID == rc.SpanID {
		t.Errorf("child %+v is not in the trace of %+v", cc, rc)
	}
	if gc.TraceID != cc.TraceID || gc.SpanID != cc.SpanID || gc.Sampled != "false" || gc.Baggage["tenant"] != "t1" {
		t.Errorf("extracted %+v, want %+v with Sampled false and tenant=t1", gc, cc)
	}
	if names := flushed(t, inst, c); len(names) != 0 {
		t.Errorf("unsampled spans reported: %q", names)
	}
}

func TestUnsampledSpanAllocatesOnce(t *testing.T) {
	inst, c := inMemory(t, 0, nil)
	defer flushed(t, inst, c)
	opts := []opentracing.StartSpanOption{opentracing.Tag{Key: "span.kind", Value: "server"}}
	n := testing.AllocsPerRun(100, func() {
		s := inst.Tracer.StartSpan("op", opts...)
		s.SetTag("status", 200)
		s.Finish()
	})
	if n != 1 {
		t.Errorf("unsampled span: %v allocations, want 1", n)
	}
}
