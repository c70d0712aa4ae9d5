package otel_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/opentracing/opentracing-go"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/polytrace/polytrace/backends/otel"
	"github.com/polytrace/polytrace/tracer"
)

func Example() {
	// A stand-in for an OTLP/HTTP receiver (an OpenTelemetry Collector or
	// Jaeger v2) that prints the spans it gets.
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var req coltracepb.ExportTraceServiceRequest
		if err := proto.Unmarshal(body, &req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		for _, rs := range req.ResourceSpans {
			service := ""
			for _, kv := range rs.Resource.Attributes {
				if kv.Key == "service.name" {
					service = kv.Value.GetStringValue()
				}
			}
			for _, ss := range rs.ScopeSpans {
				for _, s := range ss.Spans {
					fmt.Println(r.URL.Path, service, s.Name, s.Kind, r.Header.Get("Api-Key") != "")
				}
			}
		}
	}))
	defer collector.Close()

	inst, err := otel.Open(tracer.Config{
		ServiceName: "checkout",
		Lookup: tracer.MapLookup(map[string]string{
			otel.EnvEndpoint: collector.URL, // spans go to /v1/traces
			otel.EnvHeaders:  "api-key=s3cret",
		}),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	span := inst.Tracer.StartSpan("charge", opentracing.Tag{Key: "span.kind", Value: "client"})
	span.Finish()

	// Shutdown exports what is still queued.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := inst.Shutdown(ctx); err != nil {
		fmt.Println(err)
	}
	// Output: /v1/traces checkout charge SPAN_KIND_CLIENT true
}

func ExampleTracerProvider() {
	// With a sample rate of 0, nothing is exported: this example needs no
	// collector. Unsampled spans still carry their trace's identity.
	inst, err := otel.New(tracer.Config{ServiceName: "billing", SampleRate: tracer.Rate(0)}, otel.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer inst.Shutdown(context.Background())

	// OpenTelemetry instrumentation given this provider (or a program
	// calling otel.SetTracerProvider with it) nests with OpenTracing code.
	tp, _ := otel.TracerProvider(inst.Tracer)
	ctx, otelSpan := tp.Tracer("example").Start(context.Background(), "render")
	otSpan, _ := opentracing.StartSpanFromContextWithTracer(ctx, inst.Tracer, "invoice")

	parent := otelSpan.SpanContext()
	child, _ := otel.SpanContext(otSpan.Context())
	fmt.Println("same trace:", child.TraceID() == parent.TraceID())
	otSpan.Finish()
	otelSpan.End()
	// Output: same trace: true
}

func ExampleOptionsFromConfig() {
	_, err := otel.OptionsFromConfig(tracer.Config{
		Lookup: tracer.MapLookup(map[string]string{otel.EnvHeaders: "api-key=s3cret,team"}),
	})
	fmt.Println(err)
	// Output: otel: OTEL_EXPORTER_OTLP_HEADERS=[redacted]: want comma-separated key=value pairs with percent-encoded values (entry 2 has no '=')
}
