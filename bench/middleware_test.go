package bench

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	lsgo "github.com/lightstep/lightstep-tracer-go"
	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	zipkinot "github.com/openzipkin-contrib/zipkin-go-opentracing"
	zipkingo "github.com/openzipkin/zipkin-go"
	"github.com/openzipkin/zipkin-go/model"
	jaegerclient "github.com/uber/jaeger-client-go"
	"go.opentelemetry.io/contrib/instrumentation/github.com/gin-gonic/gin/otelgin"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/polytrace/polytrace"
	"github.com/polytrace/polytrace/backends/jaeger"
	"github.com/polytrace/polytrace/backends/lightstep"
	"github.com/polytrace/polytrace/backends/otel"
	"github.com/polytrace/polytrace/backends/stdout"
	"github.com/polytrace/polytrace/backends/ui"
	"github.com/polytrace/polytrace/backends/zipkin"
	"github.com/polytrace/polytrace/ginmw"
	"github.com/polytrace/polytrace/tracer"
	"github.com/polytrace/polytrace/traceview"
)

// The middlewares measured, in the order they run. Every one serves the
// same route, GET /users/:id, whose handler writes a short body.
//
//   - bare: Gin with no middleware.
//   - floor: what any tracing middleware must do per request, and nothing
//     else: allocate a (minimal, no-op) span and put it in the request's
//     context (http.Request.WithContext copies the request), then put the
//     original request back. No middleware that propagates a trace
//     through the request context can cost less.
//   - seed-<vendor>: the minimal OpenTracing middleware a service starts
//     with (extract, start a span named after the route, put it in the
//     request context, tag the status, finish) on the vendor's own tracer
//     built the stock way, reporting to the same in-process sink as the
//     backend below. seed-jaeger-null is the same on jaeger-client-go's
//     NullReporter (no queue at all), and seed-jaeger-pool adds the
//     client's span pooling, for reference.
//   - ginmw-noop: ginmw on polytrace.New("noop"), tracing off.
//   - ginmw-<backend>-sampled / -unsampled: ginmw on the polytrace backend
//     with the sample rate 1 or 0 (TRACER_SAMPLE_RATE), built through the
//     backend's New with its reporter pointed at an in-process sink
//     (jaeger Options.Sender, zipkin NewWithReporter, lightstep
//     Options.Collector, otel Options.Exporter).
//   - ginmw-stdout-sampled: ginmw on the stdout backend, writing its JSON
//     lines to a writer that drops them; ginmw-ui-sampled: ginmw on the
//     ui backend, keeping the spans in a store of its own (64 MiB, so it
//     turns over during a run). Recording a span in the viewer's store
//     should cost no more than printing it.
//   - ginmw-jaeger+otel-sampled / -unsampled, ginmw-zipkin+lightstep-sampled:
//     ginmw on a list of two backends (tracer.Combine, what
//     TRACER_BACKEND=jaeger,otel builds), each on its sink as above: every
//     sampled span is recorded by both.
//   - otelgin: otelgin on the OpenTelemetry SDK, always-on sampler, batch
//     span processor to an exporter that drops the spans.
//   - seed-otel: the minimal middleware (as seed-<vendor>) on the
//     OpenTelemetry API with the same SDK setup as otelgin: what the SDK
//     alone costs.
var middlewares = []string{
	"bare", "floor",
	"seed-jaeger", "seed-jaeger-null", "seed-jaeger-pool", "seed-zipkin", "seed-lightstep",
	"ginmw-noop",
	"ginmw-jaeger-sampled", "ginmw-jaeger-unsampled",
	"ginmw-zipkin-sampled", "ginmw-zipkin-unsampled",
	"ginmw-lightstep-sampled", "ginmw-lightstep-unsampled",
	"ginmw-otel-sampled", "ginmw-otel-unsampled",
	"ginmw-stdout-sampled", "ginmw-ui-sampled",
	"ginmw-jaeger+otel-sampled", "ginmw-jaeger+otel-unsampled", "ginmw-zipkin+lightstep-sampled",
	"seed-otel", "otelgin",
}

// The requests: plain (no trace context, a handler that starts no span),
// child (the handler starts and finishes one child of the request's span)
// and inbound (the request carries a trace context in the tracer's own
// headers, sampled as the configuration samples).
var requests = []string{"plain", "child", "inbound"}

// BenchmarkGET serves GET /users/42 through httptest with every middleware
// and request kind, sequentially. Compare ns/op within one run.
func BenchmarkGET(b *testing.B) {
	gin.SetMode(gin.ReleaseMode)
	for _, req := range requests {
		for _, mw := range middlewares {
			b.Run("req="+req+"/mw="+mw, func(b *testing.B) {
				e, r := newServer(b, mw, req)
				var w *httptest.ResponseRecorder
				b.ReportAllocs()
				start := cpuTime()
				for b.Loop() {
					w = httptest.NewRecorder()
					e.ServeHTTP(w, r)
				}
				reportCPU(b, start)
				if w.Code != http.StatusOK || w.Body.String() != "user" {
					b.Fatalf("response %d %q, want 200 %q", w.Code, w.Body, "user")
				}
			})
		}
	}
}

// BenchmarkGETParallel is BenchmarkGET's plain request from GOMAXPROCS
// goroutines at once (b.RunParallel), for contention: run it with
// -mutexprofile to see whose locks are contended.
func BenchmarkGETParallel(b *testing.B) {
	gin.SetMode(gin.ReleaseMode)
	for _, mw := range middlewares {
		b.Run("req=plain/mw="+mw, func(b *testing.B) {
			e, r := newServer(b, mw, "plain")
			b.ReportAllocs()
			start := cpuTime()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					e.ServeHTTP(httptest.NewRecorder(), r)
				}
			})
			reportCPU(b, start)
		})
	}
}

// reportCPU reports the process CPU time per request since start as
// cpu-ns/op. Unlike ns/op (wall time), it counts the work the tracers do
// in background goroutines (reporters, batch processors) and the garbage
// collector on the other core, and does not count time the benchmark
// waits for a CPU held by other programs: on a shared machine it is the
// steadier measure of what tracing costs.
func reportCPU(b *testing.B, start time.Duration) {
	if d := cpuTime() - start; start > 0 && d > 0 && b.N > 0 {
		b.ReportMetric(float64(d.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

// newServer builds the Gin engine for mw and the request of kind req. The
// tracer is shut down when b ends, and b fails then if no span reached the
// sink of a sampled configuration.
func newServer(b *testing.B, mw, req string) (*gin.Engine, *http.Request) {
	s := newSubject(b, mw)
	e := gin.New()
	if s.mw != nil {
		e.Use(s.mw)
	}
	handler := func(c *gin.Context) { c.String(http.StatusOK, "user") }
	if req == "child" && s.child != nil {
		handler = func(c *gin.Context) {
			s.child(c.Request.Context())
			c.String(http.StatusOK, "user")
		}
	}
	e.GET("/users/:id", handler)
	r := httptest.NewRequest(http.MethodGet, "/users/42", nil)
	// What a browser or HTTP client sends anyway: tracers that scan every
	// header for their own pay for these.
	r.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0")
	r.Header.Set("Accept", "application/json")
	r.Header.Set("Accept-Encoding", "gzip, deflate")
	r.Header.Set("Accept-Language", "en-US,en;q=0.5")
	if req == "inbound" && s.inbound != nil {
		s.inbound(r.Header)
	}
	b.Cleanup(func() { shutdownSubject(b, s, mw) })
	return e, r
}

// shutdownSubject flushes s's tracer, failing b if no span reached the
// sink of a sampled configuration.
func shutdownSubject(b *testing.B, s subject, mw string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if s.shutdown != nil {
		if err := s.shutdown(ctx); err != nil {
			b.Errorf("shut down %s: %v", mw, err)
		}
	}
	if s.sink != nil && s.sink.Load() == 0 {
		b.Errorf("%s: no span reached the sink: the benchmark measured no tracing", mw)
	}
}

// floorSpan is the least a span can be: an allocation of its own.
type floorSpan struct {
	opentracing.Span // no-op
	traceID, spanID  uint64
}

// floorMiddleware is the "floor" middleware: a span per request, in the
// request's context.
func floorMiddleware(c *gin.Context) {
	req := c.Request
	span := &floorSpan{Span: noopSpan, traceID: 1, spanID: 2}
	c.Request = req.WithContext(opentracing.ContextWithSpan(req.Context(), span))
	c.Next()
	c.Request = req
}

var noopSpan = opentracing.NoopTracer{}.StartSpan("")

// subject is one middleware configuration.
type subject struct {
	mw       gin.HandlerFunc             // nil: bare Gin
	child    func(context.Context)       // starts and finishes a child span
	inbound  func(http.Header)           // writes an inbound trace context
	shutdown func(context.Context) error // flushes the tracer
	sink     interface{ Load() int64 }   // spans received; nil when none are expected
}

func newSubject(b *testing.B, mw string) subject {
	b.Helper()
	sampled := tracer.Config{ServiceName: "bench", SampleRate: tracer.Rate(1)}
	unsampled := tracer.Config{ServiceName: "bench", SampleRate: tracer.Rate(0)}
	switch mw {
	case "bare":
		// Its handler does what the others' do with no tracer: a child
		// through the no-op tracer, so that handler work is the same.
		return subject{child: func(ctx context.Context) {
			span, _ := opentracing.StartSpanFromContextWithTracer(ctx, opentracing.NoopTracer{}, "load-user")
			span.Finish()
		}}
	case "seed-jaeger", "seed-jaeger-null", "seed-jaeger-pool":
		sink := &jaegerSink{}
		var rep jaegerclient.Reporter = jaegerclient.NewRemoteReporter(sink)
		var counted interface{ Load() int64 } = &sink.spans
		if mw == "seed-jaeger-null" {
			rep, counted = jaegerclient.NewNullReporter(), nil
		}
		var opts []jaegerclient.TracerOption
		if mw == "seed-jaeger-pool" {
			opts = append(opts, jaegerclient.TracerOptions.PoolSpans(true))
		}
		tr, closer := jaegerclient.NewTracer("bench", jaegerclient.NewConstSampler(true), rep, opts...)
		return otSubject(tr, seed(tr), true, func(context.Context) error { return closer.Close() }, counted)
	case "seed-zipkin":
		sink := &zipkinSink{}
		ztr, err := zipkingo.NewTracer(sink, zipkingo.WithLocalEndpoint(&model.Endpoint{ServiceName: "bench"}))
		if err != nil {
			b.Fatal(err)
		}
		tr := zipkinot.Wrap(ztr)
		return otSubject(tr, seed(tr), true, func(context.Context) error { return sink.Close() }, &sink.spans)
	case "seed-lightstep":
		sink := &lightstepSink{}
		// The buffer and reporting period the backend sets, so that both
		// drop (or convert and report) the same spans.
		lt, err := lsgo.CreateTracer(lsgo.Options{AccessToken: "bench", CustomCollector: sink,
			Tags:             opentracing.Tags{lsgo.ComponentNameKey: "bench"},
			MaxBufferedSpans: tracer.DefaultQueueSize, MinReportingPeriod: 100 * time.Millisecond})
		if err != nil {
			b.Fatal(err)
		}
		return otSubject(lt, seed(lt), true, func(ctx context.Context) error { lt.Close(ctx); return nil }, &sink.spans)
	case "floor":
		return subject{mw: floorMiddleware, child: func(ctx context.Context) {
			span, _ := opentracing.StartSpanFromContextWithTracer(ctx, opentracing.NoopTracer{}, "load-user")
			span.Finish()
		}}
	case "ginmw-noop":
		tr, err := polytrace.New("noop", tracer.Config{ServiceName: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		return otSubject(tr, ginmw.Middleware(tr), true, tr.Shutdown, nil)
	case "ginmw-jaeger-sampled", "ginmw-jaeger-unsampled":
		sink := &jaegerSink{}
		cfg, want := sampled, interface{ Load() int64 }(&sink.spans)
		if mw == "ginmw-jaeger-unsampled" {
			cfg, want = unsampled, nil
		}
		inst, err := jaeger.New(cfg, jaeger.Options{Sender: sink})
		if err != nil {
			b.Fatal(err)
		}
		return otSubject(inst.Tracer, ginmw.Middleware(inst.Tracer), *cfg.SampleRate == 1, inst.Shutdown, want)
	case "ginmw-zipkin-sampled", "ginmw-zipkin-unsampled":
		sink := &zipkinSink{}
		cfg, want := sampled, interface{ Load() int64 }(&sink.spans)
		if mw == "ginmw-zipkin-unsampled" {
			cfg, want = unsampled, nil
		}
		inst, err := zipkin.NewWithReporter(cfg, sink)
		if err != nil {
			b.Fatal(err)
		}
		return otSubject(inst.Tracer, ginmw.Middleware(inst.Tracer), *cfg.SampleRate == 1, inst.Shutdown, want)
	case "ginmw-stdout-sampled":
		sink := &lineSink{}
		inst, err := stdout.New(sampled, stdout.Options{Writer: sink})
		if err != nil {
			b.Fatal(err)
		}
		return otSubject(inst.Tracer, ginmw.Middleware(inst.Tracer), true, inst.Shutdown, &sink.lines)
	case "ginmw-ui-sampled":
		inst, err := ui.New(sampled, ui.Options{Store: traceview.NewStore(traceview.DefaultMaxBytes)})
		if err != nil {
			b.Fatal(err)
		}
		return otSubject(inst.Tracer, ginmw.Middleware(inst.Tracer), true, inst.Shutdown, exported(inst.Stats))
	case "ginmw-lightstep-sampled", "ginmw-lightstep-unsampled":
		sink := &lightstepSink{}
		cfg, want := sampled, interface{ Load() int64 }(&sink.spans)
		if mw == "ginmw-lightstep-unsampled" {
			cfg, want = unsampled, nil
		}
		inst, err := lightstep.New(cfg, lightstep.Options{AccessToken: "bench", Collector: sink})
		if err != nil {
			b.Fatal(err)
		}
		return otSubject(inst.Tracer, ginmw.Middleware(inst.Tracer), *cfg.SampleRate == 1, inst.Shutdown, want)
	case "ginmw-otel-sampled", "ginmw-otel-unsampled":
		sink := &otelSink{}
		cfg, want := sampled, interface{ Load() int64 }(&sink.spans)
		if mw == "ginmw-otel-unsampled" {
			cfg, want = unsampled, nil
		}
		inst, err := otel.New(cfg, otel.Options{Exporter: sink})
		if err != nil {
			b.Fatal(err)
		}
		return otSubject(inst.Tracer, ginmw.Middleware(inst.Tracer), *cfg.SampleRate == 1, inst.Shutdown, want)
	case "ginmw-jaeger+otel-sampled", "ginmw-jaeger+otel-unsampled":
		js, os := &jaegerSink{}, &otelSink{}
		cfg, want := sampled, interface{ Load() int64 }(bothSinks{&js.spans, &os.spans})
		if mw == "ginmw-jaeger+otel-unsampled" {
			cfg, want = unsampled, nil
		}
		first, err := jaeger.New(cfg, jaeger.Options{Sender: js})
		if err != nil {
			b.Fatal(err)
		}
		second, err := otel.New(unsampled, otel.Options{Exporter: os})
		if err != nil {
			b.Fatal(err)
		}
		return listSubject(b, cfg, want, tracer.Member{Name: "jaeger", Instance: first}, tracer.Member{Name: "otel", Instance: second})
	case "ginmw-zipkin+lightstep-sampled":
		zs, ls := &zipkinSink{}, &lightstepSink{}
		first, err := zipkin.NewWithReporter(sampled, zs)
		if err != nil {
			b.Fatal(err)
		}
		second, err := lightstep.New(unsampled, lightstep.Options{AccessToken: "bench", Collector: ls})
		if err != nil {
			b.Fatal(err)
		}
		return listSubject(b, sampled, bothSinks{&zs.spans, &ls.spans},
			tracer.Member{Name: "zipkin", Instance: first}, tracer.Member{Name: "lightstep", Instance: second})
	case "otelgin", "seed-otel":
		return otelSubject(mw)
	}
	b.Fatalf("unknown middleware %q", mw)
	return subject{}
}

// seedOTel is the minimal middleware on the OpenTelemetry API, for what
// the SDK alone costs: extract, start a server span named after the
// route, put it in the request context, set the status, end.
func seedOTel(tr trace.Tracer, prop propagation.TextMapPropagator) gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx := prop.Extract(c.Request.Context(), propagation.HeaderCarrier(c.Request.Header))
		ctx, span := tr.Start(ctx, c.FullPath(), trace.WithSpanKind(trace.SpanKindServer))
		c.Request = c.Request.WithContext(ctx)
		c.Next()
		span.SetAttributes(attribute.Int("http.response.status_code", c.Writer.Status()))
		span.End()
	}
}

// otSubject is the subject for an OpenTracing tracer: children through
// opentracing.StartSpanFromContextWithTracer, inbound context injected by
// tr from a span it started with the given sampling.
func otSubject(tr opentracing.Tracer, mw gin.HandlerFunc, sampled bool, shutdown func(context.Context) error, sink interface{ Load() int64 }) subject {
	return subject{
		mw: mw,
		child: func(ctx context.Context) {
			span, _ := opentracing.StartSpanFromContextWithTracer(ctx, tr, "load-user")
			span.Finish()
		},
		inbound: func(h http.Header) {
			span := tr.StartSpan("caller")
			if !sampled {
				ext.SamplingPriority.Set(span, 0)
			}
			_ = tr.Inject(span.Context(), opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(h))
			span.Finish()
		},
		shutdown: shutdown,
		sink:     sink,
	}
}

// listSubject is ginmw on the list of members, the others opened at rate
// 0 as TRACER_BACKEND opens them.
func listSubject(b *testing.B, cfg tracer.Config, sink interface{ Load() int64 }, members ...tracer.Member) subject {
	inst, err := tracer.Combine(cfg, members...)
	if err != nil {
		b.Fatal(err)
	}
	return otSubject(inst.Tracer, ginmw.Middleware(inst.Tracer), *cfg.SampleRate == 1, inst.Shutdown, sink)
}

// seed is the minimal OpenTracing middleware the comparison is against:
// extract, start a span named after the route, put it in the request
// context, tag the status, finish.
func seed(tr opentracing.Tracer) gin.HandlerFunc {
	return func(c *gin.Context) {
		parent, _ := tr.Extract(opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(c.Request.Header))
		span := tr.StartSpan(c.FullPath(), ext.RPCServerOption(parent))
		c.Request = c.Request.WithContext(opentracing.ContextWithSpan(c.Request.Context(), span))
		c.Next()
		ext.HTTPStatusCode.Set(span, uint16(c.Writer.Status()))
		span.Finish()
	}
}

// otelSubject is otelgin on the SDK: always-on sampler, batch span
// processor to a dropping exporter, W3C trace context.
func otelSubject(mw string) subject {
	sink := &otelSink{}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithSampler(sdktrace.AlwaysSample()),
		sdktrace.WithBatcher(sink),
	)
	prop := propagation.TraceContext{}
	tr := tp.Tracer("bench")
	handler := otelgin.Middleware("bench", otelgin.WithTracerProvider(tp), otelgin.WithPropagators(prop))
	if mw == "seed-otel" {
		handler = seedOTel(tr, prop)
	}
	return subject{
		mw: handler,
		child: func(ctx context.Context) {
			_, span := tr.Start(ctx, "load-user")
			span.End()
		},
		inbound: func(h http.Header) {
			ctx, span := tr.Start(context.Background(), "caller")
			prop.Inject(ctx, propagation.HeaderCarrier(h))
			span.End()
		},
		shutdown: tp.Shutdown,
		sink:     &sink.spans,
	}
}
