package otel

import (
	"context"
	"sync"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/polytrace/polytrace/tracer"
)

// namesExporter keeps the names of the spans it exports (tracetest's
// in-memory exporter forgets them on Shutdown).
type namesExporter struct {
	mu    sync.Mutex
	names []string
}

func (e *namesExporter) ExportSpans(_ context.Context, spans []sdktrace.ReadOnlySpan) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, s := range spans {
		e.names = append(e.names, s.Name())
	}
	return nil
}

func (e *namesExporter) Shutdown(context.Context) error { return nil }

func TestOptionsExporter(t *testing.T) {
	// Options.Exporter takes the OTLP exporter's place: the spans reach it,
	// Stats count them, and the transport settings are not used (an
	// endpoint nothing listens on costs no failure).
	exp := &namesExporter{}
	inst, err := New(tracer.Config{ServiceName: "svc"}, Options{Exporter: exp, Endpoint: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	if inst.Ping != nil {
		t.Error("an instance with its own exporter has a Ping for the unused endpoint")
	}
	inst.Tracer.StartSpan("one").Finish()
	inst.Tracer.StartSpan("two").Finish()
	if err := inst.Shutdown(context.Background()); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	exp.mu.Lock()
	names := exp.names
	exp.mu.Unlock()
	if len(names) != 2 || names[0] != "one" || names[1] != "two" {
		t.Errorf("exporter got %v, want [one two]", names)
	}
	if st := inst.Stats(); st.SpansExported != 2 || st.ExportErrors != 0 {
		t.Errorf("Stats = %v, want 2 exported and no error", st)
	}
}
