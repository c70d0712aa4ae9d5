// Package tracelog correlates log lines with traces: it gives the trace
// and span ids of the span in a context, in the string form the span's
// backend shows them in (so they can be pasted into its search box), and
// an slog handler that adds them to every record logged with such a
// context:
//
//	logger := slog.New(tracelog.NewHandler(slog.NewJSONHandler(os.Stderr, nil)))
//	logger.InfoContext(c.Request.Context(), "stock looked up", "sku", sku)
//	// {"time":…,"level":"INFO","msg":"stock looked up","sku":"sku-1","trace_id":"…","span_id":"…"}
//
// The built-in backends register their span contexts from init: jaeger
// (jaeger-client-go's TraceID.String, 16 or 32 hex digits, and 16 for
// spans), zipkin and stdout (Zipkin's model ids: 16 or 32 hex digits),
// lightstep (16 hex digits each) and OpenTelemetry bridge contexts (32 and
// 16 hex digits, recognized without registration). Other tracers register
// with [Register].
package tracelog

import (
	"context"
	"log/slog"
	"sync"

	"github.com/opentracing/opentracing-go"
	"go.opentelemetry.io/otel/trace"
)

// The attribute keys [NewHandler] and [Attrs] use.
const (
	TraceIDKey = "trace_id"
	SpanIDKey  = "span_id"
)

// IDFunc returns the trace and span ids of sc in its backend's string
// form, and ok=false when sc is not a span context of that backend or
// carries no ids.
type IDFunc func(sc opentracing.SpanContext) (traceID, spanID string, ok bool)

var (
	mu    sync.RWMutex
	funcs []IDFunc
)

// Register adds f to the functions [SpanContextIDs] consults, in order of
// registration. Backends call it from init. A nil f is ignored.
func Register(f IDFunc) {
	if f == nil {
		return
	}
	mu.Lock()
	defer mu.Unlock()
	funcs = append(funcs, f)
}

// IDs returns the ids of the span in ctx (opentracing.SpanFromContext), in
// its backend's string form. ok is false when ctx holds no span, or a span
// whose context no registered function recognizes (a no-op span, say).
func IDs(ctx context.Context) (traceID, spanID string, ok bool) {
	if ctx == nil {
		return "", "", false
	}
	span := opentracing.SpanFromContext(ctx)
	if span == nil {
		return "", "", false
	}
	return SpanContextIDs(span.Context())
}

// SpanContextIDs returns the ids of sc in its backend's string form; see
// [IDs].
func SpanContextIDs(sc opentracing.SpanContext) (traceID, spanID string, ok bool) {
	if sc == nil {
		return "", "", false
	}
	mu.RLock()
	fs := funcs
	mu.RUnlock()
	for _, f := range fs {
		if t, s, ok := f(sc); ok {
			return t, s, true
		}
	}
	// The OpenTelemetry bridge's span contexts embed trace.SpanContext.
	if o, isOTel := sc.(otelContext); isOTel && o.IsValid() {
		return o.TraceID().String(), o.SpanID().String(), true
	}
	return "", "", false
}

type otelContext interface {
	IsValid() bool
	TraceID() trace.TraceID
	SpanID() trace.SpanID
}

// Attrs returns the trace_id and span_id attributes of the span in ctx, or
// nil when there is none (see [IDs]), for loggers that add attributes by
// hand: logger.LogAttrs(ctx, slog.LevelInfo, "msg", tracelog.Attrs(ctx)...).
func Attrs(ctx context.Context) []slog.Attr {
	t, s, ok := IDs(ctx)
	if !ok {
		return nil
	}
	return []slog.Attr{slog.String(TraceIDKey, t), slog.String(SpanIDKey, s)}
}

// NewHandler returns a handler that passes every record to h, adding the
// trace_id and span_id attributes when the record's context holds a span
// (see [IDs]); records logged without a context, or with one holding no
// span, pass unchanged. Like any attribute added at that point, they land
// in the group opened by WithGroup, if any. A nil h discards records.
func NewHandler(h slog.Handler) slog.Handler {
	if h == nil {
		h = slog.DiscardHandler
	}
	return handler{inner: h}
}

type handler struct{ inner slog.Handler }

func (h handler) Enabled(ctx context.Context, l slog.Level) bool { return h.inner.Enabled(ctx, l) }

func (h handler) Handle(ctx context.Context, r slog.Record) error {
	if t, s, ok := IDs(ctx); ok {
		r = r.Clone()
		r.AddAttrs(slog.String(TraceIDKey, t), slog.String(SpanIDKey, s))
	}
	return h.inner.Handle(ctx, r)
}

func (h handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return handler{inner: h.inner.WithAttrs(attrs)}
}

func (h handler) WithGroup(name string) slog.Handler {
	return handler{inner: h.inner.WithGroup(name)}
}
