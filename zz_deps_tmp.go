package polytrace

// Temporary: keeps modules needed by packages being written in go.mod.
import (
	_ "go.opentelemetry.io/otel"
	_ "go.opentelemetry.io/otel/bridge/opentracing"
	_ "go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	_ "go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	_ "go.opentelemetry.io/otel/sdk/trace"
	_ "go.opentelemetry.io/otel/trace"
)
