// Package shutdown makes a vendor client's close function idempotent and
// bounded by a context, whatever the client does.
package shutdown

import (
	"context"
	"sync"
)

// Bounded returns a function that runs close once, in its own goroutine,
// and waits for it to finish or for the caller's context to be done,
// whichever comes first. Later calls wait for the same run and return its
// result; they never run close again. A close that ignores its context (as
// jaeger-client-go's Close does) therefore never holds a caller past its
// deadline; it finishes in the background.
func Bounded(closeFunc func(ctx context.Context) error) func(ctx context.Context) error {
	var (
		once sync.Once
		done = make(chan struct{})
		err  error
	)
	return func(ctx context.Context) error {
		once.Do(func() {
			// The run keeps the first caller's values (for deadlines passed
			// on to clients that honour them) but is not cut short when
			// that caller gives up waiting.
			runCtx := ctx
			go func() {
				defer close(done)
				if closeFunc != nil {
					err = closeFunc(runCtx)
				}
			}()
		})
		select {
		case <-done:
			return err
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
