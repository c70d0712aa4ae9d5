package tracer

import (
	"errors"
	"fmt"
	"time"
)

// ErrCollectorUnreachable is wrapped by the error of a failed
// [Instance.Ping], which a strict configuration ([Config.Strict]) turns
// into a failure to open the tracer.
var ErrCollectorUnreachable = errors.New("collector unreachable")

// DefaultQueueSize is how many finished spans a backend holds while they
// wait to be sent, when [Config.QueueSize] is zero and the backend's own
// setting (such as JAEGER_REPORTER_MAX_QUEUE_SIZE) is unset. Beyond it,
// newly finished spans are dropped and counted in [Stats.SpansDropped].
const DefaultQueueSize = 2048

// MaxQueueSize is the largest [Config.QueueSize] accepted.
const MaxQueueSize = 1_000_000

// Stats describes a tracer's health: what it recorded and what became of
// it. Every backend fills it from its client's own hooks, so it reads the
// same whatever the backend. Counters only grow.
//
// Spans are counted once they are sampled: an unsampled span is neither
// started, finished nor exported here. After Shutdown has finished, every
// finished span is either exported or dropped.
type Stats struct {
	// SpansStarted counts sampled spans started.
	SpansStarted int64 `json:"spans_started"`
	// SpansFinished counts sampled spans finished, that is handed to the
	// exporter.
	SpansFinished int64 `json:"spans_finished"`
	// SpansExported counts spans the collector accepted (for transports
	// without answers, such as Jaeger's UDP agent protocol: spans sent
	// without error).
	SpansExported int64 `json:"spans_exported"`
	// SpansDropped counts spans that will never be exported: the queue was
	// full, the collector refused them, they were finished after Shutdown,
	// or they were still waiting when Shutdown gave up.
	SpansDropped int64 `json:"spans_dropped"`
	// ExportErrors counts failed attempts to export (a failed request or
	// datagram; the spans in it may be retried or dropped, depending on
	// the client).
	ExportErrors int64 `json:"export_errors"`
	// LastExportError describes the latest failed attempt, with
	// credentials, tokens and query strings removed; empty if none failed.
	LastExportError string `json:"last_export_error,omitempty"`
	// LastExportTime is when spans were last exported; zero if never.
	LastExportTime time.Time `json:"last_export_time,omitzero"`
}

// Pending returns the spans finished but neither exported nor dropped yet:
// those waiting in the queue or in a request under way.
func (s Stats) Pending() int64 {
	if n := s.SpansFinished - s.SpansExported - s.SpansDropped; n > 0 {
		return n
	}
	return 0
}

// String summarizes s on one line, for logs.
func (s Stats) String() string {
	out := fmt.Sprintf("started=%d finished=%d exported=%d dropped=%d pending=%d export_errors=%d",
		s.SpansStarted, s.SpansFinished, s.SpansExported, s.SpansDropped, s.Pending(), s.ExportErrors)
	if s.LastExportError != "" {
		out += fmt.Sprintf(" last_error=%q", s.LastExportError)
	}
	return out
}
