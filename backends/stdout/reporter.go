package stdout

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/openzipkin/zipkin-go/model"
	"github.com/openzipkin/zipkin-go/reporter"

	"github.com/polytrace/polytrace/backends/zipkin"
	"github.com/polytrace/polytrace/tracer"
)

// writeMu serializes the writes of every tracer of this package, so that
// tracers sharing a writer (os.Stdout, typically) never interleave lines.
var writeMu sync.Mutex

// lineReporter is a zipkin-go reporter that writes each span as a JSON
// line. Send encodes the line in the caller's goroutine (so later changes
// to the finished span cannot race with it) and queues it without
// blocking; one goroutine writes the queue.
//
// Send must not be called during or after Close: zipkin.NewWithReporter
// guarantees that, which is what makes closing the queue safe.
type lineReporter struct {
	w       io.Writer
	queue   chan []byte
	done    chan struct{} // closed when the writing goroutine ends
	dropped atomic.Int64  // queue full
	written atomic.Int64
	lastOK  atomic.Int64 // Unix nanoseconds of the last line written

	mu      sync.Mutex // guards err, lastErr and failed
	err     error      // first failure to encode or write
	lastErr error      // latest one
	failed  int
}

var _ reporter.Reporter = (*lineReporter)(nil)

func newLineReporter(w io.Writer, size int) *lineReporter {
	r := &lineReporter{w: w, queue: make(chan []byte, size), done: make(chan struct{})}
	go r.loop()
	return r
}

func (r *lineReporter) Send(s model.SpanModel) {
	line, err := encode(s)
	if err != nil {
		r.fail(fmt.Errorf("encode span: %w", err))
		return
	}
	select {
	case r.queue <- line:
	default:
		r.dropped.Add(1)
	}
}

// Close writes the queued lines and returns once they are written. It
// waits as long as the writer does: callers bound it by a context.
func (r *lineReporter) Close() error {
	close(r.queue)
	<-r.done
	return nil
}

func (r *lineReporter) loop() {
	defer close(r.done)
	for line := range r.queue {
		r.write(line)
	}
}

func (r *lineReporter) write(line []byte) {
	defer func() {
		if p := recover(); p != nil {
			r.fail(fmt.Errorf("writer panicked: %v", p))
		}
	}()
	writeMu.Lock()
	defer writeMu.Unlock()
	if _, err := r.w.Write(line); err != nil {
		r.fail(fmt.Errorf("write: %w", err))
		return
	}
	r.written.Add(1)
	r.lastOK.Store(time.Now().UnixNano())
}

func (r *lineReporter) fail(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err == nil {
		r.err = err
	}
	r.lastErr = err
	r.failed++
}

// Stats implements zipkin.StatsReporter: lines written are exported;
// spans that did not fit in the queue, or failed to encode or write, are
// dropped.
func (r *lineReporter) Stats() tracer.Stats {
	s := tracer.Stats{
		SpansExported: r.written.Load(),
		SpansDropped:  r.dropped.Load(),
	}
	if ns := r.lastOK.Load(); ns != 0 {
		s.LastExportTime = time.Unix(0, ns)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	s.SpansDropped += int64(r.failed)
	s.ExportErrors = int64(r.failed)
	if r.lastErr != nil {
		s.LastExportError = r.lastErr.Error()
	}
	return s
}

// line is the JSON form of a span; package doc describes its fields.
type line struct {
	TraceID    string            `json:"trace_id"`
	SpanID     string            `json:"span_id"`
	ParentID   string            `json:"parent_id,omitempty"`
	Service    string            `json:"service"`
	Operation  string            `json:"operation"`
	Kind       model.Kind        `json:"kind,omitempty"`
	Remote     *endpoint         `json:"remote,omitempty"`
	Start      string            `json:"start"`
	DurationUS int64             `json:"duration_us"`
	Tags       map[string]string `json:"tags"`
	Logs       []logRecord       `json:"logs,omitempty"`
}

type endpoint struct {
	Service string `json:"service,omitempty"`
	IPv4    net.IP `json:"ipv4,omitempty"`
	IPv6    net.IP `json:"ipv6,omitempty"`
	Port    uint16 `json:"port,omitempty"`
}

type logRecord struct {
	Time   string            `json:"time"`
	Fields map[string]string `json:"fields"`
}

// encode returns the JSON line of s, newline included.
func encode(s model.SpanModel) ([]byte, error) {
	l := line{
		TraceID:    s.TraceID.String(),
		SpanID:     s.ID.String(),
		Operation:  s.Name,
		Kind:       s.Kind,
		Start:      s.Timestamp.UTC().Format(time.RFC3339Nano),
		DurationUS: s.Duration.Microseconds(),
		Tags:       s.Tags,
		Logs:       logs(s.Annotations),
	}
	if s.ParentID != nil {
		l.ParentID = s.ParentID.String()
	}
	if s.LocalEndpoint != nil {
		l.Service = s.LocalEndpoint.ServiceName
	}
	if e := s.RemoteEndpoint; !e.Empty() {
		l.Remote = &endpoint{Service: e.ServiceName, IPv4: e.IPv4, IPv6: e.IPv6, Port: e.Port}
	}
	if l.Tags == nil {
		l.Tags = map[string]string{}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(l); err != nil { // Encode ends the line with \n
		return nil, err
	}
	return buf.Bytes(), nil
}

// logs turns Zipkin annotations back into log records (see
// zipkin.LogRecords), with times in RFC 3339.
func logs(annotations []model.Annotation) []logRecord {
	var records []logRecord
	for _, r := range zipkin.LogRecords(annotations) {
		records = append(records, logRecord{Time: r.Time.UTC().Format(time.RFC3339Nano), Fields: r.Fields})
	}
	return records
}
