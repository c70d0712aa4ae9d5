package lightstep

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"time"

	lsgo "github.com/lightstep/lightstep-tracer-go"
	"github.com/opentracing/opentracing-go"

	"github.com/polytrace/polytrace/internal/envconf"
	"github.com/polytrace/polytrace/internal/lightspan"
	"github.com/polytrace/polytrace/internal/reach"
	"github.com/polytrace/polytrace/internal/sampling"
	"github.com/polytrace/polytrace/internal/shutdown"
	"github.com/polytrace/polytrace/internal/spanstats"
	"github.com/polytrace/polytrace/propagation"
	"github.com/polytrace/polytrace/tracer"
)

// Name is the backend's registered name, the value of TRACER_BACKEND that
// selects it.
const Name = "lightstep"

func init() {
	tracer.Register(Name, Open)
	lsgo.SetGlobalEventHandler(handleEvent)
}

// Open builds a Lightstep tracer from cfg: the LIGHTSTEP_* settings read
// through cfg.Get (see [OptionsFromConfig]) and the portable settings of
// cfg. It does no network I/O.
func Open(cfg tracer.Config) (*tracer.Instance, error) {
	return tracer.OpenWith(cfg, OptionsFromConfig, New)
}

// New builds a Lightstep tracer from cfg's portable settings and opts, for
// programs that configure in code; cfg.Lookup is not consulted. Zero
// fields of opts take their defaults. It does no network I/O.
func New(cfg tracer.Config, opts Options) (*tracer.Instance, error) {
	return build(cfg, opts, nil)
}

// build is New with the sampler's source of new trace ids replaceable
// for tests (nil means random non-zero ids).
func build(cfg tracer.Config, opts Options, traceID func() uint64) (*tracer.Instance, error) {
	opts = opts.withDefaults()
	if err := opts.validate(); err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("lightstep: %w", err)
	}
	rate := 1.0
	if cfg.SampleRate != nil {
		rate = *cfg.SampleRate
	}
	tags, err := reporterTags(cfg)
	if err != nil {
		return nil, err
	}
	queue := cfg.Queue(0)
	tokens.Add(opts.AccessToken)

	host, _ := plainHost(opts.CollectorHost)
	target := net.JoinHostPort(host, strconv.Itoa(opts.CollectorPort))
	lo := lsgo.Options{
		AccessToken: opts.AccessToken,
		Collector: lsgo.Endpoint{
			// The client formats host:port itself: bracket IPv6 addresses.
			Host:      bracketIPv6(host),
			Port:      opts.CollectorPort,
			Plaintext: opts.Plaintext,
		},
		Tags: tags,
		// The buffer of finished spans; a second one of the same size
		// holds the report under way.
		MaxBufferedSpans: queue,
		// How often the client checks whether its buffer is half full (or
		// its 2.5s reporting period over): every 500ms by default, too
		// seldom for a busy service not to overflow the buffer between
		// two checks.
		MinReportingPeriod: minReportingPeriod,
		// The client's own format, without its cost for requests that
		// carry no trace context (see extract.go).
		Propagators: map[opentracing.BuiltinFormat]lsgo.Propagator{opentracing.HTTPHeaders: headerPropagator{}},
	}
	stats := &spanstats.Counters{Redact: tokens.Redact}
	buf := &bufferMirror{stats: stats, size: int64(queue)}
	lo.Recorder = buf
	abortCtx, abort := context.WithCancel(context.Background())
	var release func()
	var next lsgo.Collector
	switch {
	case opts.Collector != nil:
		next = opts.Collector
	case opts.Transport == TransportGRPC:
		gc, err := newGRPCCollector(target, opts.Plaintext, opts.AccessToken)
		if err != nil {
			abort()
			return nil, fmt.Errorf("lightstep: gRPC client for %s: %w", target, err)
		}
		next, release = gc, gc.close
	default:
		hc := newHTTPCollector(target, opts.Plaintext, opts.AccessToken)
		next, release = hc, hc.close
	}
	counting := &countingCollector{next: next, stats: stats, buf: buf, abort: abortCtx}
	lo.CustomCollector = counting
	lt, err := lsgo.CreateTracer(lo)
	if err != nil {
		abort()
		if release != nil {
			release()
		}
		return nil, fmt.Errorf("lightstep: build tracer: %w", err)
	}

	ot := newTracer(lt, stats, rate, traceID)
	inst := &tracer.Instance{
		Tracer:     ot,
		Converter:  converter{},
		Propagator: propagation.TextMapPropagator(propagation.Formats{propagation.OTTrace}),
		Shutdown: func(outer context.Context) error {
			// Close flushes once more and returns by ctx's deadline; then
			// any report still under way is cancelled.
			ctx, cancel := shutdown.Early(outer)
			defer cancel()
			stop := context.AfterFunc(ctx, abort)
			defer stop()
			lt.Close(ctx)
			abort()
			counting.settle(outer)
			if release != nil {
				release()
			}
			stats.Closed()
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("lightstep: final flush: %w", err)
			}
			return nil
		},
		Stats:        stats.Stats,
		StartWithIDs: ot.startWithIDs,
	}
	if opts.Collector == nil {
		inst.Ping = func(ctx context.Context) error { return reach.Addr(ctx, EnvCollectorHost, target) }
	}
	return tracer.Ready(cfg, inst)
}

// minReportingPeriod is the client's MinReportingPeriod.
const minReportingPeriod = 100 * time.Millisecond

// reporterTags returns the tracer (reporter) tags: cfg.Tags, the service
// name as lightstep.component_name, and the executable's name as
// lightstep.command_line unless a tag sets it (the client would otherwise
// report the whole command line, arguments and any secrets in them
// included).
func reporterTags(cfg tracer.Config) (opentracing.Tags, error) {
	if v, ok := cfg.Tags[lsgo.GUIDKey]; ok {
		return nil, fmt.Errorf("lightstep: %w", envconf.Invalid(envconf.EnvTags, lsgo.GUIDKey+"="+v,
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

// otTracer is the tracer the backend hands out: lightstep-tracer-go's,
// which starts every recorded span, plus what it lacks:
//
//   - a sampler. The client has none, but drops every finished span whose
//     context says Sampled "false" and propagates that flag
//     (ot-tracer-sampled). The decision is made once per trace, when a
//     root starts: the tracer picks the trace id itself
//     (lightstep.SetTraceID) and keeps the trace when sampling.ByTraceID
//     says so for that id, as every backend decides. Children inherit
//     their parent's flag, here and downstream, so a trace is reported
//     whole or not at all; a parent extracted from a request keeps the
//     caller's decision.
//   - light spans for traces that are not sampled, which the client would
//     build in full and drop once finished;
//   - the parent chosen as every backend chooses it (the client takes the
//     first reference of either type);
//   - the count of recorded spans started, for Stats.
//
// Spans started with the client's own options (SetTraceID, SetSampled,
// ...) go to the client, sampled by the same rule unless SetSampled says.
type otTracer struct {
	lsgo.Tracer // the client
	stats       *spanstats.Counters
	light       lightspan.Backend[lsgo.SpanContext]
	keep        func(traceID uint64) bool // nil: every trace (rate 1)
	traceID     func() uint64             // the id of a new trace, never zero
}

var _ lsgo.Tracer = (*otTracer)(nil)

func newTracer(client lsgo.Tracer, stats *spanstats.Counters, rate float64, traceID func() uint64) *otTracer {
	t := &otTracer{Tracer: client, stats: stats, traceID: traceID}
	if rate < 1 {
		t.keep = sampling.ByTraceID(rate)
	}
	if t.traceID == nil {
		t.traceID = lightspan.NewID
	}
	t.light = lightspan.Backend[lsgo.SpanContext]{
		Tracer:          t,
		WithBaggageItem: lsgo.SpanContext.WithBaggageItem,
	}
	return t
}

// StartSpan implements opentracing.Tracer.
func (t *otTracer) StartSpan(operationName string, opts ...opentracing.StartSpanOption) opentracing.Span {
	st := lightspan.Parent[lsgo.SpanContext](opts)
	switch {
	case !st.Plain:
		return t.startClient(operationName, opts)
	case st.HasParent && st.Parent.Sampled == "false":
		// As the client does: the trace id, and the baggage (never
		// changed once shared: WithBaggageItem copies).
		c := lsgo.SpanContext{TraceID: st.Parent.TraceID, SpanID: lightspan.NewID(), Sampled: "false", Baggage: st.Parent.Baggage}
		return lightspan.New(&t.light, c, "", nil, time.Time{})
	case st.HasParent:
		if !st.First {
			opts = append([]opentracing.StartSpanOption{opentracing.ChildOf(st.Parent)}, opts...)
		}
		t.stats.Started(1)
		return t.Tracer.StartSpan(operationName, opts...)
	case t.keep == nil:
		t.stats.Started(1)
		return t.Tracer.StartSpan(operationName, opts...)
	}
	id := t.traceID()
	if !t.keep(id) {
		return lightspan.New(&t.light, lsgo.SpanContext{TraceID: id, SpanID: lightspan.NewID(), Sampled: "false"}, "", nil, time.Time{})
	}
	t.stats.Started(1)
	return t.Tracer.StartSpan(operationName, with(opts, lsgo.SetTraceID(id))...)
}

// startClient starts a span whose options include the client's own: a
// root without lightstep.SetSampled is sampled by the rule above, on the
// trace id given with lightstep.SetTraceID, else on a new one.
func (t *otTracer) startClient(operationName string, opts []opentracing.StartSpanOption) opentracing.Span {
	if root, id := decides(opts); root && t.keep != nil {
		if id == 0 {
			id = t.traceID()
			opts = with(opts, lsgo.SetTraceID(id))
		}
		if !t.keep(id) {
			opts = with(opts, lsgo.SetSampled("false"))
		}
	}
	span := t.Tracer.StartSpan(operationName, opts...)
	if sc, ok := span.Context().(lsgo.SpanContext); ok && sc.Sampled != "false" {
		t.stats.Started(1)
	}
	return span
}

// with returns a copy of opts with o appended, leaving the caller's slice
// alone.
func with(opts []opentracing.StartSpanOption, o opentracing.StartSpanOption) []opentracing.StartSpanOption {
	out := make([]opentracing.StartSpanOption, len(opts), len(opts)+1)
	copy(out, opts)
	return append(out, o)
}

// decides reports whether a span started with opts is a root whose
// sampling is still to be decided, and the trace id the caller gave it
// with lightstep.SetTraceID (zero if none). As in lightstep-tracer-go,
// only the first reference counts, and only when it points to a
// lightstep.SpanContext; an explicit lightstep.SetSampled is the caller's
// decision.
func decides(opts []opentracing.StartSpanOption) (root bool, traceID uint64) {
	root, refSeen := true, false
	for _, o := range opts {
		switch o := o.(type) {
		case lsgo.SetSampled:
			return false, 0
		case lsgo.SetTraceID:
			traceID = uint64(o)
		case opentracing.SpanReference:
			if refSeen || o.ReferencedContext == nil || (o.Type != opentracing.ChildOfRef && o.Type != opentracing.FollowsFromRef) {
				continue
			}
			refSeen = true
			if _, ok := o.ReferencedContext.(lsgo.SpanContext); ok {
				root = false
			}
		}
	}
	return root, traceID
}

// startWithIDs starts a recorded span in the client with the identity of
// ids (see tracer.Instance.StartWithIDs), through the client's SetTraceID,
// SetSpanID and SetParentSpanID options: the trace id's low 64 bits, as
// the ottrace format carries a 128-bit id.
func (t *otTracer) startWithIDs(name string, ids propagation.SpanContext, opts ...opentracing.StartSpanOption) opentracing.Span {
	all := make([]opentracing.StartSpanOption, 0, len(opts)+4)
	all = append(all, lsgo.SetTraceID(ids.TraceID.Low), lsgo.SetSpanID(ids.SpanID),
		lsgo.SetParentSpanID(ids.ParentID), lsgo.SetSampled("true"))
	t.stats.Started(1)
	span := t.Tracer.StartSpan(name, append(all, opts...)...)
	for k, v := range ids.Baggage {
		span.SetBaggageItem(k, v)
	}
	return span
}
