package polytrace

import (
	"context"
	"net/http"
	"testing"

	"github.com/opentracing/opentracing-go"
	"go.opentelemetry.io/otel"
	otprop "go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/polytrace/polytrace/tracer"
)

// TestFromEnvInstallsOpenTelemetry: FromEnv makes the tracer's provider
// and propagator OpenTelemetry's globals, so that instrumentation using
// them reports through the selected backend in its wire format, or in
// TRACER_PROPAGATION's.
func TestFromEnvInstallsOpenTelemetry(t *testing.T) {
	prevTP, prevProp := otel.GetTracerProvider(), otel.GetTextMapPropagator()
	defer func() {
		otel.SetTracerProvider(prevTP)
		otel.SetTextMapPropagator(prevProp)
	}()
	tests := []struct {
		backend, propagation string
		header               string // written by the global propagator
		recording            bool
	}{
		{"stdout", "", "X-B3-Traceid", true},
		{"zipkin", "", "X-B3-Traceid", true},
		{"jaeger", "", "Uber-Trace-Id", true},
		{"lightstep", "", "Ot-Tracer-Traceid", true},
		{"otel", "", "Traceparent", true},
		{"jaeger", "tracecontext", "Traceparent", true},
		{"noop", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.backend+"/"+tt.propagation, func(t *testing.T) {
			t.Setenv("TRACER_BACKEND", tt.backend)
			t.Setenv("TRACER_PROPAGATION", tt.propagation)
			t.Setenv("TRACER_FLUSH_TIMEOUT", "1s")
			t.Setenv("LIGHTSTEP_ACCESS_TOKEN", "t")
			t.Setenv("LIGHTSTEP_COLLECTOR_HOST", "127.0.0.1")
			t.Setenv("LIGHTSTEP_COLLECTOR_PORT", "9")
			t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9")
			t.Setenv("ZIPKIN_ENDPOINT", "http://127.0.0.1:9/api/v2/spans")
			t.Setenv("JAEGER_ENDPOINT", "http://127.0.0.1:9/api/traces")
			tr, err := FromEnv()
			if err != nil {
				t.Fatal(err)
			}
			defer tr.Close()
			if otel.GetTracerProvider() != tr.TracerProvider() {
				t.Errorf("global provider is %T, want the tracer's", otel.GetTracerProvider())
			}
			ctx, span := otel.Tracer("test").Start(context.Background(), "op")
			defer span.End()
			if span.IsRecording() != tt.recording {
				t.Errorf("IsRecording = %v, want %v", span.IsRecording(), tt.recording)
			}
			h := http.Header{}
			otel.GetTextMapPropagator().Inject(ctx, otprop.HeaderCarrier(h))
			if tt.header == "" {
				if len(h) != 0 {
					t.Errorf("noop's propagator wrote %v", h)
				}
				return
			}
			if h.Get(tt.header) == "" || len(h) > 5 {
				t.Errorf("the global propagator wrote %v, want %s", h, tt.header)
			}
			// What it writes, the tracer's own Extract reads: one trace.
			sc, err := tr.Extract(opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(h))
			if err != nil {
				t.Fatalf("Extract of %v: %v", h, err)
			}
			child := tr.StartSpan("child", opentracing.ChildOf(sc))
			defer child.Finish()
			_, otChild := tr.TracerProvider().Tracer("test").Start(opentracing.ContextWithSpan(context.Background(), child), "otel-grandchild")
			defer otChild.End()
			if otChild.SpanContext().TraceID() != span.SpanContext().TraceID() {
				t.Errorf("trace %v after a hop, want %v", otChild.SpanContext().TraceID(), span.SpanContext().TraceID())
			}
		})
	}
}

// TestNewInstallsNothing: New leaves OpenTelemetry's globals alone, for
// programs that set up OpenTelemetry themselves.
func TestNewInstallsNothing(t *testing.T) {
	before := otel.GetTracerProvider()
	tr, err := New("stdout", tracer.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	if otel.GetTracerProvider() != before {
		t.Error("New changed OpenTelemetry's global provider")
	}
	if _, ok := tr.TracerProvider().(trace.TracerProvider); !ok || tr.TracerProvider() == nil {
		t.Error("no TracerProvider")
	}
}
