// Package spanstats accumulates the [tracer.Stats] of one tracer from the
// hooks of its vendor client, and scrubs secrets from export errors.
package spanstats

import (
	"strings"
	"sync/atomic"
	"time"

	"github.com/polytrace/polytrace/internal/envconf"
	"github.com/polytrace/polytrace/tracer"
)

// Counters accumulate a tracer's statistics. The zero value is ready to
// use; the methods are safe for concurrent use and never block.
type Counters struct {
	// Redact, when set, removes backend-specific secrets (a token, a
	// password) from export error messages. URL credentials and query
	// strings are always removed.
	Redact func(string) string

	started, finished atomic.Int64
	exported, dropped atomic.Int64
	errors            atomic.Int64
	lastExport        atomic.Int64 // Unix nanoseconds; 0 if never
	lastErr           atomic.Pointer[string]
	closed            atomic.Bool
}

// Started counts n sampled spans started.
func (c *Counters) Started(n int64) { c.started.Add(n) }

// Finished counts n sampled spans finished.
func (c *Counters) Finished(n int64) { c.finished.Add(n) }

// Exported counts n spans accepted by the collector.
func (c *Counters) Exported(n int64) {
	if n <= 0 {
		return
	}
	c.exported.Add(n)
	c.lastExport.Store(time.Now().UnixNano())
}

// Dropped counts n spans that will never be exported.
func (c *Counters) Dropped(n int64) {
	if n > 0 {
		c.dropped.Add(n)
	}
}

// Failed counts one failed export attempt and keeps msg, scrubbed, as the
// last export error (a fixed description when msg is empty). The message
// is stored before the attempt is counted, and Stats reads the count
// first, so a snapshot that counts an error always describes one.
func (c *Counters) Failed(msg string) {
	msg = envconf.Scrub(msg)
	if c.Redact != nil {
		msg = c.Redact(msg)
	}
	if strings.TrimSpace(msg) == "" {
		msg = "export failed (the client gave no description)"
	}
	c.lastErr.Store(&msg)
	c.errors.Add(1)
}

// Closed records that the exporter has stopped for good: from then on,
// every finished span not exported counts as dropped, and only those (a
// backend whose live drop count is an estimate becomes exact).
func (c *Counters) Closed() { c.closed.Store(true) }

// Stats returns a snapshot. Exported and dropped spans are read before
// finished ones, and finished before started, so a snapshot never shows
// more spans exported than finished when the backend counts each span in
// that order. Once Closed, SpansDropped includes every finished span not
// exported.
func (c *Counters) Stats() tracer.Stats {
	s := tracer.Stats{
		ExportErrors:  c.errors.Load(), // before lastErr: see Failed
		SpansExported: c.exported.Load(),
		SpansDropped:  c.dropped.Load(),
	}
	if p := c.lastErr.Load(); p != nil {
		s.LastExportError = *p
	}
	if ns := c.lastExport.Load(); ns != 0 {
		s.LastExportTime = time.Unix(0, ns)
	}
	closed := c.closed.Load()
	s.SpansFinished = c.finished.Load()
	s.SpansStarted = c.started.Load()
	if closed {
		// Exact from now on, whatever estimates the live count held.
		s.SpansDropped = max(s.SpansFinished-s.SpansExported, 0)
	}
	return s
}
