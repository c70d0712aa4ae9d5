package tracer

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		give Config
		want string // in the error; empty for a valid configuration
	}{
		{"zero", Config{}, ""},
		{"rates 0 and 1", Config{SampleRate: Rate(0)}, ""},
		{"full", Config{SampleRate: Rate(1), QueueSize: MaxQueueSize, FlushTimeout: time.Second, Tags: map[string]string{"k": ""}}, ""},
		{"rate below 0", Config{SampleRate: Rate(-0.1)}, `TRACER_SAMPLE_RATE="-0.1": want a number from 0 to 1`},
		{"rate above 1", Config{SampleRate: Rate(1.01)}, `TRACER_SAMPLE_RATE="1.01"`},
		{"rate NaN", Config{SampleRate: Rate(math.NaN())}, `TRACER_SAMPLE_RATE="NaN"`},
		{"rate infinite", Config{SampleRate: Rate(math.Inf(1))}, `TRACER_SAMPLE_RATE="+Inf"`},
		{"negative queue", Config{QueueSize: -1}, `TRACER_QUEUE_SIZE="-1": want an integer from 1 to 1000000`},
		{"queue too large", Config{QueueSize: MaxQueueSize + 1}, `TRACER_QUEUE_SIZE="1000001"`},
		{"negative flush timeout", Config{FlushTimeout: -time.Second}, `TRACER_FLUSH_TIMEOUT="-1s"`},
		{"empty tag key", Config{Tags: map[string]string{" ": "v"}}, `TRACER_TAGS="=v"`},
	}
	for _, tt := range tests {
		err := tt.give.Validate()
		if tt.want == "" {
			if err != nil {
				t.Errorf("%s: %v, want valid", tt.name, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%s: %v, want an error containing %q and wrapping ErrInvalidConfig", tt.name, err, tt.want)
		}
	}
}

// TestOpenValidates: the registry hands a backend only a valid
// configuration.
func TestOpenValidates(t *testing.T) {
	var r Registry
	called := false
	r.Register("probe", func(Config) (*Instance, error) { called = true; return nil, errors.New("unreachable") })
	_, err := r.Open("probe", Config{SampleRate: Rate(2)})
	if called || err == nil || !strings.HasPrefix(err.Error(), `probe: TRACER_SAMPLE_RATE="2"`) {
		t.Errorf("Open with an invalid rate: %v (backend called: %v), want the error before the backend is", err, called)
	}
}
