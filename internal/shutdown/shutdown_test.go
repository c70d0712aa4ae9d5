package shutdown

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

func TestBoundedRunsOnceAndRepeatsResult(t *testing.T) {
	var calls atomic.Int32
	want := errors.New("flush failed")
	f := Bounded(func(context.Context) error { calls.Add(1); return want })
	for i := 0; i < 3; i++ {
		if err := f(context.Background()); !errors.Is(err, want) {
			t.Fatalf("call %d: err = %v, want %v", i, err, want)
		}
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("close ran %d times, want 1", n)
	}
}

func TestBoundedReturnsAtDeadlineWhenCloseBlocks(t *testing.T) {
	release := make(chan struct{})
	f := Bounded(func(context.Context) error { <-release; return nil })
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := f(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want context.DeadlineExceeded", err)
	}
	close(release)
	// A later call with time to spare sees the close finish.
	if err := f(context.Background()); err != nil {
		t.Fatalf("second call: %v", err)
	}
}

func TestBoundedNil(t *testing.T) {
	if err := Bounded(nil)(context.Background()); err != nil {
		t.Fatal(err)
	}
}
