package lightstep

import (
	"context"
	"errors"
	"log"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	lsgo "github.com/lightstep/lightstep-tracer-go"

	"github.com/polytrace/polytrace/internal/lightsteptest"
	"github.com/polytrace/polytrace/internal/ratelog"
	"github.com/polytrace/polytrace/internal/syncbuf"
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

// newTestLog returns the logger the package uses, writing to buf, with
// its own secrets and the clock now.
func newTestLog(buf *syncbuf.Buffer, every time.Duration, now *time.Time) *ratelog.Logger {
	return &ratelog.Logger{Out: log.New(buf, "", 0), Prefix: "polytrace: lightstep: ", Secrets: &ratelog.Secrets{},
		Limiter: ratelog.Limiter{Every: every, Now: func() time.Time { return *now }}}
}

// useLog makes l the logger of the events handler for the test.
func useLog(t *testing.T, l *ratelog.Logger) {
	old := events.Swap(l)
	t.Cleanup(func() { events.Store(old) })
}

func TestEventLog(t *testing.T) {
	var buf syncbuf.Buffer
	now := time.Unix(1000, 0)
	l := newTestLog(&buf, time.Minute, &now)
	l.Secrets.Add("abc", "abcdef", "")
	useLog(t, l)

	handleEvent(flushError{lsgo.FlushErrorTransport, errors.New("dial tcp: connection refused")})
	handleEvent(statusReport{dropped: 0})                           // nothing to say
	handleEvent(missingService{})                                   // informational
	handleEvent(flushError{lsgo.FlushErrorReport, errors.New("x")}) // held back: within the minute
	handleEvent(statusReport{dropped: 3})                           // held back
	now = now.Add(time.Minute)
	handleEvent(flushError{lsgo.FlushErrorReport, errors.New("token abcdef rejected, abc too")})
	now = now.Add(time.Minute)
	handleEvent(statusReport{dropped: 7})
	handleEvent(flushError{lsgo.FlushErrorTracerClosed, errors.New(string(lsgo.FlushErrorTracerClosed))})

	want := []string{
		"polytrace: lightstep: flush failed, could not send report to Collector: dial tcp: connection refused",
		"polytrace: lightstep: flush failed, report contained errors: token [redacted] rejected, [redacted] too (and 2 more messages held back over the last 1m0s)",
		"polytrace: lightstep: 7 spans dropped: the report buffer was full",
	}
	if got := buf.Lines(); !reflect.DeepEqual(got, want) {
		t.Errorf("logged:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestEventLogStatesWithoutRepeat(t *testing.T) {
	var buf syncbuf.Buffer
	now := time.Now()
	useLog(t, newTestLog(&buf, 0, &now))
	handleEvent(flushError{lsgo.FlushErrorTracerClosed, errors.New(string(lsgo.FlushErrorTracerClosed))})
	if got, want := buf.Lines(), []string{"polytrace: lightstep: " + string(lsgo.FlushErrorTracerClosed)}; !reflect.DeepEqual(got, want) {
		t.Errorf("logged %q, want %q", got, want)
	}
}

func TestEventHandlerInstalled(t *testing.T) {
	var buf syncbuf.Buffer
	now := time.Unix(1000, 0)
	l := newTestLog(&buf, 0, &now)
	l.Secrets = tokens // the package's: Open adds the token to them
	useLog(t, l)

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
			for _, line := range buf.Lines() {
				if strings.Contains(line, tok) {
					t.Errorf("logged the token: %s", line)
				}
				if strings.Contains(line, "access token [redacted] is not valid") {
					found = true
				}
			}
			if !found {
				t.Errorf("the collector's rejection was not logged (redacted); logged: %q", buf.Lines())
			}
		})
	}
}
