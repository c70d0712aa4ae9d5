package shutdown

import (
	"context"
	"testing"
	"time"
)

func TestEarly(t *testing.T) {
	for _, tt := range []struct {
		left, wantMargin time.Duration
	}{
		{10 * time.Second, 100 * time.Millisecond},
		{500 * time.Millisecond, 50 * time.Millisecond},
	} {
		deadline := time.Now().Add(tt.left)
		parent, cancel := context.WithDeadline(context.Background(), deadline)
		ctx, stop := Early(parent)
		got, ok := ctx.Deadline()
		margin := deadline.Sub(got)
		if !ok || margin < tt.wantMargin-5*time.Millisecond || margin > tt.wantMargin {
			t.Errorf("%v left: margin %v, want about %v", tt.left, margin, tt.wantMargin)
		}
		stop()
		cancel()
	}
	ctx, stop := Early(context.Background())
	defer stop()
	if _, ok := ctx.Deadline(); ok {
		t.Error("Early gave a deadline to a context without one")
	}
}
