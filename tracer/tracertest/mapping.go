package tracertest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/polytrace/polytrace/propagation"
	"github.com/polytrace/polytrace/tracer"
)

// Exported is a finished span as the backend's receiver got it, in one
// shape for every backend: what a user sees in the collector's UI.
type Exported struct {
	Operation string
	// TraceID, SpanID and ParentID are the span's ids (ParentID zero for
	// a root; TraceID.High zero where the backend's trace ids are 64-bit).
	TraceID          propagation.TraceID
	SpanID, ParentID uint64
	// Start and Finish are the span's times, to the precision the
	// backend's receiver keeps (a microsecond, for most).
	Start, Finish time.Time
	// Tags holds tag and attribute values as text (fmt.Sprint of typed
	// values; arrays as JSON, ["a","b"]), the span kind as span.kind
	// (lower case), and an error status as error=true and
	// otel.status_description, as Jaeger shows them.
	Tags map[string]string
	// Logs holds each log record's (or event's) fields as text; an
	// OpenTelemetry event's name is its field "event".
	Logs []map[string]string
}

// testOpenTelemetryMapping starts a span through the instance's
// OpenTelemetry provider with attributes of every type, a kind, an event,
// a recorded error and an error status, and checks what the backend
// exported: at sample rate 1 all of it, at 0 nothing.
func testOpenTelemetryMapping(t *testing.T, h bound) {
	inst, exported := openRecorded(t, h)
	if inst.TracerProvider == nil {
		t.Fatal("the instance has no TracerProvider")
	}
	sampled := h.cfg.SampleRate == nil || *h.cfg.SampleRate > 0
	_, span := inst.TracerProvider.Tracer("tracertest").Start(context.Background(), "otel-mapping",
		trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("s", "x"), attribute.Int("i", 3), attribute.Float64("f", 1.5),
			attribute.Bool("b", true), attribute.StringSlice("ss", []string{"a", "b"})))
	span.AddEvent("cache miss", trace.WithAttributes(attribute.String("key", "k1")))
	span.RecordError(errors.New("disk full"))
	span.SetStatus(codes.Error, "boom")
	span.End()
	if err := shutdown(t, inst, 10*time.Second); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	var got *Exported
	for _, e := range exported() {
		if strings.EqualFold(e.Operation, "otel-mapping") {
			got = &e
		}
	}
	if !sampled {
		if got != nil {
			t.Errorf("a span of an unsampled trace was exported: %+v", *got)
		}
		return
	}
	if got == nil {
		t.Fatalf("the span did not reach the receiver; it got %+v", exported())
	}
	for k, want := range map[string]string{
		"s": "x", "i": "3", "f": "1.5", "b": "true", "ss": `["a","b"]`,
		"span.kind": "client", "error": "true", "otel.status_description": "boom",
	} {
		if v, ok := got.Tags[k]; !ok || v != want {
			t.Errorf("tag %s = %q (present %v), want %q; all tags %v", k, v, ok, want, got.Tags)
		}
	}
	for _, want := range []string{"cache miss", "k1", "disk full"} {
		if !logHolds(got.Logs, want) {
			t.Errorf("no log field holds %q: %v", want, got.Logs)
		}
	}
}

// logHolds reports whether a field of logs holds text (Zipkin keeps a
// field as the annotation "key:value").
func logHolds(logs []map[string]string, text string) bool {
	for _, l := range logs {
		for k, v := range l {
			if strings.Contains(v, text) || strings.Contains(k, text) {
				return true
			}
		}
	}
	return false
}

// openRecorded opens the harness's recorded instance, skipping t when the
// harness has none.
func openRecorded(t *testing.T, h bound) (*tracer.Instance, func() []Exported) {
	t.Helper()
	if h.h.OpenRecorded == nil {
		t.Skip("the harness has no OpenRecorded")
	}
	return h.h.OpenRecorded(t, h.cfg)
}

// RecordedOpen is the type of Harness.OpenRecorded.
type RecordedOpen func(t *testing.T, cfg tracer.Config) (inst *tracer.Instance, exported func() []Exported)
