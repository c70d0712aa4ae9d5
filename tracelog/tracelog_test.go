package tracelog_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"testing/slogtest"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/mocktracer"
	otbridge "go.opentelemetry.io/otel/bridge/opentracing"
	otelprop "go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/polytrace/polytrace/tracelog"
)

// mocktracer's contexts are registered the way backends register theirs.
func init() {
	tracelog.Register(func(sc opentracing.SpanContext) (string, string, bool) {
		m, ok := sc.(mocktracer.MockSpanContext)
		return fmt.Sprintf("t%d", m.TraceID), fmt.Sprintf("s%d", m.SpanID), ok
	})
	tracelog.Register(nil) // ignored
}

func TestIDs(t *testing.T) {
	mt := mocktracer.New()
	span := mt.StartSpan("op")
	m := span.Context().(mocktracer.MockSpanContext)

	bridge := otbridge.NewBridgeTracer()
	bridge.SetWarningHandler(func(string) {})
	bridge.SetOpenTelemetryTracer(sdktrace.NewTracerProvider().Tracer("test"))
	bridge.SetTextMapPropagator(otelprop.TraceContext{})
	otSpan := bridge.StartSpan("op")
	carrier := opentracing.TextMapCarrier{}
	if err := bridge.Inject(otSpan.Context(), opentracing.TextMap, carrier); err != nil {
		t.Fatal(err)
	}
	// 00-{trace id}-{span id}-01, as OpenTelemetry writes its own ids.
	otTrace, otSpanID := carrier["traceparent"][3:35], carrier["traceparent"][36:52]

	tests := []struct {
		name               string
		ctx                context.Context
		wantTrace, wantSpn string
		wantOK             bool
	}{
		{"registered", opentracing.ContextWithSpan(context.Background(), span), fmt.Sprintf("t%d", m.TraceID), fmt.Sprintf("s%d", m.SpanID), true},
		{"no span", context.Background(), "", "", false},
		{"nil context", nil, "", "", false},
		{"unknown tracer", opentracing.ContextWithSpan(context.Background(), opentracing.NoopTracer{}.StartSpan("x")), "", "", false},
		{"opentelemetry bridge", opentracing.ContextWithSpan(context.Background(), otSpan), otTrace, otSpanID, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			traceID, spanID, ok := tracelog.IDs(tt.ctx)
			if ok != tt.wantOK {
				t.Fatalf("IDs = %q, %q, %v; want ok=%v", traceID, spanID, ok, tt.wantOK)
			}
			if traceID != tt.wantTrace || spanID != tt.wantSpn {
				t.Fatalf("IDs = %q, %q; want %q, %q", traceID, spanID, tt.wantTrace, tt.wantSpn)
			}
		})
	}
	if _, _, ok := tracelog.SpanContextIDs(nil); ok {
		t.Errorf("SpanContextIDs(nil) is ok")
	}
}

func TestAttrs(t *testing.T) {
	span := mocktracer.New().StartSpan("op")
	m := span.Context().(mocktracer.MockSpanContext)
	got := tracelog.Attrs(opentracing.ContextWithSpan(context.Background(), span))
	want := []slog.Attr{slog.String("trace_id", fmt.Sprintf("t%d", m.TraceID)), slog.String("span_id", fmt.Sprintf("s%d", m.SpanID))}
	if len(got) != 2 || !got[0].Equal(want[0]) || !got[1].Equal(want[1]) {
		t.Fatalf("Attrs = %v, want %v", got, want)
	}
	if got := tracelog.Attrs(context.Background()); got != nil {
		t.Fatalf("Attrs without a span = %v, want nil", got)
	}
}

func TestHandler(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(tracelog.NewHandler(slog.NewJSONHandler(&buf, nil))).With("svc", "shop")
	span := mocktracer.New().StartSpan("op")
	m := span.Context().(mocktracer.MockSpanContext)
	ctx := opentracing.ContextWithSpan(context.Background(), span)

	logger.InfoContext(ctx, "with span", "a", 1, "b", 2, "c", 3, "d", 4, "e", 5, "f", 6)
	logger.InfoContext(context.Background(), "without span")
	logger.Info("no context")
	logger.WithGroup("g").InfoContext(ctx, "grouped", "k", "v")

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d lines, want 4:\n%s", len(lines), buf.String())
	}
	decode := func(line string) map[string]any {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	first := decode(lines[0])
	if first["trace_id"] != fmt.Sprintf("t%d", m.TraceID) || first["span_id"] != fmt.Sprintf("s%d", m.SpanID) || first["svc"] != "shop" || first["f"] != 6.0 {
		t.Errorf("line with a span: %s", lines[0])
	}
	for _, l := range lines[1:3] {
		if strings.Contains(l, "trace_id") {
			t.Errorf("line without a span has ids: %s", l)
		}
	}
	if g, _ := decode(lines[3])["g"].(map[string]any); g["trace_id"] != fmt.Sprintf("t%d", m.TraceID) {
		t.Errorf("grouped line: %s", lines[3])
	}
}

// TestHandlerConformance runs the standard library's handler tests through
// the wrapper.
func TestHandlerConformance(t *testing.T) {
	var buf bytes.Buffer
	slogtest.Run(t, func(*testing.T) slog.Handler {
		buf.Reset()
		return tracelog.NewHandler(slog.NewJSONHandler(&buf, nil))
	}, func(t *testing.T) map[string]any {
		var m map[string]any
		if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		return m
	})
}

func TestNilHandlerDiscards(t *testing.T) {
	h := tracelog.NewHandler(nil)
	if h.Enabled(context.Background(), slog.LevelError) {
		t.Fatal("a nil handler is enabled")
	}
	slog.New(h).Error("dropped") // must not panic
}
