package lightstep

import (
	"fmt"
	"log"
	"sort"
	"strings"
	"sync"
	"time"

	lsgo "github.com/lightstep/lightstep-tracer-go"
)

// logEvery is the least time between two log lines about tracer events.
const logEvery = time.Minute

// events receives the events of every lightstep-tracer-go tracer in the
// process: the client offers only a global handler (SetGlobalEventHandler),
// not one per tracer. This package installs it from init, replacing the
// client's default, which logs the first error only.
var events = &eventLog{
	print:   func(msg string) { log.Print(msg) },
	now:     time.Now,
	every:   logEvery,
	secrets: map[string]struct{}{},
}

// eventLog logs tracer errors and dropped spans through the standard log
// package, at most once per interval (counting the events it held back),
// with every access token this package was given replaced by [redacted].
// It never blocks for long: the client calls it synchronously.
type eventLog struct {
	mu         sync.Mutex
	print      func(msg string)
	now        func() time.Time
	every      time.Duration
	secrets    map[string]struct{}
	logged     bool
	last       time.Time
	suppressed int
}

// addSecret makes s redacted from every later log line.
func (l *eventLog) addSecret(s string) {
	if s == "" {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.secrets[s] = struct{}{}
}

// handle is the lightstep.EventHandler.
func (l *eventLog) handle(e lsgo.Event) {
	msg := describe(e)
	if msg == "" {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if l.logged && now.Sub(l.last) < l.every {
		l.suppressed++
		return
	}
	if l.suppressed > 0 {
		msg = fmt.Sprintf("%s (and %d earlier tracer events not logged)", msg, l.suppressed)
	}
	l.logged, l.last, l.suppressed = true, now, 0
	msg = l.redact(msg)
	l.print("polytrace: lightstep: " + msg)
}

// redactSecrets is redact for callers that do not hold l.mu.
func (l *eventLog) redactSecrets(msg string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.redact(msg)
}

// redact replaces every secret in msg, the longest first so that a token
// containing another is never left half visible.
func (l *eventLog) redact(msg string) string {
	secrets := make([]string, 0, len(l.secrets))
	for s := range l.secrets {
		secrets = append(secrets, s)
	}
	sort.Slice(secrets, func(i, j int) bool { return len(secrets[i]) > len(secrets[j]) })
	for _, s := range secrets {
		msg = strings.ReplaceAll(msg, s, "[redacted]")
	}
	return msg
}

// describe returns the log line for e, or "" for events not worth one
// (successful reports, informational events).
func describe(e lsgo.Event) string {
	switch e := e.(type) {
	case lsgo.EventFlushError:
		state, err := string(e.State()), e.Err()
		if err == nil || err.Error() == state {
			return state
		}
		return state + ": " + err.Error()
	case lsgo.ErrorEvent:
		return e.Error()
	case lsgo.EventStatusReport:
		if n := e.DroppedSpans(); n > 0 {
			return fmt.Sprintf("%d spans dropped: the report buffer was full", n)
		}
	}
	return ""
}
