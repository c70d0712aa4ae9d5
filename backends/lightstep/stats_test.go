package lightstep

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lightstep/lightstep-tracer-common/golang/gogo/collectorpb"
	lsgo "github.com/lightstep/lightstep-tracer-go"
	"github.com/opentracing/opentracing-go"

	"github.com/polytrace/polytrace/internal/lightsteptest"
	"github.com/polytrace/polytrace/tracer"
)

func openStats(t *testing.T, host string, port, queue int, transport string) *tracer.Instance {
	t.Helper()
	inst, err := New(tracer.Config{ServiceName: "stats", QueueSize: queue},
		Options{AccessToken: "stats-token", CollectorHost: host, CollectorPort: port, Plaintext: true, Transport: transport})
	if err != nil {
		t.Fatal(err)
	}
	return inst
}

func shutdownIn(inst *tracer.Instance, d time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return inst.Shutdown(ctx)
}

// TestStatsExported: each tracer counts its own reports, even with two
// in the process (the client's events do not say which tracer they are
// about).
func TestStatsExported(t *testing.T) {
	for _, transport := range []string{TransportHTTP, TransportGRPC} {
		r := lightsteptest.Start(t, transport)
		a := openStats(t, r.Host, r.Port, 0, transport)
		b := openStats(t, r.Host, r.Port, 0, transport)
		for range 7 {
			a.Tracer.StartSpan("a").Finish()
		}
		for range 3 {
			b.Tracer.StartSpan("b").Finish()
		}
		for _, inst := range []*tracer.Instance{a, b} {
			if err := shutdownIn(inst, 10*time.Second); err != nil {
				t.Fatal(err)
			}
		}
		for i, want := range []int64{7, 3} {
			st := []*tracer.Instance{a, b}[i].Stats()
			if st.SpansStarted != want || st.SpansFinished != want || st.SpansExported != want || st.SpansDropped != 0 {
				t.Errorf("%s: tracer %d: Stats = %s, want %d exported", transport, i, st, want)
			}
		}
		if got := len(r.Spans()); got != 10 {
			t.Errorf("%s: receiver got %d spans, want 10", transport, got)
		}
	}
}

// TestBufferBoundedWhenBlackHoled: with a collector that never answers,
// at most two buffers of TRACER_QUEUE_SIZE spans are held (one being
// reported), the rest counted as dropped as they happen, and Shutdown
// cancels the stuck report.
func TestBufferBoundedWhenBlackHoled(t *testing.T) {
	for _, transport := range []string{TransportHTTP, TransportGRPC} {
		host, port := lightsteptest.BlackHole(t)
		const queue = 20
		inst := openStats(t, host, port, queue, transport)
		inst.Tracer.StartSpan("first").Finish()
		time.Sleep(300 * time.Millisecond) // a report is under way, and stuck
		for range 500 {
			inst.Tracer.StartSpan("s").Finish()
		}
		st := inst.Stats()
		if st.SpansFinished != 501 || st.Pending() > 2*queue || st.SpansDropped < 501-2*queue {
			t.Errorf("%s: Stats = %s; want at most %d held, the rest dropped", transport, st, 2*queue)
		}
		began := time.Now()
		_ = shutdownIn(inst, 300*time.Millisecond)
		if took := time.Since(began); took > 3*time.Second {
			t.Errorf("%s: Shutdown took %v, deadline 300ms", transport, took)
		}
		if st := inst.Stats(); st.SpansDropped != 501 || st.SpansExported != 0 || !strings.Contains(strings.ToLower(st.LastExportError), "cancel") {
			t.Errorf("%s: after Shutdown: %s; want every span dropped and the cancelled report", transport, st)
		}
	}
}

// gatedCollector holds each report until the test answers it, and keeps
// the client's own account of the reports it accepted: the spans they
// carried and the client's count of spans it dropped (its internal metric
// spans.dropped, which a report carries until one is accepted).
type gatedCollector struct {
	held    chan int   // the number of spans of each report, while held
	answers chan error // the outcome of the report held
	open    chan struct{}
	opened  sync.Once

	spans, clientDropped atomic.Int64
}

func newGatedCollector() *gatedCollector {
	return &gatedCollector{held: make(chan int), answers: make(chan error), open: make(chan struct{})}
}

// release accepts every report from now on, without holding it.
func (g *gatedCollector) release() { g.opened.Do(func() { close(g.open) }) }

func (g *gatedCollector) Report(ctx context.Context, req *collectorpb.ReportRequest) (*collectorpb.ReportResponse, error) {
	select {
	case g.held <- len(req.GetSpans()):
		select {
		case err := <-g.answers:
			if err != nil {
				return nil, err
			}
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	case <-g.open:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	g.spans.Add(int64(len(req.GetSpans())))
	for _, c := range req.GetInternalMetrics().GetCounts() {
		if c.GetName() == "spans.dropped" {
			g.clientDropped.Add(c.GetIntValue())
		}
	}
	return &collectorpb.ReportResponse{}, nil
}

// finishConcurrently finishes n spans of tr, from 8 goroutines at once.
func finishConcurrently(tr opentracing.Tracer, n int) {
	const goroutines = 8
	var wg sync.WaitGroup
	for i := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine := n / goroutines
			if i < n%goroutines {
				mine++
			}
			for range mine {
				tr.StartSpan("concurrent").Finish()
			}
		}()
	}
	wg.Wait()
}

// TestDropCountMatchesClient finishes spans from many goroutines at once
// against a small buffer, while a report is under way (the client keeps
// its flush lock meanwhile, so it cannot swap its buffer), and answers
// each report as the case says. After
// a last flush, the counts must be the client's own: exported what the
// collector accepted, dropped what the client says it dropped, every
// finished span one or the other, none pending.
func TestDropCountMatchesClient(t *testing.T) {
	const queue = 8
	type round struct {
		finish int  // spans finished while a report is held
		fail   bool // the held report fails: its spans go back, room permitting
	}
	tests := []struct {
		name   string
		rounds []round
	}{
		{"overflow while reporting", []round{{finish: 400}, {finish: 400}}},
		{"failed report back into a full buffer", []round{{finish: 400}, {finish: 400, fail: true}, {}}},
		{"failed report partly back", []round{{finish: 400}, {finish: 3, fail: true}, {}}},
		{"failed report wholly back", []round{{finish: 5}, {fail: true}, {finish: 3}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGatedCollector()
			inst, err := New(tracer.Config{ServiceName: "drops", QueueSize: queue}, Options{AccessToken: "drops-token", Collector: g})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				g.release()
				_ = shutdownIn(inst, 10*time.Second)
			})
			client, ok := inst.Tracer.(lsgo.Tracer)
			if !ok {
				t.Fatalf("tracer is %T, want a lightstep.Tracer", inst.Tracer)
			}
			var flushes sync.WaitGroup
			var finished, failures int64
			for _, r := range tt.rounds {
				// A report now, should the client's report loop not send
				// one; reports come one at a time.
				flushes.Add(1)
				go func() {
					defer flushes.Done()
					client.Flush(context.Background())
				}()
				<-g.held
				finishConcurrently(inst.Tracer, r.finish)
				finished += int64(r.finish)
				var err error
				if r.fail {
					err = errors.New("refused")
					failures++
				}
				g.answers <- err
			}
			g.release()
			flushes.Wait()
			client.Flush(context.Background()) // whatever is left in the buffer

			st := inst.Stats()
			t.Logf("%s; the client dropped %d", st, g.clientDropped.Load())
			if st.SpansFinished != finished || st.ExportErrors != failures {
				t.Errorf("Stats = %s; want %d finished, %d export errors", st, finished, failures)
			}
			if want := g.spans.Load(); st.SpansExported != want {
				t.Errorf("exported %d, want the %d the collector accepted", st.SpansExported, want)
			}
			if want := g.clientDropped.Load(); st.SpansDropped != want {
				t.Errorf("dropped %d, want the %d the client dropped", st.SpansDropped, want)
			}
			if rest := st.SpansFinished - st.SpansExported - st.SpansDropped; rest != 0 {
				t.Errorf("finished %d - exported %d - dropped %d = %d, want 0 after the last flush",
					st.SpansFinished, st.SpansExported, st.SpansDropped, rest)
			}
		})
	}
}
