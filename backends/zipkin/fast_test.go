package zipkin

import (
	"context"
	"fmt"
	"testing"

	"github.com/opentracing/opentracing-go"
	"github.com/openzipkin/zipkin-go/model"
	"github.com/openzipkin/zipkin-go/reporter/recorder"

	"github.com/polytrace/polytrace/tracer"
)

// general is a start option of a type startFast does not know, which
// sends StartSpan down its general path; it applies nothing.
type general struct{}

func (general) Apply(*opentracing.StartSpanOptions) {}

func newRecorded(t *testing.T, rate *float64) (*otTracer, *recorder.ReporterRecorder) {
	t.Helper()
	rec := recorder.NewReporter()
	inst, err := NewWithReporter(tracer.Config{ServiceName: "svc", SampleRate: rate}, rec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = inst.Shutdown(context.Background()) })
	return inst.Tracer.(*otTracer), rec
}

// parents returns span contexts of every kind a span can be started
// under, built as extract builds them.
func parents() map[string]*spanContext {
	yes, no := true, false
	ids := func(sampled *bool, debug bool) *spanContext {
		return &spanContext{
			zipkin:  model.SpanContext{TraceID: model.TraceID{High: 7, Low: 0x1234}, ID: 99, Sampled: sampled, Debug: debug},
			baggage: map[string]string{"tenant": "t1"},
		}
	}
	return map[string]*spanContext{
		"none":                 nil,
		"sampled":              ids(&yes, false),
		"unsampled":            ids(&no, false),
		"deferred":             ids(nil, false),
		"debug":                ids(nil, true),
		"unsampled, no ids":    {zipkin: model.SpanContext{Sampled: &no}},
		"sampled, no ids":      {zipkin: model.SpanContext{Sampled: &yes}},
		"deferred, other ids":  {zipkin: model.SpanContext{TraceID: model.TraceID{Low: 1 << 62}, ID: 5}},
		"deferred, low trace":  {zipkin: model.SpanContext{TraceID: model.TraceID{Low: 1}, ID: 5}},
		"unsampled, 64-bit id": {zipkin: model.SpanContext{TraceID: model.TraceID{Low: 42}, ID: 6, Sampled: &no}},
	}
}

// shape is what must agree between the fast and the general path: the
// ids themselves are random.
func shape(parent *spanContext, s opentracing.Span) string {
	c := s.Context().(*spanContext)
	z := c.zipkin
	sampled := "nil"
	if z.Sampled != nil {
		sampled = fmt.Sprint(*z.Sampled)
	}
	inherits := parent != nil && !parent.zipkin.TraceID.Empty()
	sameTrace := inherits && z.TraceID == parent.zipkin.TraceID
	childOf := inherits && z.ParentID != nil && *z.ParentID == parent.zipkin.ID
	return fmt.Sprintf("trace ok=%v (same as parent %v) span ok=%v child of parent %v root %v sampled %s debug %v baggage %v",
		!z.TraceID.Empty(), sameTrace, z.ID != 0, childOf, z.ParentID == nil, sampled, z.Debug, c.baggage)
}

func TestFastPathMatchesGeneralPath(t *testing.T) {
	for _, rate := range []*float64{nil, tracer.Rate(0), tracer.Rate(1), tracer.Rate(0.5)} {
		for name, parent := range parents() {
			if rate != nil && *rate == 0.5 && (parent == nil || parent.zipkin.TraceID.Empty()) {
				continue // a fresh decision each time: see TestFastPathSamplesAtTheRate
			}
			t.Run(fmt.Sprintf("rate %v/parent %s", ptr(rate), name), func(t *testing.T) {
				tr, rec := newRecorded(t, rate)
				opts := []opentracing.StartSpanOption{opentracing.Tag{Key: "k", Value: "v"}}
				if parent != nil {
					opts = append(opts, opentracing.ChildOf(parent))
				}
				fast := tr.StartSpan("op", opts...)
				slow := tr.StartSpan("op", append(opts, general{})...)
				if got, want := shape(parent, fast), shape(parent, slow); got != want {
					t.Errorf("fast path: %s\nwant (general path): %s", got, want)
				}
				fast.Finish()
				slow.Finish()
				spans := rec.Flush()
				if len(spans) == 1 || (len(spans) == 2 && (spans[0].Tags["k"] != "v" || spans[1].Tags["k"] != "v" || spans[0].Kind != spans[1].Kind)) {
					t.Errorf("reported %d spans %+v: want both or neither, alike", len(spans), spans)
				}
			})
		}
	}
}

func ptr(r *float64) string {
	if r == nil {
		return "unset"
	}
	return fmt.Sprint(*r)
}

// TestFastPathSamplesAtTheRate checks that a new trace is decided once:
// deciding on one id and then letting zipkin-go decide again on another
// would sample a quarter of the traces at rate 0.5.
func TestFastPathSamplesAtTheRate(t *testing.T) {
	tr, rec := newRecorded(t, tracer.Rate(0.5))
	const n = 2000
	sampled := 0
	for range n {
		s := tr.StartSpan("root", opentracing.Tag{Key: "k", Value: "v"})
		if z := s.Context().(*spanContext).zipkin; z.Sampled != nil && *z.Sampled {
			sampled++
		}
		s.Finish()
	}
	if sampled < n*4/10 || sampled > n*6/10 {
		t.Errorf("%d of %d new traces sampled at rate 0.5, want about half", sampled, n)
	}
	if got := len(rec.Flush()); got != sampled {
		t.Errorf("%d spans reported, want the %d sampled", got, sampled)
	}
}

func TestUnsampledSpanPropagates(t *testing.T) {
	tr, rec := newRecorded(t, tracer.Rate(0))
	root := tr.StartSpan("root")
	root.SetBaggageItem("tenant", "t1")
	root.SetTag("ignored", 1)
	root.LogKV("event", "ignored")
	child := tr.StartSpan("child", opentracing.ChildOf(root.Context()))
	h := opentracing.HTTPHeadersCarrier{}
	if err := tr.Inject(child.Context(), opentracing.HTTPHeaders, h); err != nil {
		t.Fatal(err)
	}
	child.Finish()
	root.Finish()

	rc, cc := root.Context().(*spanContext).zipkin, child.Context().(*spanContext).zipkin
	if cc.TraceID != rc.TraceID || cc.ParentID == nil || *cc.ParentID != rc.ID || cc.ID == rc.ID {
		t.Errorf("child context %+v is not a child of %+v", cc, rc)
	}
	got, err := tr.Extract(opentracing.HTTPHeaders, h)
	if err != nil {
		t.Fatal(err)
	}
	gc := got.(*spanContext)
	if gc.zipkin.TraceID != cc.TraceID || gc.zipkin.ID != cc.ID || gc.zipkin.Sampled == nil || *gc.zipkin.Sampled {
		t.Errorf("extracted %+v, want trace %v span %v sampled false", gc.zipkin, cc.TraceID, cc.ID)
	}
	if gc.baggage["tenant"] != "t1" {
		t.Errorf("baggage %v, want tenant=t1", gc.baggage)
	}
	if root.Tracer() != tr {
		t.Errorf("Tracer() = %v, want the backend's tracer", root.Tracer())
	}
	if spans := rec.Flush(); len(spans) != 0 {
		t.Errorf("unsampled spans reported: %+v", spans)
	}
}

func TestUnsampledSpanAllocatesOnce(t *testing.T) {
	tr, _ := newRecorded(t, tracer.Rate(0))
	opts := []opentracing.StartSpanOption{opentracing.Tag{Key: "span.kind", Value: "server"}, opentracing.Tag{Key: "k", Value: "v"}}
	n := testing.AllocsPerRun(100, func() {
		s := tr.StartSpan("op", opts...)
		s.SetTag("status", 200)
		s.Finish()
	})
	if n != 1 {
		t.Errorf("unsampled span: %v allocations, want 1", n)
	}
}
