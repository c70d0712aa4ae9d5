package zipkin

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/openzipkin/zipkin-go/model"
	"github.com/openzipkin/zipkin-go/reporter"

	"github.com/polytrace/polytrace/internal/envconf"
	"github.com/polytrace/polytrace/internal/spanstats"
)

// closeGuard wraps a reporter so that Send never reaches it once Close has
// begun: such spans are dropped. This matters because zipkin-go's HTTP
// reporter hands each span to its loop over an unbuffered channel, and that
// loop exits on Close, so a Send after (or racing with) Close would block
// its caller forever.
//
// The hot path takes no lock: one atomic add on entry and one on exit, the
// scheme of sync.RWMutex's readers. state counts the Sends under way, and
// Close makes it negative by subtracting closedBias in one atomic step:
//
//   - A Send whose entry add gives a negative count started after Close
//     and drops its span, undoing its add.
//   - A Send whose entry add gives a non-negative count is admitted and
//     calls the reporter. If its exit add gives a negative count, Close
//     began meanwhile and is waiting for it: it counts down wait, and the
//     last one signals drained.
//   - Close learns from its own add how many Sends were admitted and still
//     under way, adds that to wait, and waits for drained unless they have
//     all left already. Admitted Sends finish quickly (the reporter's loop
//     still runs), so Close waits little.
//
// Unlike polling a counter, this does not starve under a steady stream of
// rejected Sends, which never touch wait.
type closeGuard struct {
	reporter.Reporter
	stats   *spanstats.Counters // counts finished spans, and those dropped after Close; may be nil
	state   atomic.Int64        // Sends under way, minus closedBias once closing
	wait    atomic.Int64        // admitted Sends Close still waits for
	closing atomic.Bool
	drained chan struct{} // made by Close before it publishes closedBias
}

const closedBias = 1 << 62

var _ reporter.Reporter = (*closeGuard)(nil)

func (g *closeGuard) Send(s model.SpanModel) {
	if g.stats != nil {
		g.stats.Finished(1)
	}
	if g.state.Add(1) < 0 {
		g.state.Add(-1)
		if g.stats != nil {
			g.stats.Dropped(1)
		}
		return
	}
	g.Reporter.Send(s)
	if g.state.Add(-1) < 0 && g.wait.Add(-1) == 0 {
		g.drained <- struct{}{}
	}
}

// Close stops Sends from reaching the reporter, waits for those under way,
// then closes the reporter. Only the first call closes it; later calls
// return nil. tracer.Ready bounds the Shutdown that calls it.
func (g *closeGuard) Close() error {
	if g.closing.Swap(true) {
		return nil
	}
	g.drained = make(chan struct{}, 1)
	if admitted := g.state.Add(-closedBias) + closedBias; admitted != 0 && g.wait.Add(admitted) != 0 {
		<-g.drained
	}
	return g.Reporter.Close()
}

// httpDoer is the HTTP client of zipkin-go's reporter. It adds what the
// reporter lacks: requests are cancelled when the tracer's shutdown
// deadline passes (so a black-holed collector cannot keep the reporter's
// goroutines after it), and errors never show the endpoint's user
// information or query string (the reporter logs them).
type httpDoer struct {
	client *http.Client
	abort  context.Context     // done once the shutdown deadline has passed
	stats  *spanstats.Counters // counts the outcome of each request; may be nil
	batch  *atomic.Int64       // spans in the request under way (see countingSerializer)

	// backoff is how long the next request waits, after failures. Only
	// the reporter's sending goroutine calls Do, so it needs no lock.
	backoff time.Duration
}

// After a failed request the next one waits, from minBackoff doubling up
// to maxBackoff, until one succeeds: zipkin-go's reporter retries its whole
// backlog (up to the queue size) as soon as a batch fills, so a collector
// that refuses connections at once would otherwise have it re-encode
// thousands of spans in a tight loop, taking CPU from the service.
const (
	minBackoff = 100 * time.Millisecond
	maxBackoff = 2 * time.Second
)

// wait sleeps for the current backoff, or until the shutdown deadline.
func (d *httpDoer) wait() {
	if d.backoff <= 0 {
		return
	}
	t := time.NewTimer(d.backoff)
	defer t.Stop()
	select {
	case <-t.C:
	case <-d.abort.Done():
	}
}

// pace sets the backoff after a request: reset on success, doubled on
// failure.
func (d *httpDoer) pace(ok bool) {
	switch {
	case ok:
		d.backoff = 0
	case d.backoff == 0:
		d.backoff = minBackoff
	default:
		d.backoff = min(2*d.backoff, maxBackoff)
	}
}

func (d *httpDoer) Do(req *http.Request) (*http.Response, error) {
	d.wait()
	ctx, cancel := context.WithCancel(req.Context())
	stop := context.AfterFunc(d.abort, cancel)
	resp, err := d.client.Do(req.WithContext(ctx))
	if err != nil {
		stop()
		cancel()
		err = redactURLError(err)
		d.outcome(0, err.Error())
		d.pace(false)
		return nil, err
	}
	d.outcome(resp.StatusCode, resp.Status)
	d.pace(resp.StatusCode >= 200 && resp.StatusCode <= 299)
	resp.Body = &releaseOnClose{ReadCloser: resp.Body, release: func() { stop(); cancel() }}
	return resp, nil
}

// releaseOnClose releases a request's cancel hooks once the reporter has
// closed the response body.
type releaseOnClose struct {
	io.ReadCloser
	release func()
}

func (r *releaseOnClose) Close() error {
	err := r.ReadCloser.Close()
	r.release()
	return err
}

// redactURLError rewrites the URL inside a *url.Error (which net/http
// prints whole, query string included) with envconf.Redact.
func redactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return &url.Error{Op: ue.Op, URL: envconf.Redact(ue.URL), Err: ue.Err}
	}
	return err
}
