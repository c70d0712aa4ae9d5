package lightstep

import (
	"runtime"
	"sync"
	"testing"
	"time"

	lsgo "github.com/lightstep/lightstep-tracer-go"
	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/mocktracer"

	"github.com/polytrace/polytrace/internal/spanstats"
)

// TestBufferMirrorConcurrent finishes spans from many goroutines while a
// reporter takes whatever the mirror holds, as fast as it can, and puts
// every other report back. Every span must be counted exactly once (still
// buffered, exported or dropped), and the mirror must never hold more
// than its size. Every goroutine yields after each step, so that the
// buffer fills and empties often and the finishing goroutines meet at its
// edge, where a check of the room left apart from taking it would let
// two spans into the last place.
func TestBufferMirrorConcurrent(t *testing.T) {
	const size, goroutines, each = 4, 8, 10000
	stats := &spanstats.Counters{}
	b := &bufferMirror{stats: stats, size: size}

	stop := make(chan struct{})
	var most int64 // the most the reporter saw held
	reported := make(chan struct{})
	go func() {
		defer close(reported)
		for fail := false; ; fail = !fail {
			select {
			case <-stop:
				return
			default:
			}
			// Only this goroutine removes spans: n are there to take.
			n := b.buffered.Load()
			most = max(most, n)
			b.take(int(n))
			if fail {
				b.putBack(int(n))
			} else {
				stats.Exported(n)
			}
			runtime.Gosched()
		}
	}()
	var wg sync.WaitGroup
	for range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				b.RecordSpan(lsgo.RawSpan{})
				runtime.Gosched()
			}
		}()
	}
	wg.Wait()
	close(stop)
	<-reported

	st := stats.Stats()
	held := b.buffered.Load()
	if st.SpansFinished != goroutines*each {
		t.Errorf("finished = %d, want %d", st.SpansFinished, goroutines*each)
	}
	if sum := st.SpansExported + st.SpansDropped + held; sum != st.SpansFinished {
		t.Errorf("exported %d + dropped %d + held %d = %d, want the %d finished",
			st.SpansExported, st.SpansDropped, held, sum, st.SpansFinished)
	}
	if m := max(most, held); m > size {
		t.Errorf("the mirror held %d spans, more than its size %d", m, size)
	}
}

// TestBufferMirror follows the client's rules one step at a time, on a
// buffer of 4 spans.
func TestBufferMirror(t *testing.T) {
	type step struct {
		record, take, putBack int
		held, dropped         int64 // after the step; dropped in all
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"fills then drops", []step{{record: 3, held: 3}, {record: 2, held: 4, dropped: 1}}},
		{"report empties", []step{{record: 4, held: 4}, {take: 4, held: 0}, {record: 1, held: 1}}},
		{"take more than held", []step{{record: 2, held: 2}, {take: 5, held: 0}}},
		{"put back with room", []step{{record: 3, held: 3}, {take: 3, held: 0}, {record: 1, held: 1}, {putBack: 3, held: 4}}},
		{"put back partly", []step{{record: 4, held: 4}, {take: 4, held: 0}, {record: 2, held: 2}, {putBack: 4, held: 4, dropped: 2}}},
		{"put back into full", []step{{record: 4, held: 4}, {take: 4, held: 0}, {record: 5, held: 4, dropped: 1}, {putBack: 4, held: 4, dropped: 5}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stats := &spanstats.Counters{}
			b := &bufferMirror{stats: stats, size: 4}
			for i, s := range tt.steps {
				for range s.record {
					b.RecordSpan(lsgo.RawSpan{})
				}
				b.take(s.take)
				b.putBack(s.putBack)
				if got := b.buffered.Load(); got != s.held {
					t.Errorf("step %d: held %d, want %d", i, got, s.held)
				}
				if got := stats.Stats().SpansDropped; got != s.dropped {
					t.Errorf("step %d: dropped %d, want %d", i, got, s.dropped)
				}
			}
		})
	}
}

// otherOption is a start option of a kind startFlag does not know: it
// adds a reference, as the client reads it.
type otherOption struct{ ref opentracing.SpanReference }

func (o otherOption) Apply(opts *opentracing.StartSpanOptions) { o.ref.Apply(opts) }

// TestStartCounterMatchesClient counts a span as started exactly when the
// client gives it a context whose Sampled flag is not "false".
func TestStartCounterMatchesClient(t *testing.T) {
	yes := lsgo.SpanContext{TraceID: 1, SpanID: 2, Sampled: "true"}
	no := lsgo.SpanContext{TraceID: 3, SpanID: 4, Sampled: "false"}
	foreign := mocktracer.New().StartSpan("x").Context()
	type opts = []opentracing.StartSpanOption
	tests := []struct {
		name string
		give opts
	}{
		{"no options", nil},
		{"tags and time", opts{opentracing.Tag{Key: "k", Value: 1}, opentracing.Tags{"a": "b"}, opentracing.StartTime(time.Unix(1, 0))}},
		{"set false", opts{lsgo.SetSampled("false")}},
		{"set true", opts{lsgo.SetSampled("true")}},
		{"last set wins", opts{lsgo.SetSampled("true"), lsgo.SetSampled("false")}},
		{"explicit ids", opts{lsgo.SetTraceID(5), lsgo.SetSpanID(6), lsgo.SetParentSpanID(7)}},
		{"child of sampled", opts{opentracing.ChildOf(yes)}},
		{"child of unsampled", opts{opentracing.ChildOf(no)}},
		{"follows unsampled", opts{opentracing.FollowsFrom(no)}},
		{"parent wins over set before", opts{lsgo.SetSampled("false"), opentracing.ChildOf(yes)}},
		{"parent wins over set after", opts{opentracing.ChildOf(no), lsgo.SetSampled("true")}},
		{"first parent counts", opts{opentracing.ChildOf(no), opentracing.ChildOf(yes)}},
		{"nil parent skipped", opts{opentracing.ChildOf(nil), opentracing.ChildOf(no)}},
		{"foreign parent first", opts{opentracing.ChildOf(foreign), opentracing.ChildOf(no)}},
		{"foreign parent and set", opts{opentracing.ChildOf(foreign), lsgo.SetSampled("false")}},
		{"unknown option", opts{otherOption{opentracing.ChildOf(no)}}},
		{"unknown option sampled", opts{otherOption{opentracing.ChildOf(yes)}, lsgo.SetSampled("false")}},
	}
	inst := offline(t, nil, nil)
	sc, ok := inst.Tracer.(*otTracer)
	if !ok {
		t.Fatalf("tracer is %T, want an *otTracer", inst.Tracer)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := inst.Stats().SpansStarted
			span := sc.StartSpan(tt.name, tt.give...)
			counted := inst.Stats().SpansStarted - before
			want := int64(1)
			if sampledFlag(span) == "false" {
				want = 0
			}
			if counted != want {
				t.Errorf("counted %d started, want %d (client's Sampled %q)", counted, want, sampledFlag(span))
			}
		})
	}
}

// TestStartCounterAllocatesNothing: counting costs no allocation for the
// options the Gin middleware passes.
func TestStartCounterAllocatesNothing(t *testing.T) {
	inst := offline(t, nil, nil)
	sc, ok := inst.Tracer.(*otTracer)
	if !ok {
		t.Fatalf("tracer is %T, want an *otTracer", inst.Tracer)
	}
	parent := lsgo.SpanContext{TraceID: 1, SpanID: 2}
	opts := []opentracing.StartSpanOption{
		opentracing.Tag{Key: "span.kind", Value: "server"},
		opentracing.Tag{Key: "http.method", Value: "GET"},
		opentracing.ChildOf(parent),
	}
	client := testing.AllocsPerRun(1000, func() { sc.Tracer.StartSpan("op", opts...) })
	counted := testing.AllocsPerRun(1000, func() { sc.StartSpan("op", opts...) })
	if counted != client {
		t.Errorf("StartSpan allocates %v times with the counter, %v without", counted, client)
	}
}
