package lightstep

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lightstep/lightstep-tracer-common/golang/gogo/collectorpb"
	lsgo "github.com/lightstep/lightstep-tracer-go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/polytrace/polytrace/internal/connset"
	"github.com/polytrace/polytrace/internal/spanstats"
)

// The wire names of lightstep-tracer-go v0.26.0's transports.
const (
	reportPath        = "/api/v2/reports"
	reportContentType = "application/octet-stream"
	tokenHeader       = "Lightstep-Access-Token"
	maxResponseBytes  = 1 << 20
)

// This backend gives the client its transport through the CustomCollector
// option rather than letting it build one, for three reasons: each tracer
// then counts its own exports (the client's events go to one handler for
// the whole process, naming no tracer), a report stuck on a collector that
// never answers is cancelled when Shutdown's deadline passes (the client's
// HTTP transport would leave it running for up to its 30s report timeout),
// and the gRPC connection is closed by Shutdown whatever the client did.
// The requests are those of the client's own transports: HTTP POST of a
// protobuf ReportRequest to /api/v2/reports with the Lightstep-Access-Token
// header, or gRPC CollectorService/Report with lightstep-access-token
// metadata.

// countingCollector wraps the collector the client reports to: it counts
// what each report delivered, and cancels a report under way once abort
// is done.
type countingCollector struct {
	next     lsgo.Collector
	stats    *spanstats.Counters
	buf      *bufferMirror
	abort    context.Context
	inflight atomic.Int32 // reports under way
}

// settle waits until no report is under way, or ctx is done: after abort,
// a cancelled report takes a moment to return and be counted.
func (c *countingCollector) settle(ctx context.Context) {
	for c.inflight.Load() > 0 && ctx.Err() == nil {
		time.Sleep(time.Millisecond)
	}
}

var _ lsgo.Collector = (*countingCollector)(nil)

// Report implements lightstep.Collector. A report the collector answers
// without errors exports its spans. A failed one is counted as an error;
// the client puts its spans back in its buffer for the next report, room
// permitting, and drops the rest.
func (c *countingCollector) Report(ctx context.Context, req *collectorpb.ReportRequest) (*collectorpb.ReportResponse, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(c.abort, cancel)
	defer stop()

	c.inflight.Add(1)
	defer c.inflight.Add(-1)
	n := len(req.GetSpans())
	c.buf.take(n)
	resp, err := c.next.Report(ctx, req)
	switch {
	case err != nil:
		c.stats.Failed(err.Error())
		c.buf.putBack(n)
	case len(resp.GetErrors()) > 0:
		c.stats.Failed("collector answered: " + resp.GetErrors()[0])
		c.buf.putBack(n)
	default:
		c.stats.Exported(int64(n))
	}
	return resp, err
}

// bufferMirror follows how full the client's span buffer is, to count the
// spans it drops when they happen: the client itself tells only with its
// next successful report (in its internal metrics), which with a
// collector that never answers comes late or never. It applies the
// client's rules (reportBuffer in lightstep-tracer-go v0.26.0): a span
// finished while the buffer holds size spans is dropped; a report takes
// the whole buffer; a failed report's spans go back into the buffer as far
// as there is room. The client updates its buffer under its own lock and
// calls the recorder afterwards, so under concurrency the mirror may be
// off by the few spans finished during a swap; after Shutdown the counts
// are exact.
//
// RecordSpan runs for every sampled span, from whatever goroutine
// finishes it, so no lock of ours may stand between the request
// goroutines: each change to the mirror is a compare-and-swap on
// buffered, retried when another change came first. A change is thus
// atomic as a whole (room checked and taken at once): the mirror never
// holds more than size spans, and every span counts once, as buffered or
// as dropped, whatever the interleaving.
type bufferMirror struct {
	stats *spanstats.Counters
	size  int64

	buffered atomic.Int64 // 0 to size
}

// RecordSpan implements lightstep.SpanRecorder: the client recorded a
// sampled finished span. Finished is counted before Dropped: a Stats
// snapshot reads dropped spans first, so it never shows more dropped than
// finished.
func (b *bufferMirror) RecordSpan(lsgo.RawSpan) {
	b.stats.Finished(1)
	for {
		n := b.buffered.Load()
		if n >= b.size {
			b.stats.Dropped(1)
			return
		}
		if b.buffered.CompareAndSwap(n, n+1) {
			return
		}
	}
}

// take notes that a report took n spans out of the buffer.
func (b *bufferMirror) take(n int) {
	for {
		have := b.buffered.Load()
		if b.buffered.CompareAndSwap(have, max(have-int64(n), 0)) {
			return
		}
	}
}

// putBack notes that a failed report's n spans went back into the buffer,
// as many as there is room for; the rest are dropped.
func (b *bufferMirror) putBack(n int) {
	for {
		have := b.buffered.Load()
		kept := min(b.size-have, int64(n))
		if b.buffered.CompareAndSwap(have, have+kept) {
			b.stats.Dropped(int64(n) - kept)
			return
		}
	}
}

// httpCollector posts reports as lightstep-tracer-go's HTTP transport does.
type httpCollector struct {
	url       string
	token     string
	client    *http.Client
	transport *http.Transport
	conns     *connset.Set
}

func newHTTPCollector(hostPort string, plaintext bool, token string) *httpCollector {
	scheme := "https"
	if plaintext {
		scheme = "http"
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	// The answers are tiny; compression buys nothing.
	t.DisableCompression = true
	t.MaxResponseHeaderBytes = 64 << 10
	conns := &connset.Set{Dialer: net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}} // as http.DefaultTransport's
	t.DialContext = conns.Dial
	return &httpCollector{
		url:       scheme + "://" + hostPort + reportPath,
		token:     token,
		client:    &http.Client{Transport: t},
		transport: t,
		conns:     conns,
	}
}

// Report implements lightstep.Collector. The client bounds ctx by its
// report timeout.
func (c *httpCollector) Report(ctx context.Context, req *collectorpb.ReportRequest) (*collectorpb.ReportResponse, error) {
	body, err := req.Marshal()
	if err != nil {
		return nil, fmt.Errorf("encode report: %w", err)
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	hreq.Header.Set("Content-Type", reportContentType)
	hreq.Header.Set("Accept", reportContentType)
	hreq.Header.Set(tokenHeader, c.token)
	resp, err := c.client.Do(hreq)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return nil, fmt.Errorf("read answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("POST %s: collector answered %s", c.url, resp.Status)
	}
	out := &collectorpb.ReportResponse{}
	if err := out.Unmarshal(data); err != nil {
		return nil, fmt.Errorf("decode answer: %w", err)
	}
	return out, nil
}

// close ends the collector's connections, idle, in use or still being
// dialed, so that no goroutine of its transport outlives it.
func (c *httpCollector) close() {
	c.conns.Close()
	c.transport.CloseIdleConnections()
}

// reconnect is how the gRPC connection comes back after the collector
// went away: grpc's default backoff grows to two minutes, so a collector
// back after a long outage would wait that long for its first report; here
// it is retried at least every 5s.
var reconnect = grpc.ConnectParams{
	Backoff:           backoff.Config{BaseDelay: 500 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: 5 * time.Second},
	MinConnectTimeout: 5 * time.Second,
}

// grpcCollector calls CollectorService/Report as lightstep-tracer-go's
// gRPC transport does, over one connection that grpc re-establishes as
// needed. grpc.NewClient does no I/O: the connection is made on the first
// report.
type grpcCollector struct {
	token  string
	client collectorpb.CollectorServiceClient

	mu sync.Mutex
	cc *grpc.ClientConn
}

func newGRPCCollector(target string, plaintext bool, token string) (*grpcCollector, error) {
	creds := insecure.NewCredentials()
	if !plaintext {
		// As the client does: system roots, server name from the target.
		creds = credentials.NewClientTLSFromCert(nil, "")
	}
	cc, err := grpc.NewClient(target,
		grpc.WithTransportCredentials(creds),
		grpc.WithDefaultCallOptions(grpc.MaxCallSendMsgSize(lsgo.DefaultGRPCMaxCallSendMsgSizeBytes)),
		grpc.WithConnectParams(reconnect),
	)
	if err != nil {
		return nil, err
	}
	return &grpcCollector{token: token, client: collectorpb.NewCollectorServiceClient(cc), cc: cc}, nil
}

// Report implements lightstep.Collector.
func (c *grpcCollector) Report(ctx context.Context, req *collectorpb.ReportRequest) (*collectorpb.ReportResponse, error) {
	ctx = metadata.AppendToOutgoingContext(ctx, "lightstep-access-token", c.token)
	return c.client.Report(ctx, req)
}

// close closes the connection, cancelling any report under way.
func (c *grpcCollector) close() {
	c.mu.Lock()
	cc := c.cc
	c.cc = nil
	c.mu.Unlock()
	if cc != nil {
		_ = cc.Close()
	}
}
