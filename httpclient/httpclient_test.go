package httpclient

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	"github.com/opentracing/opentracing-go/mocktracer"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// server answers /status/N with status N and a body, and records the
// trace headers it receives.
type server struct {
	*httptest.Server
	mu      sync.Mutex
	headers []http.Header
}

func newServer(t *testing.T) *server {
	t.Helper()
	s := &server{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.headers = append(s.headers, r.Header.Clone())
		s.mu.Unlock()
		code := http.StatusOK
		if strings.HasPrefix(r.URL.Path, "/status/") {
			code, _ = strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/status/"))
		}
		w.WriteHeader(code)
		if r.Method != http.MethodHead && code != http.StatusNoContent {
			fmt.Fprint(w, "hello")
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *server) lastHeader() http.Header {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.headers[len(s.headers)-1]
}

// base returns a transport of the test's own, whose idle connections are
// closed when the test ends.
func base(t *testing.T) *http.Transport {
	t.Helper()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	return tr
}

// roundTripFunc is an http.RoundTripper from a function.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func get(t *testing.T, c *http.Client, ctx context.Context, u string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func drain(t *testing.T, resp *http.Response) {
	t.Helper()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}

func onlySpan(t *testing.T, tr *mocktracer.MockTracer, name string) *mocktracer.MockSpan {
	t.Helper()
	var found []*mocktracer.MockSpan
	for _, s := range tr.FinishedSpans() {
		if s.OperationName == name {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d finished spans named %q (all: %v)", len(found), name, tr.FinishedSpans())
	}
	return found[0]
}

func TestChildSpanAndTags(t *testing.T) {
	srv := newServer(t)
	tr := mocktracer.New()
	c := Client(&http.Client{Transport: base(t)}, WithTracer(tr))
	parent := tr.StartSpan("parent")
	ctx := WithRoute(opentracing.ContextWithSpan(context.Background(), parent), "/items/:id")
	u, _ := url.Parse(srv.URL)
	u.User = url.UserPassword("bob", "pa55word")
	u.Path, u.RawQuery, u.Fragment = "/items/42", "token=hunter2", "frag"
	drain(t, get(t, c, ctx, u.String()))
	parent.Finish()

	span := onlySpan(t, tr, "GET /items/:id")
	if span.ParentID != parent.(*mocktracer.MockSpan).SpanContext.SpanID {
		t.Errorf("client span's parent %d, want %d", span.ParentID, parent.(*mocktracer.MockSpan).SpanContext.SpanID)
	}
	port, _ := strconv.Atoi(u.Port())
	want := map[string]interface{}{
		"span.kind":        ext.SpanKindRPCClientEnum,
		"component":        "net/http",
		"http.method":      "GET",
		"http.url":         srv.URL + "/items/42",
		"peer.hostname":    "127.0.0.1",
		"peer.port":        uint16(port),
		"http.status_code": uint16(200),
	}
	if got := span.Tags(); !reflect.DeepEqual(got, want) {
		t.Errorf("tags\n %v, want\n %v", got, want)
	}
	if len(span.Logs()) != 0 {
		t.Errorf("logs %v", span.Logs())
	}
	h := srv.lastHeader()
	if h.Get("Mockpfx-Ids-Spanid") != strconv.Itoa(span.SpanContext.SpanID) || h.Get("Mockpfx-Ids-Traceid") != strconv.Itoa(span.SpanContext.TraceID) {
		t.Errorf("server got trace headers %v, want the client span's ids %+v", h, span.SpanContext)
	}
	if h.Get("Authorization") == "" {
		t.Error("the URL's user information was not sent as basic auth: the request was altered")
	}
}

func TestCallerRequestUntouched(t *testing.T) {
	srv := newServer(t)
	tr := mocktracer.New()
	c := Client(&http.Client{Transport: base(t)}, WithTracer(tr))
	parent := tr.StartSpan("parent")
	ctx := opentracing.ContextWithSpan(context.Background(), parent)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/x?q=1", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Caller", "1")
	before := req.Header.Clone()
	urlBefore := *req.URL
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	drain(t, resp)
	if !reflect.DeepEqual(req.Header, before) {
		t.Errorf("caller's headers changed: %v, were %v", req.Header, before)
	}
	if *req.URL != urlBefore || req.Context() != ctx {
		t.Errorf("caller's URL or context changed")
	}
	if srv.lastHeader().Get("X-Caller") != "1" || srv.lastHeader().Get("Mockpfx-Ids-Traceid") == "" {
		t.Errorf("server got %v, want the caller's header and the trace headers", srv.lastHeader())
	}
	// A request without headers at all.
	req2 := &http.Request{Method: http.MethodGet, URL: mustParse(t, srv.URL)}
	resp2, err := Transport(base(t), WithTracer(tr)).RoundTrip(req2)
	if err != nil {
		t.Fatal(err)
	}
	drain(t, resp2)
	if req2.Header != nil {
		t.Errorf("caller's nil Header became %v", req2.Header)
	}
}

func mustParse(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestStatusAndErrors(t *testing.T) {
	srv := newServer(t)
	tests := []struct {
		name      string
		path      string
		wantError bool
	}{
		{"ok", "/status/200", false},
		{"not found is not an error", "/status/404", false},
		{"server error", "/status/503", true},
		{"internal error", "/status/500", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := mocktracer.New()
			c := Client(&http.Client{Transport: base(t)}, WithTracer(tr))
			resp := get(t, c, context.Background(), srv.URL+tt.path)
			drain(t, resp)
			span := onlySpan(t, tr, "HTTP GET")
			code, _ := strconv.Atoi(strings.TrimPrefix(tt.path, "/status/"))
			if span.Tag("http.status_code") != uint16(code) {
				t.Errorf("status tag %v, want %d", span.Tag("http.status_code"), code)
			}
			if got := span.Tag("error") == true; got != tt.wantError {
				t.Errorf("error tag %v, want %v", span.Tag("error"), tt.wantError)
			}
		})
	}
}

func TestTransportError(t *testing.T) {
	boom := errors.New("dial tcp: connection refused")
	tests := []struct {
		name string
		rt   http.RoundTripper
		url  string
		want error
	}{
		{name: "base error", url: "http://u:pa55word@example.invalid/p?token=hunter2",
			rt: roundTripFunc(func(r *http.Request) (*http.Response, error) {
				return nil, &url.Error{Op: "Get", URL: r.URL.String(), Err: boom}
			}), want: boom},
		{name: "base error quoting the URL", url: "http://example.invalid/p?token=hunter2",
			rt: roundTripFunc(func(r *http.Request) (*http.Response, error) {
				return nil, fmt.Errorf("cannot reach %s", r.URL)
			})},
		{name: "no response and no error", url: "http://example.invalid/",
			rt: roundTripFunc(func(*http.Request) (*http.Response, error) { return nil, nil }), want: errNoResponse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := mocktracer.New()
			req, _ := http.NewRequest(http.MethodGet, tt.url, nil)
			resp, err := Transport(tt.rt, WithTracer(tr)).RoundTrip(req)
			if err == nil || resp != nil || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Fatalf("RoundTrip = %v, %v; want nil and %v", resp, err, tt.want)
			}
			span := onlySpan(t, tr, "HTTP GET")
			if span.Tag("error") != true {
				t.Errorf("error tag %v", span.Tag("error"))
			}
			logged := fmt.Sprint(span.Logs())
			if !strings.Contains(logged, "message") || strings.Contains(logged, "hunter2") || strings.Contains(logged, "pa55word") {
				t.Errorf("span logs %s: want the error message without secrets", logged)
			}
			if strings.Contains(fmt.Sprint(span.Tags()), "hunter2") {
				t.Errorf("tags show the query: %v", span.Tags())
			}
		})
	}
}

// TestFinish checks that the span finishes exactly once, whatever the
// caller does with the response.
func TestFinish(t *testing.T) {
	srv := newServer(t)
	truncated := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100")
		w.WriteHeader(http.StatusOK)
		fmt.Fprint(w, "short")
		// The handler returns with 95 bytes missing: the client's read
		// fails with an unexpected EOF.
	}))
	defer truncated.Close()
	tests := []struct {
		name      string
		url       string
		method    string
		use       func(t *testing.T, resp *http.Response)
		wantError bool
	}{
		{name: "close unread", url: srv.URL, use: func(t *testing.T, r *http.Response) { r.Body.Close() }},
		{name: "read to EOF, no close", url: srv.URL, use: func(t *testing.T, r *http.Response) {
			if b, err := io.ReadAll(r.Body); err != nil || string(b) != "hello" {
				t.Errorf("body %q, %v", b, err)
			}
		}},
		{name: "read, close, read, close again", url: srv.URL, use: func(t *testing.T, r *http.Response) {
			_, _ = io.ReadAll(r.Body)
			r.Body.Close()
			_, _ = r.Body.Read(make([]byte, 1))
			r.Body.Close()
		}},
		{name: "read error", url: truncated.URL, wantError: true, use: func(t *testing.T, r *http.Response) {
			if _, err := io.ReadAll(r.Body); err == nil {
				t.Error("reading a truncated body succeeded")
			}
			r.Body.Close()
		}},
		{name: "no body: HEAD", url: srv.URL, method: http.MethodHead, use: func(t *testing.T, r *http.Response) {}},
		{name: "no body: 204", url: srv.URL + "/status/204", use: func(t *testing.T, r *http.Response) {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := mocktracer.New()
			c := Client(&http.Client{Transport: base(t)}, WithTracer(tr))
			method := tt.method
			if method == "" {
				method = http.MethodGet
			}
			req, _ := http.NewRequest(method, tt.url, nil)
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			tt.use(t, resp)
			spans := tr.FinishedSpans()
			if len(spans) != 1 {
				t.Fatalf("%d spans finished, want exactly 1", len(spans))
			}
			if got := spans[0].Tag("error") == true; got != tt.wantError {
				t.Errorf("error tag %v, want %v (logs %v)", spans[0].Tag("error"), tt.wantError, spans[0].Logs())
			}
		})
	}
}

func TestNotFinishedBeforeBodyDone(t *testing.T) {
	srv := newServer(t)
	tr := mocktracer.New()
	c := Client(&http.Client{Transport: base(t)}, WithTracer(tr))
	resp := get(t, c, context.Background(), srv.URL)
	if n := len(tr.FinishedSpans()); n != 0 {
		t.Errorf("%d spans finished before the body was read", n)
	}
	resp.Body.Close()
	if n := len(tr.FinishedSpans()); n != 1 {
		t.Errorf("%d spans finished after Close, want 1", n)
	}
}

func TestNilBodyFromBase(t *testing.T) {
	tr := mocktracer.New()
	rt := Transport(roundTripFunc(func(*http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: http.StatusOK}, nil
	}), WithTracer(tr))
	req, _ := http.NewRequest(http.MethodGet, "http://example.invalid/", nil)
	resp, err := rt.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Body != http.NoBody {
		t.Errorf("body %v, want http.NoBody", resp.Body)
	}
	if n := len(tr.FinishedSpans()); n != 1 {
		t.Errorf("%d spans finished, want 1", n)
	}
}

func TestNoSpanInContext(t *testing.T) {
	srv := newServer(t)
	tr := mocktracer.New()
	c := Client(&http.Client{Transport: base(t)}, WithTracer(tr))
	drain(t, get(t, c, context.Background(), srv.URL+"/items/42"))
	span := onlySpan(t, tr, "HTTP GET")
	if span.ParentID != 0 {
		t.Errorf("parent %d, want a root span", span.ParentID)
	}
	if srv.lastHeader().Get("Mockpfx-Ids-Traceid") != strconv.Itoa(span.SpanContext.TraceID) {
		t.Errorf("trace headers %v", srv.lastHeader())
	}
}

func TestNilSafety(t *testing.T) {
	tr := mocktracer.New()
	rt := Transport(nil, WithTracer(tr), nil)
	if resp, err := rt.RoundTrip(nil); err != errNilRequest || resp != nil {
		t.Errorf("RoundTrip(nil) = %v, %v", resp, err)
	}
	closed := &closeRecorder{Reader: strings.NewReader("x")}
	if resp, err := rt.RoundTrip(&http.Request{Method: http.MethodPost, Body: closed}); err != errNilURL || resp != nil || !closed.closed {
		t.Errorf("RoundTrip without URL = %v, %v; body closed %v", resp, err, closed.closed)
	}
	if n := len(tr.FinishedSpans()); n != 0 {
		t.Errorf("%d spans for requests that were never sent", n)
	}
	// Client(nil) and a nil base: http.DefaultTransport.
	srv := newServer(t)
	defer http.DefaultTransport.(*http.Transport).CloseIdleConnections()
	c := Client(nil, WithTracer(tr))
	drain(t, get(t, c, context.Background(), srv.URL))
	if n := len(tr.FinishedSpans()); n != 1 {
		t.Errorf("%d spans through the default transport, want 1", n)
	}
}

type closeRecorder struct {
	io.Reader
	closed bool
}

func (c *closeRecorder) Close() error { c.closed = true; return nil }

func TestGlobalTracerPerRequest(t *testing.T) {
	old := opentracing.GlobalTracer()
	t.Cleanup(func() { opentracing.SetGlobalTracer(old) })
	srv := newServer(t)
	c := Client(&http.Client{Transport: base(t)}) // built before any global tracer is set
	a, b := mocktracer.New(), mocktracer.New()
	opentracing.SetGlobalTracer(a)
	drain(t, get(t, c, context.Background(), srv.URL))
	opentracing.SetGlobalTracer(b)
	drain(t, get(t, c, context.Background(), srv.URL))
	if len(a.FinishedSpans()) != 1 || len(b.FinishedSpans()) != 1 {
		t.Errorf("spans: %d with the first global tracer, %d with the second; want 1 and 1", len(a.FinishedSpans()), len(b.FinishedSpans()))
	}
}

func TestOptions(t *testing.T) {
	srv := newServer(t)
	tests := []struct {
		name     string
		opts     []Option
		ctx      context.Context
		method   string
		wantName string
		wantTag  string
	}{
		{name: "default", wantName: "HTTP GET"},
		{name: "route", ctx: WithRoute(context.Background(), "/items/:id"), method: http.MethodPost, wantName: "POST /items/:id"},
		{name: "empty route", ctx: WithRoute(context.Background(), ""), wantName: "HTTP GET"},
		{name: "custom name", opts: []Option{WithOperationName(func(r *http.Request) string { return "fetch " + r.URL.Host })},
			wantName: "fetch " + strings.TrimPrefix(srv.URL, "http://")},
		{name: "custom name empty falls back", opts: []Option{WithOperationName(func(*http.Request) string { return "" })}, wantName: "HTTP GET"},
		{name: "nil name func", opts: []Option{WithOperationName(nil)}, wantName: "HTTP GET"},
		{name: "observer", opts: []Option{WithSpanObserver(func(s opentracing.Span, r *http.Request) { s.SetTag("tenant", r.Header.Get("X-Tenant")) })},
			wantName: "HTTP GET", wantTag: "acme"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := mocktracer.New()
			c := Client(&http.Client{Transport: base(t)}, append([]Option{WithTracer(tr)}, tt.opts...)...)
			ctx := tt.ctx
			if ctx == nil {
				ctx = context.Background()
			}
			method := tt.method
			if method == "" {
				method = http.MethodGet
			}
			req, _ := http.NewRequestWithContext(ctx, method, srv.URL+"/items/42", nil)
			req.Header.Set("X-Tenant", "acme")
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			drain(t, resp)
			span := onlySpan(t, tr, tt.wantName)
			if tt.wantTag != "" && span.Tag("tenant") != tt.wantTag {
				t.Errorf("observer tag %v", span.Tag("tenant"))
			}
		})
	}
}

func TestClientCopy(t *testing.T) {
	rt := base(t)
	orig := &http.Client{Transport: rt, Timeout: 7}
	c := Client(orig, WithTracer(mocktracer.New()))
	if c == orig || orig.Transport != rt || c.Timeout != 7 {
		t.Errorf("Client changed the original or lost its settings: %+v / %+v", orig, c)
	}
	if _, ok := c.Transport.(*transport); !ok {
		t.Errorf("copy's transport %T", c.Transport)
	}
	// CloseIdleConnections reaches the wrapped transport.
	rec := &idleRecorder{}
	Client(&http.Client{Transport: rec}).CloseIdleConnections()
	if !rec.closed {
		t.Error("CloseIdleConnections did not reach the wrapped transport")
	}
}

type idleRecorder struct {
	http.RoundTripper
	closed bool
}

func (r *idleRecorder) CloseIdleConnections() { r.closed = true }

func TestWrapTwice(t *testing.T) {
	srv := newServer(t)
	a := mocktracer.New()
	once := Client(&http.Client{Transport: base(t)}, WithTracer(a))
	twice := Client(once, WithOperationName(func(*http.Request) string { return "named" }))
	drain(t, get(t, twice, context.Background(), srv.URL))
	if spans := a.FinishedSpans(); len(spans) != 1 || spans[0].OperationName != "named" {
		t.Errorf("spans %v, want one named span from the first tracer", spans)
	}
}

// TestUpgradeBodyWritable checks that a 101 Switching Protocols body stays
// writable through the wrapper, as net/http makes it.
func TestUpgradeBodyWritable(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close()
		fmt.Fprint(brw, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n")
		brw.Flush()
		line, _ := bufio.NewReader(conn).ReadString('\n')
		fmt.Fprint(conn, "echo: "+line)
	}))
	defer srv.Close()
	tr := mocktracer.New()
	c := Client(&http.Client{Transport: base(t)}, WithTracer(tr))
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "echo")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	rw, ok := resp.Body.(io.ReadWriteCloser)
	if !ok {
		t.Fatalf("upgraded body %T is not writable", resp.Body)
	}
	fmt.Fprint(rw, "ping\n")
	got, _ := bufio.NewReader(rw).ReadString('\n')
	rw.Close()
	if got != "echo: ping\n" {
		t.Errorf("echo %q", got)
	}
	if n := len(tr.FinishedSpans()); n != 1 {
		t.Errorf("%d spans finished, want 1", n)
	}
}

// TestConcurrent sends requests from many goroutines, each under its own
// parent, through one client (run with -race).
func TestConcurrent(t *testing.T) {
	srv := newServer(t)
	tr := mocktracer.New()
	c := Client(&http.Client{Transport: base(t)}, WithTracer(tr))
	const n = 40
	var wg sync.WaitGroup
	parents := make([]*mocktracer.MockSpan, n)
	for i := 0; i < n; i++ {
		parents[i] = tr.StartSpan("parent-" + strconv.Itoa(i)).(*mocktracer.MockSpan)
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			ctx := WithRoute(opentracing.ContextWithSpan(context.Background(), parents[i]), "/r/"+strconv.Itoa(i))
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
			resp, err := c.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}(i)
	}
	wg.Wait()
	for i, p := range parents {
		s := onlySpan(t, tr, "GET /r/"+strconv.Itoa(i))
		if s.ParentID != p.SpanContext.SpanID {
			t.Errorf("span %d: parent %d, want %d", i, s.ParentID, p.SpanContext.SpanID)
		}
	}
}

// TestInjectFailureLogged uses a tracer whose Inject fails: the request
// still goes out, and the span says why it carries no trace headers.
func TestInjectFailureLogged(t *testing.T) {
	srv := newServer(t)
	tr := failingInject{mocktracer.New()}
	c := Client(&http.Client{Transport: base(t)}, WithTracer(tr))
	drain(t, get(t, c, context.Background(), srv.URL))
	span := onlySpan(t, tr.MockTracer, "HTTP GET")
	var events []string
	for _, rec := range span.Logs() {
		for _, f := range rec.Fields {
			events = append(events, f.Key+"="+f.ValueString)
		}
	}
	if !reflect.DeepEqual(events, []string{"event=inject failed", "message=" + opentracing.ErrUnsupportedFormat.Error()}) {
		t.Errorf("span logs %v", events)
	}
}

type failingInject struct{ *mocktracer.MockTracer }

func (failingInject) Inject(opentracing.SpanContext, interface{}, interface{}) error {
	return opentracing.ErrUnsupportedFormat
}
