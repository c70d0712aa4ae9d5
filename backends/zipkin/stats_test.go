package zipkin

import (
	"context"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/polytrace/polytrace/internal/syncbuf"
	"github.com/polytrace/polytrace/tracer"
)

func openStats(t *testing.T, endpoint string, queue int, logger *log.Logger) *tracer.Instance {
	t.Helper()
	inst, err := New(tracer.Config{ServiceName: "stats", QueueSize: queue},
		Options{Endpoint: endpoint, BatchInterval: 20 * time.Millisecond, Timeout: 5 * time.Second, Logger: logger})
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

// TestStatsOutcomes: accepted requests export their spans, refused ones
// (an error status) drop them, and both count the failure.
func TestStatsOutcomes(t *testing.T) {
	for _, tt := range []struct {
		status       int
		wantExported int64
		wantDropped  int64
	}{
		{http.StatusAccepted, 5, 0},
		{http.StatusInternalServerError, 0, 5},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(tt.status) }))
		inst := openStats(t, srv.URL+"/api/v2/spans", 0, discard)
		for range 5 {
			inst.Tracer.StartSpan("s").Finish()
		}
		if err := shutdownIn(inst, 10*time.Second); err != nil {
			t.Fatal(err)
		}
		srv.Close()
		st := inst.Stats()
		if st.SpansExported != tt.wantExported || st.SpansDropped != tt.wantDropped || st.SpansFinished != 5 || st.SpansStarted != 5 {
			t.Errorf("status %d: Stats = %s, want %d exported, %d dropped", tt.status, st, tt.wantExported, tt.wantDropped)
		}
		if tt.status >= 300 && (st.ExportErrors == 0 || !strings.Contains(st.LastExportError, "500")) {
			t.Errorf("status %d: Stats = %s, want the error counted", tt.status, st)
		}
	}
}

// TestBacklogBoundedAndCounted: with a collector that holds every request,
// no more than TRACER_QUEUE_SIZE spans are held; the rest are counted as
// dropped, and the reporter's complaints are logged once per interval,
// not once per span.
func TestBacklogBoundedAndCounted(t *testing.T) {
	release := make(chan struct{})
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		requests.Add(1)
		<-release
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	defer close(release)
	logs := &syncbuf.Buffer{}
	const queue = 10
	inst := openStats(t, srv.URL+"/api/v2/spans", queue, log.New(logs, "", 0))
	inst.Tracer.StartSpan("first").Finish()
	for requests.Load() == 0 {
		time.Sleep(5 * time.Millisecond) // the first request is held
	}
	for range 200 {
		inst.Tracer.StartSpan("s").Finish()
	}
	deadline := time.Now().Add(5 * time.Second)
	for inst.Stats().Pending() > queue && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	st := inst.Stats()
	if st.SpansFinished != 201 || st.Pending() > queue || st.SpansDropped < 201-queue {
		t.Errorf("Stats = %s; want at most %d held, the rest dropped", st, queue)
	}
	if n := strings.Count(logs.String(), "backlog too long"); n != 1 {
		t.Errorf("backlog complaint logged %d times, want once:\n%s", n, logs.String())
	}
	_ = shutdownIn(inst, 200*time.Millisecond)
}

// TestRetriesBackOff: a collector that refuses at once is retried with a
// growing pause, not in a tight loop re-sending the backlog.
func TestRetriesBackOff(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			c.Close() // every request fails at once
		}
	}()
	defer ln.Close()
	inst := openStats(t, "http://"+ln.Addr().String()+"/api/v2/spans", 0, discard)
	for range 150 { // beyond a batch: each new span asks for a send
		inst.Tracer.StartSpan("s").Finish()
	}
	time.Sleep(time.Second)
	for range 150 {
		inst.Tracer.StartSpan("s").Finish()
	}
	time.Sleep(time.Second)
	// Without backoff: hundreds of attempts in 2s. With it (100ms,
	// doubling to 2s): a handful.
	if n := conns.Load(); n > 12 || n == 0 {
		t.Errorf("%d attempts in 2s against a collector that refuses, want a few", n)
	}
	_ = shutdownIn(inst, time.Second)
	if st := inst.Stats(); st.ExportErrors == 0 || st.SpansExported != 0 {
		t.Errorf("Stats = %s", st)
	}
}
