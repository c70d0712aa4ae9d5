package otel

import (
	"context"
	"fmt"
	"log"
	"maps"
	"os"
	"sort"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	otbridge "go.opentelemetry.io/otel/bridge/opentracing"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/polytrace/polytrace/internal/ratelog"
	"github.com/polytrace/polytrace/internal/reach"
	"github.com/polytrace/polytrace/internal/shutdown"
	"github.com/polytrace/polytrace/internal/spanstats"
	polyprop "github.com/polytrace/polytrace/propagation"
	"github.com/polytrace/polytrace/tracer"
)

// Name is the backend's registered name, the value of TRACER_BACKEND that
// selects it.
const Name = "otel"

// instrumentationName is the instrumentation scope of the spans started
// through the OpenTracing API.
const instrumentationName = "github.com/polytrace/polytrace/backends/otel"

func init() { tracer.Register(Name, Open) }

// Open builds the backend from cfg and its OTEL_* settings (see
// [OptionsFromConfig]). It is the function registered under [Name]. It
// does no network I/O.
func Open(cfg tracer.Config) (*tracer.Instance, error) {
	opts, err := OptionsFromConfig(cfg)
	if err != nil {
		return nil, err
	}
	return New(cfg, opts)
}

// New builds the backend from cfg's portable settings and opts, for
// programs that configure in code; cfg.Lookup is not consulted, and
// neither is the process environment (see the package documentation for
// the few process-wide settings the OpenTelemetry and gRPC libraries still
// read). Zero fields of opts take their defaults. It does no network I/O:
// spans are exported in the background, and a collector that cannot be
// reached costs dropped spans and log lines, never a blocked caller.
//
// New sets no OpenTelemetry or OpenTracing global. See [TracerProvider]
// for OpenTelemetry instrumentation whose spans nest with the OpenTracing
// ones.
func New(cfg tracer.Config, opts Options) (*tracer.Instance, error) {
	return build(cfg, opts, opts.Exporter)
}

// build is New with the OTLP exporter replaceable for tests (nil means
// the one opts describe).
func build(cfg tracer.Config, opts Options, export sdktrace.SpanExporter) (*tracer.Instance, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("otel: %w", err)
	}
	s, err := opts.resolve()
	if err != nil {
		return nil, fmt.Errorf("otel: %w", err)
	}
	sampler, decide, err := samplerFor(cfg.SampleRate, s.Sampler)
	if err != nil {
		return nil, fmt.Errorf("otel: %w", err)
	}
	res, err := newResource(cfg, s.Options)
	if err != nil {
		return nil, fmt.Errorf("otel: %w", err)
	}
	logger := s.Logger
	if logger == nil {
		logger = log.New(os.Stderr, "polytrace otel: ", log.LstdFlags)
	}
	secrets := &ratelog.Secrets{}
	for _, v := range s.Headers {
		secrets.Add(v)
	}
	failures := &ratelog.Logger{Out: logger, Prefix: "export failed: ", Secrets: secrets, Limiter: ratelog.Limiter{Every: ratelog.Every}}
	warnings := &ratelog.Logger{Out: logger, Prefix: "opentracing bridge: ", Limiter: ratelog.Limiter{Every: ratelog.Every}}

	aborted, abort := context.WithCancel(context.Background())
	closeTransport := func() {}
	injected := export != nil // a test's exporter: nothing to ping
	if export == nil {
		if export, closeTransport, err = newOTLPExporter(s, aborted); err != nil {
			abort()
			return nil, fmt.Errorf("otel: %w", err)
		}
	}
	exp := newExporter(export, res, failures, aborted, abort)
	// TRACER_QUEUE_SIZE wins over OTEL_BSP_MAX_QUEUE_SIZE.
	queue := spanstats.QueueSize(cfg, s.MaxQueueSize)
	stats := &spanstats.Counters{Redact: failures.Redact}
	// The SDK's batch span processor, with the same settings (every one
	// given, so that none comes from the process environment's OTEL_BSP_*),
	// and the counts of Stats; see batcher.
	counts := newBatcher(exp, stats, queue, s.MaxExportBatchSize, s.ScheduleDelay, s.ExportTimeout)
	exp.counts = counts
	provider := sdktrace.NewTracerProvider(
		sdktrace.WithSampler(sampler),
		// The SDK merges the process environment's OTEL_RESOURCE_ATTRIBUTES
		// and OTEL_SERVICE_NAME into this resource; exp puts res back.
		sdktrace.WithResource(res),
		// The defaults, set explicitly: otherwise the SDK reads
		// OTEL_SPAN_*_LIMIT from the process environment.
		sdktrace.WithRawSpanLimits(sdktrace.SpanLimits{
			AttributeValueLengthLimit:   sdktrace.DefaultAttributeValueLengthLimit,
			AttributeValueDepthLimit:    sdktrace.DefaultAttributeValueDepthLimit,
			AttributeCountLimit:         sdktrace.DefaultAttributeCountLimit,
			EventCountLimit:             sdktrace.DefaultEventCountLimit,
			LinkCountLimit:              sdktrace.DefaultLinkCountLimit,
			AttributePerEventCountLimit: sdktrace.DefaultAttributePerEventCountLimit,
			AttributePerLinkCountLimit:  sdktrace.DefaultAttributePerLinkCountLimit,
		}),
		sdktrace.WithSpanProcessor(counts),
	)

	prop := s.Propagator
	if prop == nil && len(cfg.Propagation) > 0 {
		// TRACER_PROPAGATION: the formats every backend speaks.
		prop = polyprop.TextMapPropagator(cfg.Propagation)
	}
	if prop == nil {
		prop = propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
	}
	// What NewTracerPair does, without its deprecated provider type: the
	// bridge starts its spans through a wrapper tracer, which defers
	// putting the OpenTelemetry span into a Go context until
	// opentracing.ContextWithSpan is called, and the wrapper provider makes
	// spans started through the OpenTelemetry API visible to
	// opentracing.SpanFromContext.
	bt := otbridge.NewBridgeTracer()
	bt.SetWarningHandler(func(msg string) { warnings.Log(msg) })
	// Without a propagator of its own, the bridge would use OpenTelemetry's
	// global one, a no-op until a program sets it: Inject would write
	// nothing and Extract would find nothing.
	bt.SetTextMapPropagator(bridgePropagator{prop})
	tp := otbridge.NewTracerProvider(bt, provider)
	bt.SetOpenTelemetryTracer(tp.Tracer(instrumentationName))

	// The bridge's tracer wraps this one, which the SDK's provider returns
	// for the same name: spans started through either have the same
	// instrumentation scope.
	sdkTracer := provider.Tracer(instrumentationName)
	t := &otTracer{bridge: bt, provider: tp, sdk: sdkTracer, prop: prop, sampler: sampler, decide: decide, warn: warnings}
	inst := &tracer.Instance{
		Tracer: t,
		Shutdown: shutdown.Bounded(func(outer context.Context) error {
			// A little before the deadline, whatever is still under way
			// (a final export the collector does not answer) is
			// cancelled, so that nothing lingers and Stats are settled
			// when Shutdown returns.
			ctx, cancel := shutdown.Early(outer)
			defer cancel()
			exp.closing.Store(true)
			stop := context.AfterFunc(ctx, exp.abort)
			defer stop()
			err := provider.Shutdown(ctx)
			exp.abort()
			// The export under way returns once cancelled: wait for the
			// processor to end, so that its failure is counted before
			// Stats settle.
			select {
			case <-counts.done:
			case <-outer.Done():
			}
			closeTransport()
			stats.Closed()
			msg := exp.flushError() // redacted
			switch {
			case err != nil && msg != "":
				return fmt.Errorf("otel: flush spans: %w (last failure: %s)", err, msg)
			case err != nil:
				return fmt.Errorf("otel: flush spans: %w", err)
			case msg != "":
				return fmt.Errorf("otel: flush spans: %s", msg)
			}
			return nil
		}),
		Stats: stats.Stats,
	}
	if endpoint := s.Endpoint; endpoint != "" && !injected {
		inst.Ping = func(ctx context.Context) error {
			if strings.Contains(endpoint, "://") {
				return reach.URL(ctx, EnvEndpoint, endpoint)
			}
			return reach.Addr(ctx, EnvEndpoint, endpoint)
		}
	}
	return inst, nil
}

// samplerFor returns the sampler: parentbased_traceidratio at rate when
// rate is set, else s, else parentbased_always_on; and what the backend
// knows of it. Of s, nothing: it may sample a child of an unsampled
// parent.
func samplerFor(rate *float64, s sdktrace.Sampler) (sdktrace.Sampler, decider, error) {
	if rate == nil {
		if s == nil {
			return sdktrace.ParentBased(sdktrace.AlwaysSample()), decider{parents: true}, nil
		}
		return s, decider{}, nil
	}
	return sdktrace.ParentBased(sdktrace.TraceIDRatioBased(*rate)), decider{parents: true, noRoots: *rate == 0}, nil
}

// newResource returns the resource describing the process: the SDK's
// telemetry.sdk.* attributes, o.ResourceAttributes, cfg.Tags over them,
// and service.name: cfg.ServiceName, else o.ServiceName, else a
// service.name attribute, else the executable's name.
func newResource(cfg tracer.Config, o Options) (*resource.Resource, error) {
	attrs := map[string]string{
		"telemetry.sdk.name":     "opentelemetry",
		"telemetry.sdk.language": "go",
		"telemetry.sdk.version":  sdk.Version(),
	}
	maps.Copy(attrs, o.ResourceAttributes)
	maps.Copy(attrs, cfg.Tags) // keys not empty: cfg is valid
	name := cfg.ServiceName
	if name == "" {
		name = strings.TrimSpace(o.ServiceName)
	}
	if name == "" {
		name = attrs["service.name"]
	}
	if name == "" {
		name = cfg.Service()
	}
	attrs["service.name"] = name

	keys := make([]string, 0, len(attrs))
	for k := range attrs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	kvs := make([]attribute.KeyValue, len(keys))
	for i, k := range keys {
		kvs[i] = attribute.String(k, attrs[k])
	}
	return resource.NewSchemaless(kvs...), nil
}
