// Package ginmw traces Gin requests with an OpenTracing tracer.
//
// [Middleware] starts one server span per request and finishes it when the
// rest of the handler chain returns (or panics):
//
//	r := gin.New()
//	r.Use(ginmw.Middleware(tracer))
//	r.GET("/users/:id", func(c *gin.Context) {
//		span, ctx := opentracing.StartSpanFromContext(c.Request.Context(), "GetUser")
//		defer span.Finish()
//		// ... use ctx ...
//	})
//
// # The request's context, and Gin's
//
// The span is in the request's context: c.Request.Context(). With Gin's
// default engine (gin.Engine.ContextWithFallback false), the *gin.Context
// itself does not reach it, so opentracing.StartSpanFromContext(c, ...)
// and an OpenTelemetry tracer's Start(c, ...) find no parent and silently
// begin new traces. Pass c.Request.Context(), or set
//
//	r.ContextWithFallback = true
//
// on the engine, after which c works as the context too.
//
// # Tracer
//
// A nil tracer means [opentracing.GlobalTracer], looked up on every request,
// so the global tracer may be installed after the middleware. When the
// tracer is an [opentracing.NoopTracer] (value or pointer), or a wrapper
// whose Unwrap() opentracing.Tracer method leads to one, the middleware
// only calls c.Next(): no span, no allocation, options not consulted. An
// explicit tracer is checked once, when Middleware is called; the global
// tracer on each request.
//
// # Parent span
//
// The parent span context is extracted from the request headers in the
// [opentracing.HTTPHeaders] format before the span starts. Missing or
// malformed headers start a new trace; they never fail the request.
//
// Inbound baggage is capped at [DefaultMaxBaggageItems] items and
// [DefaultMaxBaggageBytes] bytes, counting the baggage headers of every
// format the backends read (uberctx-*, ot-baggage-*, baggage-*, and the
// items of the baggage and jaeger-baggage lists): beyond either limit the
// extra items are left out of the extracted context, so one client cannot
// make every downstream call carry megabytes. [WithInboundBaggageLimit]
// changes the limits. Requests without baggage headers pay one scan of
// their header names. For services facing untrusted clients,
// [WithIgnoreInboundContext] ignores inbound trace context and baggage
// altogether: every request starts a new trace.
//
// # Span name
//
// A request that matched a route is named "<METHOD> <route template>" from
// [gin.Context.FullPath], e.g. "GET /users/:id". A request that matched no
// route is named after its method alone, and a method outside GET, HEAD,
// POST, PUT, PATCH, DELETE, CONNECT, OPTIONS and TRACE becomes "HTTP", so
// scanners probing random paths and methods cannot inflate the number of
// span names. A method the application registered a route for (a WebDAV
// PROPFIND, say) is kept as is, since routes are bounded by the program.
// Names of matched routes are built once per method and route and cached.
// [WithOperationName] replaces the name.
//
// # Tags
//
//   - span.kind=server and component=gin;
//   - http.method: the method (for an unmatched request with a method outside
//     the standard set, "_OTHER", as in OpenTelemetry's conventions);
//   - http.url: the escaped path only, since query strings carry secrets
//     (see [WithURLTag]);
//   - http.route: the route template, only when a route matched;
//   - http.status_code: the status written by the handlers;
//   - peer.ipv4 or peer.ipv6 from the connection's address
//     (http.Request.RemoteAddr), or peer.address when it is not an IP.
//     Forwarding headers are not trusted: add them with [WithSpanObserver]
//     and gin.Context.ClientIP if the proxies in front are.
//
// A span its backend will not report (a polytrace backend's span of an
// unsampled trace) gets only the tags given at its start: the middleware
// skips formatting the URL, peer, status and error tags, which the backend
// would drop, unless the span gets sampled before the handlers return
// (sampling.priority set by an observer or a handler, on a backend that
// honours it after the start, as jaeger does).
//
// # Errors
//
// The span is tagged error=true when the status is 500 or more, or when
// handlers added errors to c.Errors (each logged on the span with the
// fields event="error" and message=err.Error()). A 4xx status alone is not
// an error. A panic in a later handler is recovered, the span is tagged
// error=true, given a log with the panic value and http.status_code 500
// (or the status already sent, if the response was committed), finished,
// and the panic is raised again for gin.Recovery or net/http to handle.
//
// # Request context
//
// While the later handlers run, the span is in c.Request's context, so
// opentracing.SpanFromContext(c.Request.Context()) and
// opentracing.StartSpanFromContext work as usual; [SpanFromContext] is a
// shortcut. Note that opentracing.StartSpanFromContext starts the child
// with the global tracer: if the middleware's tracer is not the global one,
// use opentracing.StartSpanFromContextWithTracer. When the chain returns,
// c.Request gets its original context back: it is the original request
// again, with the forms the handlers parsed and the body they installed
// carried over (a parsed multipart form must be, so that net/http removes
// its temporary files), or, if the handlers put a request of their own
// there, a copy of that one with the original context (as otelgin does).
package ginmw
