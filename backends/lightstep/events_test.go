package lightstep

import (
	"context"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	lsgo "github.com/lightstep/lightstep-tracer-go"

	"github.com/polytrace/polytrace/internal/lightsteptest"
	"github.com/polytrace/polytrace/tracer"
)

// flushError is a lightstep.EventFlushError (the client's own are
// unexported).
type flushError struct {
	state lsgo.EventFlushErrorState
	err   error
}

func (flushError) Event()                             {}
func (flushError) EventFlushError()                   {}
func (e flushError) State() lsgo.EventFlushErrorState { return e.state }
func (e flushError) Err() error                       { return e.err }
func (e flushError) Error() string                    { return e.err.Error() }
func (e flushError) String() string                   { return e.err.Error() }

// statusReport is a lightstep.EventStatusReport.
type statusReport struct{ dropped int }

func (statusReport) Event()                       {}
func (statusReport) EventStatusReport()           {}
func (statusReport) String() string               { return "STATUS REPORT" }
func (statusReport) StartTime() time.Time         { return time.Time{} }
func (statusReport) FinishTime() time.Time        { return time.Time{} }
func (statusReport) Duration() time.Duration      { return 0 }
func (statusReport) SentSpans() int               { return 1 }
func (s statusReport) DroppedSpans() int          { return s.dropped }
func (statusReport) EncodingErrors() int          { return 0 }
func (statusReport) FlushDuration() time.Duration { return 0 }

// missingService is a lightstep.EventMissingService.
type missingService struct{}

func (missingService) Event()               {}
func (missingService) EventMissingService() {}
func (missingService) String() string       { return "Warning: Service name not specified" }

var (
	_ lsgo.EventFlushError     = flushError{}
	_ lsgo.EventStatusReport   = statusReport{}
	_ lsgo.EventMissingService = missingService{}
)

// capture is a fake log with a settable clock.
type capture struct {
	mu    sync.Mutex
	lines []string
	now   time.Time
}

func (c *capture) print(msg string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lines = append(c.lines, msg)
}

func (c *capture) got() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.lines...)
}

func newTestLog(c *capture, every time.Duration) *eventLog {
	return &eventLog{print: c.print, now: func() time.Time { return c.now }, every: every, secrets: map[string]struct{}{}}
}

func TestEventLog(t *testing.T) {
	c := &capture{now: time.Unix(1000, 0)}
	l := newTestLog(c, time.Minute)
	l.addSecret("abc")
	l.addSecret("abcdef")
	l.addSecret("")

	transport := flushError{lsgo.FlushErrorTransport, errors.New("dial tcp: connection refused")}
	l.handle(transport)
	l.handle(statusReport{dropped: 0})                           // nothing to say
	l.handle(missingService{})                                   // informational
	l.handle(flushError{lsgo.FlushErrorReport, errors.New("x")}) // held back: within the minute
	l.handle(statusReport{dropped: 3})                           // held back
	c.now = c.now.Add(time.Minute)
	l.handle(flushError{lsgo.FlushErrorReport, errors.New("token abcdef rejected, abc too")})
	c.now = c.now.Add(time.Minute)
	l.handle(statusReport{dropped: 7})
	l.handle(flushError{lsgo.FlushErrorTracerClosed, errors.New(string(lsgo.FlushErrorTracerClosed))})

	want := []string{
		"polytrace: lightstep: flush failed, could not send report to Collector: dial tcp: connection refused",
		"polytrace: lightstep: flush failed, report contained errors: token [redacted] rejected, [redacted] too (and 2 earlier tracer events not logged)",
		"polytrace: lightstep: 7 spans dropped: the report buffer was full",
	}
	if got := c.got(); !reflect.DeepEqual(got, want) {
		t.Errorf("logged:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestEventLogStatesWithoutRepeat(t *testing.T) {
	c := &capture{}
	l := newTestLog(c, 0)
	l.handle(flushError{lsgo.FlushErrorTracerClosed, errors.New(string(lsgo.FlushErrorTracerClosed))})
	if got, want := c.got(), []string{"polytrace: lightstep: " + string(lsgo.FlushErrorTracerClosed)}; !reflect.DeepEqual(got, want) {
		t.Errorf("logged %q, want %q", got, want)
	}
}

func TestEventHandlerInstalled(t *testing.T) {
	c := &capture{now: time.Unix(1000, 0)}
	l := newTestLog(c, time.Hour)
	// The handler the client calls is this package's, whichever eventLog
	// it points to: swap the global for the test.
	events.mu.Lock()
	print, now, every := events.print, events.now, events.every
	events.print, events.now, events.every, events.logged = l.print, l.now, 0, false
	events.mu.Unlock()
	t.Cleanup(func() {
		events.mu.Lock()
		events.print, events.now, events.every = print, now, every
		events.mu.Unlock()
	})

	const tok = "tok-7f3a9c-secret"
	for _, tr := range []string{TransportHTTP, TransportGRPC} {
		t.Run(tr, func(t *testing.T) {
			r := lightsteptest.Start(t, tr)
			// A collector that echoes the token in its rejection.
			r.RespondWithErrors("access token " + tok + " is not valid")
			inst, err := Open(tracer.Config{Lookup: tracer.MapLookup(map[string]string{
				EnvAccessToken:        tok,
				EnvCollectorHost:      r.Host,
				EnvCollectorPort:      strconv.Itoa(r.Port),
				EnvCollectorPlaintext: "true",
				EnvTransport:          tr,
			})})
			if err != nil {
				t.Fatal(err)
			}
			inst.Tracer.StartSpan("rejected").Finish()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := inst.Shutdown(ctx); err != nil {
				t.Fatal(err)
			}
			found := false
			for _, line := range c.got() {
				if strings.Contains(line, tok) {
					t.Errorf("logged the token: %s", line)
				}
				if strings.Contains(line, "access token [redacted] is not valid") {
					found = true
				}
			}
			if !found {
				t.Errorf("the collector's rejection was not logged (redacted); logged: %q", c.got())
			}
		})
	}
}
