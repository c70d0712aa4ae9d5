package zipkin

import (
	"bytes"
	"log"
	"regexp"
	"strconv"
	"sync/atomic"

	"github.com/openzipkin/zipkin-go/model"
	"github.com/openzipkin/zipkin-go/reporter"

	"github.com/polytrace/polytrace/internal/envconf"
	"github.com/polytrace/polytrace/internal/ratelog"
	"github.com/polytrace/polytrace/internal/spanstats"
	"github.com/polytrace/polytrace/tracer"
)

// StatsReporter is a zipkin-go reporter that also reports what became of
// the spans it was sent. [NewWithReporter] adds its SpansExported,
// SpansDropped, ExportErrors, LastExportError and LastExportTime to the
// tracer's own counts of spans started and finished.
type StatsReporter interface {
	reporter.Reporter
	Stats() tracer.Stats
}

// countingSerializer notes how many spans zipkin-go's HTTP reporter is
// about to send, for httpDoer to count them once the collector answers.
// The reporter serializes and sends one batch at a time, from one
// goroutine, so a single value suffices.
type countingSerializer struct {
	reporter.SpanSerializer
	batch *atomic.Int64
}

func (s countingSerializer) Serialize(spans []*model.SpanModel) ([]byte, error) {
	s.batch.Store(int64(len(spans)))
	return s.SpanSerializer.Serialize(spans)
}

// outcome counts the result of one request: status is the HTTP status
// code, or 0 when no answer came (msg then says why). zipkin-go's reporter
// keeps the spans of a request that got no answer, to send them again,
// and discards those of one that got an error status.
func (d *httpDoer) outcome(status int, msg string) {
	if d.stats == nil || d.batch == nil {
		return
	}
	n := d.batch.Load()
	switch {
	case status >= 200 && status <= 299:
		d.stats.Exported(n)
	case status == 0:
		d.stats.Failed(msg)
	default:
		d.stats.Failed("collector answered " + msg)
		d.stats.Dropped(n)
	}
}

// disposing matches zipkin-go's message for spans dropped from a full
// backlog.
var disposing = regexp.MustCompile(`backlog too long, disposing (\d+) spans`)

// logTap is the writer of the logger handed to zipkin-go's HTTP reporter.
// It counts the spans the reporter drops from its backlog (it says so only
// in its log), and passes the reporter's complaints on to the user's
// logger at most once per ratelog.Every, with a count of those held back.
type logTap struct {
	out   *log.Logger
	stats *spanstats.Counters
	limit ratelog.Limiter
}

func newLogTap(out *log.Logger, stats *spanstats.Counters) *log.Logger {
	return log.New(&logTap{out: out, stats: stats, limit: ratelog.Limiter{Every: ratelog.Every}}, "", 0)
}

func (t *logTap) Write(p []byte) (int, error) {
	msg := string(bytes.TrimSpace(p))
	if m := disposing.FindStringSubmatch(msg); m != nil {
		if n, err := strconv.ParseInt(m[1], 10, 64); err == nil {
			t.stats.Dropped(n)
		}
	}
	if msg, ok := t.limit.Allow(envconf.Scrub(msg)); ok {
		t.out.Print(msg)
	}
	return len(p), nil
}
