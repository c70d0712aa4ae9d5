package tracer_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/mocktracer"

	"github.com/polytrace/polytrace/internal/mockconv"
	"github.com/polytrace/polytrace/propagation"
	"github.com/polytrace/polytrace/tracer"
)

func TestReady(t *testing.T) {
	tests := []struct {
		name     string
		cfg      tracer.Config
		ping     error
		wantErr  string // substring; "" means no error
		wantB3   bool   // Inject writes the b3 header
		shutdown bool   // Shutdown ran (the failed strict check shuts down)
	}{
		{name: "plain"},
		{name: "propagation", cfg: tracer.Config{Propagation: propagation.Formats{propagation.B3}}, wantB3: true},
		{name: "strict, reachable", cfg: tracer.Config{Strict: true}},
		{name: "strict, unreachable", cfg: tracer.Config{Strict: true, FlushTimeout: time.Second}, ping: errors.New("refused"),
			wantErr: "TRACER_STRICT=true: " + tracer.ErrCollectorUnreachable.Error() + ": refused", shutdown: true},
		{name: "not strict, unreachable", ping: errors.New("refused")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var shut atomic.Bool
			mock := mocktracer.New()
			inst := &tracer.Instance{
				Tracer:    mock,
				Converter: mockconv.Converter{},
				Shutdown:  func(context.Context) error { shut.Store(true); return nil },
				Ping:      func(context.Context) error { return tt.ping },
			}
			got, err := tracer.Ready(tt.cfg, inst)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, tracer.ErrCollectorUnreachable) {
					t.Fatalf("Ready = %v, want an error with %q wrapping ErrCollectorUnreachable", err, tt.wantErr)
				}
				if shut.Load() != tt.shutdown {
					t.Errorf("shut down: %v, want %v", shut.Load(), tt.shutdown)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Native() != mock {
				t.Errorf("Native() = %T, want the backend's tracer", got.Native())
			}
			again, err := tracer.Ready(tt.cfg, got)
			if err != nil || again != got || again.Native() != mock {
				t.Errorf("Ready twice = %v, %v: want the same instance, wrapped once", again, err)
			}
			h := http.Header{}
			if err := got.Tracer.Inject(got.Tracer.StartSpan("x").Context(), opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(h)); err != nil {
				t.Fatal(err)
			}
			if (h.Get("b3") != "") != tt.wantB3 {
				t.Errorf("Inject wrote %v; want b3: %v", h, tt.wantB3)
			}
		})
	}
}

// TestReadyBoundsShutdown: a Shutdown that never returns is answered by
// the caller's deadline, and runs once.
func TestReadyBoundsShutdown(t *testing.T) {
	var runs atomic.Int32
	started, release := make(chan struct{}), make(chan struct{})
	defer close(release)
	inst, err := tracer.Ready(tracer.Config{}, &tracer.Instance{
		Tracer: opentracing.NoopTracer{},
		Shutdown: func(context.Context) error {
			if runs.Add(1) == 1 {
				close(started)
			}
			<-release
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		err := inst.Shutdown(ctx)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Shutdown = %v, want the deadline's error", err)
		}
	}
	<-started
	if n := runs.Load(); n != 1 {
		t.Errorf("the backend's Shutdown ran %d times, want once", n)
	}
}

func TestReadyRefusesNoTracer(t *testing.T) {
	for _, inst := range []*tracer.Instance{nil, {}} {
		if _, err := tracer.Ready(tracer.Config{}, inst); err == nil {
			t.Errorf("Ready(%v) gave no error", inst)
		}
	}
}
