package spanstats

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

func TestCounters(t *testing.T) {
	var c Counters
	c.Started(5)
	c.Finished(4)
	c.Exported(2)
	c.Dropped(1)
	c.Exported(0) // no export: LastExportTime stays as it is
	st := c.Stats()
	if st.SpansStarted != 5 || st.SpansFinished != 4 || st.SpansExported != 2 || st.SpansDropped != 1 || st.Pending() != 1 {
		t.Fatalf("Stats = %s", st)
	}
	if st.LastExportTime.IsZero() || st.ExportErrors != 0 || st.LastExportError != "" {
		t.Errorf("Stats = %+v", st)
	}
	// Once closed, the pending span is dropped; later finishes too.
	c.Closed()
	c.Finished(1)
	if st := c.Stats(); st.SpansDropped != 3 || st.Pending() != 0 {
		t.Errorf("after Closed: %s, want 3 dropped, none pending", st)
	}
}

func TestFailedScrubsSecrets(t *testing.T) {
	c := Counters{Redact: func(s string) string { return strings.ReplaceAll(s, "tok-123", "[redacted]") }}
	c.Failed(`Post "https://user:pw-9@collector:443/api?apikey=q-7": token tok-123 refused`)
	st := c.Stats()
	if st.ExportErrors != 1 {
		t.Errorf("ExportErrors = %d, want 1", st.ExportErrors)
	}
	for _, secret := range []string{"pw-9", "q-7", "tok-123"} {
		if strings.Contains(st.LastExportError, secret) {
			t.Errorf("LastExportError %q shows %q", st.LastExportError, secret)
		}
	}
	if !strings.Contains(st.LastExportError, "collector:443/api") {
		t.Errorf("LastExportError %q lost the address", st.LastExportError)
	}
}

func TestCountersConcurrent(t *testing.T) {
	var c Counters
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 1000 {
				c.Started(1)
				c.Finished(1)
				c.Exported(1)
				_ = c.Stats()
			}
		}()
	}
	wg.Wait()
	if st := c.Stats(); st.SpansExported != 8000 || st.SpansFinished != 8000 {
		t.Errorf("Stats = %s", st)
	}
}

// TestFailedAlwaysDescribed: a snapshot that counts an export error
// always has a described last error, however it interleaves with Failed,
// and an empty message is described all the same.
func TestFailedAlwaysDescribed(t *testing.T) {
	var c Counters
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 20000 {
			c.Failed(fmt.Sprintf("attempt %d refused", i))
		}
	}()
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
		}
		if s := c.Stats(); s.ExportErrors > 0 && s.LastExportError == "" {
			t.Fatalf("%d export errors counted, none described", s.ExportErrors)
		}
	}
	var empty Counters
	empty.Failed("")
	if s := empty.Stats(); s.ExportErrors != 1 || s.LastExportError == "" {
		t.Errorf("after Failed(\"\"): %+v, want one described error", s)
	}
}
