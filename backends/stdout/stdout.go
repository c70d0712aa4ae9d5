package stdout

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/polytrace/polytrace/backends/zipkin"
	"github.com/polytrace/polytrace/tracer"
)

// Name is the backend's registered name, the value of TRACER_BACKEND that
// selects it.
const Name = "stdout"

func init() { tracer.Register(Name, Open) }

// Options configure the backend.
type Options struct {
	// Writer receives one JSON line per finished span. Nil means os.Stdout.
	Writer io.Writer
}

// OptionsFromConfig returns the options [Open] uses: lines go to
// os.Stdout. The backend has no settings of its own, so it never fails.
func OptionsFromConfig(tracer.Config) (Options, error) {
	return Options{Writer: os.Stdout}, nil
}

// Open builds the backend from cfg, writing to os.Stdout. It is the
// function registered under [Name].
func Open(cfg tracer.Config) (*tracer.Instance, error) {
	return tracer.OpenWith(cfg, OptionsFromConfig, New)
}

// New builds the backend from cfg and opts. It fails only on an invalid
// cfg.SampleRate.
func New(cfg tracer.Config, opts Options) (*tracer.Instance, error) {
	// Checked here so the error speaks of this backend, not of the zipkin
	// tracer underneath.
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("stdout: %w", err)
	}
	queue := cfg.Queue(0)
	w := opts.Writer
	if w == nil {
		w = os.Stdout
	}
	rep := newLineReporter(w, queue)
	inner, err := zipkin.NewWithReporter(cfg, rep)
	if err != nil {
		_ = rep.Close()
		return nil, fmt.Errorf("stdout: %w", err)
	}
	return tracer.Ready(cfg, &tracer.Instance{
		Tracer:     inner.Native(),
		Converter:  inner.Converter, // the zipkin backend's, for the same span contexts
		Propagator: inner.Propagator,
		// tracer.Ready answers callers by their deadlines; the close
		// itself runs to the end (the writer has written the queue), so
		// later calls report what happened. The reporter's Close never
		// fails: what went wrong while writing comes from result.
		Shutdown: func(context.Context) error {
			if err := inner.Shutdown(context.Background()); err != nil {
				return err
			}
			return result(rep)
		},
		Stats:        inner.Stats,
		StartWithIDs: inner.StartWithIDs,
	})
}

// result reports, once rep is closed, the spans it dropped and the first
// write error.
func result(rep *zipkin.QueueReporter[[]byte]) error {
	full, failed, first := rep.Lost()
	var errs []error
	if full > 0 {
		errs = append(errs, fmt.Errorf("stdout: %d spans dropped: the writer was too slow or blocked", full))
	}
	if first != nil {
		errs = append(errs, fmt.Errorf("stdout: %d spans not written: %w", failed, first))
	}
	return errors.Join(errs...)
}
