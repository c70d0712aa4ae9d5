package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/polytrace/polytrace/internal/jaegertest"
)

// TestOTLP runs the example with TRACER_BACKEND=otel against Jaeger v2's
// OTLP receivers: over gRPC (gzip, with a header) and over HTTP, with
// protobuf through the base endpoint and JSON through the traces endpoint.
// The trace shape is checked as for every other backend: OpenTracing tags
// come through the OpenTelemetry bridge and OTLP (span.kind as the span's
// kind, which Jaeger shows as the span.kind tag; TRACER_TAGS as resource
// attributes, which Jaeger shows as process tags).
func TestOTLP(t *testing.T) {
	j := jaegertest.Start(t)
	tests := []struct {
		name string
		env  map[string]string
	}{
		{"otlp-grpc", map[string]string{
			"OTEL_EXPORTER_OTLP_PROTOCOL":    "grpc",
			"OTEL_EXPORTER_OTLP_ENDPOINT":    "http://" + j.OTLPGRPCAddr,
			"OTEL_EXPORTER_OTLP_COMPRESSION": "gzip",
			"OTEL_EXPORTER_OTLP_HEADERS":     "x-e2e-key=not%20checked%20by%20jaeger",
		}},
		{"otlp-http-protobuf", map[string]string{
			"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
			"OTEL_EXPORTER_OTLP_ENDPOINT": j.OTLPHTTPURL,
		}},
		{"otlp-http-json", map[string]string{
			"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "http/json",
			"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": j.OTLPHTTPURL + "/v1/traces",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.env["TRACER_BACKEND"] = "otel"
			tt.env["TRACER_TAGS"] = "run=" + tt.name
			runExample(t, tt.env)
			var got []span
			j.WaitForTraces(t, "checkout", func(traces []jaegertest.Trace) bool {
				got = fromJaeger(traces, tt.name)
				return otlpComplete(got)
			}, time.Minute)
			checkTraces(t, got, "checkout", "inventory")
			for _, s := range got {
				// The SDK's resource, and 128-bit trace ids.
				if s.Tags["telemetry.sdk.language"] != "go" || len(s.TraceID) != 32 {
					t.Errorf("%s: want the OpenTelemetry SDK's resource and a 128-bit trace id", s)
				}
			}
			t.Logf("%s: %d spans in %d traces across checkout and inventory, read back from Jaeger's query API", tt.name, len(got), requests)
			for _, s := range got {
				if s.Service == "checkout" && strings.EqualFold(s.Operation, "GET /inventory/:sku") {
					t.Logf("  e.g. %s", s)
					break
				}
			}
		})
	}
}

// otlpComplete reports whether spans hold every span of the example's
// requests: both processes export on their own, so Jaeger may have one's
// before the other's.
func otlpComplete(spans []span) bool {
	n := 0
	for _, s := range spans {
		if s.Service == "inventory" {
			n++
		}
	}
	return len(spans) >= 4*requests && n == 2*requests
}
