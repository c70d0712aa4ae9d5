package jaeger

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/opentracing/opentracing-go"
	jaegerclient "github.com/uber/jaeger-client-go"
	"github.com/uber/jaeger-client-go/rpcmetrics"
	"github.com/uber/jaeger-lib/metrics"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/polytrace/polytrace/internal/lightspan"
	"github.com/polytrace/polytrace/internal/shutdown"
	"github.com/polytrace/polytrace/internal/spanstats"
	"github.com/polytrace/polytrace/propagation"
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
	return tracer.OpenWith(cfg, OptionsFromConfig, New)
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
		return tracer.Ready(cfg, &tracer.Instance{
			Tracer:         opentracing.NoopTracer{},
			Shutdown:       func(context.Context) error { return nil },
			TracerProvider: tracenoop.NewTracerProvider(),
		})
	}

	queueSize := cfg.Queue(o.QueueSize)

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
	// The light path skips the client's metrics and observers, which
	// count every span: with metrics asked for, every span goes to the
	// client.
	ot := newTracer(tr.(*jaegerclient.Tracer), o.Metrics == nil && !o.RPCMetrics, o.TraceID128Bit, cfg.SampleRate, o)
	return tracer.Ready(cfg, &tracer.Instance{
		Tracer:     ot,
		Converter:  converter{tr: tr},
		Propagator: propagation.TextMapPropagator(propagation.Formats{propagation.Jaeger}),
		Shutdown: func(ctx context.Context) error {
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
		},
		Stats:        stats.Stats,
		Ping:         pinger(o),
		StartWithIDs: ot.startWithIDs,
	})
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

// otTracer is the tracer the backend hands out: jaeger-client-go's, which
// starts every recorded span, plus light spans for traces known not to be
// sampled. The client would build such a span in full (a Span with its
// lock, tags, references and observer) only to drop it when finished; the
// light span carries the context the client would give it (a new trace, or
// the parent's trace id with the parent span as parent; the parent's
// baggage) and drops tags and logs, as the client drops them from an
// unsampled span whose decision is final.
//
// A trace is known not to be sampled when:
//
//   - the span has no parent and the sampler samples no new trace (sample
//     rate 0, or JAEGER_SAMPLER_TYPE=const with JAEGER_SAMPLER_PARAM=0);
//   - its parent, a valid jaeger-client-go span context, is neither
//     sampled nor debug, and its decision cannot change: it is final, or
//     the sampler is one whose decisions always are (all but remote), so
//     that an unsampled context is the sampler's last word or came from
//     another process (Extract).
//
// Only spans started with plain opentracing options take this path; the
// client's own options (SelfRef) go to the client. Setting
// sampling.priority to a positive value on a light span samples it as the
// client would (debug, unless the client was told otherwise): it is then
// started in the client with the same start time, options and parent, and
// every later call goes to it. It gets new ids, which matters only to
// children started and contexts injected before that moment (they stay
// unsampled).
type otTracer struct {
	client *jaegerclient.Tracer
	light  *lightspan.Backend[jaegerclient.SpanContext] // nil: no light spans

	neverRoot      bool // the sampler samples no new trace
	finalDecisions bool // every decision of the sampler is final
	traceID128     bool // new traces get 128-bit ids (JAEGER_TRACEID_128BIT)
}

var _ opentracing.Tracer = (*otTracer)(nil)

// newTracer wraps client. What the sampler decides is known from the
// settings newSampler builds it from: the portable rate, else the
// JAEGER_SAMPLER_* settings.
func newTracer(client *jaegerclient.Tracer, light, traceID128 bool, rate *float64, o Options) *otTracer {
	t := &otTracer{client: client, traceID128: traceID128}
	switch {
	case !light:
		return t
	case rate != nil:
		t.neverRoot, t.finalDecisions = *rate == 0, true
	case o.SamplerType == SamplerConst:
		t.neverRoot, t.finalDecisions = o.SamplerParam == 0, true
	case o.SamplerType == SamplerProbabilistic, o.SamplerType == SamplerRateLimiting, o.SamplerType == "":
		t.finalDecisions = true
	}
	t.light = &lightspan.Backend[jaegerclient.SpanContext]{
		Tracer:          t,
		WithBaggageItem: jaegerclient.SpanContext.WithBaggageItem,
		Record: func(name string, opts []opentracing.StartSpanOption, start time.Time) opentracing.Span {
			all := make([]opentracing.StartSpanOption, 0, len(opts)+1)
			all = append(all, opts...)
			return client.StartSpan(name, append(all, opentracing.StartTime(start))...)
		},
	}
	return t
}

// Unwrap returns the jaeger-client-go tracer, for code that needs its own
// features (its sampler, its tags).
func (t *otTracer) Unwrap() opentracing.Tracer { return t.client }

// Inject implements opentracing.Tracer: jaeger-client-go's Inject.
func (t *otTracer) Inject(sc opentracing.SpanContext, format, carrier interface{}) error {
	return t.client.Inject(sc, format, carrier)
}

// Extract implements opentracing.Tracer: jaeger-client-go's Extract.
func (t *otTracer) Extract(format, carrier interface{}) (opentracing.SpanContext, error) {
	return t.client.Extract(format, carrier)
}

// StartSpan implements opentracing.Tracer.
func (t *otTracer) StartSpan(operationName string, opts ...opentracing.StartSpanOption) opentracing.Span {
	if t.light != nil {
		if st := lightspan.Parent[jaegerclient.SpanContext](opts); st.Plain && t.unsampled(st) {
			return lightspan.New(t.light, t.lightContext(st), operationName, opts, st.Time)
		}
	}
	return t.client.StartSpan(operationName, opts...)
}

// unsampled reports whether the span is known not to be sampled. A parent
// that is not valid (empty, or a debug id or baggage alone) goes to the
// client, which may make a debug trace of it.
func (t *otTracer) unsampled(st lightspan.Start[jaegerclient.SpanContext]) bool {
	if !st.HasParent {
		return t.neverRoot
	}
	p := st.Parent
	return p.IsValid() && (t.finalDecisions || p.IsSamplingFinalized()) && !p.IsSampled() && !p.IsDebug()
}

// lightContext is the context the client would give the span: a root's
// span id is its trace id's low half, as the client makes it.
func (t *otTracer) lightContext(st lightspan.Start[jaegerclient.SpanContext]) jaegerclient.SpanContext {
	if !st.HasParent {
		id := jaegerclient.TraceID{Low: lightspan.NewID()}
		if t.traceID128 {
			id.High = lightspan.NewID()
		}
		return jaegerclient.NewSpanContext(id, jaegerclient.SpanID(id.Low), 0, false, nil)
	}
	// A loop of its own rather than lightspan.Baggage: through the
	// concrete type, neither the context nor the closure escapes.
	var baggage map[string]string
	st.Parent.ForeachBaggageItem(func(k, v string) bool {
		if baggage == nil {
			baggage = make(map[string]string)
		}
		baggage[k] = v
		return true
	})
	return jaegerclient.NewSpanContext(st.Parent.TraceID(), jaegerclient.SpanID(lightspan.NewID()), st.Parent.SpanID(), false, baggage)
}

// startWithIDs starts a recorded span in the client with the identity of
// ids (see tracer.Instance.StartWithIDs), through the client's SelfRef
// option, which takes the span's context as given.
func (t *otTracer) startWithIDs(name string, ids propagation.SpanContext, opts ...opentracing.StartSpanOption) opentracing.Span {
	c := jaegerclient.NewSpanContext(jaegerclient.TraceID{High: ids.TraceID.High, Low: ids.TraceID.Low},
		jaegerclient.SpanID(ids.SpanID), jaegerclient.SpanID(ids.ParentID), true, ids.Baggage)
	all := make([]opentracing.StartSpanOption, 0, len(opts)+1)
	return t.client.StartSpan(name, append(append(all, jaegerclient.SelfRef(c)), opts...)...)
}
