package lightstep

import (
	"context"
	"fmt"
	"math"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"

	lsgo "github.com/lightstep/lightstep-tracer-go"
	"github.com/opentracing/opentracing-go"

	"github.com/polytrace/polytrace/internal/envconf"
	"github.com/polytrace/polytrace/internal/shutdown"
	"github.com/polytrace/polytrace/tracer"
)

// Name is the backend's registered name, the value of TRACER_BACKEND that
// selects it.
const Name = "lightstep"

func init() {
	tracer.Register(Name, Open)
	lsgo.SetGlobalEventHandler(events.handle)
}

// Open builds a Lightstep tracer from cfg: the LIGHTSTEP_* settings read
// through cfg.Get (see [OptionsFromConfig]) and the portable settings of
// cfg. It does no network I/O.
func Open(cfg tracer.Config) (*tracer.Instance, error) {
	opts, err := OptionsFromConfig(cfg)
	if err != nil {
		return nil, err
	}
	return New(cfg, opts)
}

// New builds a Lightstep tracer from cfg's portable settings and opts, for
// programs that configure in code; cfg.Lookup is not consulted. Zero
// fields of opts take their defaults. It does no network I/O.
func New(cfg tracer.Config, opts Options) (*tracer.Instance, error) {
	return build(cfg, opts, nil)
}

// build is New with the sampler's random source replaceable for tests
// (nil means math/rand/v2).
func build(cfg tracer.Config, opts Options, random func() float64) (*tracer.Instance, error) {
	opts = opts.withDefaults()
	if err := opts.validate(); err != nil {
		return nil, err
	}
	rate, err := sampleRate(cfg.SampleRate)
	if err != nil {
		return nil, err
	}
	tags, err := reporterTags(cfg)
	if err != nil {
		return nil, err
	}
	events.addSecret(opts.AccessToken)

	host, _ := plainHost(opts.CollectorHost)
	lo := lsgo.Options{
		AccessToken: opts.AccessToken,
		Collector: lsgo.Endpoint{
			// The client formats host:port itself: bracket IPv6 addresses.
			Host:      bracketIPv6(host),
			Port:      opts.CollectorPort,
			Plaintext: opts.Plaintext,
		},
		Tags: tags,
	}
	var conns *grpcConns
	if opts.Transport == TransportGRPC {
		conns = newGRPCConns(net.JoinHostPort(host, strconv.Itoa(opts.CollectorPort)), opts.Plaintext)
		lo.UseGRPC = true
		lo.ConnFactory = conns.connect
	} else {
		lo.UseHttp = true
	}
	lt, err := lsgo.CreateTracer(lo)
	if err != nil {
		return nil, fmt.Errorf("lightstep: build tracer: %w", err)
	}

	var ot opentracing.Tracer = lt
	if rate < 1 {
		s := newSampler(lt, rate)
		if random != nil {
			s.random = random
		}
		ot = s
	}
	return &tracer.Instance{
		Tracer: ot,
		Shutdown: shutdown.Bounded(func(ctx context.Context) error {
			// Close flushes once more and returns by ctx's deadline.
			lt.Close(ctx)
			if conns != nil {
				conns.closeAll()
			}
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("lightstep: final flush: %w", err)
			}
			return nil
		}),
	}, nil
}

// sampleRate checks cfg.SampleRate: nil means 1.
func sampleRate(r *float64) (float64, error) {
	if r == nil {
		return 1, nil
	}
	if math.IsNaN(*r) || *r < 0 || *r > 1 {
		return 0, fmt.Errorf("lightstep: %w", envconf.Invalid(envSampleRate,
			strconv.FormatFloat(*r, 'g', -1, 64), "a number from 0 to 1"))
	}
	return *r, nil
}

// reporterTags returns the tracer (reporter) tags: cfg.Tags, the service
// name as lightstep.component_name, and the executable's name as
// lightstep.command_line unless a tag sets it (the client would otherwise
// report the whole command line, arguments and any secrets in them
// included).
func reporterTags(cfg tracer.Config) (opentracing.Tags, error) {
	if v, ok := cfg.Tags[lsgo.GUIDKey]; ok {
		return nil, fmt.Errorf("lightstep: %w", envconf.Invalid(envTags, lsgo.GUIDKey+"="+v,
			"tags without the key "+lsgo.GUIDKey+", which the Lightstep client sets itself"))
	}
	tags := make(opentracing.Tags, len(cfg.Tags)+2)
	for k, v := range cfg.Tags {
		tags[k] = v
	}
	tags[lsgo.ComponentNameKey] = cfg.Service()
	if _, ok := tags[lsgo.CommandLineKey]; !ok {
		tags[lsgo.CommandLineKey] = executableName()
	}
	return tags, nil
}

func executableName() string {
	if len(os.Args) == 0 || os.Args[0] == "" {
		return "unknown"
	}
	return filepath.Base(os.Args[0])
}

func bracketIPv6(host string) string {
	if addr, err := netip.ParseAddr(host); err == nil && addr.Is6() {
		return "[" + host + "]"
	}
	return host
}
