package jaeger_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	jaegerclient "github.com/uber/jaeger-client-go"
	"github.com/uber/jaeger-lib/metrics/metricstest"

	"github.com/polytrace/polytrace/backends/jaeger"
	"github.com/polytrace/polytrace/tracer"
)

// TestStatsFromClientMetrics: Stats follows the client's own span
// metrics, which still reach the user's metrics factory.
func TestStatsFromClientMetrics(t *testing.T) {
	agent := startAgent(t)
	cfg := config(agentEnv(t, agent))
	opts, err := jaeger.OptionsFromConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	factory := metricstest.NewFactory(0)
	defer factory.Stop()
	opts.Metrics = factory
	inst, err := jaeger.New(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	for range 10 {
		inst.Tracer.StartSpan("counted").Finish()
	}
	if err := shutdownWithin(t, inst, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if st := inst.Stats(); st.SpansStarted != 10 || st.SpansFinished != 10 || st.SpansExported != 10 || st.SpansDropped != 0 || st.LastExportTime.IsZero() {
		t.Errorf("Stats = %s, want 10 started, finished and exported", st)
	}
	factory.AssertCounterMetrics(t,
		metricstest.ExpectedMetric{Name: "jaeger.tracer.started_spans", Tags: map[string]string{"sampled": "y"}, Value: 10},
		metricstest.ExpectedMetric{Name: "jaeger.tracer.reporter_spans", Tags: map[string]string{"result": "ok"}, Value: 10},
	)
}

// blockingSender holds every span until released: a collector that
// never answers, in process.
type blockingSender struct {
	release chan struct{}
	once    sync.Once
	taken   chan struct{} // if non-nil, receives once per Append before it blocks
}

func (s *blockingSender) Append(*jaegerclient.Span) (int, error) {
	if s.taken != nil {
		select {
		case s.taken <- struct{}{}:
		default:
		}
	}
	<-s.release
	return 1, nil
}
func (s *blockingSender) Flush() (int, error) { return 0, nil }
func (s *blockingSender) Close() error {
	s.once.Do(func() { close(s.release) })
	return nil
}

// TestQueueSizePrecedence: TRACER_QUEUE_SIZE (Config.QueueSize) bounds
// the reporter's queue, over JAEGER_REPORTER_MAX_QUEUE_SIZE; spans beyond
// it are dropped and counted.
func TestQueueSizePrecedence(t *testing.T) {
	tests := []struct {
		name      string
		portable  int
		own       string
		wantQueue int
	}{
		{"TRACER_QUEUE_SIZE wins", 20, "50", 20},
		{"JAEGER_REPORTER_MAX_QUEUE_SIZE alone", 0, "30", 30},
		{"neither: the default", 0, "", tracer.DefaultQueueSize},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{}
			if tt.own != "" {
				env["JAEGER_REPORTER_MAX_QUEUE_SIZE"] = tt.own
			}
			cfg := tracer.Config{ServiceName: "queue", QueueSize: tt.portable, Lookup: tracer.MapLookup(env)}
			opts, err := jaeger.OptionsFromConfig(cfg)
			if err != nil {
				t.Fatal(err)
			}
			sender := &blockingSender{release: make(chan struct{}), taken: make(chan struct{}, 1)}
			opts.Sender = sender
			inst, err := jaeger.New(cfg, opts)
			if err != nil {
				t.Fatal(err)
			}
			defer shutdownWithin(t, inst, 10*time.Second)
			defer sender.Close()
			n := tt.wantQueue + 100
			// First let the reporter take one span and block sending it,
			// so the queue's bound alone decides what is dropped.
			inst.Tracer.StartSpan("queued").Finish()
			select {
			case <-sender.taken:
			case <-time.After(5 * time.Second):
				t.Fatal("the reporter never took the first span")
			}
			for range n - 1 {
				inst.Tracer.StartSpan("queued").Finish()
			}
			// The reporter took one span and is stuck sending it; the
			// queue holds wantQueue; the rest were dropped.
			deadline := time.Now().Add(5 * time.Second)
			for inst.Stats().SpansDropped < int64(n-tt.wantQueue-1) && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			if st := inst.Stats(); st.SpansDropped != int64(n-tt.wantQueue-1) || st.Pending() != int64(tt.wantQueue+1) {
				t.Errorf("Stats = %s; want %d dropped and %d pending (queue %d)", st, n-tt.wantQueue-1, tt.wantQueue+1, tt.wantQueue)
			}
		})
	}
}

// TestExportErrorsCounted: failed sends show in Stats, without the
// password or the endpoint's credentials, and are logged at most once
// per interval.
func TestExportErrorsCounted(t *testing.T) {
	logs := captureLog(t)
	inst := open(t, config(map[string]string{
		"JAEGER_ENDPOINT":                "http://u:url-secret-1@" + closedPort(t) + "/api/traces?k=query-secret-2",
		"JAEGER_USER":                    "u",
		"JAEGER_PASSWORD":                "env-secret-3",
		"JAEGER_REPORTER_FLUSH_INTERVAL": "10ms",
	}))
	for range 5 {
		inst.Tracer.StartSpan("refused").Finish()
		time.Sleep(30 * time.Millisecond) // one flush, one failure, each
	}
	if err := shutdownWithin(t, inst, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	st := inst.Stats()
	if st.ExportErrors < 2 || st.SpansDropped != 5 || !strings.Contains(st.LastExportError, "refused") {
		t.Fatalf("Stats = %s; want several export errors, 5 spans dropped, the refusal", st)
	}
	if got := strings.Count(logs.String(), "failed to flush Jaeger spans"); got != 1 {
		t.Errorf("%d failures logged within the interval, want 1:\n%s", got, logs)
	}
	for _, secret := range []string{"url-secret-1", "query-secret-2", "env-secret-3"} {
		if strings.Contains(st.LastExportError, secret) || strings.Contains(logs.String(), secret) {
			t.Errorf("a secret shows in Stats or the log: %q / %s", st.LastExportError, logs)
		}
	}
}
