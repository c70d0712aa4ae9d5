package tracertest

import (
	"fmt"
	"testing"

	"github.com/opentracing/opentracing-go"

	"github.com/polytrace/polytrace/internal/sampling"
	"github.com/polytrace/polytrace/propagation"
	"github.com/polytrace/polytrace/tracer"
)

// testLightSpans holds the spans of traces that are not sampled (the
// backends' light spans) to the vendor's spans of sampled traces: a child
// of a remote parent, either way, is in the parent's trace with the
// parent as its parent (where the backend's ids say so), has a span id of
// its own, inherits the parent's baggage and decision, and takes baggage
// of its own. Only the decision differs, and what it implies: an
// unsampled span is not recorded (sampling.Recorded, Stats), and neither
// are its descendants, here or after a hop through headers.
func testLightSpans(t *testing.T, h bound) {
	inst := open(t, h)
	conv := inst.Converter
	if conv == nil {
		t.Skip("the harness's instances have no Converter: the suite cannot build remote parents")
	}
	shapes := map[bool]string{}
	for _, sampled := range []bool{true, false} {
		parent := propagation.SpanContext{
			TraceID: propagation.TraceID{High: 0x0af7651916cd43dd, Low: 0x8448eb211c80319c},
			SpanID:  0xb7ad6b7169203331,
			Baggage: map[string]string{"tenant": "acme"},
		}
		parent.Sampling = propagation.NotSampled
		if sampled {
			parent.Sampling = propagation.Sampled
		}
		remote, err := conv.FromNeutral(parent)
		if err != nil {
			t.Fatalf("FromNeutral(%+v): %v", parent, err)
		}
		started := startedCount(inst)
		child := inst.Tracer.StartSpan("light-child", opentracing.ChildOf(remote))
		child.SetBaggageItem("own", "1")
		grandchild := inst.Tracer.StartSpan("light-grandchild", opentracing.ChildOf(child.Context()))
		// Through headers, as to another service of the same backend.
		h2 := opentracing.TextMapCarrier{}
		if err := inst.Tracer.Inject(grandchild.Context(), opentracing.TextMap, h2); err != nil {
			t.Fatalf("Inject: %v", err)
		}
		far, err := inst.Tracer.Extract(opentracing.TextMap, h2)
		if err != nil {
			t.Fatalf("Extract of %v: %v", h2, err)
		}
		remoteChild := inst.Tracer.StartSpan("light-remote-child", opentracing.ChildOf(far))
		spans := []opentracing.Span{child, grandchild, remoteChild}
		for _, s := range spans {
			if got := sampling.Recorded(s); got != sampled {
				t.Errorf("parent sampled %v: sampling.Recorded(span) = %v", sampled, got)
			}
		}
		if inst.Stats != nil {
			want := int64(0)
			if sampled {
				want = int64(len(spans))
			}
			if got := startedCount(inst) - started; got != want {
				t.Errorf("parent sampled %v: Stats counted %d spans started, want %d", sampled, got, want)
			}
		}
		shape := ""
		prev := parent
		for i, s := range spans {
			n, ok := conv.ToNeutral(s.Context())
			if !ok {
				t.Fatalf("parent sampled %v: span %d's context %T is not the backend's", sampled, i, s.Context())
			}
			if n.Sampling.IsSampled() != sampled {
				t.Errorf("parent sampled %v: span %d has sampling %v", sampled, i, n.Sampling)
			}
			if n.TraceID.Low != parent.TraceID.Low || n.SpanID == 0 || n.SpanID == prev.SpanID {
				t.Errorf("parent sampled %v: span %d is %+v, want trace %v and a span id of its own", sampled, i, n, parent.TraceID)
			}
			if n.ParentID != 0 && n.ParentID != prev.SpanID {
				t.Errorf("parent sampled %v: span %d has parent %x, want %x", sampled, i, n.ParentID, prev.SpanID)
			}
			if n.Baggage["tenant"] != "acme" || n.Baggage["own"] != "1" {
				t.Errorf("parent sampled %v: span %d has baggage %v, want tenant=acme and own=1", sampled, i, n.Baggage)
			}
			shape += fmt.Sprintf("[high kept %v, parent known %v, baggage %d]", n.TraceID.High == parent.TraceID.High,
				n.ParentID != 0, len(n.Baggage))
			prev = n
		}
		shapes[sampled] = shape
		for _, s := range spans {
			s.Finish()
		}
	}
	if shapes[true] != shapes[false] {
		t.Errorf("light spans differ from the vendor's:\n sampled   %s\n unsampled %s", shapes[true], shapes[false])
	}
}

func startedCount(inst *tracer.Instance) int64 {
	if inst.Stats == nil {
		return 0
	}
	return inst.Stats().SpansStarted
}
