package tracer

import (
	"context"
	"errors"
	"fmt"

	"github.com/opentracing/opentracing-go"

	"github.com/polytrace/polytrace/internal/otelapi"
	"github.com/polytrace/polytrace/internal/shutdown"
	"github.com/polytrace/polytrace/propagation"
)

// envStrict is the variable that sets [Config.Strict], as errors name it.
const envStrict = "TRACER_STRICT"

// Ready gives inst the guarantees of every tracer polytrace builds,
// whichever way it was built:
//
//   - Tracer injects and extracts the formats of cfg.Propagation in text
//     maps and HTTP headers when they are set and the backend has a
//     Converter ([Instance.Native] keeps the backend's own tracer), and
//     Propagator reads and writes the same formats;
//   - TracerProvider is set: the OpenTelemetry API over the backend's
//     tracer unless the backend gave its own;
//   - Shutdown runs once and returns by its context's deadline, later
//     calls waiting for the same run;
//   - with cfg.Strict, the collector has answered Ping within
//     cfg.Flush(): if not, inst is shut down and the error names
//     TRACER_STRICT and wraps [ErrCollectorUnreachable].
//
// It changes inst in place and returns it. An instance is made ready
// once: Ready returns one already ready as it is. Every backend's New
// returns a ready instance, and [Registry.Open] makes ready what an
// OpenFunc returns, so a backend of one's own needs no call.
func Ready(cfg Config, inst *Instance) (*Instance, error) {
	if inst == nil || inst.Tracer == nil {
		return nil, errors.New("backend returned no tracer")
	}
	if inst.native != nil {
		return inst, nil
	}
	inst.native = inst.Tracer
	inst.Tracer = propagation.Wrap(inst.Tracer, inst.Converter, cfg.Propagation)
	if len(cfg.Propagation) > 0 && inst.Converter != nil {
		inst.Propagator = propagation.TextMapPropagator(cfg.Propagation)
	}
	if inst.TracerProvider == nil {
		inst.TracerProvider = otelapi.NewProvider(inst.native, inst.Converter)
	}
	inst.Shutdown = shutdown.Bounded(inst.Shutdown)
	if !cfg.Strict || inst.Ping == nil {
		return inst, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), cfg.Flush())
	defer cancel()
	err := inst.Ping(ctx)
	if err == nil {
		return inst, nil
	}
	_ = inst.Shutdown(ctx)
	if !errors.Is(err, ErrCollectorUnreachable) {
		err = fmt.Errorf("%w: %w", ErrCollectorUnreachable, err)
	}
	return nil, fmt.Errorf("%s=true: %w", envStrict, err)
}

// Native returns the backend's own tracer, which injects and extracts
// the backend's native formats: Tracer, before [Ready] wrapped it for
// [Config.Propagation].
func (i *Instance) Native() opentracing.Tracer {
	if i.native != nil {
		return i.native
	}
	return i.Tracer
}
