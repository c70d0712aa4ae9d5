package tracertest

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/polytrace/polytrace/tracer"
)

// Benchmark runs the suite's benchmarks as sub-benchmarks of b, for the
// backend whose tracers open builds from cfg (its service name and sample
// rate, to which the backend adds its own settings; spans should go
// somewhere cheap, such as a discarding reporter). Every backend runs the
// same ones, so that
//
//	go test -run - -bench Conformance ./backends/...
//
// shows them side by side. Each runs at sample rate 1 (sampled: the
// vendor's spans) and 0 (unsampled: light spans):
//
//   - root: start and finish a span with no parent;
//   - child: a span of a remote parent, with the tags a server span gets;
//   - inject, extract: the native format, in HTTP headers;
//   - request: what an inbound request costs the Gin middleware (extract,
//     a server span with its tags, a status tag, finish);
//   - child-ot, child-otel: a child of a span in a Go context, with three
//     tags, through OpenTracing (opentracing.StartSpanFromContext) and
//     through the instance's OpenTelemetry TracerProvider: the two APIs'
//     cost for the same span.
func Benchmark(b *testing.B, open func(b *testing.B, cfg tracer.Config) *tracer.Instance) {
	for _, rate := range []struct {
		name string
		rate float64
	}{{"sampled", 1}, {"unsampled", 0}} {
		b.Run(rate.name, func(b *testing.B) {
			inst := open(b, tracer.Config{ServiceName: "bench", SampleRate: tracer.Rate(rate.rate)})
			b.Cleanup(func() { _ = shutdown(b, inst, 10*time.Second) })
			benchmarks(b, inst.Tracer)
			if inst.TracerProvider != nil {
				benchOTel(b, inst)
			}
		})
	}
}

func benchmarks(b *testing.B, tr opentracing.Tracer) {
	remote := tr.StartSpan("upstream")
	defer remote.Finish()
	headers := http.Header{}
	if err := tr.Inject(remote.Context(), opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(headers)); err != nil {
		b.Fatalf("Inject: %v", err)
	}
	headers.Set("User-Agent", "bench")
	headers.Set("Accept", "*/*")
	parent, err := tr.Extract(opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(headers))
	if err != nil {
		b.Fatalf("Extract of %v: %v", headers, err)
	}
	serverTags := opentracing.Tags{"http.method": "GET", "http.url": "/items/:id", "component": "gin"}

	b.Run("root", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			tr.StartSpan("root").Finish()
		}
	})
	b.Run("child", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			tr.StartSpan("child", ext.RPCServerOption(parent), serverTags).Finish()
		}
	})
	b.Run("inject", func(b *testing.B) {
		b.ReportAllocs()
		sc := remote.Context()
		for b.Loop() {
			h := make(http.Header, 4)
			if err := tr.Inject(sc, opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(h)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("extract", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := tr.Extract(opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(headers)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("request", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sc, _ := tr.Extract(opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(headers))
			span := tr.StartSpan("GET /items/:id", ext.RPCServerOption(sc), serverTags)
			span.SetTag("http.status_code", uint16(200))
			span.Finish()
		}
	})
}

func benchOTel(b *testing.B, inst *tracer.Instance) {
	tr := inst.Tracer
	parent := tr.StartSpan("parent")
	defer parent.Finish()
	ctx := opentracing.ContextWithSpan(context.Background(), parent)
	b.Run("child-ot", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			span, _ := opentracing.StartSpanFromContextWithTracer(ctx, tr, "child",
				opentracing.Tags{"db.system": "postgresql", "db.operation": "SELECT", "rows": 3})
			span.Finish()
		}
	})
	otel := inst.TracerProvider.Tracer("tracertest")
	attrs := trace.WithAttributes(attribute.String("db.system", "postgresql"), attribute.String("db.operation", "SELECT"), attribute.Int("rows", 3))
	b.Run("child-otel", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, span := otel.Start(ctx, "child", attrs)
			span.End()
		}
	})
}
