package zipkin

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"time"

	zipkingo "github.com/openzipkin/zipkin-go"
	"github.com/openzipkin/zipkin-go/model"
	"github.com/openzipkin/zipkin-go/proto/zipkin_proto3"
	"github.com/openzipkin/zipkin-go/reporter"
	zipkinhttp "github.com/openzipkin/zipkin-go/reporter/http"

	"github.com/polytrace/polytrace/internal/envconf"
	"github.com/polytrace/polytrace/internal/reach"
	"github.com/polytrace/polytrace/internal/shutdown"
	"github.com/polytrace/polytrace/internal/spanstats"
	"github.com/polytrace/polytrace/tracer"
)

// Name is the backend's registered name, the value of TRACER_BACKEND that
// selects it.
const Name = "zipkin"

func init() { tracer.Register(Name, Open) }

// The settings this backend reads through tracer.Config.Get.
const (
	// EnvEndpoint is the collector's span endpoint, an http or https URL
	// taking Zipkin's JSON v2 format. Default [DefaultEndpoint].
	EnvEndpoint = "ZIPKIN_ENDPOINT"
	// EnvTimeout bounds each request to the collector: a Go duration.
	// Default [DefaultTimeout].
	EnvTimeout = "ZIPKIN_TIMEOUT"
	// EnvBatchInterval is the longest a finished span waits before it is
	// sent: a Go duration. Default [DefaultBatchInterval].
	EnvBatchInterval = "ZIPKIN_BATCH_INTERVAL"
	// EnvEncoding selects how spans are encoded: json (the default) or
	// proto3.
	EnvEncoding = "ZIPKIN_ENCODING"
)

// The span encodings of Zipkin's v2 API, as ZIPKIN_ENCODING names them.
const (
	// EncodingJSON is JSON v2 (Content-Type application/json), which
	// every Zipkin-compatible collector takes.
	EncodingJSON = "json"
	// EncodingProto3 is Zipkin's proto3 ListOfSpans (Content-Type
	// application/x-protobuf), taken by Zipkin 2.8 and later, Jaeger's
	// Zipkin receiver and the OpenTelemetry Collector's: cheaper to encode
	// and to decode.
	EncodingProto3 = "proto3"
)

// Defaults for the zero values of [Options].
const (
	DefaultEndpoint      = "http://localhost:9411/api/v2/spans"
	DefaultTimeout       = 5 * time.Second
	DefaultBatchInterval = time.Second
)

// Options configure the backend. The zero value reports to
// [DefaultEndpoint] with the default timeout and batch interval.
type Options struct {
	// Endpoint is the collector's span endpoint (JSON v2 over HTTP), such
	// as http://zipkin:9411/api/v2/spans. User information in it is sent
	// as basic authentication. Empty means [DefaultEndpoint].
	Endpoint string

	// Timeout bounds each request to the collector. Zero means
	// [DefaultTimeout].
	Timeout time.Duration

	// BatchInterval is the longest a finished span waits before it is
	// sent; a batch of 100 spans is sent at once. Zero means
	// [DefaultBatchInterval].
	BatchInterval time.Duration

	// Encoding is [EncodingJSON] or [EncodingProto3]. Empty means JSON.
	Encoding string

	// Logger receives the reporter's complaints: failed requests and spans
	// dropped because more than 1000 were waiting. Nil means standard
	// error. The endpoint's user information and query string never
	// appear in them.
	Logger *log.Logger
}

// OptionsFromConfig reads the ZIPKIN_* settings from cfg. An invalid
// setting gives an error naming it, its value (with any user information
// and query string left out) and what is accepted; it wraps
// tracer.ErrInvalidConfig.
func OptionsFromConfig(cfg tracer.Config) (Options, error) {
	var (
		opts Options
		err  error
	)
	if opts.Endpoint, err = envconf.URL(cfg.Get, EnvEndpoint, DefaultEndpoint); err != nil {
		return Options{}, err
	}
	if opts.Timeout, err = envconf.Duration(cfg.Get, EnvTimeout, DefaultTimeout); err != nil {
		return Options{}, err
	}
	if opts.BatchInterval, err = envconf.Duration(cfg.Get, EnvBatchInterval, DefaultBatchInterval); err != nil {
		return Options{}, err
	}
	if opts.Encoding, err = envconf.OneOf(cfg.Get, EnvEncoding, EncodingJSON, EncodingJSON, EncodingProto3); err != nil {
		return Options{}, err
	}
	return opts, nil
}

// Open builds the backend from cfg and its ZIPKIN_* settings. It is the
// function registered under [Name].
func Open(cfg tracer.Config) (*tracer.Instance, error) {
	opts, err := OptionsFromConfig(cfg)
	if err != nil {
		return nil, err
	}
	return New(cfg, opts)
}

// New builds the backend from cfg and opts, ignoring any ZIPKIN_* settings
// in cfg. It does not touch the network: spans are sent in the background,
// and a collector that cannot be reached costs dropped spans and log
// lines, never a blocked caller.
func New(cfg tracer.Config, opts Options) (*tracer.Instance, error) {
	endpoint, err := envconf.URL(func(string) (string, bool) { return opts.Endpoint, opts.Endpoint != "" },
		"zipkin.Options.Endpoint", DefaultEndpoint)
	if err != nil {
		return nil, fmt.Errorf("zipkin: %w", err)
	}
	timeout, err := positive("zipkin.Options.Timeout", opts.Timeout, DefaultTimeout)
	if err != nil {
		return nil, err
	}
	interval, err := positive("zipkin.Options.BatchInterval", opts.BatchInterval, DefaultBatchInterval)
	if err != nil {
		return nil, err
	}
	var serializer reporter.SpanSerializer
	switch strings.ToLower(opts.Encoding) {
	case "", EncodingJSON:
		serializer = reporter.JSONSerializer{}
	case EncodingProto3:
		serializer = zipkin_proto3.SpanSerializer{}
	default:
		return nil, fmt.Errorf("zipkin: %w", envconf.Invalid("zipkin.Options.Encoding", opts.Encoding,
			"one of "+EncodingJSON+", "+EncodingProto3))
	}
	// Checked before the reporter starts its goroutines.
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("zipkin: %w", err)
	}
	queue := spanstats.QueueSize(cfg, 0)
	logger := opts.Logger
	if logger == nil {
		logger = log.New(os.Stderr, "polytrace zipkin: ", log.LstdFlags)
	}
	stats := &spanstats.Counters{}
	batch := new(atomic.Int64)

	abortCtx, abort := context.WithCancel(context.Background())
	// A transport of its own, so that shutting down closes its idle
	// connections and nobody else's.
	transport := &http.Transport{Proxy: http.ProxyFromEnvironment}
	if t, ok := http.DefaultTransport.(*http.Transport); ok {
		transport = t.Clone()
	}
	// MaxBacklog bounds the spans held, including those of the request
	// under way; beyond it the oldest are dropped (and counted by the log
	// tap, the only place the reporter says so).
	rep := zipkinhttp.NewReporter(endpoint,
		zipkinhttp.Client(&httpDoer{client: &http.Client{Transport: transport, Timeout: timeout}, abort: abortCtx, stats: stats, batch: batch}),
		zipkinhttp.Timeout(timeout),
		zipkinhttp.BatchInterval(interval),
		zipkinhttp.MaxBacklog(queue),
		zipkinhttp.Serializer(countingSerializer{SpanSerializer: serializer, batch: batch}),
		zipkinhttp.Logger(newLogTap(logger, stats)),
	)
	// Closing sends the spans still buffered. Once the caller's deadline
	// passes, abort cancels that request so the reporter's goroutines end.
	closeFn := func(ctx context.Context, g *closeGuard) error {
		ctx, cancel := shutdown.Early(ctx)
		defer cancel()
		stop := context.AfterFunc(ctx, abort)
		defer stop()
		err := g.Close()
		abort()
		transport.CloseIdleConnections()
		stats.Closed()
		if cerr := ctx.Err(); cerr != nil {
			// The deadline (less a margin) passed first: the last request
			// was cancelled.
			return cerr
		}
		return err
	}
	inst, err := build(cfg, rep, closeFn, stats)
	if err != nil {
		abort()
		_ = rep.Close()
		return nil, err
	}
	inst.Ping = func(ctx context.Context) error { return reach.URL(ctx, EnvEndpoint, endpoint) }
	return inst, nil
}

// NewWithReporter builds the backend's tracer over any zipkin-go reporter
// (Kafka, AMQP, a log, a test recorder, a custom one): the same spans,
// sampling, tags and B3 propagation as [New], with rep in place of the
// HTTP reporter. Spans finished after Shutdown are dropped before they
// reach rep, and Shutdown closes rep once, returning by its context's
// deadline whatever rep.Close does. On error rep is left open.
func NewWithReporter(cfg tracer.Config, rep reporter.Reporter) (*tracer.Instance, error) {
	if rep == nil {
		return nil, errors.New("zipkin: NewWithReporter: nil reporter")
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("zipkin: %w", err)
	}
	return build(cfg, rep, func(_ context.Context, g *closeGuard) error { return g.Close() }, &spanstats.Counters{})
}

// build wraps rep in a closeGuard and the guard in the tracer. stats
// counts spans started and finished; if rep is a StatsReporter, its
// counts are added. cfg is valid: New and NewWithReporter check it.
func build(cfg tracer.Config, rep reporter.Reporter, closeFn func(context.Context, *closeGuard) error, stats *spanstats.Counters) (*tracer.Instance, error) {
	sampler := newSampler(cfg.SampleRate)
	guard := &closeGuard{Reporter: rep, stats: stats}
	ztr, err := zipkingo.NewTracer(guard,
		zipkingo.WithLocalEndpoint(&model.Endpoint{ServiceName: cfg.Service()}),
		zipkingo.WithTags(cfg.Tags),
		zipkingo.WithSampler(sampler),
		zipkingo.WithIDGenerator(idGenerator{}),
		// A server span extracted from a client's headers is a child of
		// the client span, as in the other backends, not Zipkin's older
		// shared span with the same id.
		zipkingo.WithSharedSpans(false),
		zipkingo.WithNoopSpan(true),
	)
	if err != nil {
		return nil, fmt.Errorf("zipkin: build tracer: %w", err)
	}
	var closed atomic.Bool
	statsFn := stats.Stats
	if src, ok := rep.(StatsReporter); ok {
		statsFn = func() tracer.Stats { return merge(src.Stats(), stats.Stats(), closed.Load()) }
	}
	return &tracer.Instance{
		Tracer:    &otTracer{ztr: ztr, stats: stats, decide: newDecider(cfg.SampleRate, sampler)},
		Converter: converter{},
		Shutdown: shutdown.Bounded(func(ctx context.Context) error {
			err := closeFn(ctx, guard)
			closed.Store(true)
			if err != nil {
				return fmt.Errorf("zipkin: flush spans: %w", err)
			}
			return nil
		}),
		Stats: statsFn,
	}, nil
}

// merge adds the export counts of a StatsReporter (read first, so that
// they never exceed the spans finished) to the tracer's own counts. Once
// the reporter is closed, every finished span it did not export is
// dropped.
func merge(rep, own tracer.Stats, closed bool) tracer.Stats {
	s := own
	s.SpansExported += rep.SpansExported
	s.SpansDropped += rep.SpansDropped
	s.ExportErrors += rep.ExportErrors
	if rep.LastExportError != "" {
		s.LastExportError = rep.LastExportError
	}
	if rep.LastExportTime.After(s.LastExportTime) {
		s.LastExportTime = rep.LastExportTime
	}
	if closed {
		s.SpansDropped = max(s.SpansFinished-s.SpansExported, 0)
	}
	return s
}

// positive returns d, or def when d is zero, refusing negative durations.
func positive(name string, d, def time.Duration) (time.Duration, error) {
	switch {
	case d == 0:
		return def, nil
	case d < 0:
		return 0, fmt.Errorf("zipkin: %w", envconf.Invalid(name, d.String(), "a positive duration, or zero for the default"))
	}
	return d, nil
}
