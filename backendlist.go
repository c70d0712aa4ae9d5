package polytrace

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/polytrace/polytrace/backends/noop"
	"github.com/polytrace/polytrace/internal/envconf"
	"github.com/polytrace/polytrace/tracer"
)

// parseBackends returns the backend names value holds (TRACER_BACKEND's
// value, or New's first argument): one name, or a comma-separated list
// of distinct names other than noop, case-insensitive. Empty means noop.
func parseBackends(value string) ([]string, error) {
	v := strings.ToLower(strings.TrimSpace(value))
	if v == "" {
		return []string{noop.Name}, nil
	}
	parts := strings.Split(v, ",")
	names := make([]string, 0, len(parts))
	for _, p := range parts {
		name := strings.TrimSpace(p)
		var problem string
		switch {
		case name == "":
			problem = "the list has an empty name"
		case !registered(name):
			problem = fmt.Sprintf("%q is not a backend", name)
		case slices.Contains(names, name):
			problem = fmt.Sprintf("%s is listed twice", name)
		case name == noop.Name && len(parts) > 1:
			problem = "noop cannot be listed with other backends"
		}
		if problem != "" {
			err := &envconf.Error{Name: EnvBackend, Value: value, Want: "one of " + strings.Join(tracer.Backends(), ", ") +
				", or a comma-separated list of distinct backends other than noop (" + problem + ")"}
			return nil, fmt.Errorf("%w: %w", tracer.ErrUnknownBackend, err)
		}
		names = append(names, name)
	}
	return names, nil
}

// openList opens every backend of names, a list of two or more, and
// combines them (see [tracer.Combine]). Each backend reads its own
// settings from cfg as when it is alone; the first one samples at cfg's
// rate and the others follow its decisions. If one fails to open, those
// already open are shut down.
func openList(names []string, cfg tracer.Config) (*Tracer, error) {
	members := make([]tracer.Member, 0, len(names))
	fail := func(err error) (*Tracer, error) {
		ctx, cancel := context.WithTimeout(context.Background(), cfg.Flush())
		defer cancel()
		for _, m := range members {
			_ = m.Shutdown(ctx)
		}
		return noopTracer(), fmt.Errorf("polytrace: %s=%s: %w", EnvBackend, strings.Join(names, ","), err)
	}
	for i, name := range names {
		c := cfg
		if i > 0 {
			// The first backend's sampler decides; the others sample
			// nothing of their own and record what it samples.
			c.SampleRate = tracer.Rate(0)
		}
		inst, err := tracer.Open(name, c)
		if err != nil {
			return fail(err)
		}
		members = append(members, tracer.Member{Name: name, Instance: inst})
	}
	inst, err := tracer.Combine(cfg, members...)
	if err != nil {
		return fail(err)
	}
	return &Tracer{
		ot:           inst.Native(),
		prop:         inst.Tracer,
		unwrap:       members[0].Native(),
		backend:      strings.Join(names, ","),
		flushTimeout: cfg.Flush(),
		shutdown:     inst.Shutdown,
		stats:        inst.Stats,
		byBackend: func() map[string]tracer.Stats {
			m := make(map[string]tracer.Stats, len(members))
			for _, b := range members {
				m[b.Name] = b.Stats()
			}
			return m
		},
		provider:   inst.TracerProvider,
		propagator: inst.Propagator,
	}, nil
}
