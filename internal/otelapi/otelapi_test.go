package otelapi

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/mocktracer"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/polytrace/polytrace/internal/mockconv"
)

// recording is mocktracer that also keeps each span's references.
type recording struct {
	*mocktracer.MockTracer
	refs map[string][]opentracing.SpanReference
}

func (r *recording) StartSpan(name string, opts ...opentracing.StartSpanOption) opentracing.Span {
	var so opentracing.StartSpanOptions
	for _, o := range opts {
		o.Apply(&so)
	}
	r.refs[name] = so.References
	return r.MockTracer.StartSpan(name, opts...)
}

func TestMapping(t *testing.T) {
	at := time.Unix(1700000000, 0)
	remote := trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{15: 7}, SpanID: trace.SpanID{7: 9}, Remote: true})
	tests := []struct {
		name     string
		opts     []trace.SpanStartOption
		do       func(trace.Span)
		end      []trace.SpanEndOption
		wantName string
		tags     map[string]interface{}
		logs     []map[string]interface{}
		refs     int // FollowsFrom references
		start    time.Time
		finish   time.Time
	}{
		{name: "attributes of every type", opts: []trace.SpanStartOption{trace.WithAttributes(
			attribute.Bool("b", true), attribute.Int("i", 3), attribute.Float64("f", 1.5), attribute.String("s", "x"),
			attribute.StringSlice("ss", []string{"a", "b"}), attribute.Int64Slice("is", []int64{1, 2}))},
			tags: map[string]interface{}{"b": true, "i": int64(3), "f": 1.5, "s": "x", "ss": `["a","b"]`, "is": "[1,2]"}},
		{name: "server kind", opts: []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindServer)}, tags: map[string]interface{}{"span.kind": "server"}},
		{name: "client kind", opts: []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindClient)}, tags: map[string]interface{}{"span.kind": "client"}},
		{name: "producer kind", opts: []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindProducer)}, tags: map[string]interface{}{"span.kind": "producer"}},
		{name: "consumer kind", opts: []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindConsumer)}, tags: map[string]interface{}{"span.kind": "consumer"}},
		{name: "internal kind sets none", opts: []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindInternal)}, tags: map[string]interface{}{}},
		{name: "error status", do: func(s trace.Span) { s.SetStatus(codes.Error, "boom") },
			tags: map[string]interface{}{"error": true, "otel.status_code": "ERROR", "otel.status_description": "boom"}},
		{name: "ok status", do: func(s trace.Span) { s.SetStatus(codes.Ok, "ignored") }, tags: map[string]interface{}{"otel.status_code": "OK"}},
		{name: "set attributes and name", do: func(s trace.Span) { s.SetAttributes(attribute.Int("n", 1)); s.SetName("renamed") },
			wantName: "renamed", tags: map[string]interface{}{"n": int64(1)}},
		{name: "event", do: func(s trace.Span) {
			s.AddEvent("cache miss", trace.WithAttributes(attribute.String("key", "k")), trace.WithTimestamp(at))
		},
			logs: []map[string]interface{}{{"event": "cache miss", "key": "k"}}},
		{name: "recorded error", do: func(s trace.Span) { s.RecordError(errors.New("disk full")) },
			logs: []map[string]interface{}{{"event": "error", "error.object": "disk full", "error.kind": "*errors.errorString"}}},
		{name: "nil error records nothing", do: func(s trace.Span) { s.RecordError(nil) }},
		{name: "links", opts: []trace.SpanStartOption{trace.WithLinks(trace.Link{SpanContext: remote})}, refs: 1},
		{name: "times", opts: []trace.SpanStartOption{trace.WithTimestamp(at)}, end: []trace.SpanEndOption{trace.WithTimestamp(at.Add(time.Second))},
			start: at, finish: at.Add(time.Second)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mock := mocktracer.New()
			rec := &recording{MockTracer: mock, refs: map[string][]opentracing.SpanReference{}}
			p := NewProvider(rec, mockconv.Converter{})
			_, s := p.Tracer("lib", trace.WithInstrumentationVersion("1.2")).Start(context.Background(), "op", tt.opts...)
			if tt.do != nil {
				tt.do(s)
			}
			s.End(tt.end...)
			s.End() // a second End does nothing
			spans := mock.FinishedSpans()
			if len(spans) != 1 {
				t.Fatalf("%d spans finished, want 1", len(spans))
			}
			got := spans[0]
			want := tt.wantName
			if want == "" {
				want = "op"
			}
			if got.OperationName != want {
				t.Errorf("name %q, want %q", got.OperationName, want)
			}
			tags := got.Tags()
			if tags["otel.scope.name"] != "lib" || tags["otel.scope.version"] != "1.2" {
				t.Errorf("scope tags %v", tags)
			}
			for k, v := range tt.tags {
				if tags[k] != v {
					t.Errorf("tag %s = %#v, want %#v (all: %v)", k, tags[k], v, tags)
				}
			}
			if len(tags) != len(tt.tags)+2 {
				t.Errorf("tags %v, want %v and the scope's", tags, tt.tags)
			}
			logs := got.Logs()
			if len(logs) != len(tt.logs) {
				t.Fatalf("logs %v, want %v", logs, tt.logs)
			}
			for i, l := range logs {
				if len(l.Fields) != len(tt.logs[i]) {
					t.Errorf("log %d has fields %v, want %v", i, l.Fields, tt.logs[i])
				}
				for _, f := range l.Fields {
					if want := tt.logs[i][f.Key]; f.ValueString != want && f.ValueString != toString(want) {
						t.Errorf("log %d field %s = %q, want %v", i, f.Key, f.ValueString, want)
					}
				}
				if tt.name == "event" && !l.Timestamp.Equal(at) {
					t.Errorf("event at %v, want %v", l.Timestamp, at)
				}
			}
			refs := rec.refs["op"]
			if len(refs) != tt.refs {
				t.Errorf("references %v, want %d", refs, tt.refs)
			}
			for _, r := range refs {
				if c, ok := r.ReferencedContext.(mocktracer.MockSpanContext); r.Type != opentracing.FollowsFromRef || !ok || c.TraceID != 7 || c.SpanID != 9 {
					t.Errorf("reference %+v, want FollowsFrom the link's context (trace 7, span 9)", r)
				}
			}
			if !tt.start.IsZero() && (!got.StartTime.Equal(tt.start) || !got.FinishTime.Equal(tt.finish)) {
				t.Errorf("times %v–%v, want %v–%v", got.StartTime, got.FinishTime, tt.start, tt.finish)
			}
			if s.IsRecording() {
				t.Error("IsRecording after End")
			}
		})
	}
}

func toString(v interface{}) string {
	if s, ok := v.(string); ok {
		return s
	}
	return ""
}

// TestNesting: the parent of a span is the innermost span of either API
// in the context, and the returned context serves both APIs.
func TestNesting(t *testing.T) {
	mock := mocktracer.New()
	p := NewProvider(mock, mockconv.Converter{})
	otel := p.Tracer("lib")

	a := mock.StartSpan("a")
	ctx := opentracing.ContextWithSpan(context.Background(), a)
	ctx, b := otel.Start(ctx, "b")
	c, ctx := opentracing.StartSpanFromContextWithTracer(ctx, mock, "c")
	_, d := otel.Start(ctx, "d")
	_, root := otel.Start(ctx, "root", trace.WithNewRoot())
	remoteCtx := trace.ContextWithRemoteSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{15: 5}, SpanID: trace.SpanID{7: 6}, TraceFlags: trace.FlagsSampled, Remote: true}))
	_, e := otel.Start(remoteCtx, "e")
	for _, s := range []trace.Span{b, d, root, e} {
		s.End()
	}
	c.Finish()
	a.Finish()

	byName := map[string]*mocktracer.MockSpan{}
	for _, s := range mock.FinishedSpans() {
		byName[s.OperationName] = s
	}
	parentOf := map[string]string{"b": "a", "c": "b", "d": "c"}
	for child, parent := range parentOf {
		if byName[child].ParentID != byName[parent].SpanContext.SpanID || byName[child].SpanContext.TraceID != byName["a"].SpanContext.TraceID {
			t.Errorf("%s: parent %d in trace %d, want %s (%d) in trace %d", child, byName[child].ParentID, byName[child].SpanContext.TraceID,
				parent, byName[parent].SpanContext.SpanID, byName["a"].SpanContext.TraceID)
		}
	}
	if byName["root"].ParentID != 0 {
		t.Errorf("WithNewRoot span has parent %d", byName["root"].ParentID)
	}
	if byName["e"].ParentID != 6 || byName["e"].SpanContext.TraceID != 5 {
		t.Errorf("child of a remote parent: parent %d trace %d, want 6 and 5", byName["e"].ParentID, byName["e"].SpanContext.TraceID)
	}
	if sc := b.SpanContext(); !sc.IsValid() || sc.IsRemote() || sc.SpanID() != (trace.SpanID{7: byte(byName["b"].SpanContext.SpanID)}) {
		t.Errorf("SpanContext %v, want b's ids, local", sc)
	}
	if b.TracerProvider() != trace.TracerProvider(p) {
		t.Error("TracerProvider is not the provider")
	}
	if ot := b.(*span).ot; ot.(*mocktracer.MockSpan).OperationName != "b" {
		t.Errorf("the OpenTracing span of b is %v", ot)
	}
}

type ctxKey struct{}

// hookTracer is mocktracer with a hook for contexts of its spans.
type hookTracer struct {
	*mocktracer.MockTracer
	hooked int
}

func (h *hookTracer) StartSpan(name string, opts ...opentracing.StartSpanOption) opentracing.Span {
	return &hookSpan{h.MockTracer.StartSpan(name, opts...), h}
}

type hookSpan struct {
	opentracing.Span
	tr *hookTracer
}

func (s *hookSpan) Tracer() opentracing.Tracer { return s.tr }

func (h *hookTracer) ContextWithSpanHook(ctx context.Context, _ opentracing.Span) context.Context {
	h.hooked++
	return ctx
}

// TestContext: the context Start returns is its parent's, with the span
// under both APIs' keys, and goes through a tracer's own context hook.
func TestContext(t *testing.T) {
	if !contextKeysOK {
		t.Fatal("the context keys of opentracing-go and OpenTelemetry were not found: Start falls back to two context values per span")
	}
	mock := mocktracer.New()
	otel := NewProvider(mock, mockconv.Converter{}).Tracer("lib")
	deadline := time.Now().Add(time.Hour)
	parent, cancel := context.WithDeadline(context.WithValue(context.Background(), ctxKey{}, "v"), deadline)
	ctx, s := otel.Start(parent, "op")
	defer s.End()
	if trace.SpanFromContext(ctx) != s {
		t.Error("trace.SpanFromContext is not the span")
	}
	if ot := s.(*span).ot; opentracing.SpanFromContext(ctx) != ot {
		t.Error("opentracing.SpanFromContext is not the span")
	}
	if d, ok := ctx.Deadline(); !ok || !d.Equal(deadline) {
		t.Errorf("Deadline = %v, %v, want the parent's %v", d, ok, deadline)
	}
	if ctx.Value(ctxKey{}) != "v" {
		t.Errorf("Value = %v, want the parent's v", ctx.Value(ctxKey{}))
	}
	child, stop := context.WithCancel(ctx)
	defer stop()
	cancel()
	<-ctx.Done()
	<-child.Done()
	if ctx.Err() != context.Canceled || child.Err() != context.Canceled {
		t.Errorf("Err = %v, child's %v, want both canceled with the parent", ctx.Err(), child.Err())
	}

	hook := &hookTracer{MockTracer: mocktracer.New()}
	ctx, s = NewProvider(hook, mockconv.Converter{}).Tracer("lib").Start(context.Background(), "op")
	s.End()
	if hook.hooked != 1 {
		t.Errorf("the tracer's ContextWithSpanHook ran %d times, want 1", hook.hooked)
	}
	if ot := s.(*span).ot; opentracing.SpanFromContext(ctx) != ot || trace.SpanFromContext(ctx) != s {
		t.Error("with a hook: the context lacks the span")
	}
}
