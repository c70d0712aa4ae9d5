package bench

import (
	"context"
	"sync/atomic"

	"github.com/lightstep/lightstep-tracer-common/golang/gogo/collectorpb"
	"github.com/openzipkin/zipkin-go/model"
	jaegerclient "github.com/uber/jaeger-client-go"
	"go.opentelemetry.io/otel/sdk/trace"

	"github.com/polytrace/polytrace/tracer"
)

// The in-process sinks the vendor reporters are pointed at, so that no
// network is timed while the reporters' own queues and goroutines still
// run. Each counts what it received, so a benchmark can check that spans
// did flow (a benchmark that measures nothing should fail).

// jaegerSink is a jaeger-client-go Transport (a sender behind the client's
// RemoteReporter queue) that drops every span.
type jaegerSink struct{ spans atomic.Int64 }

func (s *jaegerSink) Append(*jaegerclient.Span) (int, error) { s.spans.Add(1); return 0, nil }
func (s *jaegerSink) Flush() (int, error)                    { return 0, nil }
func (s *jaegerSink) Close() error                           { return nil }

// lightstepSink is a lightstep-tracer-go Collector (the client's
// CustomCollector) that drops every report after the client has built it.
type lightstepSink struct{ spans atomic.Int64 }

func (s *lightstepSink) Report(_ context.Context, req *collectorpb.ReportRequest) (*collectorpb.ReportResponse, error) {
	s.spans.Add(int64(len(req.Spans)))
	return &collectorpb.ReportResponse{}, nil
}

// otelSink is an OpenTelemetry SDK exporter behind the batch span
// processor that drops every span.
type otelSink struct{ spans atomic.Int64 }

func (s *otelSink) ExportSpans(_ context.Context, spans []trace.ReadOnlySpan) error {
	s.spans.Add(int64(len(spans)))
	return nil
}

func (s *otelSink) Shutdown(context.Context) error { return nil }

// zipkinSink is a zipkin-go reporter that drops every span.
type zipkinSink struct{ spans atomic.Int64 }

func (s *zipkinSink) Send(model.SpanModel) { s.spans.Add(1) }
func (s *zipkinSink) Close() error         { return nil }

// lineSink is a writer for the stdout backend that drops every line.
type lineSink struct{ lines atomic.Int64 }

func (s *lineSink) Write(p []byte) (int, error) { s.lines.Add(1); return len(p), nil }

// exported counts the spans a backend's Stats says it exported (the ui
// backend's store is its sink).
type exported func() tracer.Stats

func (e exported) Load() int64 { return e().SpansExported }

// bothSinks counts the spans that reached every sink of a list of
// backends: the fewest any got.
type bothSinks []interface{ Load() int64 }

func (b bothSinks) Load() int64 {
	n := b[0].Load()
	for _, s := range b[1:] {
		n = min(n, s.Load())
	}
	return n
}
