package ginmw

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"

	"github.com/gin-gonic/gin"
	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	"github.com/opentracing/opentracing-go/log"
)

// Start options every span gets, converted to interfaces once.
var (
	serverOpt    opentracing.StartSpanOption = ext.SpanKindRPCServer
	componentOpt opentracing.StartSpanOption = opentracing.Tag{Key: string(ext.Component), Value: "gin"}
)

// noopSpan is what SpanFromContext returns for an untraced request.
var noopSpan = opentracing.NoopTracer{}.StartSpan("")

// Middleware returns a Gin middleware that traces each request with tr in a
// server span; see the package documentation for the name, tags and error
// rules. A nil tr means [opentracing.GlobalTracer], looked up per request.
// If tr is a no-op tracer, the returned handler only calls c.Next().
func Middleware(tr opentracing.Tracer, opts ...Option) gin.HandlerFunc {
	if tr != nil && isNoop(tr) {
		return func(c *gin.Context) { c.Next() }
	}
	m := &middleware{tracer: tr, cfg: newConfig(opts)}
	return m.handle
}

// SpanFromContext returns the span [Middleware] started for the request of
// c. It is never nil: for a request without a span (filtered, no-op tracer,
// no middleware, or a nil c) it returns a no-op span whose methods do
// nothing, so handlers can tag it unconditionally. To find out whether
// there is a real span, use opentracing.SpanFromContext(c.Request.Context()).
func SpanFromContext(c *gin.Context) opentracing.Span {
	if c == nil || c.Request == nil {
		return noopSpan
	}
	if span := opentracing.SpanFromContext(c.Request.Context()); span != nil {
		return span
	}
	return noopSpan
}

type middleware struct {
	tracer opentracing.Tracer // nil: the global tracer
	cfg    config
	names  nameCache
}

func (m *middleware) handle(c *gin.Context) {
	tr := m.tracer
	if tr == nil {
		tr = opentracing.GlobalTracer()
		if tr == nil || isNoop(tr) {
			c.Next()
			return
		}
	}
	req := c.Request
	if req == nil || !m.cfg.traced(c) {
		c.Next()
		return
	}

	parent, err := tr.Extract(opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(req.Header))
	if err != nil {
		parent = nil // missing or malformed: start a new trace
	}

	route := c.FullPath()
	var name spanName
	if route != "" {
		name = m.names.get(req.Method, route)
	} else {
		name = unmatchedName(req.Method)
	}
	op := name.op
	if m.cfg.opName != nil {
		if s := m.cfg.opName(c); s != "" {
			op = s
		}
	}

	var buf [5]opentracing.StartSpanOption
	opts := append(buf[:0], serverOpt, componentOpt, name.methodOpt)
	if name.routeOpt != nil {
		opts = append(opts, name.routeOpt)
	}
	if parent != nil {
		opts = append(opts, opentracing.ChildOf(parent))
	}
	span := tr.StartSpan(op, opts...)
	saved := req.Context()
	c.Request = req.WithContext(opentracing.ContextWithSpan(saved, span))
	defer m.finish(c, span, req, saved) // from here on, the span is finished whatever happens

	// Per-request values are set on the span: one allocation each instead
	// of two as start options.
	if req.URL != nil {
		if u := m.cfg.urlTag(req.URL); u != "" {
			ext.HTTPUrl.Set(span, u)
		}
	}
	setPeer(span, req.RemoteAddr)
	for _, observe := range m.cfg.observers {
		observe(span, c)
	}
	c.Next()
}

// finish runs deferred: it restores the request, records the outcome,
// finishes the span and re-raises a panic from the handlers.
func (m *middleware) finish(c *gin.Context, span opentracing.Span, orig *http.Request, saved context.Context) {
	p := recover()
	restoreRequest(c, orig, saved)

	status := c.Writer.Status()
	isErr := status >= http.StatusInternalServerError
	if p != nil {
		// Until the response is committed, a panic means a 500 (gin.Recovery
		// or net/http will see to it); after, the client got what was sent.
		if !c.Writer.Written() {
			status = http.StatusInternalServerError
		}
		isErr = true
		span.LogFields(
			log.String("event", "error"),
			log.String("error.kind", "panic"),
			log.String("message", fmt.Sprint(p)),
		)
	}
	if status > 0 && status <= 0xffff {
		ext.HTTPStatusCode.Set(span, uint16(status))
	}
	for _, e := range c.Errors {
		isErr = true
		span.LogFields(log.String("event", "error"), log.String("message", e.Error()))
	}
	if isErr {
		ext.Error.Set(span, true)
	}
	span.Finish()
	if p != nil {
		panic(p)
	}
}

// restoreRequest puts the original context back on c.Request, keeping any
// request the handlers installed (as otelgin does). A multipart form the
// handlers parsed is handed back to the original request: net/http removes
// the form's temporary files only through the request it passed in.
func restoreRequest(c *gin.Context, orig *http.Request, saved context.Context) {
	cur := c.Request
	if cur == nil || cur == orig {
		c.Request = orig
		return
	}
	if orig.MultipartForm == nil && cur.MultipartForm != nil {
		orig.MultipartForm = cur.MultipartForm
	}
	c.Request = cur.WithContext(saved)
}

// setPeer records the connection's remote address: peer.ipv4 or peer.ipv6
// for an IP, else peer.address with the address as given.
func setPeer(span opentracing.Span, remote string) {
	if remote == "" {
		return
	}
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	ip, err := netip.ParseAddr(host)
	switch {
	case err != nil:
		ext.PeerAddress.Set(span, remote)
	case ip.Is4():
		ext.PeerHostIPv4.SetString(span, host)
	case ip.Is4In6():
		ext.PeerHostIPv4.SetString(span, ip.Unmap().String())
	default:
		ext.PeerHostIPv6.Set(span, host)
	}
}

// unwrapper is implemented by tracers that wrap another one, such as
// polytrace's root Tracer.
type unwrapper interface {
	Unwrap() opentracing.Tracer
}

// maxUnwrap bounds the walk through wrappers, in case one unwraps to itself.
const maxUnwrap = 16

// isNoop reports whether tr is, or wraps, an opentracing.NoopTracer.
func isNoop(tr opentracing.Tracer) bool {
	for range maxUnwrap {
		switch t := tr.(type) {
		case opentracing.NoopTracer, *opentracing.NoopTracer:
			return true
		case unwrapper:
			tr = t.Unwrap()
			if tr == nil {
				return false
			}
		default:
			return false
		}
	}
	return false
}
