package zipkin

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/openzipkin/zipkin-go/model"

	"github.com/polytrace/polytrace/tracer"
)

// QueueReporter is a [StatsReporter] for [NewWithReporter] that hands the
// finished spans to a sink within the process (a writer, a store) without
// ever holding up the goroutine that finishes a span. Send runs prepare
// there (so that the span is read before its caller can change it again)
// and queues the result, or drops it when the queue is full; one goroutine
// passes the queue to deliver.
// Close delivers what is queued, waiting as long as deliver does (callers
// bound it by a context, as NewWithReporter's Shutdown does). Send must not
// be called during or after Close, which NewWithReporter guarantees.
type QueueReporter[T any] struct {
	prepare func(model.SpanModel) (T, error)
	deliver func(T) (bool, error)
	queue   chan T
	done    chan struct{} // closed when the delivering goroutine ends

	delivered, full, refused atomic.Int64
	lastOK                   atomic.Int64 // Unix nanoseconds of the last span delivered

	mu             sync.Mutex // guards the errors
	firstErr, last error
	failed         int64
}

// NewQueueReporter returns a QueueReporter of size spans (at least 1).
// deliver reports whether the sink took the span: false with a nil error
// drops it quietly, false with an error counts an export error as well.
func NewQueueReporter[T any](size int, prepare func(model.SpanModel) (T, error), deliver func(T) (bool, error)) *QueueReporter[T] {
	r := &QueueReporter[T]{prepare: prepare, deliver: deliver, queue: make(chan T, max(size, 1)), done: make(chan struct{})}
	go r.loop()
	return r
}

// Send prepares s and queues it, or drops it when the queue is full.
func (r *QueueReporter[T]) Send(s model.SpanModel) {
	v, err := r.prepare(s)
	if err != nil {
		r.fail(err)
		return
	}
	select {
	case r.queue <- v:
	default:
		r.full.Add(1)
	}
}

// Close delivers the queued spans and returns once they are delivered.
func (r *QueueReporter[T]) Close() error {
	close(r.queue)
	<-r.done
	return nil
}

func (r *QueueReporter[T]) loop() {
	defer close(r.done)
	for v := range r.queue {
		r.deliverOne(v)
	}
}

func (r *QueueReporter[T]) deliverOne(v T) {
	switch ok, err := r.deliver(v); {
	case err != nil:
		r.fail(err)
	case !ok:
		r.refused.Add(1)
	default:
		r.delivered.Add(1)
		r.lastOK.Store(time.Now().UnixNano())
	}
}

func (r *QueueReporter[T]) fail(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.firstErr == nil {
		r.firstErr = err
	}
	r.last = err
	r.failed++
}

// Stats implements [StatsReporter]: spans delivered are exported; those
// the queue could not hold, the sink refused, or that failed are dropped;
// each failure is an export error.
func (r *QueueReporter[T]) Stats() tracer.Stats {
	s := tracer.Stats{SpansExported: r.delivered.Load(), SpansDropped: r.full.Load() + r.refused.Load()}
	if ns := r.lastOK.Load(); ns != 0 {
		s.LastExportTime = time.Unix(0, ns)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	s.SpansDropped += r.failed
	s.ExportErrors = r.failed
	if r.last != nil {
		s.LastExportError = r.last.Error()
	}
	return s
}

// Lost returns, once the reporter is closed, how many spans the queue
// could not hold, how many failed, and the first failure.
func (r *QueueReporter[T]) Lost() (full, failed int64, first error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.full.Load(), r.failed, r.firstErr
}
