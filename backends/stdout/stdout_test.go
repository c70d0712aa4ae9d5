package stdout

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	"github.com/opentracing/opentracing-go/log"
	"github.com/openzipkin/zipkin-go/model"
	"go.uber.org/goleak"

	"github.com/polytrace/polytrace/tracer"
	"github.com/polytrace/polytrace/tracer/tracertest"
)

// Every test must leave no writing goroutine behind.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// safeBuffer is a writer safe for concurrent use that records each Write.
type safeBuffer struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	writes int
}

func (b *safeBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.writes++
	return b.buf.Write(p)
}

func (b *safeBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// blockingWriter blocks every Write until unblocked.
type blockingWriter struct {
	release chan struct{}
	once    sync.Once
}

func newBlockingWriter(t *testing.T) *blockingWriter {
	w := &blockingWriter{release: make(chan struct{})}
	t.Cleanup(w.unblock)
	return w
}

func (w *blockingWriter) Write(p []byte) (int, error) { <-w.release; return len(p), nil }
func (w *blockingWriter) unblock()                    { w.once.Do(func() { close(w.release) }) }

type failingWriter struct{ err error }

func (w failingWriter) Write([]byte) (int, error) { return 0, w.err }

type panickingWriter struct{}

func (panickingWriter) Write([]byte) (int, error) { panic("boom") }

// gotLine is a line as a reader decodes it. Decoding refuses unknown
// fields, so the tests also pin the set of fields.
type gotLine struct {
	TraceID   string  `json:"trace_id"`
	SpanID    string  `json:"span_id"`
	ParentID  *string `json:"parent_id"`
	Service   string  `json:"service"`
	Operation string  `json:"operation"`
	Kind      string  `json:"kind"`
	Remote    *struct {
		Service string `json:"service"`
		IPv4    string `json:"ipv4"`
		Port    int    `json:"port"`
	} `json:"remote"`
	Start      string            `json:"start"`
	DurationUS *int64            `json:"duration_us"`
	Tags       map[string]string `json:"tags"`
	Logs       []struct {
		Time   string            `json:"time"`
		Fields map[string]string `json:"fields"`
	} `json:"logs"`
}

func parseLines(t *testing.T, out string) []gotLine {
	t.Helper()
	var lines []gotLine
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.DisallowUnknownFields()
		var l gotLine
		if err := dec.Decode(&l); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		lines = append(lines, l)
	}
	if out != "" && !strings.HasSuffix(out, "\n") {
		t.Errorf("output does not end with a newline: %q", out)
	}
	return lines
}

func mustNew(t *testing.T, cfg tracer.Config, w interface{ Write([]byte) (int, error) }) *tracer.Instance {
	t.Helper()
	inst, err := New(cfg, Options{Writer: w})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if inst == nil || inst.Tracer == nil || inst.Shutdown == nil {
		t.Fatal("New returned an incomplete instance")
	}
	return inst
}

func shutdownWithin(t *testing.T, inst *tracer.Instance, d time.Duration) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return inst.Shutdown(ctx)
}

// b3IDs reads a context's trace and span ids through the tracer's own
// B3 injection.
func b3IDs(tr opentracing.Tracer, sc opentracing.SpanContext) (trace, span string) {
	m := opentracing.TextMapCarrier{}
	if err := tr.Inject(sc, opentracing.TextMap, m); err != nil {
		return "", ""
	}
	return m["x-b3-traceid"], m["x-b3-spanid"]
}

func TestConformance(t *testing.T) {
	first := mustNew(t, tracer.Config{}, &safeBuffer{})
	t.Cleanup(func() { _ = shutdownWithin(t, first, 10*time.Second) })
	probe := tracertest.ConverterProbe(first.Converter)
	tracertest.Run(t, tracertest.Harness{
		Open: func(t *testing.T, cfg tracer.Config) *tracer.Instance {
			return mustNew(t, cfg, &safeBuffer{})
		},
		OpenRecorded: func(t *testing.T, cfg tracer.Config) (*tracer.Instance, func() []tracertest.Exported) {
			out := &safeBuffer{}
			return mustNew(t, cfg, out), func() []tracertest.Exported {
				var exported []tracertest.Exported
				for _, l := range parseLines(t, out.String()) {
					e := tracertest.Exported{Operation: l.Operation, Tags: map[string]string{}}
					parent := ""
					if l.ParentID != nil {
						parent = *l.ParentID
					}
					e.TraceID, e.SpanID, e.ParentID = tracertest.HexIDs(l.TraceID, l.SpanID, parent)
					if start, err := time.Parse(time.RFC3339Nano, l.Start); err == nil && l.DurationUS != nil {
						e.Start, e.Finish = start, start.Add(time.Duration(*l.DurationUS)*time.Microsecond)
					}
					maps.Copy(e.Tags, l.Tags)
					if l.Kind != "" {
						e.Tags["span.kind"] = strings.ToLower(l.Kind)
					}
					for _, r := range l.Logs {
						e.Logs = append(e.Logs, r.Fields)
					}
					exported = append(exported, e)
				}
				return exported
			}
		},
		// There is no network: the nearest thing to an unreachable
		// collector is a writer that never returns.
		OpenUnreachable: func(t *testing.T, cfg tracer.Config) *tracer.Instance {
			w := newBlockingWriter(t)
			inst := mustNew(t, cfg, w)
			t.Cleanup(func() {
				w.unblock()
				if err := shutdownWithin(t, inst, 10*time.Second); err != nil {
					t.Errorf("Shutdown after the writer was unblocked: %v", err)
				}
			})
			return inst
		},
		Probe: probe,
	})
}

// TestLines is the golden test: every line parses, and ids, parent links,
// service, operation, kind, tags and logs are those of the spans.
func TestLines(t *testing.T) {
	var out safeBuffer
	inst := mustNew(t, tracer.Config{ServiceName: "Checkout", Tags: map[string]string{"env": "prod"}}, &out)
	tr := inst.Tracer

	root := tr.StartSpan("GET /orders/:id", ext.SpanKindRPCServer)
	child := tr.StartSpan("load-order", opentracing.ChildOf(root.Context()),
		opentracing.Tag{Key: "db.type", Value: "sql"},
		opentracing.Tag{Key: string(ext.PeerService), Value: "postgres"},
		opentracing.Tag{Key: string(ext.PeerPort), Value: uint16(5432)})
	child.SetTag("rows", 3).SetTag("html", "<b>&</b>")
	child.LogKV("event", "cache-miss", "key", "order-7")
	child.LogFields(log.String("event", "retry"), log.Int("attempt", 2))
	grandchild := tr.StartSpan("decode", opentracing.FollowsFrom(child.Context()))
	grandchild.Finish()
	child.Finish()
	root.Finish()
	rootTrace, rootID := b3IDs(tr, root.Context())
	_, childID := b3IDs(tr, child.Context())
	_, grandID := b3IDs(tr, grandchild.Context())

	if err := shutdownWithin(t, inst, 10*time.Second); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	lines := parseLines(t, out.String())
	if len(lines) != 3 {
		t.Fatalf("got %d lines, want 3:\n%s", len(lines), out.String())
	}
	if out.writes != 3 {
		t.Errorf("%d writes for 3 lines, want one each", out.writes)
	}
	g, c, r := lines[0], lines[1], lines[2] // in finishing order

	wantNames := []string{"decode", "load-order", "GET /orders/:id"}
	wantIDs := []string{grandID, childID, rootID}
	for i, l := range lines {
		if l.Operation != wantNames[i] || l.SpanID != wantIDs[i] {
			t.Errorf("line %d: operation %q span %q; want %q %q", i, l.Operation, l.SpanID, wantNames[i], wantIDs[i])
		}
		if l.TraceID != rootTrace || !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(l.TraceID) {
			t.Errorf("line %d: trace id %q, want %s (32 hex digits)", i, l.TraceID, rootTrace)
		}
		if !regexp.MustCompile(`^[0-9a-f]{16}$`).MatchString(l.SpanID) {
			t.Errorf("line %d: span id %q, want 16 hex digits", i, l.SpanID)
		}
		if l.Service != "Checkout" {
			t.Errorf("line %d: service %q, want Checkout", i, l.Service)
		}
		if l.Tags["env"] != "prod" {
			t.Errorf("line %d: tags %v, want env=prod", i, l.Tags)
		}
		start, err := time.Parse(time.RFC3339Nano, l.Start)
		if err != nil || time.Since(start) > time.Minute || start.Location() != time.UTC {
			t.Errorf("line %d: start %q is not a recent RFC 3339 UTC time (%v)", i, l.Start, err)
		}
		if l.DurationUS == nil || *l.DurationUS < 0 {
			t.Errorf("line %d: duration_us %v", i, l.DurationUS)
		}
	}
	if r.ParentID != nil || r.Kind != "SERVER" || len(r.Logs) != 0 || r.Remote != nil {
		t.Errorf("root: parent %v kind %q logs %v remote %v; want no parent, SERVER, no logs, no remote", r.ParentID, r.Kind, r.Logs, r.Remote)
	}
	if c.ParentID == nil || *c.ParentID != rootID || c.Kind != "" {
		t.Errorf("child: parent %v kind %q; want %s and no kind", c.ParentID, c.Kind, rootID)
	}
	if g.ParentID == nil || *g.ParentID != childID {
		t.Errorf("grandchild: parent %v, want %s", g.ParentID, childID)
	}
	wantTags := map[string]string{"env": "prod", "db.type": "sql", "rows": "3", "html": "<b>&</b>"}
	if len(c.Tags) != len(wantTags) {
		t.Errorf("child tags %v, want %v", c.Tags, wantTags)
	}
	for k, v := range wantTags {
		if c.Tags[k] != v {
			t.Errorf("child tags %v, want %v", c.Tags, wantTags)
		}
	}
	if c.Remote == nil || c.Remote.Service != "postgres" || c.Remote.Port != 5432 {
		t.Errorf("child remote %+v, want postgres:5432", c.Remote)
	}
	if len(c.Logs) != 2 {
		t.Fatalf("child logs %+v, want 2 records", c.Logs)
	}
	if f := c.Logs[0].Fields; len(f) != 2 || f["event"] != "cache-miss" || f["key"] != "order-7" {
		t.Errorf("first log fields %v", f)
	}
	if f := c.Logs[1].Fields; len(f) != 2 || f["event"] != "retry" || f["attempt"] != "2" {
		t.Errorf("second log fields %v", f)
	}
	for _, rec := range c.Logs {
		if _, err := time.Parse(time.RFC3339Nano, rec.Time); err != nil {
			t.Errorf("log time %q: %v", rec.Time, err)
		}
	}
	if !strings.Contains(out.String(), `"html":"<b>&</b>"`) {
		t.Errorf("HTML characters escaped in %s", out.String())
	}
}

func TestLogsFromAnnotations(t *testing.T) {
	t0 := time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC)
	t1 := t0.Add(time.Millisecond)
	tests := []struct {
		name string
		give []model.Annotation
		want []logRecord
	}{
		{"none", nil, nil},
		{"one record", []model.Annotation{{Timestamp: t0, Value: "event:x"}, {Timestamp: t0, Value: "n:1"}},
			[]logRecord{{Time: "2025-01-02T03:04:05.000000006Z", Fields: map[string]string{"event": "x", "n": "1"}}}},
		{"two times", []model.Annotation{{Timestamp: t0, Value: "a:1"}, {Timestamp: t1, Value: "a:2"}},
			[]logRecord{{Time: "2025-01-02T03:04:05.000000006Z", Fields: map[string]string{"a": "1"}}, {Time: "2025-01-02T03:04:05.001000006Z", Fields: map[string]string{"a": "2"}}}},
		{"repeated key at one time", []model.Annotation{{Timestamp: t0, Value: "a:1"}, {Timestamp: t0, Value: "a:2"}},
			[]logRecord{{Time: "2025-01-02T03:04:05.000000006Z", Fields: map[string]string{"a": "1"}}, {Time: "2025-01-02T03:04:05.000000006Z", Fields: map[string]string{"a": "2"}}}},
		{"value with colons", []model.Annotation{{Timestamp: t0, Value: "url:http://x:80/"}},
			[]logRecord{{Time: "2025-01-02T03:04:05.000000006Z", Fields: map[string]string{"url": "http://x:80/"}}}},
		{"bare annotation", []model.Annotation{{Timestamp: t0, Value: "cs"}},
			[]logRecord{{Time: "2025-01-02T03:04:05.000000006Z", Fields: map[string]string{"event": "cs"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := json.Marshal(logs(tt.give))
			want, _ := json.Marshal(tt.want)
			if string(got) != string(want) {
				t.Errorf("logs = %s, want %s", got, want)
			}
		})
	}
}

func TestConcurrentLinesDoNotInterleave(t *testing.T) {
	var out safeBuffer
	a := mustNew(t, tracer.Config{ServiceName: "a"}, &out)
	b := mustNew(t, tracer.Config{ServiceName: "b"}, &out)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		inst := a
		if i%2 == 1 {
			inst = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 200; j++ {
				s := inst.Tracer.StartSpan("work")
				s.SetTag("payload", strings.Repeat("x", 5000))
				s.Finish()
			}
		}()
	}
	wg.Wait()
	for _, inst := range []*tracer.Instance{a, b} {
		if err := shutdownWithin(t, inst, 10*time.Second); err != nil {
			t.Fatalf("Shutdown: %v", err)
		}
	}
	if n := len(parseLines(t, out.String())); n != 1600 {
		t.Errorf("got %d whole lines, want 1600", n)
	}
}

func TestBlockedWriter(t *testing.T) {
	w := newBlockingWriter(t)
	inst := mustNew(t, tracer.Config{}, w)
	const queueSize = tracer.DefaultQueueSize // tracer.Config.QueueSize is unset
	const n = queueSize + 1000
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		for i := 0; i < n; i++ {
			inst.Tracer.StartSpan("s").Finish()
		}
	}()
	select {
	case <-finished:
	case <-time.After(10 * time.Second):
		t.Fatal("finishing spans blocked on a blocked writer")
	}
	if err := shutdownWithin(t, inst, 100*time.Millisecond); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown with a blocked writer = %v, want the deadline error", err)
	}
	w.unblock()
	err := shutdownWithin(t, inst, 10*time.Second)
	if err == nil || !strings.Contains(err.Error(), "spans dropped") {
		t.Fatalf("Shutdown after unblocking = %v, want spans dropped", err)
	}
	// At most queueSize lines wait, plus the one being written.
	var dropped int
	if _, scanErr := fmt.Sscanf(err.Error(), "stdout: %d spans dropped", &dropped); scanErr != nil || dropped < n-queueSize-1 || dropped >= n {
		t.Errorf("%q: dropped count out of range", err)
	}
}

func TestWriterErrors(t *testing.T) {
	writeErr := errors.New("disk full")
	tests := []struct {
		name string
		give interface{ Write([]byte) (int, error) }
		want string
	}{
		{"error", failingWriter{writeErr}, "stdout: 10 spans not written: write: disk full"},
		{"panic", panickingWriter{}, "stdout: 10 spans not written: writer panicked: boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inst := mustNew(t, tracer.Config{}, tt.give)
			for i := 0; i < 10; i++ {
				inst.Tracer.StartSpan("s").Finish()
			}
			err := shutdownWithin(t, inst, 10*time.Second)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("Shutdown = %v, want %q", err, tt.want)
			}
			if tt.name == "error" && !errors.Is(err, writeErr) {
				t.Errorf("%v does not wrap the write error", err)
			}
			// Spans after Shutdown are dropped quietly.
			inst.Tracer.StartSpan("late").Finish()
		})
	}
}

func TestSampling(t *testing.T) {
	tests := []struct {
		name string
		give *float64
		want int
	}{
		{"unset", nil, 20},
		{"one", tracer.Rate(1), 20},
		{"zero", tracer.Rate(0), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out safeBuffer
			inst := mustNew(t, tracer.Config{SampleRate: tt.give}, &out)
			for i := 0; i < 20; i++ {
				inst.Tracer.StartSpan("s").Finish()
			}
			if err := shutdownWithin(t, inst, 10*time.Second); err != nil {
				t.Fatal(err)
			}
			if got := len(parseLines(t, out.String())); got != tt.want {
				t.Errorf("%d lines, want %d", got, tt.want)
			}
		})
	}
}

func TestInvalidSampleRate(t *testing.T) {
	for _, give := range []float64{-1, 1.5, math.NaN()} {
		inst, err := New(tracer.Config{SampleRate: &give}, Options{Writer: &safeBuffer{}})
		if inst != nil || !errors.Is(err, tracer.ErrInvalidConfig) || !strings.HasPrefix(err.Error(), "stdout: ") ||
			!strings.Contains(err.Error(), "TRACER_SAMPLE_RATE") {
			t.Errorf("rate %v: New = %v, %v; want a stdout error about the sample rate", give, inst, err)
		}
	}
}

func TestOpen(t *testing.T) {
	cfg := tracer.Config{Lookup: tracer.MapLookup(map[string]string{"STDOUT_ANYTHING": "x"})}
	opts, err := OptionsFromConfig(cfg)
	if err != nil || opts.Writer != os.Stdout {
		t.Fatalf("OptionsFromConfig = %+v, %v; want os.Stdout", opts, err)
	}
	inst, err := tracer.Open(Name, tracer.Config{SampleRate: tracer.Rate(0)}) // prints nothing
	if err != nil || inst == nil || inst.Tracer == nil {
		t.Fatalf("tracer.Open(%q) = %v, %v", Name, inst, err)
	}
	if err := shutdownWithin(t, inst, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(tracer.Config{SampleRate: tracer.Rate(2)}); !errors.Is(err, tracer.ErrInvalidConfig) {
		t.Errorf("Open with rate 2: %v", err)
	}
}
