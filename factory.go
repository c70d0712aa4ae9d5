package polytrace

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/opentracing/opentracing-go"
	otprop "go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	// The built-in backends register themselves by name.
	_ "github.com/polytrace/polytrace/backends/jaeger"
	_ "github.com/polytrace/polytrace/backends/lightstep"
	"github.com/polytrace/polytrace/backends/noop"
	_ "github.com/polytrace/polytrace/backends/otel"
	_ "github.com/polytrace/polytrace/backends/stdout"
	_ "github.com/polytrace/polytrace/backends/ui"
	_ "github.com/polytrace/polytrace/backends/zipkin"

	"github.com/polytrace/polytrace/internal/envconf"
	"github.com/polytrace/polytrace/internal/shutdown"
	"github.com/polytrace/polytrace/propagation"
	"github.com/polytrace/polytrace/tracer"
)

// The environment variables read by FromEnv. Backend-specific variables
// (JAEGER_*, ZIPKIN_*, LIGHTSTEP_*, OTEL_*) are documented in each backend
// package.
const (
	// EnvBackend names the backend: jaeger, zipkin, lightstep, otel, ui,
	// stdout or noop, case-insensitive. Unset or empty means noop. A
	// comma-separated list of distinct backends other than noop
	// (jaeger,otel) reports every span to each of them: see
	// [Tracer.StatsByBackend] and the README's "Migrating between
	// backends".
	EnvBackend = "TRACER_BACKEND"
	// EnvServiceName names the service. When unset: JAEGER_SERVICE_NAME,
	// then OTEL_SERVICE_NAME, then the executable's name.
	EnvServiceName = "TRACER_SERVICE_NAME"
	// EnvSampleRate is the fraction of new traces sampled, 0 to 1. When
	// unset: 1, unless the backend's own sampler variables are set.
	EnvSampleRate = "TRACER_SAMPLE_RATE"
	// EnvTags lists tags added to every span: k=v,k2=v2.
	EnvTags = "TRACER_TAGS"
	// EnvFlushTimeout bounds Close's final flush: a Go duration, default 5s.
	EnvFlushTimeout = "TRACER_FLUSH_TIMEOUT"
	// EnvQueueSize bounds how many finished spans wait to be sent, from 1
	// to 1000000; more are dropped and counted in Stats. When unset: the
	// backend's own setting (JAEGER_REPORTER_MAX_QUEUE_SIZE), else 2048.
	EnvQueueSize = "TRACER_QUEUE_SIZE"
	// EnvStrict, when true, makes FromEnv and New fail when the collector
	// cannot be reached within TRACER_FLUSH_TIMEOUT. Default false: an
	// unreachable collector never stops a service from starting.
	EnvStrict = "TRACER_STRICT"
	// EnvPropagation lists the trace-context formats injected and
	// extracted, comma-separated: tracecontext, baggage, b3, b3multi,
	// jaeger, ottrace. Inject writes all of them; Extract takes the first
	// present and valid. Unset or empty: the backend's native format.
	EnvPropagation = "TRACER_PROPAGATION"
)

// Vendor variables consulted for the service name when TRACER_SERVICE_NAME
// is unset, in this order.
var serviceNameFallbacks = []string{"JAEGER_SERVICE_NAME", "OTEL_SERVICE_NAME"}

// Tracer is the tracer polytrace builds: an opentracing.Tracer that also
// knows its backend and how to flush and release it. Its methods are safe
// for concurrent use. A Tracer is never nil when returned by this package,
// even alongside an error.
type Tracer struct {
	ot           opentracing.Tracer
	unwrap       opentracing.Tracer // nil: ot
	backend      string
	flushTimeout time.Duration
	shutdown     func(context.Context) error
	stats        func() tracer.Stats
	byBackend    func() map[string]tracer.Stats // nil: one backend, stats
	prop         opentracing.Tracer             // Inject and Extract (ot, or ot wrapped for TRACER_PROPAGATION)
	provider     trace.TracerProvider
	propagator   otprop.TextMapPropagator // nil: nothing to propagate (noop)
}

var (
	_ opentracing.Tracer         = (*Tracer)(nil)
	_ interface{ Close() error } = (*Tracer)(nil)
)

// FromEnv builds the tracer selected by the environment, installs it with
// opentracing.SetGlobalTracer, installs its OpenTelemetry side with
// otel.SetTracerProvider and otel.SetTextMapPropagator (see
// [Tracer.TracerProvider]), and returns it. A program that sets up
// OpenTelemetry itself builds its tracer with [ConfigFromEnv] and [New]
// instead, which install nothing.
//
// It reads TRACER_BACKEND, TRACER_SERVICE_NAME, TRACER_SAMPLE_RATE,
// TRACER_TAGS, TRACER_FLUSH_TIMEOUT and TRACER_PROPAGATION (among others;
// see the Env constants), and the selected backend reads its
// own variables (JAEGER_*, ZIPKIN_*, LIGHTSTEP_*, OTEL_*, TRACER_UI_*). Where a TRACER_*
// variable and a vendor variable both set the same thing, the TRACER_*
// one wins.
//
// On an invalid setting FromEnv returns an error naming the variable, its
// value and what is accepted, together with a working no-op Tracer (which
// it does not install), so a service can log the error and carry on
// untraced. Secrets (tokens, passwords) never appear in errors.
func FromEnv() (*Tracer, error) {
	backend, cfg, err := ConfigFromEnv()
	if err != nil {
		return noopTracer(), err
	}
	t, err := open(backend, cfg)
	if err != nil {
		return t, err
	}
	opentracing.SetGlobalTracer(t)
	t.installOTel()
	return t, nil
}

// New builds the tracer of the named backend (or comma-separated list
// of backends, as TRACER_BACKEND takes) from an explicit configuration, without reading the environment and without installing
// it as the global tracer: for programs that configure in code, and for
// processes that run several tracers. Backend-specific settings are given
// through cfg.Lookup under their environment variable names (see
// [tracer.MapLookup]). An empty backend name means noop. On error, New
// returns a working no-op Tracer with the error.
func New(backend string, cfg tracer.Config) (*Tracer, error) {
	if strings.TrimSpace(backend) == "" {
		backend = noop.Name
	}
	return open(backend, cfg)
}

func open(backend string, cfg tracer.Config) (*Tracer, error) {
	if strings.Contains(backend, ",") {
		names, err := parseBackends(backend)
		if err != nil {
			return noopTracer(), fmt.Errorf("polytrace: %w", err)
		}
		if len(names) > 1 {
			return openList(names, cfg)
		}
		backend = names[0]
	}
	inst, err := tracer.Open(backend, cfg)
	if err != nil {
		return noopTracer(), fmt.Errorf("polytrace: %w", err)
	}
	return &Tracer{
		ot:           inst.Native(),
		prop:         inst.Tracer,
		backend:      strings.ToLower(strings.TrimSpace(backend)),
		flushTimeout: cfg.Flush(),
		shutdown:     inst.Shutdown,
		stats:        inst.Stats,
		provider:     inst.TracerProvider,
		propagator:   inst.Propagator,
	}, nil
}

func noopTracer() *Tracer {
	return &Tracer{
		ot:           opentracing.NoopTracer{},
		backend:      noop.Name,
		flushTimeout: tracer.DefaultFlushTimeout,
		shutdown:     shutdown.Bounded(nil),
		provider:     tracenoop.NewTracerProvider(),
	}
}

// ConfigFromEnv reads the TRACER_* variables into the backend name and the
// configuration FromEnv would build from, without building anything. The
// configuration's Lookup reads the process environment, for the backend's
// own variables. A program may adjust the result (a process running two
// services, for instance, sets ServiceName) and pass it to [New].
func ConfigFromEnv() (backend string, cfg tracer.Config, err error) {
	return configFromEnv(os.LookupEnv)
}

// configFromEnv parses the TRACER_* variables through lookup.
func configFromEnv(lookup tracer.LookupFunc) (backend string, cfg tracer.Config, err error) {
	cfg.Lookup = lookup
	get := cfg.Get

	given, _ := get(EnvBackend)
	names, err := parseBackends(given)
	if err != nil {
		return "", cfg, fmt.Errorf("polytrace: %w", err)
	}
	backend = strings.Join(names, ",")

	if name, ok := get(EnvServiceName); ok {
		cfg.ServiceName = name
	} else {
		for _, v := range serviceNameFallbacks {
			if name, ok := get(v); ok {
				cfg.ServiceName = name
				break
			}
		}
	}

	rate, set, err := envconf.Float(get, EnvSampleRate, 1, 0, 1)
	if err != nil {
		return "", cfg, fmt.Errorf("polytrace: %w", err)
	}
	if set {
		cfg.SampleRate = &rate
	}

	if s, ok := get(EnvTags); ok {
		if cfg.Tags, err = envconf.Tags(EnvTags, s); err != nil {
			return "", cfg, fmt.Errorf("polytrace: %w", err)
		}
	}

	if cfg.FlushTimeout, err = envconf.Duration(get, EnvFlushTimeout, tracer.DefaultFlushTimeout); err != nil {
		return "", cfg, fmt.Errorf("polytrace: %w", err)
	}
	if cfg.QueueSize, err = envconf.Int(get, EnvQueueSize, 0, 1, tracer.MaxQueueSize); err != nil {
		return "", cfg, fmt.Errorf("polytrace: %w", err)
	}
	if cfg.Strict, err = envconf.Bool(get, EnvStrict, false); err != nil {
		return "", cfg, fmt.Errorf("polytrace: %w", err)
	}
	if s, ok := get(EnvPropagation); ok {
		if cfg.Propagation, err = propagation.Parse(s); err != nil {
			return "", cfg, fmt.Errorf("polytrace: %w", envconf.Invalid(EnvPropagation, s,
				"a comma-separated list of "+strings.Join(propagation.Names(), ", ")))
		}
	}
	return backend, cfg, nil
}

func registered(name string) bool {
	for _, n := range tracer.Backends() {
		if n == name {
			return true
		}
	}
	return false
}

// Backend returns the name of the backend this tracer reports to, such as
// "jaeger" or "noop"; for a list, the names joined by commas
// ("jaeger,otel").
func (t *Tracer) Backend() string { return t.backend }

// Stats reports the tracer's health: spans started, finished, exported
// and dropped, failed exports and the last export error (see
// [tracer.Stats]), the same way for every backend. It is cheap and safe
// to call at any time, also after Shutdown; a no-op tracer reports zeros.
//
// For a list of backends, a span counts once: exported when every
// backend exported it, dropped when any dropped it. Stats has counters,
// not spans, so it reports the fewest spans any backend exported and the
// most any dropped (exact when backends drop the same spans; after
// Shutdown every finished span not exported everywhere counts as
// dropped); export errors add up and LastExportError names each
// backend's latest. [Tracer.StatsByBackend] has each one's figures.
func (t *Tracer) Stats() tracer.Stats {
	if t.stats == nil {
		return tracer.Stats{}
	}
	return t.stats()
}

// StatsByBackend returns each backend's own Stats by name: one entry,
// the same as Stats, for a single backend; one per backend for a list.
// A no-op tracer returns an empty map.
func (t *Tracer) StatsByBackend() map[string]tracer.Stats {
	switch {
	case t.byBackend != nil:
		return t.byBackend()
	case t.stats == nil:
		return map[string]tracer.Stats{}
	}
	return map[string]tracer.Stats{t.backend: t.stats()}
}

// Unwrap returns the backend's own tracer, for code that needs vendor
// features; for a list of backends, the first one's (spans started on it
// go to that backend alone). It injects and extracts only the backend's native format,
// whatever TRACER_PROPAGATION says. Where that tracer wraps the vendor's
// client (the jaeger backend's does, to handle unsampled spans itself),
// its own Unwrap method returns the client (a jaeger-client-go
// *jaeger.Tracer).
func (t *Tracer) Unwrap() opentracing.Tracer {
	if t.unwrap != nil {
		return t.unwrap
	}
	return t.ot
}

// StartSpan implements opentracing.Tracer.
func (t *Tracer) StartSpan(operationName string, opts ...opentracing.StartSpanOption) opentracing.Span {
	return t.ot.StartSpan(operationName, opts...)
}

// Inject implements opentracing.Tracer. For the TextMap and HTTPHeaders
// formats it writes the formats of TRACER_PROPAGATION (Config.Propagation)
// when set, else the backend's native one.
func (t *Tracer) Inject(sc opentracing.SpanContext, format interface{}, carrier interface{}) error {
	return t.text().Inject(sc, format, carrier)
}

// Extract implements opentracing.Tracer. For the TextMap and HTTPHeaders
// formats it reads the formats of TRACER_PROPAGATION (Config.Propagation)
// when set, taking the first present and valid, else the backend's native
// one.
func (t *Tracer) Extract(format interface{}, carrier interface{}) (opentracing.SpanContext, error) {
	return t.text().Extract(format, carrier)
}

// text returns the tracer that injects and extracts.
func (t *Tracer) text() opentracing.Tracer {
	if t.prop != nil {
		return t.prop
	}
	return t.ot
}

// Shutdown flushes the spans the backend has buffered and releases it
// (every backend of a list at once). It returns by ctx's deadline even when the collector is unreachable; the
// flush then goes on in the background until the backend gives up. It is
// idempotent: later calls wait for the same flush and return its result.
// Spans finished after Shutdown are dropped, never blocking the caller.
func (t *Tracer) Shutdown(ctx context.Context) error {
	if err := t.shutdown(ctx); err != nil {
		return fmt.Errorf("polytrace: shut down %s tracer: %w", t.backend, err)
	}
	return nil
}

// Close is Shutdown bounded by TRACER_FLUSH_TIMEOUT (the configuration's
// FlushTimeout, default 5s). It is idempotent and makes Tracer an
// io.Closer.
func (t *Tracer) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), t.flushTimeout)
	defer cancel()
	return t.Shutdown(ctx)
}
