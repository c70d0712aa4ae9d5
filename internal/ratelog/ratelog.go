// Package ratelog limits how often a recurring complaint is logged, so that
// a collector that stays down cannot flood a service's log.
package ratelog

import (
	"fmt"
	"sync"
	"time"
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
