package otel

import (
	"context"
	"crypto/tls"
	"fmt"
	"maps"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/encoding/gzip"

	"github.com/polytrace/polytrace/internal/connset"
	"github.com/polytrace/polytrace/internal/ratelog"
)

// exportRetry is how the OTLP exporters retry a failed export, within
// its timeout (OTEL_EXPORTER_OTLP_TIMEOUT): from 500ms, growing to at
// most 5s between attempts, as the gRPC connection is retried. The
// exporters' default waits 5s before its first retry, so a collector back
// after a short outage would wait that long for spans, while the queue
// fills and drops.
var exportRetry = otlptracegrpc.RetryConfig{
	Enabled: true, InitialInterval: 500 * time.Millisecond, MaxInterval: 5 * time.Second, MaxElapsedTime: time.Minute,
}

// exporter sits between the batch span processor and the OTLP exporter.
// It
//   - replaces each span's resource with the one built from the
//     configuration: the SDK merges the process environment's
//     OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME into the provider's;
//   - logs failed exports itself, rate-limited and with header values
//     removed, rather than returning them to the processor, which hands
//     them to OpenTelemetry's global error handler (standard error, no
//     rate limit, no redaction);
//   - remembers failures during shutdown, for Shutdown to return;
//   - cancels exports still under way when abort is called.
type exporter struct {
	next     sdktrace.SpanExporter
	res      *resource.Resource
	failures *ratelog.Logger

	aborted context.Context
	abort   context.CancelFunc

	closing  atomic.Bool
	counts   *batcher // counts each export's outcome; may be nil
	mu       sync.Mutex
	flushErr string // the last failure while closing, redacted
}

var _ sdktrace.SpanExporter = (*exporter)(nil)

func newExporter(next sdktrace.SpanExporter, res *resource.Resource, failures *ratelog.Logger,
	aborted context.Context, abort context.CancelFunc) *exporter {
	return &exporter{next: next, res: res, failures: failures, aborted: aborted, abort: abort}
}

// resourceSpan is a span with its resource replaced.
type resourceSpan struct {
	sdktrace.ReadOnlySpan
	res *resource.Resource
}

func (s resourceSpan) Resource() *resource.Resource { return s.res }

// ExportSpans implements sdktrace.SpanExporter. It always returns nil: a
// failure is logged here (the exporter has already retried as long as its
// timeout allowed).
func (e *exporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	if e.aborted.Err() != nil {
		return nil // Shutdown gave up: the spans are dropped
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(e.aborted, cancel)()
	out := make([]sdktrace.ReadOnlySpan, len(spans))
	for i, s := range spans {
		out[i] = resourceSpan{ReadOnlySpan: s, res: e.res}
	}
	if e.counts != nil {
		e.counts.exportStarted(len(spans))
	}
	err := e.next.ExportSpans(ctx, out)
	if e.counts != nil {
		e.counts.exportEnded(len(spans), err)
	}
	if err != nil {
		msg := e.failures.Log(fmt.Sprintf("%d spans: %v", len(spans), err))
		if e.closing.Load() {
			e.mu.Lock()
			e.flushErr = msg
			e.mu.Unlock()
		}
	}
	return nil
}

// Shutdown implements sdktrace.SpanExporter. Its errors (a context that
// ended first, mostly) are not logged: Shutdown reports them.
func (e *exporter) Shutdown(ctx context.Context) error {
	if err := e.next.Shutdown(ctx); err != nil {
		e.mu.Lock()
		if e.flushErr == "" {
			e.flushErr = e.failures.Redact("shut down exporter: " + err.Error())
		}
		e.mu.Unlock()
	}
	return nil
}

// flushError returns the last failure seen while shutting down, redacted,
// or "".
func (e *exporter) flushError() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.flushErr
}

// newOTLPExporter builds the OTLP exporter s describes, with every option
// given explicitly so that none comes from the process environment (the
// exporters read OTEL_EXPORTER_OTLP_* there for whatever is not given),
// and returns with it the function that releases its transport. Once
// aborted is done, the transport dials no more.
func newOTLPExporter(s settings, aborted context.Context) (sdktrace.SpanExporter, func(), error) {
	// A copy, never nil: an empty map still replaces headers from the
	// process environment.
	headers := maps.Clone(s.Headers)
	if headers == nil {
		headers = map[string]string{}
	}
	if s.Protocol == ProtocolGRPC {
		// Our own connection: the exporter then ignores every connection
		// setting of the process environment (endpoint, certificates,
		// compression), and Shutdown can close it whatever happened.
		creds := insecure.NewCredentials()
		if !s.plaintext {
			creds = credentials.NewTLS(tlsConfig(s.TLSConfig))
		}
		compressor := "identity"
		if s.Compression == CompressionGzip {
			compressor = gzip.Name
		}
		conn, err := grpc.NewClient(s.grpcTarget,
			grpc.WithTransportCredentials(creds),
			grpc.WithDefaultCallOptions(grpc.UseCompressor(compressor)),
			grpc.WithUserAgent("polytrace-otel"),
			// grpc's default reconnection backoff grows to two minutes: a
			// collector back after a long outage would wait that long for
			// spans. Retry at least every 5s.
			grpc.WithConnectParams(grpc.ConnectParams{
				Backoff:           backoff.Config{BaseDelay: 500 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: 5 * time.Second},
				MinConnectTimeout: 5 * time.Second,
			}),
		)
		if err != nil {
			return nil, nil, fmt.Errorf("grpc client for %s: %w", s.grpcTarget, err)
		}
		exp, err := otlptracegrpc.New(context.Background(),
			otlptracegrpc.WithGRPCConn(conn),
			otlptracegrpc.WithHeaders(headers),
			otlptracegrpc.WithTimeout(s.Timeout),
			otlptracegrpc.WithRetry(exportRetry),
		)
		if err != nil {
			_ = conn.Close()
			return nil, nil, fmt.Errorf("build OTLP/gRPC exporter: %w", err)
		}
		return exp, func() { _ = conn.Close() }, nil
	}

	// Our own client and transport: the exporter then ignores the process
	// environment's certificates and timeout, and Shutdown closes every
	// connection it opened, also one whose dial ended after the request
	// that wanted it was cancelled (net/http keeps such a connection).
	transport := &http.Transport{Proxy: http.ProxyFromEnvironment}
	if t, ok := http.DefaultTransport.(*http.Transport); ok {
		transport = t.Clone()
	}
	conns := &connset.Set{Aborted: aborted,
		Dialer: net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}} // as http.DefaultTransport's
	transport.DialContext = conns.Dial
	if !s.plaintext {
		transport.TLSClientConfig = tlsConfig(s.TLSConfig)
	}
	compression, encoding := otlptracehttp.NoCompression, otlptracehttp.EncodingProtobuf
	if s.Compression == CompressionGzip {
		compression = otlptracehttp.GzipCompression
	}
	if s.Protocol == ProtocolHTTPJSON {
		encoding = otlptracehttp.EncodingJSON
	}
	exp, err := otlptracehttp.New(context.Background(),
		otlptracehttp.WithEndpointURL(s.httpURL),
		otlptracehttp.WithHTTPClient(&http.Client{Transport: transport, Timeout: s.Timeout}),
		// Clears a TLS configuration read from the process environment
		// (OTEL_EXPORTER_OTLP_CERTIFICATE), which the exporter refuses to
		// start with for an http:// endpoint. Ours is in transport.
		otlptracehttp.WithTLSClientConfig(nil),
		otlptracehttp.WithHeaders(headers),
		otlptracehttp.WithTimeout(s.Timeout),
		otlptracehttp.WithRetry(otlptracehttp.RetryConfig(exportRetry)),
		otlptracehttp.WithCompression(compression),
		otlptracehttp.WithEncoding(encoding),
	)
	if err != nil {
		return nil, nil, fmt.Errorf("build OTLP/HTTP exporter: %w", err)
	}
	return exp, func() {
		conns.Close()
		transport.CloseIdleConnections()
	}, nil
}

func tlsConfig(c *tls.Config) *tls.Config {
	if c != nil {
		return c.Clone()
	}
	return &tls.Config{MinVersion: tls.VersionTLS12}
}
