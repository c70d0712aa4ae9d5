package traceview

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	"github.com/opentracing/opentracing-go/log"
	"github.com/openzipkin/zipkin-go/model"

	"github.com/polytrace/polytrace/backends/zipkin"

	"github.com/polytrace/polytrace/internal/jaegertest"
	"github.com/polytrace/polytrace/tracer"
)

// markup is what a hostile client puts in a request path, and so in tags.
const markup = `<img src=x onerror="alert(1)"><script>alert(2)</script>`

// sample records, in a store of its own, a checkout trace across two
// services (one failing span with a log) and a slow one, and returns a
// handler mounted at prefix and the failing trace's id.
func sample(t *testing.T, prefix string) (http.Handler, string) {
	t.Helper()
	store := NewStore(DefaultMaxBytes)
	base := time.Now().Add(-time.Minute)
	front, err := zipkin.NewWithReporter(tracer.Config{ServiceName: "checkout", Tags: map[string]string{"env": "test"}}, storeReporter{store})
	if err != nil {
		t.Fatal(err)
	}
	back, err := zipkin.NewWithReporter(tracer.Config{ServiceName: "inventory"}, storeReporter{store})
	if err != nil {
		t.Fatal(err)
	}
	// Explicit times, so that durations do not depend on the machine.
	at := func(d time.Duration) opentracing.StartTime { return opentracing.StartTime(base.Add(d)) }
	finish := func(s opentracing.Span, d time.Duration) {
		s.FinishWithOptions(opentracing.FinishOptions{FinishTime: base.Add(d)})
	}
	root := front.Tracer.StartSpan("GET /checkout/:sku", ext.SpanKindRPCServer, at(0))
	root.SetTag("http.url", "/checkout/"+markup)
	client := front.Tracer.StartSpan("GET /inventory/:sku", opentracing.ChildOf(root.Context()), ext.SpanKindRPCClient, at(time.Millisecond))
	server := back.Tracer.StartSpan("GET /inventory/:sku", ext.RPCServerOption(client.Context()), at(2*time.Millisecond))
	lookup := back.Tracer.StartSpan("lookup-stock", opentracing.ChildOf(server.Context()), at(2200*time.Microsecond))
	lookup.SetTag("sku", markup)
	ext.Error.Set(lookup, true)
	lookup.LogFields(log.String("event", "error"), log.String("message", "inventory unavailable "+markup))
	finish(lookup, 2800*time.Microsecond)
	finish(server, 3*time.Millisecond)
	finish(client, 4*time.Millisecond)
	finish(root, 5*time.Millisecond)
	slow := front.Tracer.StartSpan("GET /slow", at(0))
	finish(slow, 15*time.Millisecond)
	n, _ := front.Converter.ToNeutral(root.Context())
	id := n.TraceID.String()
	flush(t, front)
	flush(t, back)
	return Handler(store, prefix), id
}

// storeReporter adds a zipkin tracer's spans to a store as they finish.
type storeReporter struct{ *Store }

func (r storeReporter) Send(s model.SpanModel) { r.Add(s) }
func (r storeReporter) Close() error           { return nil }

// flush shuts inst down.
func flush(t *testing.T, inst *tracer.Instance) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := inst.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
}

func get(t *testing.T, h http.Handler, path string) (*http.Response, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	resp := rec.Result()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// TestPagesEscapeAndRestrict: values from requests show as text, never
// as markup, and every answer forbids inline script.
func TestPagesEscapeAndRestrict(t *testing.T) {
	h, id := sample(t, "")
	for _, path := range []string{"/", "/search", "/search?service=inventory&status=error", "/trace/" + id, "/api/traces/" + id} {
		resp, body := get(t, h, path)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %s\n%s", path, resp.Status, body)
			continue
		}
		csp := resp.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "default-src 'none'") {
			t.Errorf("GET %s: Content-Security-Policy %q", path, csp)
		}
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: no nosniff", path)
		}
		if strings.Contains(body, "<img") || strings.Contains(body, "<script>alert") {
			t.Errorf("GET %s: markup from a request reached the page unescaped", path)
		}
		if strings.Contains(body, "http-equiv") || strings.Contains(body, " style=") {
			t.Errorf("GET %s: inline style or meta directives, which the policy forbids", path)
		}
	}
	_, page := get(t, h, "/trace/"+id)
	for _, want := range []string{"&lt;img src=x onerror=&#34;alert(1)&#34;&gt;", "inventory unavailable", "lookup-stock", `class="span d3 error"`} {
		if !strings.Contains(page, want) {
			t.Errorf("trace page lacks %q", want)
		}
	}
}

// TestPageContent: the overview lists each operation with its counts and
// links; the trace page nests spans by parent and places their bars in
// time order.
func TestPageContent(t *testing.T) {
	h, id := sample(t, "")
	_, index := get(t, h, "/")
	for _, want := range []string{`data-service="checkout" data-operation="GET /checkout/:sku"`, `data-operation="lookup-stock"`,
		`href="search?operation=lookup-stock&amp;service=inventory&amp;status=error"`, `data-bucket="10ms to 100ms" data-count="1"`} {
		if !strings.Contains(index, want) {
			t.Errorf("overview lacks %q", want)
		}
	}
	_, page := get(t, h, "/trace/"+id)
	order := []string{"checkout</span> GET /checkout/:sku", "checkout</span> GET /inventory/:sku", "inventory</span> GET /inventory/:sku", "inventory</span> lookup-stock"}
	last := -1
	for i, want := range order {
		at := strings.Index(page, want)
		if at < 0 || at < last {
			t.Fatalf("trace page: span %d (%q) at %d, after %d: want parent order", i, want, at, last)
		}
		last = at
	}
	for d := range 4 {
		if !strings.Contains(page, `data-depth="`+string(rune('0'+d))+`"`) {
			t.Errorf("trace page has no span at depth %d", d)
		}
	}
	resp, _ := get(t, h, "/trace/0123456789abcdef")
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown trace: %s, want 404", resp.Status)
	}
	resp, body := get(t, h, "/trace/"+url.PathEscape(markup))
	if resp.StatusCode != http.StatusBadRequest || strings.Contains(body, "<img") {
		t.Errorf("bad trace id: %s, body escaped: %v", resp.Status, !strings.Contains(body, "<img"))
	}
}

// TestAPIMatchesJaeger: the JSON API answers in the shapes Jaeger's query
// API does, decoded by the code the end-to-end tests read Jaeger with.
func TestAPIMatchesJaeger(t *testing.T) {
	h, id := sample(t, "")
	var services []string
	decode(t, h, "/api/services", &services)
	if strings.Join(services, ",") != "checkout,inventory" {
		t.Errorf("services %v", services)
	}
	var ops []string
	decode(t, h, "/api/services/inventory/operations", &ops)
	if strings.Join(ops, ",") != "GET /inventory/:sku,lookup-stock" {
		t.Errorf("operations %v", ops)
	}
	var traces []jaegertest.Trace
	decode(t, h, "/api/traces/"+id, &traces)
	if len(traces) != 1 || len(traces[0].Spans) != 4 {
		t.Fatalf("trace %s: %s", id, jaegertest.Summary(traces))
	}
	tr := traces[0]
	lookup := tr.SpanByOperation("lookup-stock")
	server := tr.SpanByOperation("GET /checkout/:sku")
	if lookup == nil || server == nil || tr.ServiceOf(*lookup) != "inventory" || tr.ServiceOf(*server) != "checkout" {
		t.Fatalf("spans and processes: %s", jaegertest.Summary(traces))
	}
	if v, _ := lookup.Tag("error"); v != "true" {
		t.Errorf("lookup error tag %v", v)
	}
	if v, _ := server.Tag("span.kind"); v != "server" {
		t.Errorf("server span.kind %v", v)
	}
	if v, _ := server.Tag("env"); v != "test" {
		t.Errorf("TRACER_TAGS tag env = %v", v)
	}
	if len(lookup.Logs) != 1 || len(lookup.Logs[0].Fields) != 2 || lookup.Logs[0].Timestamp < lookup.StartTime {
		t.Errorf("lookup logs %+v", lookup.Logs)
	}
	if lookup.ParentSpanID() == "" || server.ParentSpanID() != "" || lookup.TraceID != id || lookup.Duration != 600 {
		t.Errorf("lookup: parent %q trace %s duration %dµs; server parent %q", lookup.ParentSpanID(), lookup.TraceID, lookup.Duration, server.ParentSpanID())
	}

	for _, tt := range []struct {
		query string
		want  int // traces
	}{
		{"service=checkout", 2},
		{"service=checkout&limit=1", 1},
		{"service=checkout&operation=GET+%2Fslow", 1},
		{"service=checkout&minDuration=10ms", 1},
		{"service=checkout&maxDuration=5ms", 1},
		{"service=inventory&tags=" + url.QueryEscape(`{"error":"true"}`), 1},
		{"service=inventory&tag=error:true", 1},
		{"service=inventory&tag=message:" + url.QueryEscape("inventory unavailable "+markup), 1}, // a log field
		{"service=checkout&tags=" + url.QueryEscape(`{"span.kind":"client"}`), 1},
		{"service=checkout&tag=env:prod", 0},
		{"service=checkout&lookback=1h", 2},
		{"service=checkout&start=1&end=2", 0},
		{"service=nobody", 0},
	} {
		var got []jaegertest.Trace
		decode(t, h, "/api/traces?"+tt.query, &got)
		if len(got) != tt.want {
			t.Errorf("/api/traces?%s: %d traces, want %d", tt.query, len(got), tt.want)
		}
	}
	for _, bad := range []string{"/api/traces", "/api/traces?service=a&limit=x", "/api/traces?service=a&minDuration=soon",
		"/api/traces?service=a&tags=notjson", "/api/traces?service=a&tag=novalue", "/api/traces?service=a&minDuration=2s&maxDuration=1s",
		"/api/traces/nothex"} {
		resp, body := get(t, h, bad)
		var env struct {
			Errors []struct {
				Code int    `json:"code"`
				Msg  string `json:"msg"`
			} `json:"errors"`
		}
		if resp.StatusCode != http.StatusBadRequest || json.Unmarshal([]byte(body), &env) != nil || len(env.Errors) != 1 || env.Errors[0].Msg == "" {
			t.Errorf("GET %s: %s %s, want 400 with an error message", bad, resp.Status, body)
		}
	}
	if resp, _ := get(t, h, "/api/traces/00000000000000000000000000000001"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown trace: %s, want 404", resp.Status)
	}
}

func decode(t *testing.T, h http.Handler, path string, dst any) {
	t.Helper()
	resp, body := get(t, h, path)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET %s: %s %s\n%s", path, resp.Status, resp.Header.Get("Content-Type"), body)
	}
	var env struct {
		Data   json.RawMessage `json:"data"`
		Total  *int            `json:"total"`
		Errors []any           `json:"errors"`
	}
	if err := json.Unmarshal([]byte(body), &env); err != nil || env.Total == nil || env.Errors != nil {
		t.Fatalf("GET %s: not Jaeger's envelope: %v\n%s", path, err, body)
	}
	if err := json.Unmarshal(env.Data, dst); err != nil {
		t.Fatalf("GET %s: data: %v\n%s", path, err, body)
	}
}

// TestHandlerUnderPrefix: mounted under a path, the viewer answers there,
// and its pages resolve their links and assets against it.
func TestHandlerUnderPrefix(t *testing.T) {
	h, id := sample(t, "/debug/traces")
	mux := http.NewServeMux()
	mux.Handle("/debug/traces/", h)
	mux.Handle("/debug/traces", h)
	for path, want := range map[string]int{
		"/debug/traces/": 200, "/debug/traces/trace/" + id: 200, "/debug/traces/api/services": 200,
		"/debug/traces/static/app.css": 200, "/debug/traces/static/app.js": 200, "/debug/traces": 301,
		"/debug/traces/static/": 404, "/debug/traces/static/layout.html": 404, "/debug/traces/static/..%2findex.html": 404,
	} {
		resp, body := get(t, mux, path)
		if resp.StatusCode != want {
			t.Errorf("GET %s: %s, want %d\n%.300s", path, resp.Status, want, body)
		}
	}
	_, page := get(t, mux, "/debug/traces/")
	if !strings.Contains(page, `<base href="/debug/traces/">`) {
		t.Error("page has no base at the mount point")
	}
	resp, _ := get(t, mux, "/debug/traces/static/app.js")
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/javascript") {
		t.Errorf("app.js Content-Type %q", ct)
	}
}

// TestHandlerOnGin mounts the viewer on a Gin router, as the README
// shows.
func TestHandlerOnGin(t *testing.T) {
	h, id := sample(t, "/debug/traces")
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.Any("/debug/traces/*any", gin.WrapH(h))
	for _, path := range []string{"/debug/traces/", "/debug/traces/trace/" + id, "/debug/traces/api/traces?service=checkout", "/debug/traces/static/app.css"} {
		if resp, body := get(t, r, path); resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s on Gin: %s\n%.300s", path, resp.Status, body)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{0: "0µs", 850 * time.Microsecond: "850µs", 1234 * time.Microsecond: "1.23ms",
		12300 * time.Microsecond: "12.3ms", 999 * time.Millisecond: "999ms", 1250 * time.Millisecond: "1.25s", 2 * time.Minute: "120s"} {
		if got := formatDuration(d); got != want {
			t.Errorf("formatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}
