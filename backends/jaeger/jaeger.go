package jaeger

import (
	"context"
	"fmt"
	"net/http"

	"github.com/opentracing/opentracing-go"
	jaegerclient "github.com/uber/jaeger-client-go"
	"github.com/uber/jaeger-client-go/rpcmetrics"
	"github.com/uber/jaeger-lib/metrics"

	"github.com/polytrace/polytrace/internal/shutdown"
	"github.com/polytrace/polytrace/internal/spanstats"
	"github.com/polytrace/polytrace/tracer"
)

// Name is the backend's registered name, the value of TRACER_BACKEND that
// selects it.
const Name = "jaeger"

func init() { tracer.Register(Name, Open) }

// Open builds a Jaeger tracer from cfg, reading the JAEGER_* settings
// through cfg.Get (see [OptionsFromConfig]). It is the backend's
// tracer.OpenFunc.
func Open(cfg tracer.Config) (*tracer.Instance, error) {
	opts, err := OptionsFromConfig(cfg)
	if err != nil {
		return nil, err
	}
	return New(cfg, opts)
}

// New builds a Jaeger tracer from cfg and opts, reading no settings: for
// programs that configure in code. Zero fields of opts take their
// defaults; invalid ones give an error naming the JAEGER_* variable the
// field stands for, wrapping tracer.ErrInvalidConfig.
//
// New does not touch the network: the agent's name, when it is not an IP
// address or localhost, is resolved on the first span, in the background.
func New(cfg tracer.Config, opts Options) (*tracer.Instance, error) {
	o := opts.withDefaults()
	if err := o.validate(); err != nil {
		return nil, fmt.Errorf("jaeger: %w", err)
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("jaeger: %w", err)
	}
	if o.Disabled {
		return &tracer.Instance{
			Tracer:   opentracing.NoopTracer{},
			Shutdown: func(context.Context) error { return nil },
		}, nil
	}

	queueSize := spanstats.QueueSize(cfg, o.QueueSize)

	service := cfg.Service()
	factory := o.Metrics
	if factory == nil {
		factory = metrics.NullFactory
	}
	stats := &spanstats.Counters{}
	m := jaegerclient.NewMetrics(statsFactory{inner: factory, stats: stats}, nil)
	log := newLogger(o)
	log.stats = stats
	stats.Redact = log.redact.Replace
	nw := newNetwork()

	sender, err := newSender(o, nw, log)
	if err != nil {
		nw.close()
		return nil, fmt.Errorf("jaeger: build UDP sender for agent %s: %w", joinHostPort(o.AgentHost, o.AgentPort), err)
	}
	sampler, err := newSampler(service, cfg.SampleRate, o, m, log, nw)
	if err != nil {
		_ = sender.Close()
		nw.close()
		return nil, fmt.Errorf("jaeger: build sampler: %w", err)
	}
	reporter := jaegerclient.NewRemoteReporter(sender,
		jaegerclient.ReporterOptions.QueueSize(queueSize),
		jaegerclient.ReporterOptions.BufferFlushInterval(o.FlushInterval),
		jaegerclient.ReporterOptions.Logger(log),
		jaegerclient.ReporterOptions.Metrics(m),
	)
	if o.LogSpans {
		reporter = jaegerclient.NewCompositeReporter(jaegerclient.NewLoggingReporter(log), reporter)
	}

	// Span pooling (TracerOptions.PoolSpans) stays off: a pooled span is
	// reset and reused once finished and reported, and OpenTracing callers
	// may still read a span after Finish (the conformance suite's probe
	// does; TestFinishedSpanStaysReadable fails with pooling on).
	topts := []jaegerclient.TracerOption{
		jaegerclient.TracerOptions.Metrics(m),
		jaegerclient.TracerOptions.Logger(log),
		jaegerclient.TracerOptions.Extractor(opentracing.HTTPHeaders, newHeaderExtractor(m)),
	}
	if o.TraceID128Bit {
		topts = append(topts, jaegerclient.TracerOptions.Gen128Bit(true))
	}
	for _, kv := range mergedTags(o.Tags, cfg.Tags) {
		topts = append(topts, jaegerclient.TracerOptions.Tag(kv[0], kv[1]))
	}
	if o.RPCMetrics {
		ns := factory.Namespace(metrics.NSOptions{Name: "jaeger-rpc", Tags: map[string]string{"component": "jaeger"}})
		topts = append(topts, jaegerclient.TracerOptions.Observer(rpcmetrics.NewObserver(ns, rpcmetrics.DefaultNameNormalizer)))
	}

	tr, closer := jaegerclient.NewTracer(service, sampler, reporter, topts...)
	// The client's Close drains the queue with no deadline. Bounded returns
	// by ctx's deadline; at that moment the outstanding collector and
	// sampling requests are abandoned, so the drain ends promptly in the
	// background instead of waiting out HTTP timeouts batch by batch.
	ot := &otTracer{client: tr.(*jaegerclient.Tracer), traceID128: o.TraceID128Bit}
	if o.Metrics == nil && !o.RPCMetrics {
		// The unsampled path (unsampled.go) skips the client's metrics
		// and observers, which count every span: with metrics asked
		// for, every span goes to the client.
		ot.light = true
		ot.neverRoot, ot.finalDecisions = decidesFinally(sampler)
	}
	return &tracer.Instance{
		Tracer:    ot,
		Converter: converter{tr: tr},
		Shutdown: shutdown.Bounded(func(ctx context.Context) error {
			ctx, cancel := shutdown.Early(ctx)
			defer cancel()
			stop := context.AfterFunc(ctx, nw.abandon)
			defer stop()
			err := closer.Close()
			nw.close()
			stats.Closed()
			if cerr := ctx.Err(); cerr != nil {
				// The deadline (less a margin) passed first: what was
				// still queued or under way was abandoned.
				return fmt.Errorf("jaeger: flush abandoned: %w", cerr)
			}
			return err
		}),
		Stats: stats.Stats,
		Ping:  pinger(o),
	}, nil
}

// decidesFinally tells, of a sampler newSampler built, whether it samples
// no new trace, and whether all its decisions are final (all but the
// remote sampler's, which an operation name may still change).
func decidesFinally(s jaegerclient.Sampler) (neverRoot, final bool) {
	switch s := s.(type) {
	case *jaegerclient.ConstSampler:
		return !s.Decision, true
	case *jaegerclient.ProbabilisticSampler, *jaegerclient.RateLimitingSampler:
		return false, true
	}
	return false, false
}

// newSampler builds the sampler the precedence rules choose: the portable
// rate when set (const for 0 and 1, probabilistic otherwise), else the
// JAEGER_SAMPLER_* settings when a type is set, else sample everything.
func newSampler(service string, rate *float64, o Options, m *jaegerclient.Metrics, log *logger, nw *network) (jaegerclient.Sampler, error) {
	if rate != nil {
		switch *rate {
		case 0:
			return jaegerclient.NewConstSampler(false), nil
		case 1:
			return jaegerclient.NewConstSampler(true), nil
		default:
			return jaegerclient.NewProbabilisticSampler(*rate)
		}
	}
	switch o.SamplerType {
	case SamplerConst:
		return jaegerclient.NewConstSampler(o.SamplerParam != 0), nil
	case SamplerProbabilistic:
		return jaegerclient.NewProbabilisticSampler(o.SamplerParam)
	case SamplerRateLimiting:
		return jaegerclient.NewRateLimitingSampler(o.SamplerParam), nil
	case SamplerRemote:
		initial, err := jaegerclient.NewProbabilisticSampler(o.SamplerParam)
		if err != nil {
			return nil, err
		}
		fetcher := &samplingFetcher{
			endpoint: o.SamplingEndpoint,
			client:   &http.Client{Transport: nw, Timeout: samplingFetchTimeout},
		}
		return jaegerclient.NewRemotelyControlledSampler(service,
			jaegerclient.SamplerOptions.Metrics(m),
			jaegerclient.SamplerOptions.Logger(log),
			jaegerclient.SamplerOptions.InitialSampler(initial),
			jaegerclient.SamplerOptions.SamplingServerURL(o.SamplingEndpoint),
			jaegerclient.SamplerOptions.SamplingStrategyFetcher(fetcher),
			jaegerclient.SamplerOptions.MaxOperations(o.SamplerMaxOperations),
			jaegerclient.SamplerOptions.SamplingRefreshInterval(o.SamplerRefreshInterval),
		), nil
	default:
		return jaegerclient.NewConstSampler(true), nil
	}
}
