package ginmw_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	"github.com/opentracing/opentracing-go/mocktracer"
	"go.uber.org/goleak"

	"github.com/polytrace/polytrace/ginmw"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.TestMode)
	goleak.VerifyTestMain(m)
}

// newEngine returns an engine running mws then the routes every test uses.
func newEngine(mws ...gin.HandlerFunc) *gin.Engine {
	e := gin.New()
	e.Use(mws...)
	e.GET("/users/:id", func(c *gin.Context) { c.String(http.StatusOK, "user") })
	e.POST("/users", func(c *gin.Context) { c.Status(http.StatusCreated) })
	e.GET("/healthz", func(c *gin.Context) { c.Status(http.StatusNoContent) })
	e.Handle("PROPFIND", "/dav/*path", func(c *gin.Context) { c.Status(207) })
	e.GET("/status/:code", func(c *gin.Context) {
		switch c.Param("code") {
		case "400":
			c.Status(http.StatusBadRequest)
		case "404":
			c.Status(http.StatusNotFound)
		case "500":
			c.Status(http.StatusInternalServerError)
		case "503":
			c.Status(http.StatusServiceUnavailable)
		default:
			c.Status(http.StatusOK)
		}
	})
	return e
}

func serve(h http.Handler, method, target string) *httptest.ResponseRecorder {
	return serveReq(h, httptest.NewRequest(method, target, nil))
}

func serveReq(h http.Handler, req *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

// onlySpan returns the single finished span of tr, failing otherwise.
func onlySpan(t *testing.T, tr *mocktracer.MockTracer) *mocktracer.MockSpan {
	t.Helper()
	spans := tr.FinishedSpans()
	if len(spans) != 1 {
		t.Fatalf("finished spans = %d (%v), want 1", len(spans), spans)
	}
	return spans[0]
}

// logFields returns the fields of each log record of s.
func logFields(s *mocktracer.MockSpan) []map[string]string {
	var out []map[string]string
	for _, rec := range s.Logs() {
		m := map[string]string{}
		for _, f := range rec.Fields {
			m[f.Key] = f.ValueString
		}
		out = append(out, m)
	}
	return out
}

func setGlobal(t *testing.T, tr opentracing.Tracer) {
	t.Helper()
	prev := opentracing.GlobalTracer()
	opentracing.SetGlobalTracer(tr)
	t.Cleanup(func() { opentracing.SetGlobalTracer(prev) })
}

func TestNilTracerUsesGlobalTracerPerRequest(t *testing.T) {
	setGlobal(t, opentracing.NoopTracer{})
	e := newEngine(ginmw.Middleware(nil)) // built before any global tracer is set

	if w := serve(e, "GET", "/users/1"); w.Code != http.StatusOK {
		t.Fatalf("with the global no-op tracer: status = %d, want 200", w.Code)
	}

	first := mocktracer.New()
	opentracing.SetGlobalTracer(first)
	serve(e, "GET", "/users/1")
	onlySpan(t, first)

	second := mocktracer.New()
	opentracing.SetGlobalTracer(second)
	serve(e, "GET", "/users/2")
	onlySpan(t, second)
	if n := len(first.FinishedSpans()); n != 1 {
		t.Errorf("first tracer got %d spans after the switch, want still 1", n)
	}
}

func TestParentExtractedFromHeaders(t *testing.T) {
	tr := mocktracer.New()
	parent := tr.StartSpan("client")
	req := httptest.NewRequest("GET", "/users/7", nil)
	if err := tr.Inject(parent.Context(), opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(req.Header)); err != nil {
		t.Fatal(err)
	}

	serveReq(newEngine(ginmw.Middleware(tr)), req)

	got := onlySpan(t, tr)
	pc := parent.Context().(mocktracer.MockSpanContext)
	if got.ParentID != pc.SpanID || got.SpanContext.TraceID != pc.TraceID {
		t.Errorf("span parent=%d trace=%d, want parent=%d trace=%d",
			got.ParentID, got.SpanContext.TraceID, pc.SpanID, pc.TraceID)
	}
}

func TestMissingOrMalformedHeadersStartNewTrace(t *testing.T) {
	tests := []struct {
		name string
		give map[string]string
	}{
		{"none", nil},
		{"malformed trace id", map[string]string{"Mockpfx-Ids-Traceid": "not-a-number", "Mockpfx-Ids-Spanid": "1"}},
		{"malformed sampled", map[string]string{"Mockpfx-Ids-Traceid": "1", "Mockpfx-Ids-Spanid": "2", "Mockpfx-Ids-Sampled": "maybe"}},
		{"span id only", map[string]string{"Mockpfx-Ids-Spanid": "5"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := mocktracer.New()
			req := httptest.NewRequest("GET", "/users/7", nil)
			for k, v := range tt.give {
				req.Header.Set(k, v)
			}
			// Prove the headers really are unusable for this tracer.
			if _, err := tr.Extract(opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(req.Header)); err == nil {
				t.Fatalf("test headers %v are extractable; pick malformed ones", tt.give)
			}

			w := serveReq(newEngine(ginmw.Middleware(tr)), req)

			if w.Code != http.StatusOK {
				t.Errorf("status = %d, want 200", w.Code)
			}
			if s := onlySpan(t, tr); s.ParentID != 0 || s.SpanContext.TraceID == 0 {
				t.Errorf("ParentID = %d, TraceID = %d; want a root span of a new trace", s.ParentID, s.SpanContext.TraceID)
			}
		})
	}
}

func TestSpanName(t *testing.T) {
	tests := []struct {
		giveMethod string
		giveTarget string
		want       string
	}{
		{"GET", "/users/42", "GET /users/:id"},
		{"POST", "/users", "POST /users"},
		{"PROPFIND", "/dav/a/b", "PROPFIND /dav/*path"}, // registered by the program
		{"GET", "/no/such/route", "GET"},
		{"DELETE", "/users/42", "DELETE"}, // path exists, not for this method
		{"OPTIONS", "/x", "OPTIONS"},
		{"PROPFIND", "/wp-admin", "HTTP"},
		{"XYZZY", "/users/1", "HTTP"},
		{"get", "/users/1", "HTTP"}, // methods are case-sensitive
	}
	for _, tt := range tests {
		t.Run(tt.giveMethod+" "+tt.giveTarget, func(t *testing.T) {
			tr := mocktracer.New()
			serve(newEngine(ginmw.Middleware(tr)), tt.giveMethod, tt.giveTarget)
			if got := onlySpan(t, tr).OperationName; got != tt.want {
				t.Errorf("name = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSpanNameStableAcrossRequests(t *testing.T) {
	tr := mocktracer.New()
	e := newEngine(ginmw.Middleware(tr))
	for _, target := range []string{"/users/1", "/users/2", "/users/3"} {
		serve(e, "GET", target)
	}
	for _, s := range tr.FinishedSpans() {
		if s.OperationName != "GET /users/:id" {
			t.Errorf("name = %q, want %q", s.OperationName, "GET /users/:id")
		}
	}
	if n := len(tr.FinishedSpans()); n != 3 {
		t.Errorf("spans = %d, want 3", n)
	}
}

func TestSpanInRequestContext(t *testing.T) {
	tr := mocktracer.New()
	setGlobal(t, tr) // StartSpanFromContext uses the global tracer
	var fromHelper, fromCtx opentracing.Span
	e := gin.New()
	e.Use(ginmw.Middleware(tr))
	e.GET("/users/:id", func(c *gin.Context) {
		fromHelper = ginmw.SpanFromContext(c)
		fromCtx = opentracing.SpanFromContext(c.Request.Context())
		child, _ := opentracing.StartSpanFromContext(c.Request.Context(), "GetUser")
		child.Finish()
	})

	serve(e, "GET", "/users/1")

	spans := tr.FinishedSpans()
	if len(spans) != 2 {
		t.Fatalf("spans = %v, want child and server span", spans)
	}
	child, server := spans[0], spans[1]
	if server.OperationName != "GET /users/:id" || child.OperationName != "GetUser" {
		t.Fatalf("spans = %q, %q", child.OperationName, server.OperationName)
	}
	if child.ParentID != server.SpanContext.SpanID {
		t.Errorf("child's parent = %d, want server span %d", child.ParentID, server.SpanContext.SpanID)
	}
	if fromHelper != opentracing.Span(server) || fromCtx != opentracing.Span(server) {
		t.Errorf("SpanFromContext = %v, context span = %v; want the server span %v", fromHelper, fromCtx, server)
	}
}

type ctxKey struct{}

func TestRequestContextRestoredAfterChain(t *testing.T) {
	tests := []struct {
		name    string
		handler gin.HandlerFunc
	}{
		{"handler keeps request", func(c *gin.Context) {}},
		{"handler replaces request", func(c *gin.Context) {
			c.Request = c.Request.WithContext(context.WithValue(c.Request.Context(), ctxKey{}, "inner"))
		}},
		{"handler panics", func(c *gin.Context) { panic("boom") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := mocktracer.New()
			var before, after context.Context
			var afterSpan opentracing.Span
			e := gin.New()
			e.Use(gin.RecoveryWithWriter(io.Discard), func(c *gin.Context) {
				c.Request = c.Request.WithContext(context.WithValue(c.Request.Context(), ctxKey{}, "outer"))
				before = c.Request.Context()
				defer func() {
					after = c.Request.Context()
					afterSpan = opentracing.SpanFromContext(after)
				}()
				c.Next()
			}, ginmw.Middleware(tr))
			e.GET("/x", tt.handler)

			serve(e, "GET", "/x")

			onlySpan(t, tr)
			if after != before {
				t.Errorf("context after chain = %v, want the original %v", after, before)
			}
			if afterSpan != nil {
				t.Errorf("span still in the context after the chain: %v", afterSpan)
			}
		})
	}
}

func TestSpanFromContextWithoutSpanIsUsableNoop(t *testing.T) {
	tests := []struct {
		name string
		give func() *gin.Context
	}{
		{"nil context", func() *gin.Context { return nil }},
		{"no request", func() *gin.Context { c, _ := gin.CreateTestContext(httptest.NewRecorder()); return c }},
		{"request without span", func() *gin.Context {
			c, _ := gin.CreateTestContext(httptest.NewRecorder())
			c.Request = httptest.NewRequest("GET", "/", nil)
			return c
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			span := ginmw.SpanFromContext(tt.give())
			if span == nil {
				t.Fatal("SpanFromContext = nil, want a no-op span")
			}
			if _, ok := span.Tracer().(opentracing.NoopTracer); !ok {
				t.Errorf("span's tracer = %T, want opentracing.NoopTracer", span.Tracer())
			}
			span.SetTag("k", "v") // must not panic
			span.Finish()
		})
	}
}

func TestSpanFromContextFilteredRequest(t *testing.T) {
	tr := mocktracer.New()
	var got opentracing.Span
	e := gin.New()
	e.Use(ginmw.Middleware(tr, ginmw.WithFilter(func(*http.Request) bool { return false })))
	e.GET("/x", func(c *gin.Context) { got = ginmw.SpanFromContext(c) })
	serve(e, "GET", "/x")
	if got == nil {
		t.Fatal("SpanFromContext = nil, want a no-op span")
	}
	if _, ok := got.(*mocktracer.MockSpan); ok {
		t.Errorf("filtered request has a real span")
	}
}

func TestTags(t *testing.T) {
	tests := []struct {
		name       string
		giveMethod string
		giveTarget string
		giveRemote string
		want       map[string]any
	}{
		{
			name: "matched route", giveMethod: "GET", giveTarget: "http://user:pw@example.com/users/42?token=secret", giveRemote: "203.0.113.9:5555",
			want: map[string]any{
				"span.kind": ext.SpanKindRPCServerEnum, "component": "gin", "http.method": "GET",
				"http.url": "/users/42", "http.route": "/users/:id", "http.status_code": uint16(200),
				"peer.ipv4": "203.0.113.9",
			},
		},
		{
			name: "unmatched route has no http.route", giveMethod: "GET", giveTarget: "/nope?x=1", giveRemote: "[2001:db8::1]:443",
			want: map[string]any{
				"span.kind": ext.SpanKindRPCServerEnum, "component": "gin", "http.method": "GET",
				"http.url": "/nope", "http.status_code": uint16(404), "peer.ipv6": "2001:db8::1",
			},
		},
		{
			name: "unknown method", giveMethod: "BREW", giveTarget: "/pot", giveRemote: "[::ffff:192.0.2.7]:1",
			want: map[string]any{
				"span.kind": ext.SpanKindRPCServerEnum, "component": "gin", "http.method": "_OTHER",
				"http.url": "/pot", "http.status_code": uint16(404), "peer.ipv4": "192.0.2.7",
			},
		},
		{
			name: "escaped path kept escaped", giveMethod: "GET", giveTarget: "/users/a%20b", giveRemote: "@",
			want: map[string]any{
				"span.kind": ext.SpanKindRPCServerEnum, "component": "gin", "http.method": "GET",
				"http.url": "/users/a%20b", "http.route": "/users/:id", "http.status_code": uint16(200),
				"peer.address": "@",
			},
		},
		{
			name: "method registered by the program", giveMethod: "PROPFIND", giveTarget: "/dav/a", giveRemote: "192.0.2.1:1",
			want: map[string]any{
				"span.kind": ext.SpanKindRPCServerEnum, "component": "gin", "http.method": "PROPFIND",
				"http.url": "/dav/a", "http.route": "/dav/*path", "http.status_code": uint16(207),
				"peer.ipv4": "192.0.2.1",
			},
		},
		{
			name: "no remote address", giveMethod: "POST", giveTarget: "/users", giveRemote: "",
			want: map[string]any{
				"span.kind": ext.SpanKindRPCServerEnum, "component": "gin", "http.method": "POST",
				"http.url": "/users", "http.route": "/users", "http.status_code": uint16(201),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := mocktracer.New()
			req := httptest.NewRequest(tt.giveMethod, tt.giveTarget, nil)
			req.RemoteAddr = tt.giveRemote
			serveReq(newEngine(ginmw.Middleware(tr)), req)

			got := onlySpan(t, tr).Tags()
			if len(got) != len(tt.want) {
				t.Errorf("tags = %v, want %v", got, tt.want)
			}
			for k, want := range tt.want {
				if got[k] != want {
					t.Errorf("tag %s = %#v, want %#v", k, got[k], want)
				}
			}
		})
	}
}

func TestErrorTag(t *testing.T) {
	tests := []struct {
		give      string
		wantCode  uint16
		wantError bool
	}{
		{"/status/200", 200, false},
		{"/status/400", 400, false},
		{"/status/404", 404, false},
		{"/nowhere", 404, false},
		{"/status/500", 500, true},
		{"/status/503", 503, true},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			tr := mocktracer.New()
			serve(newEngine(ginmw.Middleware(tr)), "GET", tt.give)
			s := onlySpan(t, tr)
			if got := s.Tag("http.status_code"); got != tt.wantCode {
				t.Errorf("http.status_code = %v, want %d", got, tt.wantCode)
			}
			if got := s.Tag("error") == true; got != tt.wantError {
				t.Errorf("error tag = %v, want %v", s.Tag("error"), tt.wantError)
			}
		})
	}
}

func TestGinErrorsMarkAndLog(t *testing.T) {
	tr := mocktracer.New()
	e := gin.New()
	e.Use(ginmw.Middleware(tr))
	e.GET("/x", func(c *gin.Context) {
		_ = c.Error(errors.New("db down"))
		_ = c.Error(errors.New("cache miss"))
		c.Status(http.StatusOK)
	})

	serve(e, "GET", "/x")

	s := onlySpan(t, tr)
	if s.Tag("error") != true {
		t.Errorf("error tag = %v, want true", s.Tag("error"))
	}
	want := []map[string]string{
		{"event": "error", "message": "db down"},
		{"event": "error", "message": "cache miss"},
	}
	got := logFields(s)
	if len(got) != len(want) {
		t.Fatalf("logs = %v, want %v", got, want)
	}
	for i := range want {
		for k, v := range want[i] {
			if got[i][k] != v {
				t.Errorf("log %d field %s = %q, want %q", i, k, got[i][k], v)
			}
		}
	}
}

func TestPanicWithRecovery(t *testing.T) {
	tests := []struct {
		name       string
		handler    gin.HandlerFunc
		wantStatus uint16
	}{
		{"before writing", func(c *gin.Context) { panic("boom") }, 500},
		// The client got the 202 already: report what was sent.
		{"after writing", func(c *gin.Context) { c.String(http.StatusAccepted, "partial"); panic("boom") }, 202},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := mocktracer.New()
			e := gin.New()
			e.Use(gin.RecoveryWithWriter(io.Discard), ginmw.Middleware(tr))
			e.GET("/panic", tt.handler)

			w := serve(e, "GET", "/panic")

			if tt.wantStatus == 500 && w.Code != http.StatusInternalServerError {
				t.Errorf("response status = %d, want 500 from gin.Recovery", w.Code)
			}
			s := onlySpan(t, tr) // finished
			if s.Tag("error") != true {
				t.Errorf("error tag = %v, want true", s.Tag("error"))
			}
			if got := s.Tag("http.status_code"); got != tt.wantStatus {
				t.Errorf("http.status_code = %v, want %d", got, tt.wantStatus)
			}
			logs := logFields(s)
			if len(logs) != 1 || logs[0]["event"] != "error" || logs[0]["message"] != "boom" || logs[0]["error.kind"] != "panic" {
				t.Errorf("logs = %v, want one error log with message boom", logs)
			}
		})
	}
}

func TestPanicReRaised(t *testing.T) {
	type sentinel struct{ n int }
	give := &sentinel{42}
	var got any
	tr := mocktracer.New()
	e := gin.New()
	e.Use(func(c *gin.Context) {
		defer func() { got = recover() }()
		c.Next()
	}, ginmw.Middleware(tr))
	e.GET("/panic", func(c *gin.Context) { panic(give) })

	serve(e, "GET", "/panic")

	if got != any(give) {
		t.Errorf("outer middleware recovered %v, want the original panic value %v", got, give)
	}
	onlySpan(t, tr)
}

func TestWithFilter(t *testing.T) {
	tr := mocktracer.New()
	ran := 0
	e := gin.New()
	e.Use(ginmw.Middleware(tr, ginmw.WithFilter(func(r *http.Request) bool { return r.URL.Path != "/healthz" })))
	e.GET("/healthz", func(c *gin.Context) { ran++ })
	e.GET("/users/:id", func(c *gin.Context) { ran++ })

	serve(e, "GET", "/healthz")
	if ran != 1 {
		t.Fatalf("filtered handler ran %d times, want 1", ran)
	}
	if n := len(tr.FinishedSpans()); n != 0 {
		t.Fatalf("spans for /healthz = %d, want 0", n)
	}
	serve(e, "GET", "/users/1")
	if s := onlySpan(t, tr); s.OperationName != "GET /users/:id" {
		t.Errorf("name = %q", s.OperationName)
	}
}

func TestWithGinFilter(t *testing.T) {
	tr := mocktracer.New()
	e := newEngine(ginmw.Middleware(tr,
		ginmw.WithGinFilter(func(c *gin.Context) bool { return c.FullPath() != "/healthz" })))

	if w := serve(e, "GET", "/healthz"); w.Code != http.StatusNoContent {
		t.Fatalf("status = %d, want 204 (handler must still run)", w.Code)
	}
	if n := len(tr.FinishedSpans()); n != 0 {
		t.Fatalf("spans for /healthz = %d, want 0", n)
	}
	serve(e, "GET", "/users/1")
	onlySpan(t, tr)
}

func TestFiltersMustAllAccept(t *testing.T) {
	yes := func(*http.Request) bool { return true }
	no := func(*http.Request) bool { return false }
	ginYes := func(*gin.Context) bool { return true }
	ginNo := func(*gin.Context) bool { return false }
	tests := []struct {
		name string
		give []ginmw.Option
		want int
	}{
		{"all accept", []ginmw.Option{ginmw.WithFilter(yes), ginmw.WithGinFilter(ginYes)}, 1},
		{"request filter rejects", []ginmw.Option{ginmw.WithFilter(yes), ginmw.WithFilter(no), ginmw.WithGinFilter(ginYes)}, 0},
		{"gin filter rejects", []ginmw.Option{ginmw.WithFilter(yes), ginmw.WithGinFilter(ginNo)}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := mocktracer.New()
			serve(newEngine(ginmw.Middleware(tr, tt.give...)), "GET", "/users/1")
			if n := len(tr.FinishedSpans()); n != tt.want {
				t.Errorf("spans = %d, want %d", n, tt.want)
			}
		})
	}
}

func TestWithOperationName(t *testing.T) {
	tests := []struct {
		name string
		give func(*gin.Context) string
		want string
	}{
		{"custom", func(c *gin.Context) string { return "api " + c.FullPath() }, "api /users/:id"},
		{"empty falls back", func(*gin.Context) string { return "" }, "GET /users/:id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := mocktracer.New()
			serve(newEngine(ginmw.Middleware(tr, ginmw.WithOperationName(tt.give))), "GET", "/users/1")
			if got := onlySpan(t, tr).OperationName; got != tt.want {
				t.Errorf("name = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestWithSpanObserver(t *testing.T) {
	tr := mocktracer.New()
	var order []string
	var inCtx bool
	e := gin.New()
	e.Use(ginmw.Middleware(tr,
		ginmw.WithSpanObserver(func(s opentracing.Span, c *gin.Context) {
			order = append(order, "first")
			s.SetTag("tenant", c.GetHeader("X-Tenant"))
			inCtx = ginmw.SpanFromContext(c) == s
		}),
		ginmw.WithSpanObserver(func(opentracing.Span, *gin.Context) { order = append(order, "second") }),
	))
	e.GET("/users/:id", func(c *gin.Context) { order = append(order, "handler") })
	req := httptest.NewRequest("GET", "/users/1", nil)
	req.Header.Set("X-Tenant", "acme")

	serveReq(e, req)

	s := onlySpan(t, tr)
	if s.Tag("tenant") != "acme" {
		t.Errorf("tenant tag = %v, want acme", s.Tag("tenant"))
	}
	if got := strings.Join(order, ","); got != "first,second,handler" {
		t.Errorf("order = %s, want first,second,handler", got)
	}
	if !inCtx {
		t.Error("observer: the span is not yet in c.Request's context")
	}
}

func TestWithURLTag(t *testing.T) {
	tests := []struct {
		name string
		give func(*url.URL) string
		want any
	}{
		{"full request URI", func(u *url.URL) string { return u.RequestURI() }, "/users/1?page=2"},
		{"empty means no tag", func(*url.URL) string { return "" }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := mocktracer.New()
			serve(newEngine(ginmw.Middleware(tr, ginmw.WithURLTag(tt.give))), "GET", "/users/1?page=2")
			if got := onlySpan(t, tr).Tag("http.url"); got != tt.want {
				t.Errorf("http.url = %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestNilOptionsIgnored(t *testing.T) {
	tr := mocktracer.New()
	e := newEngine(ginmw.Middleware(tr,
		nil,
		ginmw.WithFilter(nil),
		ginmw.WithGinFilter(nil),
		ginmw.WithOperationName(nil),
		ginmw.WithSpanObserver(nil),
		ginmw.WithURLTag(nil),
	))

	if w := serve(e, "GET", "/users/1?q=secret"); w.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200", w.Code)
	}
	s := onlySpan(t, tr)
	if s.OperationName != "GET /users/:id" || s.Tag("http.url") != "/users/1" {
		t.Errorf("span %q http.url=%v, want defaults", s.OperationName, s.Tag("http.url"))
	}
}

// wrapper is a tracer wrapping another, as polytrace's root Tracer does.
type wrapper struct{ opentracing.Tracer }

func (w wrapper) Unwrap() opentracing.Tracer { return w.Tracer }

// loop unwraps to itself.
type loop struct{ opentracing.NoopTracer }

func (l *loop) Unwrap() opentracing.Tracer { return l }

func TestNoopTracerOnlyCallsNext(t *testing.T) {
	tests := []struct {
		name string
		give opentracing.Tracer
	}{
		{"value", opentracing.NoopTracer{}},
		{"pointer", &opentracing.NoopTracer{}},
		{"wrapped", wrapper{opentracing.NoopTracer{}}},
		{"wrapped twice", wrapper{wrapper{&opentracing.NoopTracer{}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before, inside *http.Request
			observed := false
			e := gin.New()
			e.Use(func(c *gin.Context) { before = c.Request; c.Next() },
				ginmw.Middleware(tt.give, ginmw.WithSpanObserver(func(opentracing.Span, *gin.Context) { observed = true })))
			e.GET("/x", func(c *gin.Context) { inside = c.Request; c.Status(http.StatusTeapot) })

			w := serve(e, "GET", "/x")

			if w.Code != http.StatusTeapot {
				t.Fatalf("status = %d, want 418: handlers must run", w.Code)
			}
			if inside != before {
				t.Error("c.Request was replaced: the middleware did more than c.Next()")
			}
			if observed {
				t.Error("span observer called: a span was started")
			}
		})
	}
}

func TestNoopMiddlewareAllocatesNothing(t *testing.T) {
	tests := []struct {
		name       string
		giveTracer opentracing.Tracer
		giveGlobal opentracing.Tracer
	}{
		{"no-op tracer", opentracing.NoopTracer{}, opentracing.NoopTracer{}},
		{"wrapped no-op tracer", wrapper{&opentracing.NoopTracer{}}, opentracing.NoopTracer{}},
		{"nil tracer, global no-op", nil, opentracing.NoopTracer{}},
		{"nil tracer, global wraps no-op", nil, wrapper{opentracing.NoopTracer{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			setGlobal(t, tt.giveGlobal)
			h := ginmw.Middleware(tt.giveTracer)
			// Called directly on a context with no further handlers, so
			// gin's own pooling (randomized under -race) is out of the count.
			c, _ := gin.CreateTestContext(httptest.NewRecorder())
			c.Request = httptest.NewRequest("GET", "/users/1", nil)
			if n := testing.AllocsPerRun(100, func() { h(c) }); n != 0 {
				t.Errorf("allocations per request = %v, want 0", n)
			}
		})
	}
}

func TestWrappedRealTracerIsTraced(t *testing.T) {
	tr := mocktracer.New()
	serve(newEngine(ginmw.Middleware(wrapper{tr})), "GET", "/users/1")
	onlySpan(t, tr)
}

func TestSelfUnwrappingTracerDoesNotHang(t *testing.T) {
	h := ginmw.Middleware(&loop{})
	if w := serve(newEngine(h), "GET", "/users/1"); w.Code != http.StatusOK {
		t.Errorf("status = %d, want 200", w.Code)
	}
}

func TestMultipartFormHandedBackForCleanup(t *testing.T) {
	tr := mocktracer.New()
	e := gin.New()
	e.MaxMultipartMemory = 1 // force the file to disk
	e.Use(ginmw.Middleware(tr))
	e.POST("/upload", func(c *gin.Context) {
		if _, err := c.FormFile("f"); err != nil {
			c.String(http.StatusBadRequest, err.Error())
		}
	})
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile("f", "a.txt")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fw.Write(bytes.Repeat([]byte("x"), 4096)); err != nil {
		t.Fatal(err)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("POST", "/upload", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())

	w := serveReq(e, req)

	if w.Code != http.StatusOK {
		t.Fatalf("status = %d (%s), want 200", w.Code, w.Body)
	}
	// net/http calls RemoveAll on the form of the request it passed in.
	if req.MultipartForm == nil {
		t.Fatal("parsed multipart form not handed back: its temporary files would leak")
	}
	if err := req.MultipartForm.RemoveAll(); err != nil {
		t.Fatal(err)
	}
}

func TestPanickingHookStillFinishesSpan(t *testing.T) {
	tests := []struct {
		name string
		give ginmw.Option
	}{
		{"url tag", ginmw.WithURLTag(func(*url.URL) string { panic("hook") })},
		{"span observer", ginmw.WithSpanObserver(func(opentracing.Span, *gin.Context) { panic("hook") })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := mocktracer.New()
			e := gin.New()
			e.Use(gin.RecoveryWithWriter(io.Discard), ginmw.Middleware(tr, tt.give))
			e.GET("/x", func(*gin.Context) {})

			if w := serve(e, "GET", "/x"); w.Code != http.StatusInternalServerError {
				t.Errorf("status = %d, want 500", w.Code)
			}
			if s := onlySpan(t, tr); s.Tag("error") != true {
				t.Errorf("error tag = %v, want true", s.Tag("error"))
			}
		})
	}
}
