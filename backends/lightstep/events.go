package lightstep

import (
	"fmt"
	"sync/atomic"

	lsgo "github.com/lightstep/lightstep-tracer-go"

	"github.com/polytrace/polytrace/internal/ratelog"
)

// tokens are the access tokens this package was given: no log line, error
// or Stats shows them.
var tokens = &ratelog.Secrets{}

// events logs the events of every lightstep-tracer-go tracer in the
// process: the client offers only a global handler (SetGlobalEventHandler),
// not one per tracer. This package installs handleEvent from init,
// replacing the client's default, which logs the first error only. It
// logs tracer errors and dropped spans through the standard log package,
// as every backend does (ratelog), with the tokens redacted; the client
// calls it synchronously, and it never blocks for long.
var events atomic.Pointer[ratelog.Logger]

func init() {
	events.Store(&ratelog.Logger{Prefix: "polytrace: lightstep: ", Secrets: tokens, Limiter: ratelog.Limiter{Every: ratelog.Every}})
}

// handleEvent is the lightstep.EventHandler.
func handleEvent(e lsgo.Event) {
	if msg := describe(e); msg != "" {
		events.Load().Log(msg)
	}
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
