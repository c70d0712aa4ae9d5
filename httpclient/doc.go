// Package httpclient traces outgoing HTTP requests with OpenTracing: a
// client span per request, child of the span in the request's context,
// with the span's context injected into the request headers so that the
// server's spans join the trace.
//
//	client := httpclient.Client(nil, httpclient.WithTracer(tr))
//	ctx = httpclient.WithRoute(ctx, "/inventory/:sku")
//	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/inventory/"+sku, nil)
//	resp, err := client.Do(req) // span "GET /inventory/:sku"
//	…
//	resp.Body.Close()           // finishes the span
//
// [Transport] wraps any http.RoundTripper; [Client] returns a copy of an
// *http.Client with its transport wrapped.
//
// # Spans
//
// For each request, the transport starts a span
//
//   - named "<METHOD> <route>" when the request's context carries a route
//     template ([WithRoute]), else "HTTP <METHOD>": never the raw path,
//     whose ids would make every request a span name of its own; or as
//     [WithOperationName] says;
//   - as a child of the span in the request's context
//     (opentracing.SpanFromContext). Without one, the request is traced
//     as the root of a new trace rather than left untraced;
//   - with the tracer given by [WithTracer], else opentracing.GlobalTracer()
//     looked up at each request (so a tracer installed after the client was
//     built is used);
//   - tagged span.kind=client and component=net/http (given when the span
//     starts), http.method, http.url (scheme, host and path: never the user
//     information, query string or fragment), peer.hostname, peer.port and,
//     once the response arrives, http.status_code.
//
// It sets error=true on 5xx responses, on transport errors and on errors
// reading the response body, logging the error's message on the span with
// the URL's query string and user information removed.
//
// The span finishes when the response body is read to its end or closed,
// when reading it fails, when the request fails, or at once when the
// response has no body (HEAD, 204, 304). Exactly once in every case. A
// caller that neither reads the body to its end nor closes it leaks the
// connection and leaves the span unfinished, as net/http's documentation
// warns.
//
// # Contract
//
// The transport follows http.RoundTripper's: it never modifies the
// caller's request (headers are injected into a copy), closes the request
// body on every error, and passes responses and errors from the wrapped
// transport through unchanged. It never panics: a nil request, a request
// without URL, or a wrapped transport returning neither response nor error
// give an error. Wrapping a transport of this package again does not
// trace twice: the options given last are applied over the first ones.
// The wrapped transport's CloseIdleConnections is reachable through the
// wrapper, so http.Client.CloseIdleConnections works.
package httpclient
