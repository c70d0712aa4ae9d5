package lightstep

import (
	"context"
	"strings"
	"testing"
	"time"

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
