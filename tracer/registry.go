package tracer

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/opentracing/opentracing-go"
	otprop "go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/polytrace/polytrace/propagation"
)

// ErrUnknownBackend is wrapped by the error returned when a backend name is
// not registered.
var ErrUnknownBackend = errors.New("unknown tracer backend")

// Instance is what a backend builds: a ready OpenTracing tracer and the
// function that flushes and releases it.
type Instance struct {
	// Tracer is never nil.
	Tracer opentracing.Tracer

	// Shutdown flushes spans buffered by Tracer and releases its resources.
	// Nil means nothing to release. Once the instance is [Ready], it runs
	// once and returns by ctx's deadline even when the collector is
	// unreachable, whatever the backend's function does.
	Shutdown func(ctx context.Context) error

	// Stats, when set, reports the tracer's health (see [Stats]). It must
	// be cheap, safe for concurrent use, and keep working after Shutdown.
	// Nil means the backend keeps no statistics (noop).
	Stats func() Stats

	// Ping, when set, checks that the collector can be reached, returning
	// by ctx's deadline; [Ready] calls it only when
	// [Config.Strict] is set. Nil means there is nothing to check (the
	// backend does not report over the network, or its transport cannot
	// tell, as with UDP).
	Ping func(ctx context.Context) error

	// Converter, when set, translates between Tracer's span contexts and
	// the neutral form of package propagation, so that [Ready] can make
	// Tracer inject and extract the formats of [Config.Propagation]. Nil
	// means the backend applies those formats itself (otel) or has
	// nothing to propagate (noop).
	Converter propagation.Converter

	// Propagator, when set, is the OpenTelemetry propagator of the
	// backend's native formats, for OpenTelemetry instrumentation in the
	// same process; [Ready] replaces it with one of [Config.Propagation]'s
	// formats when those apply (the backend has a Converter). Nil means
	// the backend has nothing to propagate (noop).
	Propagator otprop.TextMapPropagator

	// TracerProvider, when set, is the OpenTelemetry provider of the
	// backend's spans (the otel backend's SDK provider, paired with its
	// bridge). Nil means the OpenTelemetry API over Tracer, which [Ready]
	// provides (see package polytrace's Tracer.TracerProvider).
	TracerProvider trace.TracerProvider

	// StartWithIDs, when set, starts a recorded span of Tracer that has
	// the identity ids gives: its trace id (the low 64 bits where the
	// backend's ids are 64-bit), its span id, its parent (ParentID; zero
	// for a root) and its baggage. The span is sampled whatever the
	// backend's sampler would decide: the decision was made elsewhere.
	// opts carry tags and a start time, never a reference. It is how a
	// list of backends (TRACER_BACKEND=jaeger,otel) records one span in
	// each: the first backend starts it, the others start it again with
	// its ids. Nil means the backend can only be used alone.
	StartWithIDs func(name string, ids propagation.SpanContext, opts ...opentracing.StartSpanOption) opentracing.Span

	native opentracing.Tracer // set by Ready: Tracer before it wrapped it
}

// OpenFunc builds a backend's tracer from cfg, which is valid
// ([Config.Validate] returned nil: [Registry.Open] checks it first). It
// must not read the process
// environment (backend-specific settings come from cfg.Lookup), must not
// return a nil Instance or Tracer without an error, and must not block on
// the network: collectors that are unreachable at start-up are retried in
// the background.
type OpenFunc func(cfg Config) (*Instance, error)

// Registry maps backend names to their constructors. The zero value is an
// empty registry ready to use; it is safe for concurrent use.
type Registry struct {
	mu       sync.RWMutex
	backends map[string]OpenFunc
}

// Register makes a backend available under name. Names are matched without
// regard to case. Like sql.Register, it panics when name is empty, open is
// nil or name is already registered: these are programming errors caught
// at init time.
func (r *Registry) Register(name string, open OpenFunc) {
	key := normalize(name)
	if key == "" {
		panic("tracer: Register with an empty backend name")
	}
	if open == nil {
		panic("tracer: Register backend " + key + " with a nil OpenFunc")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.backends[key]; dup {
		panic("tracer: Register called twice for backend " + key)
	}
	if r.backends == nil {
		r.backends = make(map[string]OpenFunc)
	}
	r.backends[key] = open
}

// Names returns the registered backend names, sorted.
func (r *Registry) Names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	names := make([]string, 0, len(r.backends))
	for name := range r.backends {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// Open builds the tracer of the backend registered under name (matched
// without regard to case or surrounding space). An unknown name gives an
// error wrapping [ErrUnknownBackend] that lists the registered names.
func (r *Registry) Open(name string, cfg Config) (*Instance, error) {
	key := normalize(name)
	r.mu.RLock()
	open := r.backends[key]
	r.mu.RUnlock()
	if open == nil {
		return nil, fmt.Errorf("%w %q (registered: %s; is its package imported?)",
			ErrUnknownBackend, name, strings.Join(r.Names(), ", "))
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	inst, err := open(cfg)
	if err == nil {
		inst, err = Ready(cfg, inst)
	}
	if err != nil {
		if strings.HasPrefix(err.Error(), key+": ") {
			return nil, err // the backend already named itself
		}
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	return inst, nil
}

func normalize(name string) string { return strings.ToLower(strings.TrimSpace(name)) }

var defaultRegistry Registry

// Register makes a backend available under name in the default registry,
// the one the root package's FromEnv and New use. See [Registry.Register].
func Register(name string, open OpenFunc) { defaultRegistry.Register(name, open) }

// Backends returns the names registered in the default registry, sorted.
func Backends() []string { return defaultRegistry.Names() }

// Open builds a tracer from the default registry. See [Registry.Open].
func Open(name string, cfg Config) (*Instance, error) { return defaultRegistry.Open(name, cfg) }

// OpenWith is the body of a backend's OpenFunc: it reads the backend's
// settings from cfg with read, then builds the backend with build (its
// New).
func OpenWith[O any](cfg Config, read func(Config) (O, error), build func(Config, O) (*Instance, error)) (*Instance, error) {
	opts, err := read(cfg)
	if err != nil {
		return nil, err
	}
	return build(cfg, opts)
}
