package jaeger

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	jaegerclient "github.com/uber/jaeger-client-go"
	"github.com/uber/jaeger-client-go/transport"
	"github.com/uber/jaeger-client-go/utils"

	"github.com/polytrace/polytrace/internal/ratelog"
	"github.com/polytrace/polytrace/internal/spanstats"
)

// samplingFetchTimeout bounds one poll of the remote sampling endpoint, as
// jaeger-client-go's own fetcher does.
const samplingFetchTimeout = 10 * time.Second

// network owns the HTTP transport shared by the collector sender and the
// remote sampler. Once abandoned (Shutdown's deadline passed, or Shutdown
// finished), in-flight and later requests fail at once, so a black-holed
// collector cannot keep the client's background flush alive for its 5s
// request timeout per batch.
type network struct {
	base    *http.Transport
	ctx     context.Context
	abandon context.CancelFunc
}

func newNetwork() *network {
	ctx, cancel := context.WithCancel(context.Background())
	return &network{
		base:    http.DefaultTransport.(*http.Transport).Clone(),
		ctx:     ctx,
		abandon: cancel,
	}
}

// RoundTrip implements http.RoundTripper: the request is cancelled when
// the network is abandoned, and otherwise lives until its body is closed.
func (n *network) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithCancel(req.Context())
	stop := context.AfterFunc(n.ctx, cancel)
	release := func() { stop(); cancel() }
	resp, err := n.base.RoundTrip(req.WithContext(ctx))
	if err != nil {
		release()
		return nil, err
	}
	resp.Body = &releasingBody{ReadCloser: resp.Body, release: release}
	return resp, nil
}

// close abandons outstanding requests and drops idle connections.
func (n *network) close() {
	n.abandon()
	n.base.CloseIdleConnections()
}

type releasingBody struct {
	io.ReadCloser
	release func()
}

func (b *releasingBody) Close() error {
	err := b.ReadCloser.Close()
	b.release()
	return err
}

// samplingFetcher is jaeger.SamplingStrategyFetcher over the abandonable
// network: it GETs endpoint?service=NAME like the client's own fetcher.
type samplingFetcher struct {
	endpoint string
	client   *http.Client
}

func (f *samplingFetcher) Fetch(service string) ([]byte, error) {
	uri := f.endpoint + "?" + url.Values{"service": {service}}.Encode()
	resp, err := f.client.Get(uri)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= http.StatusBadRequest {
		return nil, fmt.Errorf("sampling endpoint answered %s", resp.Status)
	}
	return body, nil
}

// newSender builds the transport spans leave by: Sender when set, else
// HTTP to the collector when Endpoint is set, otherwise compact thrift over
// UDP to the agent.
// Neither touches the network here.
func newSender(o Options, nw *network, logger jaegerclient.Logger) (jaegerclient.Transport, error) {
	if o.Sender != nil {
		return o.Sender, nil
	}
	if o.Endpoint != "" {
		httpOpts := []transport.HTTPOption{transport.HTTPRoundTripper(nw)}
		if o.User != "" && o.Password != "" {
			httpOpts = append(httpOpts, transport.HTTPBasicAuth(o.User, string(o.Password)))
		}
		return transport.NewHTTPTransport(o.Endpoint, httpOpts...), nil
	}
	params := jaegerclient.UDPTransportParams{AgentClientUDPParams: utils.AgentClientUDPParams{
		HostPort:                   joinHostPort(o.AgentHost, o.AgentPort),
		Logger:                     logger,
		DisableAttemptReconnecting: o.DisableAttemptReconnecting,
		AttemptReconnectInterval:   o.AttemptReconnectInterval,
	}}
	build := func() (jaegerclient.Transport, error) { return jaegerclient.NewUDPTransportWithParams(params) }
	if resolvesLocally(o.AgentHost) {
		// An IP literal or localhost (from /etc/hosts): no DNS query.
		return build()
	}
	// A DNS name: the client would resolve it right here, which can block
	// for as long as the resolver's timeouts. Build on first use instead,
	// in the reporter's background goroutine.
	return &lazySender{build: build, retry: o.AttemptReconnectInterval}, nil
}

func joinHostPort(host string, port int) string {
	return net.JoinHostPort(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"), strconv.Itoa(port))
}

func resolvesLocally(host string) bool {
	h := strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	return net.ParseIP(h) != nil || strings.EqualFold(h, "localhost")
}

// lazySender is a jaeger.Transport whose real transport is built on the
// first span, so that resolving the agent's name happens in the reporter's
// goroutine rather than in Open. A failed build is retried no more often
// than every retry interval; spans appended meanwhile are dropped and
// counted as failures by the reporter.
//
// What it gives up: the client's UDP sender learns the reporter's
// dropped-span count through an interface internal to jaeger-client-go, so
// batches sent through a lazySender report no queue drops to the agent.
type lazySender struct {
	build func() (jaegerclient.Transport, error)
	retry time.Duration

	mu      sync.Mutex
	sender  jaegerclient.Transport
	err     error
	retryAt time.Time
}

func (l *lazySender) get() (jaegerclient.Transport, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.sender != nil {
		return l.sender, nil
	}
	if l.err != nil && time.Now().Before(l.retryAt) {
		return nil, l.err
	}
	s, err := l.build()
	if err != nil {
		l.err, l.retryAt = fmt.Errorf("build UDP sender: %w", err), time.Now().Add(l.retry)
		return nil, l.err
	}
	l.sender, l.err = s, nil
	return s, nil
}

// Append implements jaeger.Transport.
func (l *lazySender) Append(span *jaegerclient.Span) (int, error) {
	s, err := l.get()
	if err != nil {
		return 1, err
	}
	return s.Append(span)
}

// Flush implements jaeger.Transport.
func (l *lazySender) Flush() (int, error) {
	l.mu.Lock()
	s := l.sender
	l.mu.Unlock()
	if s == nil {
		return 0, nil
	}
	return s.Flush()
}

// Close implements jaeger.Transport.
func (l *lazySender) Close() error {
	l.mu.Lock()
	s := l.sender
	l.mu.Unlock()
	if s == nil {
		return nil
	}
	return s.Close()
}

// logger writes the client's errors and notices to the standard log
// package, as jaeger.StdLogger does, after replacing every secret it knows
// of (the password, credentials and query strings of the endpoint URLs).
// Debug messages (one per flushed batch) are dropped.
type logger struct {
	redact *strings.Replacer
	stats  *spanstats.Counters // counts export failures; may be nil
	limit  ratelog.Limiter     // export failures logged at most once per interval
}

func newLogger(o Options) *logger {
	var pairs []string
	add := func(secret, with string) {
		if secret != "" {
			pairs = append(pairs, secret, with)
		}
	}
	for _, raw := range []string{o.Endpoint, o.SamplingEndpoint} {
		if raw == "" {
			continue
		}
		add(raw, redactURL(raw)) // longest first: the whole URL
		if u, err := url.Parse(raw); err == nil {
			if p, ok := u.User.Password(); ok {
				add(p, redacted)
				add(url.PathEscape(p), redacted)
			}
			add(u.RawQuery, redacted)
		}
	}
	add(string(o.Password), redacted)
	return &logger{redact: strings.NewReplacer(pairs...), limit: ratelog.Limiter{Every: ratelog.Every}}
}

// Error implements jaeger.Logger.
func (l *logger) Error(msg string) {
	msg = l.redact.Replace(msg)
	if exportFailure(msg) {
		if l.stats != nil {
			l.stats.Failed(msg)
		}
		var ok bool
		if msg, ok = l.limit.Allow(msg); !ok {
			return
		}
	}
	jaegerclient.StdLogger.Error(msg)
}

// Infof implements jaeger.Logger.
func (l *logger) Infof(format string, args ...interface{}) {
	jaegerclient.StdLogger.Infof("%s", l.redact.Replace(fmt.Sprintf(format, args...)))
}

// Debugf implements the client's log.DebugLogger; it logs nothing.
func (l *logger) Debugf(string, ...interface{}) {}
