package e2e

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// deliverySpans is how many spans TestShutdownDeliversEverything finishes
// per backend before shutting down.
const deliverySpans = 5000

// TestShutdownDeliversEverything finishes thousands of spans from several
// goroutines with the collector up, shuts the tracer down, then counts the
// spans in the collector: none may be missing, and the tracer's Stats
// must say the same. After Shutdown no goroutine of the tracer or its
// client is left.
func TestShutdownDeliversEverything(t *testing.T) {
	c := startCollectors(t)
	for _, p := range append(networkPaths, stdoutPath) {
		t.Run(p.name, func(t *testing.T) {
			service := fmt.Sprintf("deliver-%s-%d", p.name, time.Now().UnixNano())
			before := goleak.IgnoreCurrent()
			began := time.Now()
			// The queue holds every span: this test is about delivery,
			// not about drops.
			inst := p.open(t, c, service, 2*deliverySpans)
			const workers = 8
			var wg sync.WaitGroup
			for w := range workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := w; i < deliverySpans; i += workers {
						span := inst.Tracer.StartSpan(fmt.Sprintf("op-%d", i%10))
						span.SetTag("i", i)
						span.Finish()
					}
				}()
			}
			wg.Wait()
			if err := shutdownWithin(inst, 30*time.Second); err != nil {
				t.Fatalf("Shutdown: %v", err)
			}
			st := inst.Stats()
			t.Logf("%s: %s", p.name, st)
			if st.SpansStarted != deliverySpans || st.SpansFinished != deliverySpans ||
				st.SpansExported != deliverySpans || st.SpansDropped != 0 {
				t.Errorf("Stats = %s; want %d started, finished and exported, none dropped", st, deliverySpans)
			}
			var got int
			deadline := time.Now().Add(30 * time.Second)
			for {
				if got = p.count(t, c, service, "", began); got >= deliverySpans || time.Now().After(deadline) {
					break
				}
				time.Sleep(250 * time.Millisecond)
			}
			if got != deliverySpans {
				t.Errorf("collector holds %d spans of %s, want %d", got, service, deliverySpans)
			}
			if err := goleak.Find(before); err != nil {
				t.Errorf("goroutines left after Shutdown: %v", err)
			}
		})
	}
}
