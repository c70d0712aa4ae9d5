package otel

import (
	"context"
	"errors"
	"io"
	"log"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/polytrace/polytrace/tracer"
)

// stubExporter answers each export with err, once release is closed.
// entered, if set, receives a value as each export begins.
type stubExporter struct {
	release chan struct{}
	entered chan struct{}
	err     error
}

func (s *stubExporter) ExportSpans(ctx context.Context, _ []sdktrace.ReadOnlySpan) error {
	if s.entered != nil {
		select {
		case s.entered <- struct{}{}:
		default:
		}
	}
	select {
	case <-s.release:
		return s.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *stubExporter) Shutdown(context.Context) error { return nil }

func statsInstance(t *testing.T, exp sdktrace.SpanExporter, queue int) *tracer.Instance {
	t.Helper()
	inst, err := build(tracer.Config{ServiceName: "stats", QueueSize: queue},
		Options{MaxExportBatchSize: 10, ScheduleDelay: 10 * time.Millisecond, Logger: log.New(io.Discard, "", 0)}, exp)
	if err != nil {
		t.Fatal(err)
	}
	return inst
}

// TestStatsCountEveryOutcome: a collector that holds every export keeps
// at most the queue and one batch; every other span is counted as
// dropped when it is finished; once the exports come back, they are
// counted as exported or failed.
func TestStatsCountEveryOutcome(t *testing.T) {
	for _, tt := range []struct {
		name                      string
		err                       error
		wantExported, wantDropped int64
	}{
		{"accepted", nil, 21, 179},
		{"failed", errors.New("collector says no"), 0, 200},
	} {
		t.Run(tt.name, func(t *testing.T) {
			exp := &stubExporter{release: make(chan struct{}), entered: make(chan struct{}, 1), err: tt.err}
			inst := statsInstance(t, exp, 20)
			inst.Tracer.StartSpan("first").Finish()
			<-exp.entered // exported alone, at the schedule delay, and held
			for range 199 {
				inst.Tracer.StartSpan("s").Finish()
			}
			// The held export's span and a full queue of 20; the rest
			// were dropped as they were finished.
			if st := inst.Stats(); st.SpansStarted != 200 || st.SpansFinished != 200 || st.Pending() != 21 || st.SpansDropped != 179 {
				t.Errorf("held: Stats = %s, want 21 pending and 179 dropped", st)
			}
			close(exp.release)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = inst.Shutdown(ctx)
			st := inst.Stats()
			if st.SpansExported != tt.wantExported || st.SpansDropped != tt.wantDropped {
				t.Errorf("after Shutdown: Stats = %s, want %d exported, %d dropped", st, tt.wantExported, tt.wantDropped)
			}
			if tt.err != nil && (st.ExportErrors != 3 || st.LastExportError != tt.err.Error()) {
				t.Errorf("after Shutdown: Stats = %s, want 3 failed exports", st)
			}
		})
	}
}

// TestShutdownCancelsHeldExport: Shutdown returns by its deadline with an
// export that never ends, and then every span is accounted for.
func TestShutdownCancelsHeldExport(t *testing.T) {
	exp := &stubExporter{release: make(chan struct{})}
	inst := statsInstance(t, exp, 20)
	for range 50 {
		inst.Tracer.StartSpan("s").Finish()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	began := time.Now()
	err := inst.Shutdown(ctx)
	if took := time.Since(began); took > 3*time.Second || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown = %v after %v, want the deadline error by its deadline", err, took)
	}
	if st := inst.Stats(); st.SpansDropped != 50 || st.SpansExported != 0 {
		t.Errorf("Stats = %s, want every span dropped", st)
	}
	// The SDK's provider records nothing once shut down: such a span is
	// neither exported nor held.
	inst.Tracer.StartSpan("after").Finish()
	if st := inst.Stats(); st.Pending() != 0 || st.SpansExported != 0 {
		t.Errorf("a span finished after Shutdown: Stats = %s, want nothing held or exported", st)
	}
}
