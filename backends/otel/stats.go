package otel

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/polytrace/polytrace/internal/spanstats"
)

// batcher is the backend's span processor: the SDK's batch span processor
// (same settings: OTEL_BSP_*, with TRACER_QUEUE_SIZE as the queue), plus
// the counts Instance.Stats reports. The SDK's own processor drops spans
// when its queue is full without telling anyone; this one counts every
// span as it is started, finished, queued or dropped, exported or failed.
//
// Finished sampled spans wait in a queue of queueSize; one goroutine takes
// them in batches of up to batchSize, exporting a batch when it is full or
// delay after the last export, each export bounded by timeout. A span
// finished while the queue is full, or after Shutdown began, is dropped.
// So at most queueSize+batchSize spans are held.
type batcher struct {
	exp       sdktrace.SpanExporter
	stats     *spanstats.Counters
	batchSize int
	delay     time.Duration
	timeout   time.Duration

	queue   chan sdktrace.ReadOnlySpan
	flushes chan chan struct{} // ForceFlush requests
	stop    chan struct{}      // closed by Shutdown
	done    chan struct{}      // closed when the goroutine has exported what it could
	closing atomic.Bool
	once    sync.Once
	final   atomic.Pointer[context.Context] // Shutdown's context, for the last exports
}

var _ sdktrace.SpanProcessor = (*batcher)(nil)

func newBatcher(exp sdktrace.SpanExporter, stats *spanstats.Counters, queueSize, batchSize int, delay, timeout time.Duration) *batcher {
	if delay <= 0 {
		delay = sdktrace.DefaultScheduleDelay * time.Millisecond
	}
	b := &batcher{
		exp: exp, stats: stats, batchSize: max(1, min(batchSize, queueSize)), delay: delay, timeout: timeout,
		queue:   make(chan sdktrace.ReadOnlySpan, queueSize),
		flushes: make(chan chan struct{}),
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
	}
	go b.run()
	return b
}

// OnStart implements sdktrace.SpanProcessor.
func (b *batcher) OnStart(_ context.Context, s sdktrace.ReadWriteSpan) {
	if s.SpanContext().IsSampled() {
		b.stats.Started(1)
	}
}

// OnEnd implements sdktrace.SpanProcessor. It never blocks.
func (b *batcher) OnEnd(s sdktrace.ReadOnlySpan) {
	if !s.SpanContext().IsSampled() {
		return
	}
	b.stats.Finished(1)
	if b.closing.Load() {
		b.stats.Dropped(1)
		return
	}
	select {
	case b.queue <- s:
	default:
		b.stats.Dropped(1)
	}
}

func (b *batcher) run() {
	defer close(b.done)
	batch := make([]sdktrace.ReadOnlySpan, 0, b.batchSize)
	timer := time.NewTimer(b.delay)
	defer timer.Stop()
	export := func(ctx context.Context) {
		if len(batch) > 0 {
			cancel := func() {}
			if b.timeout > 0 {
				ctx, cancel = context.WithTimeout(ctx, b.timeout)
			}
			// Failures are counted, and logged, by the exporter.
			_ = b.exp.ExportSpans(ctx, batch)
			cancel()
			clear(batch)
			batch = batch[:0]
		}
		timer.Reset(b.delay)
	}
	for {
		select {
		case s := <-b.queue:
			if batch = append(batch, s); len(batch) == b.batchSize {
				export(context.Background())
			}
		case <-timer.C:
			export(context.Background())
		case done := <-b.flushes:
			b.drain(&batch, export, context.Background())
			close(done)
		case <-b.stop:
			ctx := context.Background()
			if p := b.final.Load(); p != nil {
				ctx = *p
			}
			b.drain(&batch, export, ctx)
			return
		}
	}
}

// drain exports everything queued, in batches.
func (b *batcher) drain(batch *[]sdktrace.ReadOnlySpan, export func(context.Context), ctx context.Context) {
	for {
		select {
		case s := <-b.queue:
			if *batch = append(*batch, s); len(*batch) == b.batchSize {
				export(ctx)
			}
		default:
			export(ctx)
			return
		}
	}
}

// ForceFlush implements sdktrace.SpanProcessor: it exports what is queued
// and returns when that is done or ctx is.
func (b *batcher) ForceFlush(ctx context.Context) error {
	done := make(chan struct{})
	select {
	case b.flushes <- done:
	case <-b.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Shutdown implements sdktrace.SpanProcessor: spans finished from now on
// are dropped; those queued are exported with ctx (the caller cancels the
// exports still under way when it gives up); then the exporter is shut
// down.
func (b *batcher) Shutdown(ctx context.Context) error {
	b.once.Do(func() {
		b.closing.Store(true)
		b.final.Store(&ctx)
		close(b.stop)
	})
	select {
	case <-b.done:
	case <-ctx.Done():
		return ctx.Err()
	}
	return b.exp.Shutdown(ctx)
}

// exportStarted and exportEnded bracket an export of n spans (the
// exporter calls them; it logs failures and returns nil to its caller).
// A failed export drops its spans: the OTLP exporter has already retried
// within its timeout.
func (b *batcher) exportStarted(int) {}

func (b *batcher) exportEnded(n int, err error) {
	if err != nil {
		b.stats.Failed(err.Error())
		b.stats.Dropped(int64(n))
		return
	}
	b.stats.Exported(int64(n))
}
