package traceview

import (
	"slices"
	"strings"
	"time"

	"github.com/openzipkin/zipkin-go/model"

	"github.com/polytrace/polytrace/backends/zipkin"
	"github.com/polytrace/polytrace/internal/envconf"
)

// span is one finished span as the store holds it. It is never changed
// once stored, so readers may keep it after releasing the store's lock.
type span struct {
	TraceID   model.TraceID
	ID        model.ID
	ParentID  model.ID // zero for a root span
	Service   string
	Operation string
	Kind      model.Kind
	Start     time.Time
	Duration  time.Duration
	Tags      []tag // sorted by key
	Logs      []logRecord
	Error     bool  // the error tag is set and not "false"
	size      int64 // what the span is charged in the store
}

// tag is a span tag or a log field.
type tag struct{ Key, Value string }

// logRecord is one log record of a span.
type logRecord struct {
	Time   time.Time
	Fields []tag // sorted by key
}

// Bytes charged for a span beyond its strings: the span's own fields,
// and the slice headers of each tag and log record.
const (
	spanOverhead = 200
	tagOverhead  = 32
	logOverhead  = 48
)

// newSpan converts a span reported by the zipkin tracer. It copies what
// it keeps, so the reporter may run it in the finishing goroutine.
func newSpan(s model.SpanModel) *span {
	sp := &span{
		TraceID:   s.TraceID,
		ID:        s.ID,
		Kind:      s.Kind,
		Operation: s.Name,
		Start:     s.Timestamp,
		Duration:  s.Duration,
	}
	if s.ParentID != nil {
		sp.ParentID = *s.ParentID
	}
	if s.LocalEndpoint != nil {
		sp.Service = s.LocalEndpoint.ServiceName
	}
	sp.Tags = make([]tag, 0, len(s.Tags)+3)
	for k, v := range s.Tags {
		sp.Tags = append(sp.Tags, tag{k, redact(v)})
		if k == "error" && v != "false" {
			sp.Error = true
		}
	}
	if e := s.RemoteEndpoint; !e.Empty() {
		if e.ServiceName != "" {
			sp.Tags = append(sp.Tags, tag{"peer.service", e.ServiceName})
		}
		if e.IPv4 != nil {
			sp.Tags = append(sp.Tags, tag{"peer.ipv4", e.IPv4.String()})
		}
		if e.IPv6 != nil {
			sp.Tags = append(sp.Tags, tag{"peer.ipv6", e.IPv6.String()})
		}
	}
	slices.SortFunc(sp.Tags, func(a, b tag) int { return strings.Compare(a.Key, b.Key) })
	for _, r := range zipkin.LogRecords(s.Annotations) {
		rec := logRecord{Time: r.Time, Fields: make([]tag, 0, len(r.Fields))}
		for k, v := range r.Fields {
			rec.Fields = append(rec.Fields, tag{k, redact(v)})
		}
		slices.SortFunc(rec.Fields, func(a, b tag) int { return strings.Compare(a.Key, b.Key) })
		sp.Logs = append(sp.Logs, rec)
	}
	sp.size = sp.bytes()
	return sp
}

// bytes estimates the memory the span holds: its strings and a fixed
// overhead per span, tag and log record.
func (s *span) bytes() int64 {
	n := int64(spanOverhead + len(s.Service) + len(s.Operation))
	for _, t := range s.Tags {
		n += int64(tagOverhead + len(t.Key) + len(t.Value))
	}
	for _, l := range s.Logs {
		n += logOverhead
		for _, f := range l.Fields {
			n += int64(tagOverhead + len(f.Key) + len(f.Value))
		}
	}
	return n
}

// Tag returns the value of the span's tag key and whether it is set.
func (s *span) Tag(key string) (string, bool) {
	i, ok := slices.BinarySearchFunc(s.Tags, key, func(t tag, k string) int { return strings.Compare(t.Key, k) })
	if !ok {
		return "", false
	}
	return s.Tags[i].Value, true
}

// kind is the span.kind tag's value for the span's Zipkin kind, as
// Jaeger shows it: "server", "client", "producer", "consumer", or "".
func (s *span) kind() string { return strings.ToLower(string(s.Kind)) }

// redact removes the user information and query string of URLs in a
// value that comes from a request.
func redact(v string) string { return envconf.Scrub(v) }
