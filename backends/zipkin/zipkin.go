package zipkin

import (
	"context"
	"errors"
	"fmt"
	stdlog "log"
	"maps"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	zipkingo "github.com/openzipkin/zipkin-go"
	"github.com/openzipkin/zipkin-go/idgenerator"
	"github.com/openzipkin/zipkin-go/model"
	"github.com/openzipkin/zipkin-go/proto/zipkin_proto3"
	"github.com/openzipkin/zipkin-go/reporter"
	zipkinhttp "github.com/openzipkin/zipkin-go/reporter/http"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/log"
	zipkintracer "github.com/openzipkin-contrib/zipkin-go-opentracing"

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
const Name = "zipkin"

func init() { tracer.Register(Name, Open) }

// Open builds the backend from cfg and its ZIPKIN_* settings. It is the
// function registered under [Name].
func Open(cfg tracer.Config) (*tracer.Instance, error) {
	return tracer.OpenWith(cfg, OptionsFromConfig, New)
}

// New builds the backend from cfg and opts, ignoring any ZIPKIN_* settings
// in cfg. It does not touch the network: spans are sent in the background,
// and a collector that cannot be reached costs dropped spans and log
// lines, never a blocked caller.
func New(cfg tracer.Config, opts Options) (*tracer.Instance, error) {
	endpoint, err := envconf.URL(func(string) (string, bool) { return opts.Endpoint, opts.Endpoint != "" },
		"zipkin.Options.Endpoint", DefaultEndpoint)
	if err != nil {
		return nil, fmt.Errorf("zipkin: %w", err)
	}
	timeout, err := envconf.OrDefault("zipkin.Options.Timeout", opts.Timeout, DefaultTimeout)
	if err != nil {
		return nil, fmt.Errorf("zipkin: %w", err)
	}
	interval, err := envconf.OrDefault("zipkin.Options.BatchInterval", opts.BatchInterval, DefaultBatchInterval)
	if err != nil {
		return nil, fmt.Errorf("zipkin: %w", err)
	}
	var serializer reporter.SpanSerializer
	switch strings.ToLower(opts.Encoding) {
	case "", EncodingJSON:
		serializer = reporter.JSONSerializer{}
	case EncodingProto3:
		serializer = zipkin_proto3.SpanSerializer{}
	default:
		return nil, fmt.Errorf("zipkin: %w", envconf.Invalid("zipkin.Options.Encoding", opts.Encoding,
			"one of "+EncodingJSON+", "+EncodingProto3))
	}
	// Checked before the reporter starts its goroutines.
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("zipkin: %w", err)
	}
	queue := cfg.Queue(0)
	logger := opts.Logger
	if logger == nil {
		logger = stdlog.New(os.Stderr, "polytrace zipkin: ", stdlog.LstdFlags)
	}
	stats := &spanstats.Counters{}
	batch := new(atomic.Int64)

	abortCtx, abort := context.WithCancel(context.Background())
	// A transport of its own, so that shutting down closes its idle
	// connections and nobody else's.
	transport := &http.Transport{Proxy: http.ProxyFromEnvironment}
	if t, ok := http.DefaultTransport.(*http.Transport); ok {
		transport = t.Clone()
	}
	// MaxBacklog bounds the spans held, including those of the request
	// under way; beyond it the oldest are dropped (and counted by the log
	// tap, the only place the reporter says so).
	rep := zipkinhttp.NewReporter(endpoint,
		zipkinhttp.Client(&httpDoer{client: &http.Client{Transport: transport, Timeout: timeout}, abort: abortCtx, stats: stats, batch: batch}),
		zipkinhttp.Timeout(timeout),
		zipkinhttp.BatchInterval(interval),
		zipkinhttp.MaxBacklog(queue),
		zipkinhttp.Serializer(countingSerializer{SpanSerializer: serializer, batch: batch}),
		zipkinhttp.Logger(newLogTap(logger, stats)),
	)
	// Closing sends the spans still buffered. Once the caller's deadline
	// passes, abort cancels that request so the reporter's goroutines end.
	closeFn := func(ctx context.Context, g *closeGuard) error {
		ctx, cancel := shutdown.Early(ctx)
		defer cancel()
		stop := context.AfterFunc(ctx, abort)
		defer stop()
		err := g.Close()
		abort()
		transport.CloseIdleConnections()
		stats.Closed()
		if cerr := ctx.Err(); cerr != nil {
			// The deadline (less a margin) passed first: the last request
			// was cancelled.
			return cerr
		}
		return err
	}
	inst, err := build(cfg, rep, closeFn, stats)
	if err != nil {
		abort()
		_ = rep.Close()
		return nil, err
	}
	inst.Ping = func(ctx context.Context) error { return reach.URL(ctx, EnvEndpoint, endpoint) }
	return tracer.Ready(cfg, inst)
}

// NewWithReporter builds the backend's tracer over any zipkin-go reporter
// (Kafka, AMQP, a log, a test recorder, a custom one): the same spans,
// sampling, tags and B3 propagation as [New], with rep in place of the
// HTTP reporter. Spans finished after Shutdown are dropped before they
// reach rep, and Shutdown closes rep once, returning by its context's
// deadline whatever rep.Close does. On error rep is left open.
func NewWithReporter(cfg tracer.Config, rep reporter.Reporter) (*tracer.Instance, error) {
	if rep == nil {
		return nil, errors.New("zipkin: NewWithReporter: nil reporter")
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("zipkin: %w", err)
	}
	inst, err := build(cfg, rep, func(_ context.Context, g *closeGuard) error { return g.Close() }, &spanstats.Counters{})
	if err != nil {
		return nil, err
	}
	return tracer.Ready(cfg, inst)
}

// build wraps rep in a closeGuard and the guard in the tracer. stats
// counts spans started and finished; if rep is a StatsReporter, its
// counts are added. cfg is valid: New and NewWithReporter check it.
func build(cfg tracer.Config, rep reporter.Reporter, closeFn func(context.Context, *closeGuard) error, stats *spanstats.Counters) (*tracer.Instance, error) {
	sampler := newSampler(cfg.SampleRate)
	guard := &closeGuard{Reporter: rep, stats: stats}
	newVendor := func(ids idgenerator.IDGenerator) (*zipkingo.Tracer, error) {
		return zipkingo.NewTracer(guard,
			zipkingo.WithLocalEndpoint(&model.Endpoint{ServiceName: cfg.Service()}),
			zipkingo.WithTags(cfg.Tags),
			zipkingo.WithSampler(sampler),
			zipkingo.WithIDGenerator(ids),
			// A server span extracted from a client's headers is a child
			// of the client span, as in the other backends, not Zipkin's
			// older shared span with the same id.
			zipkingo.WithSharedSpans(false),
			zipkingo.WithNoopSpan(true),
		)
	}
	ztr, err := newVendor(idGenerator{})
	if err != nil {
		return nil, fmt.Errorf("zipkin: build tracer: %w", err)
	}
	ot := newTracer(ztr, stats, cfg.SampleRate, sampler)
	// The same tracer with ids given (startWithIDs), one per concurrent
	// start.
	ot.withIDs.New = func() any {
		ids := &givenIDs{}
		ztr, _ := newVendor(ids) // the options were accepted above
		return &idTracer{ids: ids, vendor: zipkintracer.Wrap(ztr)}
	}
	var closed atomic.Bool
	statsFn := stats.Stats
	if src, ok := rep.(StatsReporter); ok {
		statsFn = func() tracer.Stats { return merge(src.Stats(), stats.Stats(), closed.Load()) }
	}
	return &tracer.Instance{
		Tracer:     ot,
		Converter:  converter{},
		Propagator: propagation.TextMapPropagatorOf(nativeInject, nativeExtract),
		Shutdown: func(ctx context.Context) error {
			err := closeFn(ctx, guard)
			closed.Store(true)
			if err != nil {
				return fmt.Errorf("zipkin: flush spans: %w", err)
			}
			return nil
		},
		Stats:        statsFn,
		StartWithIDs: ot.startWithIDs,
	}, nil
}

// merge adds the export counts of a StatsReporter (read first, so that
// they never exceed the spans finished) to the tracer's own counts. Once
// the reporter is closed, every finished span it did not export is
// dropped.
func merge(rep, own tracer.Stats, closed bool) tracer.Stats {
	s := own
	s.SpansExported += rep.SpansExported
	s.SpansDropped += rep.SpansDropped
	s.ExportErrors += rep.ExportErrors
	if rep.LastExportError != "" {
		s.LastExportError = rep.LastExportError
	}
	if rep.LastExportTime.After(s.LastExportTime) {
		s.LastExportTime = rep.LastExportTime
	}
	if closed {
		s.SpansDropped = max(s.SpansFinished-s.SpansExported, 0)
	}
	return s
}

// otTracer is the opentracing.Tracer the backend hands out:
// zipkin-go-opentracing's tracer over a zipkin-go tracer, which starts,
// tags and reports every recorded span, plus what that library lacks:
//
//   - the parent chosen as every backend chooses it (the first ChildOf
//     reference, else the first FollowsFrom one; the library takes only
//     the first reference);
//   - baggage, inherited from every reference and carried on the wire;
//   - light spans for traces that are not sampled (the library would
//     build and discard a span);
//   - B3 propagation through package propagation, with baggage, the
//     Binary format, and the error values OpenTracing specifies for bad
//     carriers and corrupt headers;
//   - LogKV as one record with one timestamp, so that readers can group
//     its fields back (the library stamps each field separately).
type otTracer struct {
	vendor opentracing.Tracer // zipkintracer.Wrap
	native opentracing.Tracer // Inject and Extract
	light  lightspan.Backend[*spanContext]
	stats  *spanstats.Counters // counts recorded spans started

	sample        zipkingo.Sampler // of new traces and undecided parents
	always, never bool             // a rate of 1 (or none), or 0

	withIDs sync.Pool // of *idTracer
}

var (
	_ opentracing.Tracer      = (*otTracer)(nil)
	_ opentracing.Span        = (*otSpan)(nil)
	_ opentracing.SpanContext = (*spanContext)(nil)
)

// nativeInject and nativeExtract are the backend's formats: B3 multi
// headers with baggage-* entries, as jaeger-client-go's and Brave's B3
// propagation write them; the single b3 header is read too, and wins
// when both are valid.
var (
	nativeInject  = propagation.Formats{propagation.B3Multi}
	nativeExtract = propagation.Formats{propagation.B3, propagation.B3Multi}
)

func newTracer(ztr *zipkingo.Tracer, stats *spanstats.Counters, rate *float64, sample zipkingo.Sampler) *otTracer {
	t := &otTracer{
		vendor: zipkintracer.Wrap(ztr),
		stats:  stats,
		sample: sample,
		always: rate == nil || *rate == 1,
		never:  rate != nil && *rate == 0,
	}
	t.native = propagation.Native(t, converter{}, nativeInject, nativeExtract)
	t.light = lightspan.Backend[*spanContext]{Tracer: t, WithBaggageItem: (*spanContext).with}
	return t
}

// spanContext is the span context of the backend's spans. It is never
// changed once shared: setting baggage makes a new one.
type spanContext struct {
	zipkin  model.SpanContext
	baggage map[string]string
}

// ForeachBaggageItem implements opentracing.SpanContext.
func (c *spanContext) ForeachBaggageItem(handler func(k, v string) bool) {
	for k, v := range c.baggage {
		if !handler(k, v) {
			return
		}
	}
}

func (c *spanContext) with(key, value string) *spanContext {
	baggage := make(map[string]string, len(c.baggage)+1)
	maps.Copy(baggage, c.baggage)
	baggage[key] = value
	return &spanContext{zipkin: c.zipkin, baggage: baggage}
}

// sampled tells whether a span with parent (nil: a new trace, whose trace
// id would be root) is sampled, as zipkin-go would decide.
func (t *otTracer) sampled(parent *spanContext, root uint64) bool {
	if parent == nil || parent.zipkin.TraceID.Empty() && parent.zipkin.Sampled == nil && !parent.zipkin.Debug {
		return !t.never && (t.always || t.sample(root))
	}
	p := parent.zipkin
	switch {
	case p.Debug:
		return true
	case p.Sampled != nil:
		return *p.Sampled
	}
	return t.sample(p.TraceID.Low)
}

// StartSpan implements opentracing.Tracer.
func (t *otTracer) StartSpan(operationName string, opts ...opentracing.StartSpanOption) opentracing.Span {
	st := lightspan.Parent[*spanContext](opts)
	if !st.Plain {
		return t.startApplied(operationName, opts)
	}
	parent := st.Parent
	if !st.HasParent {
		parent = nil
	}
	if s, ok := t.startLight(parent); ok {
		return s
	}
	var baggage map[string]string
	for _, o := range opts {
		if ref, ok := o.(opentracing.SpanReference); ok {
			baggage = addBaggage(baggage, ref)
		}
	}
	// zipkin-go-opentracing takes the first reference as the parent, and
	// only of its own type: the others (the backend's) it ignores.
	first := t.vendorParent(parent)
	if first == nil {
		return t.record(t.vendor.StartSpan(operationName, opts...), baggage)
	}
	vopts := make([]opentracing.StartSpanOption, 0, len(opts)+1)
	vopts = append(append(vopts, *first), opts...)
	return t.record(t.vendor.StartSpan(operationName, vopts...), baggage)
}

// startApplied is StartSpan for options of other types than the plain
// opentracing ones, which must be applied to be read.
func (t *otTracer) startApplied(operationName string, opts []opentracing.StartSpanOption) opentracing.Span {
	var so opentracing.StartSpanOptions
	for _, o := range opts {
		o.Apply(&so)
	}
	var baggage map[string]string
	for _, ref := range so.References {
		baggage = addBaggage(baggage, ref)
	}
	var parent *spanContext
	if i := lightspan.Reference[*spanContext](so.References); i >= 0 {
		parent = so.References[i].ReferencedContext.(*spanContext)
	}
	if s, ok := t.startLight(parent); ok {
		return s
	}
	so.References = nil
	if first := t.vendorParent(parent); first != nil {
		so.References = []opentracing.SpanReference{*first}
	}
	return t.record(t.vendor.StartSpan(operationName, lightspan.Applied(so)), baggage)
}

// vendorParent is the reference zipkin-go-opentracing must see first:
// the parent, or for a new trace decided here, a parent with no ids but
// the decision, so that zipkin-go does not decide again on other ids. Nil
// means none (every new trace is sampled).
func (t *otTracer) vendorParent(parent *spanContext) *opentracing.SpanReference {
	switch {
	case parent != nil:
		ref := opentracing.ChildOf(zipkintracer.SpanContext(parent.zipkin))
		return &ref
	case !t.always:
		return &sampledRoot
	}
	return nil
}

// addBaggage adds the baggage of ref's context, when the backend's, to
// bag (nil until there is some).
func addBaggage(bag map[string]string, ref opentracing.SpanReference) map[string]string {
	c, ok := ref.ReferencedContext.(*spanContext)
	if !ok || c == nil || len(c.baggage) == 0 {
		return bag
	}
	if bag == nil {
		bag = make(map[string]string, len(c.baggage))
	}
	maps.Copy(bag, c.baggage)
	return bag
}

// record wraps span, the vendor's, with the backend's context.
func (t *otTracer) record(span opentracing.Span, baggage map[string]string) opentracing.Span {
	zc := model.SpanContext(span.Context().(zipkintracer.SpanContext))
	if zc.Debug || zc.Sampled == nil || *zc.Sampled {
		t.stats.Started(1)
	}
	s := &otSpan{Span: span, tracer: t, first: spanContext{zipkin: zc, baggage: baggage}}
	s.ctx.Store(&s.first)
	return s
}

// sampledRoot, as a parent, makes zipkin-go start a new trace already
// decided as sampled.
var sampledRoot = func() opentracing.SpanReference {
	yes := true
	return opentracing.ChildOf(zipkintracer.SpanContext{Sampled: &yes})
}()

// startLight returns a light span for a child of parent (nil: a new
// trace) when its trace is not sampled: the context zipkin-go would give
// it, with the parent's baggage.
func (t *otTracer) startLight(parent *spanContext) (opentracing.Span, bool) {
	var tid model.TraceID
	if parent == nil || parent.zipkin.TraceID.Empty() {
		tid = idGenerator{}.TraceID()
	} else {
		tid = parent.zipkin.TraceID
	}
	if t.sampled(parent, tid.Low) {
		return nil, false
	}
	s := &lightSpan{}
	c := &s.ctx
	c.zipkin.TraceID = tid
	if parent != nil && !parent.zipkin.TraceID.Empty() {
		s.parentID = parent.zipkin.ID
		c.zipkin.ParentID = &s.parentID
		c.baggage = parent.baggage // never changed: shared
	}
	c.zipkin.Sampled = &s.notSampled
	c.zipkin.ID = idGenerator{}.SpanID(tid)
	s.Init(s, &t.light, c, "", nil, time.Time{})
	return s, true
}

// lightSpan is a light span with its context's storage, in one
// allocation.
type lightSpan struct {
	lightspan.Span[*spanContext]
	ctx        spanContext
	notSampled bool
	parentID   model.ID
}

// Inject implements opentracing.Tracer: B3 multi headers (x-b3-traceid,
// x-b3-spanid, x-b3-parentspanid, x-b3-sampled or x-b3-flags) and one
// baggage-KEY entry per baggage item. Binary writes the same entries as
// one JSON object.
func (t *otTracer) Inject(sc opentracing.SpanContext, format, carrier interface{}) error {
	return t.native.Inject(sc, format, carrier)
}

// Extract implements opentracing.Tracer, reading the single b3 header,
// else B3 multi headers, with the baggage-* entries.
func (t *otTracer) Extract(format, carrier interface{}) (opentracing.SpanContext, error) {
	return t.native.Extract(format, carrier)
}

// otSpan is a span of zipkin-go-opentracing with the backend's context
// (its ids plus baggage) and tracer.
type otSpan struct {
	opentracing.Span // the vendor's
	tracer           *otTracer

	mu    sync.Mutex // serializes baggage writers; readers use ctx alone
	ctx   atomic.Pointer[spanContext]
	first spanContext
}

func (s *otSpan) Context() opentracing.SpanContext { return s.ctx.Load() }

func (s *otSpan) Tracer() opentracing.Tracer { return s.tracer }

func (s *otSpan) SetBaggageItem(key, value string) opentracing.Span {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ctx.Store(s.ctx.Load().with(key, value))
	return s
}

func (s *otSpan) BaggageItem(key string) string { return s.ctx.Load().baggage[key] }

func (s *otSpan) SetOperationName(name string) opentracing.Span {
	s.Span.SetOperationName(name)
	return s
}

func (s *otSpan) SetTag(key string, value interface{}) opentracing.Span {
	s.Span.SetTag(key, value)
	return s
}

// LogKV logs the pairs as one record, as LogFields does: each field one
// annotation "key:value", all with one timestamp. Pairs that do not make
// fields are logged as an error field.
func (s *otSpan) LogKV(alternatingKeyValues ...interface{}) {
	fields, err := log.InterleavedKVToFields(alternatingKeyValues...)
	if err != nil {
		s.Span.LogFields(log.Error(err), log.String("function", "LogKV"))
		return
	}
	s.Span.LogFields(fields...)
}

// LogEvent is deprecated in OpenTracing; it logs the field event.
func (s *otSpan) LogEvent(event string) { s.Span.LogFields(log.String("event", event)) }

// LogEventWithPayload is deprecated in OpenTracing; it logs the fields
// event and payload. (zipkin-go-opentracing writes "event:payload" with
// fmt's %s, giving "event:%!s(<nil>)" for LogEvent.)
func (s *otSpan) LogEventWithPayload(event string, payload interface{}) {
	s.Span.LogFields(log.String("event", event), log.Object("payload", payload))
}

// Log is deprecated in OpenTracing; it logs the fields of
// LogData.ToLogRecord, stamped now.
func (s *otSpan) Log(data opentracing.LogData) { s.Span.LogFields(data.ToLogRecord().Fields...) }

func init() { sampling.Register(recorded) }

// recorded is this backend's sampling.Func: its spans are recorded unless
// light (lightspan answers for those).
func recorded(s opentracing.Span) (rec, known bool) {
	_, ok := s.(*otSpan)
	return ok, ok
}

// startWithIDs starts a recorded span with the identity of ids (see
// tracer.Instance.StartWithIDs): zipkin-go takes the trace and span ids
// from its IDGenerator, so the span is started by a tracer of the pool
// whose generator hands out ids', with a sampled parent of ids' trace
// (for a root, a parent with no ids but the decision).
func (t *otTracer) startWithIDs(name string, ids propagation.SpanContext, opts ...opentracing.StartSpanOption) opentracing.Span {
	it := t.withIDs.Get().(*idTracer)
	it.ids.trace = model.TraceID{High: ids.TraceID.High, Low: ids.TraceID.Low}
	it.ids.span = model.ID(ids.SpanID)
	parent := sampledRoot
	if ids.ParentID != 0 {
		yes := true
		parent = opentracing.ChildOf(zipkintracer.SpanContext{TraceID: it.ids.trace, ID: model.ID(ids.ParentID), Sampled: &yes})
	}
	all := make([]opentracing.StartSpanOption, 0, len(opts)+1)
	span := it.vendor.StartSpan(name, append(append(all, parent), opts...)...)
	t.withIDs.Put(it)
	return t.record(span, ids.Baggage)
}

// idTracer is zipkin-go-opentracing's tracer over a zipkin-go tracer
// whose ids are ids'.
type idTracer struct {
	ids    *givenIDs
	vendor opentracing.Tracer
}

// givenIDs is a zipkin-go IDGenerator handing out the ids it holds.
type givenIDs struct {
	trace model.TraceID
	span  model.ID
}

func (g *givenIDs) TraceID() model.TraceID        { return g.trace }
func (g *givenIDs) SpanID(model.TraceID) model.ID { return g.span }
