package traceview

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/openzipkin/zipkin-go/model"
)

// mkSpan makes a root span of its own trace n.
func mkSpan(n uint64, op string, d time.Duration, failed bool) *span {
	sp := &span{TraceID: model.TraceID{Low: n}, ID: model.ID(n), Service: "svc", Operation: op,
		Start: time.Unix(0, 0).Add(time.Duration(n) * time.Millisecond), Duration: d, Error: failed,
		Tags: []tag{{"http.url", fmt.Sprintf("/items/%d", n)}}}
	if failed {
		sp.Tags = append(sp.Tags, tag{"error", "true"})
	}
	sp.size = sp.bytes()
	return sp
}

// TestStoreBound: the store holds at most its bound; whole oldest traces
// go first; the newest trace, and each bucket's and the errors' latest
// samples, stay however often the ring turns over.
func TestStoreBound(t *testing.T) {
	s := NewStore(MinMaxBytes)
	slow := mkSpan(1, "GET /items/:id", 2*time.Second, false)
	failed := mkSpan(2, "GET /items/:id", 50*time.Microsecond, true)
	s.add(slow)
	s.add(failed)
	const n = 20000
	for i := uint64(3); i < n; i++ {
		if !s.add(mkSpan(i, "GET /items/:id", 50*time.Microsecond, false)) {
			t.Fatalf("span %d refused", i)
		}
		if b := s.Bytes(); b > s.MaxBytes() {
			t.Fatalf("after span %d the store holds %d bytes, over its bound %d", i, b, s.MaxBytes())
		}
		if i%97 == 0 {
			checkAccounting(t, s)
		}
	}
	for _, tt := range []struct {
		name string
		id   uint64
		held bool
	}{{"slow sample", 1, true}, {"error sample", 2, true}, {"newest", n - 1, true}, {"oldest plain", 3, false}, {"middle", n / 2, false}} {
		if got := len(s.trace(model.TraceID{Low: tt.id})) > 0; got != tt.held {
			t.Errorf("%s trace %d held = %v, want %v", tt.name, tt.id, got, tt.held)
		}
	}
	sums := s.summaries()
	if len(sums) != 1 {
		t.Fatalf("summaries %+v, want one operation", sums)
	}
	sum := sums[0]
	if sum.Count != n-1 || sum.Errors != 1 {
		t.Errorf("count %d errors %d, want %d and 1", sum.Count, sum.Errors, n-1)
	}
	for b, c := range sum.Buckets {
		if c > 0 && !sum.Samples[b] {
			t.Errorf("bucket %s has %d spans but no sample held", bucketLabel(b), c)
		}
	}
	if sum.Buckets[bucketOf(2*time.Second)] != 1 || !sum.ErrorSamples {
		t.Errorf("buckets %v, error sample %v: want the slow span in its bucket and an error sample", sum.Buckets, sum.ErrorSamples)
	}
	// The samples' traces are found by search, the bucket links' target.
	found := s.find(query{Service: "svc", MinDuration: time.Second})
	if len(found) != 1 || found[0][0].TraceID.Low != 1 {
		t.Errorf("search for the slow bucket found %d traces, want the slow one", len(found))
	}
	if found := s.find(query{Errors: true}); len(found) != 1 || found[0][0].TraceID.Low != 2 {
		t.Errorf("search for errors found %d traces, want the failed one", len(found))
	}
}

// TestStoreSamplesBounded: samples of many operations use at most half
// the bound, and the store as a whole stays within it.
func TestStoreSamplesBounded(t *testing.T) {
	s := NewStore(MinMaxBytes)
	pad := strings.Repeat("p", 300)
	for i := uint64(1); i < 5000; i++ {
		sp := mkSpan(i, fmt.Sprintf("op-%d", i), time.Duration(i)*time.Microsecond, i%3 == 0)
		sp.Tags = append(sp.Tags, tag{"pad", pad})
		sp.size = sp.bytes()
		s.add(sp)
		s.mu.Lock()
		kept, total := s.keptBytes, s.ringBytes+s.keptBytes
		s.mu.Unlock()
		if kept > s.maxBytes/2 || total > s.maxBytes {
			t.Fatalf("after span %d: samples hold %d, all %d; bound %d", i, kept, total, s.maxBytes)
		}
		if i%97 == 0 {
			checkAccounting(t, s)
		}
	}
	if n := len(s.summaries()); n != maxOperations+1 {
		t.Errorf("%d summary rows, want %d operations and %q", n, maxOperations, otherOperations)
	}
}

// TestStoreTraceOverHalfRefused: one trace may not take more than half
// the store, so the others still fit.
func TestStoreTraceOverHalfRefused(t *testing.T) {
	s := NewStore(MinMaxBytes)
	var refused int
	for i := range 100 {
		sp := mkSpan(7, "big", time.Millisecond, false)
		sp.ID = model.ID(i + 100)
		sp.Tags = append(sp.Tags, tag{"pad", strings.Repeat("x", 1000)})
		sp.size = sp.bytes()
		if !s.add(sp) {
			refused++
		}
	}
	if refused == 0 || s.Bytes() > s.MaxBytes()/2 {
		t.Errorf("refused %d spans, the trace holds %d of %d", refused, s.Bytes(), s.MaxBytes())
	}
}

func TestPercentiles(t *testing.T) {
	s := NewStore(DefaultMaxBytes)
	for i := uint64(1); i <= 100; i++ {
		s.add(mkSpan(i, "op", time.Duration(i)*time.Millisecond, false))
	}
	sum := s.summaries()[0]
	if sum.P50 != 50*time.Millisecond || sum.P95 != 95*time.Millisecond || sum.P99 != 99*time.Millisecond {
		t.Errorf("p50 %v p95 %v p99 %v, want 50ms 95ms 99ms", sum.P50, sum.P95, sum.P99)
	}
	// Only the latest recentDurations count.
	for i := uint64(101); i <= 100+recentDurations; i++ {
		s.add(mkSpan(i, "op", time.Second, false))
	}
	if sum := s.summaries()[0]; sum.P50 != time.Second || sum.Count != 100+recentDurations {
		t.Errorf("after %d spans of 1s: p50 %v count %d", recentDurations, sum.P50, sum.Count)
	}
}

func TestBucketOf(t *testing.T) {
	for d, want := range map[time.Duration]int{0: 0, 9 * time.Microsecond: 0, 10 * time.Microsecond: 1,
		999 * time.Microsecond: 2, time.Millisecond: 3, 150 * time.Millisecond: 5, time.Hour: 8} {
		if got := bucketOf(d); got != want {
			t.Errorf("bucketOf(%v) = %d, want %d", d, got, want)
		}
	}
}

// checkAccounting fails t unless the store's byte counts are those of the
// traces it holds, and every held trace is in the ring or the kept set.
func checkAccounting(t *testing.T, s *Store) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	var ring, kept int64
	for _, tr := range s.traces {
		var sum int64
		for _, sp := range tr.spans {
			sum += sp.size
		}
		if sum != tr.bytes {
			t.Fatalf("trace %s: %d bytes counted, its spans hold %d", tr.id, tr.bytes, sum)
		}
		if tr.inRing {
			ring += tr.bytes
		} else {
			kept += tr.bytes
		}
	}
	if ring != s.ringBytes || kept != s.keptBytes {
		t.Fatalf("store counts ring %d kept %d; its traces hold ring %d kept %d", s.ringBytes, s.keptBytes, ring, kept)
	}
	queued := map[*trace]bool{}
	for _, q := range []*queue{&s.ring, &s.kept} {
		for _, tr := range q.items[q.head:] {
			if tr != nil && !tr.gone {
				queued[tr] = true
			}
		}
	}
	for _, tr := range s.traces {
		if !queued[tr] {
			t.Fatalf("trace %s is held but in no queue: it would never be evicted", tr.id)
		}
	}
}

// TestDefaultStoreBound: the process's store takes the bound its first
// tracer asks for, and the largest after that.
func TestDefaultStoreBound(t *testing.T) {
	s := NewStore(DefaultMaxBytes)
	s.sized = false // as Default's
	s.Grow(1 << 20)
	if got := s.MaxBytes(); got != 1<<20 {
		t.Errorf("first bound asked 1MiB: %d", got)
	}
	s.Grow(64 << 10)
	s.Grow(2 << 20)
	if got := s.MaxBytes(); got != 2<<20 {
		t.Errorf("bounds 1MiB, 64KiB, 2MiB asked: %d, want the largest", got)
	}
	if Default() != Default() || Default().MaxBytes() < MinMaxBytes {
		t.Error("Default is not one bounded store")
	}
}

// BenchmarkStoreAdd adds one-span traces to a store at its least bound,
// so that nearly every add evicts a trace.
func BenchmarkStoreAdd(b *testing.B) {
	s := NewStore(MinMaxBytes)
	spans := make([]*span, 4096)
	for i := range spans {
		spans[i] = mkSpan(uint64(i+1), "GET /items/:id", time.Duration(i)*time.Microsecond, i%50 == 0)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		sp := *spans[i%len(spans)]
		sp.TraceID.Low = uint64(i + 1) // a new trace each time
		s.add(&sp)
		i++
	}
}
