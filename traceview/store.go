package traceview

import (
	"cmp"
	"slices"
	"sync"
	"time"

	"github.com/openzipkin/zipkin-go/model"
)

// DefaultMaxBytes bounds a store when TRACER_UI_MAX_BYTES is unset: 64 MiB.
const DefaultMaxBytes = 64 << 20

// MinMaxBytes is the smallest bound a store takes: 64 KiB.
const MinMaxBytes = 64 << 10

// maxOperations bounds how many (service, operation) pairs a store
// summarizes; spans of further operations are stored and searchable, and
// summarized under otherOperations.
const maxOperations = 1000

// otherOperations names the summary row of the operations beyond
// maxOperations.
const otherOperations = "(other operations)"

// samplesPerBucket is how many traces a store keeps for each latency
// bucket of an operation, and for its errors.
const samplesPerBucket = 2

// recentDurations is how many of an operation's latest durations its
// percentiles are computed from.
const recentDurations = 512

// latencyBuckets are the lower bounds of the latency buckets of each operation's
// histogram, as in zPages: a span falls in the last bucket whose bound
// its duration reaches.
var latencyBuckets = [...]time.Duration{0, 10 * time.Microsecond, 100 * time.Microsecond, time.Millisecond,
	10 * time.Millisecond, 100 * time.Millisecond, time.Second, 10 * time.Second, 100 * time.Second}

const numBuckets = len(latencyBuckets)

func bucketOf(d time.Duration) int {
	for i := numBuckets - 1; i > 0; i-- {
		if d >= latencyBuckets[i] {
			return i
		}
	}
	return 0
}

// A Store holds recently finished spans in memory, grouped in traces,
// bounded by the bytes they hold, and a summary of every operation it has
// seen. The ui backend's tracers add to one (by default the process's,
// see [Default]); [Handler] serves one. Its methods are safe for
// concurrent use.
//
// When the spans' bytes pass the bound, whole traces go, the oldest
// first, except that each operation keeps, out of that order, the latest
// traces of each latency bucket and of its errors (samplesPerBucket of
// each): the rare slow or failed request stays there to open. Those
// samples may use up to half the bound; beyond it the oldest samples go.
type Store struct {
	mu        sync.Mutex
	maxBytes  int64
	sized     bool // maxBytes was asked for: grow only raises it
	traces    map[model.TraceID]*trace
	ring      queue // traces in arrival order
	kept      queue // traces out of the ring, kept as samples
	ringBytes int64
	keptBytes int64
	ops       map[opKey]*operation
	changes   uint64 // spans added so far: a page is stale when it changes
}

// trace is the spans of one trace held by a store.
type trace struct {
	id     model.TraceID
	spans  []*span
	bytes  int64
	pins   int  // sample slots that name this trace
	inRing bool // false: kept only as a sample
	gone   bool // removed from the store
}

// queue is a FIFO of traces; removed traces are skipped when popped.
type queue struct {
	items []*trace
	head  int
}

func (q *queue) push(t *trace) { q.items = append(q.items, t) }

func (q *queue) pop() *trace {
	for q.head < len(q.items) {
		t := q.items[q.head]
		q.items[q.head] = nil
		q.head++
		if q.head > 1024 && q.head*2 > len(q.items) {
			q.items = append(q.items[:0:0], q.items[q.head:]...)
			q.head = 0
		}
		return t
	}
	return nil
}

type opKey struct{ Service, Operation string }

// operation summarizes the spans of one service and operation.
type operation struct {
	count, errors int64
	buckets       [numBuckets]int64
	recent        [recentDurations]time.Duration // a ring of the latest durations
	next          int                            // recent's next slot
	samples       [numBuckets]slots
	errorSamples  slots
}

// slots are the sample traces of one bucket, the newest replacing the
// oldest.
type slots struct {
	ids  [samplesPerBucket]model.TraceID
	next int
}

// NewStore returns an empty store bounded by maxBytes (at least
// [MinMaxBytes]).
func NewStore(maxBytes int64) *Store {
	return &Store{
		maxBytes: max(maxBytes, MinMaxBytes),
		sized:    true,
		traces:   map[model.TraceID]*trace{},
		ops:      map[opKey]*operation{},
	}
}

var (
	defaultOnce  sync.Once
	defaultStore *Store
)

// Default returns the process's store: the one every tracer of the ui
// backend adds to unless its options name another, and the one to give
// [Handler] to serve them. It is bounded by the largest
// TRACER_UI_MAX_BYTES of the tracers opened on it ([DefaultMaxBytes]
// where unset).
func Default() *Store {
	defaultOnce.Do(func() {
		defaultStore = NewStore(DefaultMaxBytes)
		defaultStore.sized = false
	})
	return defaultStore
}

// MaxBytes returns the store's bound.
func (s *Store) MaxBytes() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxBytes
}

// Grow raises the store's bound to n (at least [MinMaxBytes]) if n is
// larger; the first call on [Default] sets it, so the process's store
// takes the largest bound its tracers ask for.
func (s *Store) Grow(n int64) {
	n = max(n, MinMaxBytes)
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.sized {
		s.maxBytes, s.sized = n, true
		return
	}
	s.maxBytes = max(s.maxBytes, n)
}

// Bytes returns the bytes the store's spans hold now, samples included.
func (s *Store) Bytes() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ringBytes + s.keptBytes
}

// Add stores a finished span, with the user information and query
// strings of URLs in its values removed; it reports false, storing
// nothing, when the span's trace would hold more than half the store's
// bound. It is safe for concurrent use.
func (s *Store) Add(m model.SpanModel) bool { return s.add(newSpan(m)) }

// add stores sp; it reports false, storing nothing, when sp's trace
// would hold more than half the store's bound.
func (s *Store) add(sp *span) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.traces[sp.TraceID]
	// One trace may use half the bound: the rest is for the others.
	var held int64
	if t != nil {
		held = t.bytes
	}
	if held+sp.size > s.maxBytes/2 {
		return false // counted as dropped by the reporter
	}
	s.changes++
	if t == nil {
		t = &trace{id: sp.TraceID, inRing: true}
		s.traces[sp.TraceID] = t
		s.ring.push(t)
	}
	t.spans = append(t.spans, sp)
	t.bytes += sp.size
	if t.inRing {
		s.ringBytes += sp.size
	} else {
		s.keptBytes += sp.size
	}
	s.summarize(sp)
	s.evict(t)
	return true
}

// summarize counts sp in its operation's summary and makes its trace a
// sample of its bucket (and of the errors).
func (s *Store) summarize(sp *span) {
	key := opKey{sp.Service, sp.Operation}
	op := s.ops[key]
	if op == nil {
		if len(s.ops) >= maxOperations {
			key.Operation = otherOperations
			op = s.ops[key]
		}
		if op == nil {
			op = &operation{}
			s.ops[key] = op
		}
	}
	op.count++
	b := bucketOf(sp.Duration)
	op.buckets[b]++
	op.recent[op.next] = sp.Duration
	op.next = (op.next + 1) % recentDurations
	s.pin(&op.samples[b], sp.TraceID)
	if sp.Error {
		op.errors++
		s.pin(&op.errorSamples, sp.TraceID)
	}
}

// pin makes id the newest sample of sl, releasing the oldest.
func (s *Store) pin(sl *slots, id model.TraceID) {
	for _, have := range sl.ids {
		if have == id {
			return // already a sample here
		}
	}
	if old := sl.ids[sl.next]; !old.Empty() {
		if t := s.traces[old]; t != nil {
			t.pins--
			if t.pins == 0 && !t.inRing {
				s.remove(t)
			}
		}
	}
	sl.ids[sl.next] = id
	sl.next = (sl.next + 1) % samplesPerBucket
	if t := s.traces[id]; t != nil {
		t.pins++
	}
}

// evict removes whole traces, oldest first, until the store is within its
// bound; it never removes current, the trace just added to. Traces that
// are samples leave the ring for the kept set, which may use half the
// bound.
func (s *Store) evict(current *trace) {
	for s.ringBytes+s.keptBytes > s.maxBytes {
		t := s.ring.pop()
		if t == nil {
			break
		}
		if t.gone || !t.inRing {
			continue
		}
		if t == current {
			s.ring.push(t) // the newest: it goes last
			if s.ringBytes == t.bytes {
				break
			}
			continue
		}
		if t.pins == 0 {
			s.remove(t)
			continue
		}
		t.inRing = false
		s.ringBytes -= t.bytes
		s.keptBytes += t.bytes
		s.kept.push(t)
	}
	for s.keptBytes > s.maxBytes/2 {
		t := s.kept.pop()
		if t == nil {
			break
		}
		if t.gone || t.inRing {
			continue
		}
		s.remove(t)
	}
}

// remove forgets t; sample slots that name it find nothing.
func (s *Store) remove(t *trace) {
	if t.gone {
		return
	}
	t.gone = true
	delete(s.traces, t.id)
	if t.inRing {
		s.ringBytes -= t.bytes
	} else {
		s.keptBytes -= t.bytes
	}
}

// trace returns the spans the store holds of trace id, in start order, or
// nil.
func (s *Store) trace(id model.TraceID) []*span {
	s.mu.Lock()
	t := s.traces[id]
	var spans []*span
	if t != nil {
		spans = slices.Clone(t.spans)
	}
	s.mu.Unlock()
	sortByStart(spans)
	return spans
}

func sortByStart(spans []*span) {
	slices.SortStableFunc(spans, func(a, b *span) int { return a.Start.Compare(b.Start) })
}

// services returns the names of the services the store has seen, sorted.
func (s *Store) services() []string {
	s.mu.Lock()
	seen := map[string]bool{}
	for k := range s.ops {
		seen[k.Service] = true
	}
	s.mu.Unlock()
	out := make([]string, 0, len(seen))
	for name := range seen {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

// operations returns the operation names of service, sorted.
func (s *Store) operations(service string) []string {
	s.mu.Lock()
	var out []string
	for k := range s.ops {
		if k.Service == service && k.Operation != otherOperations {
			out = append(out, k.Operation)
		}
	}
	s.mu.Unlock()
	slices.Sort(out)
	return out
}

// summary is one row of the overview: an operation's counts, percentiles
// and histogram.
type summary struct {
	Service, Operation string
	Count, Errors      int64
	P50, P95, P99      time.Duration // of the latest recentDurations spans
	Buckets            [numBuckets]int64
	// Samples holds, per bucket, whether a sample trace is still held.
	Samples      [numBuckets]bool
	ErrorSamples bool
}

// summaries returns the summary of every operation, sorted by service
// and operation.
func (s *Store) summaries() []summary {
	s.mu.Lock()
	out := make([]summary, 0, len(s.ops))
	var recent []time.Duration
	for k, op := range s.ops {
		sum := summary{Service: k.Service, Operation: k.Operation, Count: op.count, Errors: op.errors, Buckets: op.buckets}
		for b := range op.samples {
			sum.Samples[b] = s.holds(op.samples[b])
		}
		sum.ErrorSamples = s.holds(op.errorSamples)
		n := min(op.count, recentDurations)
		recent = append(recent[:0], op.recent[:n]...)
		slices.Sort(recent)
		sum.P50, sum.P95, sum.P99 = percentile(recent, 0.50), percentile(recent, 0.95), percentile(recent, 0.99)
		out = append(out, sum)
	}
	s.mu.Unlock()
	slices.SortFunc(out, func(a, b summary) int {
		return cmp.Or(cmp.Compare(a.Service, b.Service), cmp.Compare(a.Operation, b.Operation))
	})
	return out
}

// holds reports whether any trace of sl is still in the store.
func (s *Store) holds(sl slots) bool {
	for _, id := range sl.ids {
		if !id.Empty() && s.traces[id] != nil {
			return true
		}
	}
	return false
}

// percentile returns the p-th quantile of sorted (nearest rank).
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p*float64(len(sorted)) + 0.999999)
	return sorted[min(max(i-1, 0), len(sorted)-1)]
}

// query selects traces: a trace matches when one of its spans matches
// every field that is set.
type query struct {
	Service, Operation string
	Tags               map[string]string // each on the span, or in one of its logs
	MinDuration        time.Duration
	MaxDuration        time.Duration // zero: no bound
	Start, End         time.Time     // the span's start; zero: no bound
	Errors             bool          // only traces with an error span
	NoErrors           bool          // only traces without one
	Limit              int           // zero: no limit
}

func (q query) matches(sp *span) bool {
	switch {
	case q.Service != "" && sp.Service != q.Service,
		q.Operation != "" && sp.Operation != q.Operation,
		sp.Duration < q.MinDuration,
		q.MaxDuration > 0 && sp.Duration > q.MaxDuration,
		!q.Start.IsZero() && sp.Start.Before(q.Start),
		!q.End.IsZero() && sp.Start.After(q.End):
		return false
	}
	for k, v := range q.Tags {
		if !hasTag(sp, k, v) {
			return false
		}
	}
	return true
}

func hasTag(sp *span, k, v string) bool {
	if got, ok := sp.Tag(k); ok && got == v {
		return true
	}
	if k == "span.kind" && sp.kind() == v {
		return true
	}
	for _, l := range sp.Logs {
		for _, f := range l.Fields {
			if f.Key == k && f.Value == v {
				return true
			}
		}
	}
	return false
}

// find returns the traces that match q, the most recently started first,
// each with its spans in start order.
func (s *Store) find(q query) [][]*span {
	type found struct {
		start time.Time
		spans []*span
	}
	var hits []found
	s.mu.Lock()
	for _, t := range s.traces {
		var match, failed bool
		for _, sp := range t.spans {
			match = match || q.matches(sp)
			failed = failed || sp.Error
		}
		if !match || (q.Errors && !failed) || (q.NoErrors && failed) {
			continue
		}
		f := found{spans: slices.Clone(t.spans)}
		for _, sp := range t.spans {
			if f.start.IsZero() || sp.Start.Before(f.start) {
				f.start = sp.Start
			}
		}
		hits = append(hits, f)
	}
	s.mu.Unlock()
	slices.SortFunc(hits, func(a, b found) int { return b.start.Compare(a.start) })
	if q.Limit > 0 && len(hits) > q.Limit {
		hits = hits[:q.Limit]
	}
	out := make([][]*span, len(hits))
	for i, h := range hits {
		sortByStart(h.spans)
		out[i] = h.spans
	}
	return out
}

// version changes whenever a span is added: pages poll it to refresh.
func (s *Store) version() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changes
}

// size returns how many spans and traces the store holds, the bytes they
// hold and the bound.
func (s *Store) size() (spans, traces int, bytes, bound int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.traces {
		spans += len(t.spans)
	}
	return spans, len(s.traces), s.ringBytes + s.keptBytes, s.maxBytes
}
