package shutdown

import (
	"context"
	"time"
)

// maxMargin bounds the time Early keeps for wrapping up.
const maxMargin = 100 * time.Millisecond

// Early returns a context whose deadline comes a little before ctx's (a
// tenth of the time left, at most 100ms): a backend flushes with it and
// cancels what is still under way when it ends, so that its close has
// finished, and its statistics settled, by the time the caller's deadline
// passes. Without a deadline, ctx is returned as it is.
func Early(ctx context.Context) (context.Context, context.CancelFunc) {
	deadline, ok := ctx.Deadline()
	if !ok {
		return context.WithCancel(ctx)
	}
	margin := min(time.Until(deadline)/10, maxMargin)
	return context.WithDeadline(ctx, deadline.Add(-margin))
}
