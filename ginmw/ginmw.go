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

	"github.com/polytrace/polytrace/internal/sampling"
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

	parent := m.cfg.extract(tr, req.Header) // nil: start a new trace

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

	// A new trace takes the route's options as they are, shared by every
	// request (tracers only read them); a child needs its own slice.
	opts := name.opts
	if parent != nil {
		opts = make([]opentracing.StartSpanOption, len(name.opts), len(name.opts)+1)
		copy(opts, name.opts)
		opts = append(opts, opentracing.ChildOf(parent))
	}
	span := tr.StartSpan(op, opts...)
	saved := req.Context()
	ours := req.WithContext(opentracing.ContextWithSpan(saved, span))
	c.Request = ours
	defer m.finish(c, span, req, ours, saved) // from here on, the span is finished whatever happens

	// Per-request values are set on the span (one allocation each instead
	// of two as start options), and only when it is recorded: a backend
	// would drop them from an unsampled span anyway. Observers and
	// handlers may still decide to sample it (sampling.priority): it then
	// gets them after the handlers.
	tagged := sampling.Recorded(span)
	if tagged {
		m.tagRequest(span, req)
	}
	for _, observe := range m.cfg.observers {
		observe(span, c)
	}
	c.Next()
	if !tagged && sampling.Recorded(span) {
		m.tagRequest(span, req)
	}
}

// tagRequest sets the tags that come from the request itself: URL and
// peer address.
func (m *middleware) tagRequest(span opentracing.Span, req *http.Request) {
	if req.URL != nil {
		if u := m.cfg.urlTag(req.URL); u != "" {
			ext.HTTPUrl.Set(span, u)
		}
	}
	setPeer(span, req.RemoteAddr)
}

// finish runs deferred: it restores the request, records the outcome,
// finishes the span and re-raises a panic from the handlers.
func (m *middleware) finish(c *gin.Context, span opentracing.Span, orig, ours *http.Request, saved context.Context) {
	p := recover()
	restoreRequest(c, orig, ours, saved)

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
	if len(c.Errors) > 0 {
		isErr = true
	}
	if sampling.Recorded(span) {
		setStatus(span, status)
		for _, e := range c.Errors {
			span.LogFields(log.String("event", "error"), log.String("message", e.Error()))
		}
		if isErr {
			ext.Error.Set(span, true)
		}
	}
	span.Finish()
	if p != nil {
		panic(p)
	}
}

// setStatus tags the response status, from a table of boxed values for
// the usual codes: boxing a uint16 above 255 would allocate.
func setStatus(span opentracing.Span, status int) {
	switch {
	case status > 0 && status < len(boxedStatus):
		span.SetTag(string(ext.HTTPStatusCode), boxedStatus[status])
	case status > 0 && status <= 0xffff:
		ext.HTTPStatusCode.Set(span, uint16(status))
	}
}

var boxedStatus = func() (b [600]interface{}) {
	for i := range b {
		b[i] = uint16(i)
	}
	return b
}()

// restoreRequest puts the original request back in c (ours is the one the
// middleware installed), or, if the handlers installed a request of their
// own, keeps it with the original context (as otelgin does). A multipart
// form the handlers parsed is handed back to the original request:
// net/http removes the form's temporary files only through the request it
// passed in.
func restoreRequest(c *gin.Context, orig, ours *http.Request, saved context.Context) {
	cur := c.Request
	if cur == ours {
		// The handlers kept the middleware's request, and may have changed
		// it in place: parsed its forms, wrapped its body. Carry that over
		// to the original rather than allocate a copy of ours.
		orig.Form, orig.PostForm, orig.Body = ours.Form, ours.PostForm, ours.Body
		if ours.MultipartForm != nil {
			orig.MultipartForm = ours.MultipartForm
		}
		c.Request = orig
		return
	}
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
