// Package ratelog limits how often a recurring complaint is logged, so that
// a collector that stays down cannot flood a service's log.
package ratelog

import (
	"fmt"
	"log"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/polytrace/polytrace/internal/envconf"
)

// Limiter lets one message through per interval and counts the others.
// The zero value lets every message through; it is safe for concurrent
// use.
type Limiter struct {
	// Every is the least time between two messages let through.
	Every time.Duration
	// Now, when set, replaces time.Now (for tests).
	Now func() time.Time

	mu         sync.Mutex
	last       time.Time
	logged     bool
	suppressed int
}

// Allow reports whether msg may be logged now. When it may, and messages
// were held back since the last one, it returns msg with their count
// appended.
func (l *Limiter) Allow(msg string) (string, bool) {
	now := time.Now
	if l.Now != nil {
		now = l.Now
	}
	t := now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.logged && t.Sub(l.last) < l.Every {
		l.suppressed++
		return "", false
	}
	if l.suppressed > 0 {
		msg = fmt.Sprintf("%s (and %d more messages held back over the last %s)", msg, l.suppressed, t.Sub(l.last).Round(time.Second))
	}
	l.logged, l.last, l.suppressed = true, t, 0
	return msg, true
}

// Every is the least time between two log lines of one kind, in every
// backend: a collector that stays down must not flood the service's log.
// What is held back is counted in the next line, and every failure is
// counted in Stats regardless.
const Every = 10 * time.Second

// Secrets replaces known secrets (tokens, passwords) in text by
// [redacted], the longest first so that a secret containing another is
// never left half visible. The zero value knows none; it is safe for
// concurrent use.
type Secrets struct {
	mu   sync.RWMutex
	list []string // longest first
}

// Add makes every non-empty secret redacted from then on.
func (s *Secrets) Add(secrets ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range secrets {
		if v != "" && !slices.Contains(s.list, v) {
			s.list = append(s.list, v)
		}
	}
	slices.SortStableFunc(s.list, func(a, b string) int { return len(b) - len(a) })
}

// Redact returns msg with every known secret replaced.
func (s *Secrets) Redact(msg string) string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, v := range s.list {
		msg = strings.ReplaceAll(msg, v, "[redacted]")
	}
	return msg
}

// Logger prints a backend's complaints: each line trimmed, its secrets
// and the credentials and query strings of its URLs removed, prefixed,
// and let through by its Limiter. The zero Limiter lets every line
// through; backends set its Every to [Every].
type Logger struct {
	// Out writes the lines. Nil means the standard logger.
	Out *log.Logger
	// Prefix starts every line, such as "polytrace lightstep: ".
	Prefix string
	// Secrets, when set, are removed from every line.
	Secrets *Secrets
	Limiter
}

// Log prints msg when the limiter lets it through, and returns msg as it
// would be printed (trimmed and redacted, without prefix or count), for
// callers that keep it, as Stats' LastExportError.
func (l *Logger) Log(msg string) string {
	msg = l.Redact(msg)
	if line, ok := l.Allow(msg); ok {
		out := l.Out
		if out == nil {
			out = log.Default()
		}
		out.Print(l.Prefix + line)
	}
	return msg
}

// Redact returns msg trimmed, without its secrets and without the
// credentials and query strings of its URLs.
func (l *Logger) Redact(msg string) string {
	msg = envconf.Scrub(strings.TrimSpace(msg))
	if l.Secrets != nil {
		msg = l.Secrets.Redact(msg)
	}
	return msg
}
