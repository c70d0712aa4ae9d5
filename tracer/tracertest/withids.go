package tracertest

import (
	"strconv"
	"testing"
	"time"

	"github.com/opentracing/opentracing-go"

	"github.com/polytrace/polytrace/propagation"
)

// testStartWithIDs starts, through the instance's StartWithIDs, a root and
// a child with ids, times, tags and baggage given, and checks that the
// receiver got both exactly so, at sample rate 0 as at 1: the decision
// was made elsewhere (by the first backend of a list).
func testStartWithIDs(t *testing.T, h bound) {
	inst, exported := openRecorded(t, h)
	if inst.StartWithIDs == nil {
		t.Skip("the backend has no StartWithIDs: it cannot follow another in a list")
	}
	start := time.Now().Add(-time.Second).Truncate(time.Millisecond)
	root := propagation.SpanContext{
		TraceID:  propagation.TraceID{High: 0x0af7651916cd43dd, Low: 0x8448eb211c80319c},
		SpanID:   0xb7ad6b7169203331,
		Sampling: propagation.Sampled,
		Baggage:  map[string]string{"tenant": "t1"},
	}
	child := root
	child.SpanID, child.ParentID = 0x00f067aa0ba902b7, root.SpanID
	rs := inst.StartWithIDs("ids-root", root, opentracing.StartTime(start), opentracing.Tags{"span.kind": "server", "k": "v"})
	cs := inst.StartWithIDs("ids-child", child, opentracing.StartTime(start.Add(time.Millisecond)))
	if got := cs.BaggageItem("tenant"); got != "t1" {
		t.Errorf("child's baggage item tenant = %q, want t1", got)
	}
	if inst.Converter != nil {
		n, ok := inst.Converter.ToNeutral(cs.Context())
		if !ok || n.TraceID.Low != child.TraceID.Low || n.SpanID != child.SpanID || !n.Sampling.IsSampled() {
			t.Errorf("child's context = %+v (ok %v), want trace %s span %x, sampled", n, ok, child.TraceID, child.SpanID)
		}
	}
	cs.SetTag("late", "yes")
	cs.FinishWithOptions(opentracing.FinishOptions{FinishTime: start.Add(3 * time.Millisecond)})
	rs.FinishWithOptions(opentracing.FinishOptions{FinishTime: start.Add(5 * time.Millisecond)})
	if err := shutdown(t, inst, 10*time.Second); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	got := map[string]Exported{}
	for _, e := range exported() {
		got[e.Operation] = e
	}
	for _, w := range []struct {
		ids           propagation.SpanContext
		name          string
		start, finish time.Time
		tags          map[string]string
	}{
		{root, "ids-root", start, start.Add(5 * time.Millisecond), map[string]string{"k": "v", "span.kind": "server"}},
		{child, "ids-child", start.Add(time.Millisecond), start.Add(3 * time.Millisecond), map[string]string{"late": "yes"}},
	} {
		e, ok := got[w.name]
		if !ok {
			t.Errorf("span %s did not reach the receiver; it got %+v", w.name, exported())
			continue
		}
		if e.TraceID.Low != w.ids.TraceID.Low || e.TraceID.High != 0 && e.TraceID.High != w.ids.TraceID.High {
			t.Errorf("%s: trace id %s, want %s (or its low 64 bits)", w.name, e.TraceID, w.ids.TraceID)
		}
		if e.SpanID != w.ids.SpanID || e.ParentID != w.ids.ParentID {
			t.Errorf("%s: span %x parent %x, want span %x parent %x", w.name, e.SpanID, e.ParentID, w.ids.SpanID, w.ids.ParentID)
		}
		if !e.Start.Equal(w.start) || !e.Finish.Equal(w.finish) {
			t.Errorf("%s: from %v to %v, want %v to %v", w.name, e.Start, e.Finish, w.start, w.finish)
		}
		for k, v := range w.tags {
			if e.Tags[k] != v {
				t.Errorf("%s: tag %s = %q, want %q; all tags %v", w.name, k, e.Tags[k], v, e.Tags)
			}
		}
	}
}

// HexIDs parses a span's ids as receivers show them in hex (a trace id of
// 16 or 32 digits; an empty parent for a root), for a harness's
// OpenRecorded; ids that do not parse are zero, which the checks report.
func HexIDs(traceID, spanID, parentID string) (propagation.TraceID, uint64, uint64) {
	var tid propagation.TraceID
	if len(traceID) > 16 {
		tid.High, _ = strconv.ParseUint(traceID[:len(traceID)-16], 16, 64)
		traceID = traceID[len(traceID)-16:]
	}
	tid.Low, _ = strconv.ParseUint(traceID, 16, 64)
	span, _ := strconv.ParseUint(spanID, 16, 64)
	parent, _ := strconv.ParseUint(parentID, 16, 64)
	return tid, span, parent
}
