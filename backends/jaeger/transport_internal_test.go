package jaeger

import (
	"errors"
	"testing"
	"time"

	jaegerclient "github.com/uber/jaeger-client-go"
	"github.com/uber/jaeger-client-go/testutils"
)

func TestSenderChoice(t *testing.T) {
	tests := []struct {
		give     Options
		wantLazy bool
	}{
		{give: Options{AgentHost: "127.0.0.1"}},
		{give: Options{AgentHost: "::1"}},
		{give: Options{AgentHost: "[::1]"}},
		{give: Options{AgentHost: "localhost"}},
		{give: Options{AgentHost: "LocalHost", DisableAttemptReconnecting: true}},
		{give: Options{AgentHost: "jaeger-agent"}, wantLazy: true},
		{give: Options{AgentHost: "agent.invalid", DisableAttemptReconnecting: true}, wantLazy: true},
	}
	for _, tt := range tests {
		t.Run(tt.give.AgentHost, func(t *testing.T) {
			o := tt.give.withDefaults()
			nw := newNetwork()
			defer nw.close()
			s, err := newSender(o, nw, newLogger(o))
			if err != nil {
				t.Fatalf("newSender: %v", err)
			}
			defer s.Close()
			if _, lazy := s.(*lazySender); lazy != tt.wantLazy {
				t.Errorf("sender for %q is %T; want lazy=%t", o.AgentHost, s, tt.wantLazy)
			}
		})
	}
}

// fakeTransport counts what reaches it.
type fakeTransport struct{ appended, flushed, closed int }

func (f *fakeTransport) Append(*jaegerclient.Span) (int, error) { f.appended++; return 0, nil }
func (f *fakeTransport) Flush() (int, error)                    { f.flushed++; return 0, nil }
func (f *fakeTransport) Close() error                           { f.closed++; return nil }

func TestLazySender(t *testing.T) {
	var (
		builds int
		fail   = true
		inner  = &fakeTransport{}
	)
	l := &lazySender{retry: time.Hour, build: func() (jaegerclient.Transport, error) {
		builds++
		if fail {
			return nil, errors.New("no such host")
		}
		return inner, nil
	}}

	// Flushing and closing before any span build nothing.
	if n, err := l.Flush(); n != 0 || err != nil || builds != 0 {
		t.Fatalf("Flush before any span = %d, %v with %d builds; want 0, nil, 0", n, err, builds)
	}

	// The first span builds; a failure drops it and is not retried before
	// the retry interval.
	if n, err := l.Append(&jaegerclient.Span{}); n != 1 || err == nil {
		t.Fatalf("Append with a failing build = %d, %v; want 1 and an error", n, err)
	}
	l.Append(&jaegerclient.Span{})
	if builds != 1 {
		t.Fatalf("builds after two spans within the retry interval = %d, want 1", builds)
	}

	// After the interval, the next span builds again and goes through.
	fail = false
	l.retryAt = time.Now().Add(-time.Second)
	if _, err := l.Append(&jaegerclient.Span{}); err != nil {
		t.Fatalf("Append after a successful build: %v", err)
	}
	l.Append(&jaegerclient.Span{})
	l.Flush()
	l.Close()
	if builds != 2 || inner.appended != 2 || inner.flushed != 1 || inner.closed != 1 {
		t.Errorf("builds=%d appended=%d flushed=%d closed=%d; want 2, 2, 1, 1",
			builds, inner.appended, inner.flushed, inner.closed)
	}
}

func TestLazySenderDeliversThroughTheClientReporter(t *testing.T) {
	agent, err := testutils.StartMockAgent()
	if err != nil {
		t.Fatal(err)
	}
	defer agent.Close()
	l := &lazySender{retry: time.Minute, build: func() (jaegerclient.Transport, error) {
		return jaegerclient.NewUDPTransport(agent.SpanServerAddr(), 0)
	}}
	tr, closer := jaegerclient.NewTracer("lazy", jaegerclient.NewConstSampler(true), jaegerclient.NewRemoteReporter(l))
	tr.StartSpan("lazy-op").Finish()
	closer.Close()

	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, b := range agent.GetJaegerBatches() {
			if len(b.Spans) == 1 && b.Spans[0].OperationName == "lazy-op" && b.Process.ServiceName == "lazy" {
				return
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("the span sent through a lazySender never reached the agent: %v", agent.GetJaegerBatches())
}
