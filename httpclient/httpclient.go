package httpclient

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
)

// Errors the transport returns instead of panicking.
var (
	errNilRequest = errors.New("httpclient: nil *http.Request")
	errNilURL     = errors.New("httpclient: request without URL")
	errNoResponse = errors.New("httpclient: the wrapped RoundTripper returned neither a response nor an error")
)

// Option configures [Transport] and [Client].
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	tracer   opentracing.Tracer                    // nil: opentracing.GlobalTracer() per request
	name     func(*http.Request) string            // nil: defaultName
	observer func(opentracing.Span, *http.Request) // nil: none
}

// WithTracer makes the transport start its spans with tr. Without it, or
// with nil, opentracing.GlobalTracer() is looked up at each request.
func WithTracer(tr opentracing.Tracer) Option {
	return optionFunc(func(c *config) { c.tracer = tr })
}

// WithOperationName names each span f(req), req being the caller's
// request. An empty name, or a nil f, means the default: "<METHOD>
// <route>" with a route from [WithRoute], else "HTTP <METHOD>". Avoid names
// holding raw paths or ids: each distinct name is a distinct operation to
// the tracing backend.
func WithOperationName(f func(req *http.Request) string) Option {
	return optionFunc(func(c *config) { c.name = f })
}

// WithSpanObserver calls f with each span and the caller's request once
// the span is started and tagged, before the request is sent, to add tags
// of the caller's own. f must not keep req or modify it.
func WithSpanObserver(f func(span opentracing.Span, req *http.Request)) Option {
	return optionFunc(func(c *config) { c.observer = f })
}

type routeKey struct{}

// WithRoute returns a copy of ctx carrying route, the template of the
// request's path such as "/inventory/:sku": requests made with that
// context get spans named "<METHOD> <route>". Like
// httptrace.WithClientTrace, it is a context helper, not an Option.
func WithRoute(ctx context.Context, route string) context.Context {
	return context.WithValue(ctx, routeKey{}, route)
}

// defaultName is "<METHOD> <route>", or "HTTP <METHOD>" without a route.
func defaultName(req *http.Request) string {
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	if route, _ := req.Context().Value(routeKey{}).(string); route != "" {
		return method + " " + route
	}
	return "HTTP " + method
}

// Transport returns base traced: see the package documentation. A nil
// base means http.DefaultTransport, looked up at each request.
func Transport(base http.RoundTripper, opts ...Option) http.RoundTripper {
	t := &transport{base: base}
	if inner, ok := base.(*transport); ok && inner != nil {
		// Traced already: one span per request, the new options over the
		// old ones.
		t.base, t.cfg = inner.base, inner.cfg
	}
	for _, o := range opts {
		if o != nil {
			o.apply(&t.cfg)
		}
	}
	return t
}

// Client returns a copy of c whose transport is c's traced (see
// [Transport]); c itself is left unchanged. A nil c means a new client
// with http.DefaultTransport traced.
func Client(c *http.Client, opts ...Option) *http.Client {
	if c == nil {
		return &http.Client{Transport: Transport(nil, opts...)}
	}
	cc := *c
	cc.Transport = Transport(c.Transport, opts...)
	return &cc
}

// transport is the traced http.RoundTripper.
type transport struct {
	base http.RoundTripper // nil: http.DefaultTransport
	cfg  config
}

var componentTag = opentracing.Tag{Key: string(ext.Component), Value: "net/http"}

func (t *transport) baseTransport() http.RoundTripper {
	if t.base != nil {
		return t.base
	}
	return http.DefaultTransport
}

// RoundTrip implements http.RoundTripper.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req == nil {
		return nil, errNilRequest
	}
	if req.URL == nil {
		if req.Body != nil {
			_ = req.Body.Close()
		}
		return nil, errNilURL
	}
	ctx := req.Context()
	tr := t.cfg.tracer
	if tr == nil {
		tr = opentracing.GlobalTracer()
	}
	name := ""
	if t.cfg.name != nil {
		name = t.cfg.name(req)
	}
	if name == "" {
		name = defaultName(req)
	}
	opts := []opentracing.StartSpanOption{ext.SpanKindRPCClient, componentTag}
	if parent := opentracing.SpanFromContext(ctx); parent != nil {
		opts = append(opts, opentracing.ChildOf(parent.Context()))
	}
	span := tr.StartSpan(name, opts...)
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	ext.HTTPMethod.Set(span, method)
	ext.HTTPUrl.Set(span, cleanURL(req.URL))
	if host := req.URL.Hostname(); host != "" {
		ext.PeerHostname.Set(span, host)
	}
	if port := peerPort(req.URL); port != 0 {
		ext.PeerPort.Set(span, port)
	}
	if t.cfg.observer != nil {
		t.cfg.observer(span, req)
	}

	// The caller's request is never modified: a copy carries the span in
	// its context and the injected headers.
	out := req.WithContext(opentracing.ContextWithSpan(ctx, span))
	out.Header = req.Header.Clone()
	if out.Header == nil {
		out.Header = http.Header{}
	}
	if err := tr.Inject(span.Context(), opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(out.Header)); err != nil {
		span.LogKV("event", "inject failed", "message", err.Error())
	}

	resp, err := t.baseTransport().RoundTrip(out)
	if err != nil {
		fail(span, req.URL, err)
		span.Finish()
		return resp, err
	}
	if resp == nil {
		fail(span, req.URL, errNoResponse)
		span.Finish()
		return nil, errNoResponse
	}
	ext.HTTPStatusCode.Set(span, uint16(resp.StatusCode))
	if resp.StatusCode >= http.StatusInternalServerError {
		ext.Error.Set(span, true)
	}
	switch resp.Body {
	case nil, http.NoBody:
		if resp.Body == nil {
			resp.Body = http.NoBody // as the RoundTripper contract promises callers
		}
		span.Finish()
	default:
		resp.Body = wrapBody(resp.Body, span, req.URL)
	}
	return resp, nil
}

// CloseIdleConnections closes the idle connections of the wrapped
// transport, if it has such a method.
func (t *transport) CloseIdleConnections() {
	if c, ok := t.baseTransport().(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// fail marks span as failed with err's message, secrets removed.
func fail(span opentracing.Span, u *url.URL, err error) {
	ext.Error.Set(span, true)
	span.LogKV("event", "error", "message", redact(err, u))
}

// redact returns err's message without u's query string and user
// information, wherever they appear in it.
func redact(err error, u *url.URL) string {
	msg := err.Error()
	var ue *url.Error
	if errors.As(err, &ue) && ue.URL != "" {
		if pu, perr := url.Parse(ue.URL); perr == nil {
			msg = strings.ReplaceAll(msg, ue.URL, cleanURL(pu))
		} else {
			msg = strings.ReplaceAll(msg, ue.URL, "[redacted URL]")
		}
	}
	if u != nil {
		if u.RawQuery != "" {
			msg = strings.ReplaceAll(msg, u.RawQuery, "[redacted]")
		}
		if u.User != nil {
			if p, ok := u.User.Password(); ok && p != "" {
				msg = strings.ReplaceAll(msg, p, "[redacted]")
			}
			if s := u.User.String(); s != "" {
				msg = strings.ReplaceAll(msg, s, "[redacted]")
			}
		}
	}
	return msg
}

// cleanURL returns u's scheme, host and path: no user information, query
// or fragment.
func cleanURL(u *url.URL) string {
	c := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, RawPath: u.RawPath}
	if u.Opaque != "" && u.Host == "" {
		c.Opaque = strings.SplitN(u.Opaque, "?", 2)[0]
	}
	return c.String()
}

// peerPort returns u's port, or the scheme's default; 0 if unknown.
func peerPort(u *url.URL) uint16 {
	if p := u.Port(); p != "" {
		n, err := strconv.ParseUint(p, 10, 16)
		if err != nil {
			return 0
		}
		return uint16(n)
	}
	switch strings.ToLower(u.Scheme) {
	case "http":
		return 80
	case "https":
		return 443
	}
	return 0
}

// body finishes its span, once, when it is read to its end, fails, or is
// closed.
type body struct {
	rc   io.ReadCloser
	span opentracing.Span
	u    *url.URL
	once sync.Once
}

// writableBody is a body whose underlying body is writable too, as
// net/http's is for 101 Switching Protocols responses.
type writableBody struct {
	*body
	w io.Writer
}

func (b writableBody) Write(p []byte) (int, error) { return b.w.Write(p) }

func wrapBody(rc io.ReadCloser, span opentracing.Span, u *url.URL) io.ReadCloser {
	b := &body{rc: rc, span: span, u: u}
	if w, ok := rc.(io.Writer); ok {
		return writableBody{body: b, w: w}
	}
	return b
}

func (b *body) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	switch {
	case err == io.EOF:
		b.finish(nil)
	case err != nil:
		b.finish(err)
	}
	return n, err
}

func (b *body) Close() error {
	err := b.rc.Close()
	b.finish(nil)
	return err
}

func (b *body) finish(err error) {
	b.once.Do(func() {
		if err != nil {
			fail(b.span, b.u, err)
		}
		b.span.Finish()
	})
}
