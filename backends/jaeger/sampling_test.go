package jaeger_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/opentracing/opentracing-go/ext"
	jaegerclient "github.com/uber/jaeger-client-go"

	"github.com/polytrace/polytrace/backends/jaeger"
	"github.com/polytrace/polytrace/internal/sampling"
	"github.com/polytrace/polytrace/tracer"
)

// memSender is a jaegerclient.Transport keeping the names of the spans it
// was given.
type memSender struct {
	mu     sync.Mutex
	names  []string
	closed bool
}

func (s *memSender) Append(span *jaegerclient.Span) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.names = append(s.names, span.OperationName())
	return 0, nil
}

func (s *memSender) Flush() (int, error) { return 0, nil }

func (s *memSender) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}

func TestSenderReceivesSpansAndIsClosed(t *testing.T) {
	sender := &memSender{}
	inst, err := jaeger.New(tracer.Config{ServiceName: "svc"}, jaeger.Options{
		Sender:    sender,
		AgentHost: "agent.invalid", // unused with a Sender: no lookup, no error
	})
	if err != nil {
		t.Fatal(err)
	}
	inst.Tracer.StartSpan("one").Finish()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := inst.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	sender.mu.Lock()
	defer sender.mu.Unlock()
	if len(sender.names) != 1 || sender.names[0] != "one" {
		t.Errorf("sender got spans %q, want [one]", sender.names)
	}
	if !sender.closed {
		t.Error("Shutdown did not close the sender")
	}
}

func TestSamplingRecorded(t *testing.T) {
	tests := []struct {
		name  string
		rate  float64
		force bool // sampling.priority=1 after the start
		want  bool
	}{
		{"sampled", 1, false, true},
		{"unsampled", 0, false, false},
		{"unsampled, then forced", 0, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inst, err := jaeger.New(tracer.Config{ServiceName: "svc", SampleRate: tracer.Rate(tt.rate)},
				jaeger.Options{Sender: &memSender{}})
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = inst.Shutdown(context.Background()) }()
			span := inst.Tracer.StartSpan("op")
			defer span.Finish()
			if tt.force {
				ext.SamplingPriority.Set(span, 1)
			}
			if got := sampling.Recorded(span); got != tt.want {
				t.Errorf("sampling.Recorded = %v, want %v", got, tt.want)
			}
		})
	}
}
