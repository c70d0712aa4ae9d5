package stdout

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/polytrace/polytrace/tracer"
)

// TestStats: lines written are exported; spans the queue cannot hold
// while the writer blocks are dropped as they happen; failed writes are
// export errors.
func TestStats(t *testing.T) {
	var out bytes.Buffer
	inst := mustNew(t, tracer.Config{}, &out)
	for range 5 {
		inst.Tracer.StartSpan("s").Finish()
	}
	if err := shutdownWithin(t, inst, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if st := inst.Stats(); st.SpansStarted != 5 || st.SpansFinished != 5 || st.SpansExported != 5 || st.SpansDropped != 0 {
		t.Errorf("Stats = %s, want 5 exported", st)
	}

	w := newBlockingWriter(t)
	const queue = 10
	blocked := mustNew(t, tracer.Config{QueueSize: queue}, w)
	for range 100 {
		blocked.Tracer.StartSpan("s").Finish()
	}
	// One line is being written, queue lines wait, the rest are dropped.
	if st := blocked.Stats(); st.SpansDropped < 100-queue-1 || st.Pending() > queue+1 {
		t.Errorf("writer blocked: Stats = %s, want at most %d held", st, queue+1)
	}
	w.unblock()
	_ = shutdownWithin(t, blocked, 10*time.Second)
	if st := blocked.Stats(); st.SpansExported+st.SpansDropped != 100 {
		t.Errorf("after Shutdown: %s, want every span exported or dropped", st)
	}

	failing := mustNew(t, tracer.Config{}, errWriter{})
	failing.Tracer.StartSpan("s").Finish()
	_ = shutdownWithin(t, failing, 10*time.Second)
	if st := failing.Stats(); st.ExportErrors != 1 || st.SpansDropped != 1 || st.LastExportError != "write: disk full" {
		t.Errorf("failing writer: Stats = %+v", st)
	}
}

type errWriter struct{}

func (errWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }
