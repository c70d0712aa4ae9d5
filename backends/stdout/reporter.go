package stdout

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/openzipkin/zipkin-go/model"

	"github.com/polytrace/polytrace/backends/zipkin"
)

// writeMu serializes the writes of every tracer of this package, so that
// tracers sharing a writer (os.Stdout, typically) never interleave lines.
var writeMu sync.Mutex

// newLineReporter returns the reporter that writes each span to w as a
// JSON line, encoded in the goroutine that finishes the span, written in
// the reporter's, so that tracers sharing a writer never interleave lines
// and a writer that blocks or panics never reaches a request.
func newLineReporter(w io.Writer, size int) *zipkin.QueueReporter[[]byte] {
	return zipkin.NewQueueReporter(size, encode, func(line []byte) (ok bool, err error) {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("writer panicked: %v", p)
			}
		}()
		writeMu.Lock()
		defer writeMu.Unlock()
		if _, err := w.Write(line); err != nil {
			return false, fmt.Errorf("write: %w", err)
		}
		return true, nil
	})
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
		return nil, fmt.Errorf("encode span: %w", err)
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
