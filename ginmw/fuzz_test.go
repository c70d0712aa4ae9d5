package ginmw_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/opentracing/opentracing-go"
	"github.com/openzipkin/zipkin-go/reporter"

	"github.com/polytrace/polytrace/backends/jaeger"
	"github.com/polytrace/polytrace/backends/lightstep"
	"github.com/polytrace/polytrace/backends/otel"
	"github.com/polytrace/polytrace/backends/stdout"
	"github.com/polytrace/polytrace/backends/zipkin"
	"github.com/polytrace/polytrace/ginmw"
	"github.com/polytrace/polytrace/tracer"
)

// fuzzTracers opens one tracer of every backend, none of which reaches a
// collector, and shuts them down when f ends.
func fuzzTracers(f *testing.F) map[string]opentracing.Tracer {
	f.Helper()
	cfg := tracer.Config{ServiceName: "fuzz"}
	open := map[string]func() (*tracer.Instance, error){
		"jaeger": func() (*tracer.Instance, error) {
			return jaeger.New(cfg, jaeger.Options{AgentHost: "127.0.0.1", AgentPort: 9})
		},
		"zipkin": func() (*tracer.Instance, error) { return zipkin.NewWithReporter(cfg, reporter.NewNoopReporter()) },
		"stdout": func() (*tracer.Instance, error) { return stdout.New(cfg, stdout.Options{Writer: io.Discard}) },
		"otel": func() (*tracer.Instance, error) {
			return otel.New(cfg, otel.Options{Protocol: otel.ProtocolHTTPProtobuf, Endpoint: "http://127.0.0.1:9/v1/traces"})
		},
		"lightstep": func() (*tracer.Instance, error) {
			return lightstep.New(cfg, lightstep.Options{AccessToken: "fuzz-token", CollectorHost: "127.0.0.1", CollectorPort: 9, Plaintext: true})
		},
	}
	out := map[string]opentracing.Tracer{}
	for name, o := range open {
		inst, err := o()
		if err != nil {
			f.Fatalf("%s: %v", name, err)
		}
		f.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			_ = inst.Shutdown(ctx)
		})
		out[name] = inst.Tracer
	}
	return out
}

// inboundTraceIDs returns the trace ids the headers of every format name,
// normalized (see normID), for telling whether a span continued one.
func inboundTraceIDs(h http.Header) map[string]bool {
	ids := map[string]bool{}
	add := func(s string) {
		if s = normID(s); s != "" {
			ids[s] = true
			if len(s) > 16 {
				ids[normID(s[len(s)-16:])] = true // a 64-bit tracer keeps the low half
			}
		}
	}
	first := func(v, sep string) string { return strings.SplitN(v, sep, 2)[0] }
	add(first(h.Get("Uber-Trace-Id"), ":"))
	add(h.Get("X-B3-Traceid"))
	add(first(h.Get("B3"), "-"))
	add(h.Get("Ot-Tracer-Traceid"))
	if parts := strings.Split(h.Get("Traceparent"), "-"); len(parts) > 1 {
		add(parts[1])
	}
	return ids
}

// normID lower-cases a hex id and strips its leading zeros.
func normID(s string) string { return strings.TrimLeft(strings.ToLower(strings.TrimSpace(s)), "0") }

// traceIDOf returns the normalized trace id tr injects for sc.
func traceIDOf(t *testing.T, tr opentracing.Tracer, sc opentracing.SpanContext) string {
	t.Helper()
	h := http.Header{}
	if err := tr.Inject(sc, opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(h)); err != nil {
		t.Fatalf("Inject: %v", err)
	}
	tp := ""
	if parts := strings.Split(h.Get("Traceparent"), "-"); len(parts) == 4 {
		tp = parts[1]
	}
	for _, v := range []string{strings.SplitN(h.Get("Uber-Trace-Id"), ":", 2)[0], h.Get("X-B3-Traceid"), h.Get("Ot-Tracer-Traceid"), tp} {
		if v != "" {
			return normID(v)
		}
	}
	t.Fatalf("no trace id among injected headers %v", h)
	return ""
}

// continued reports whether id is one of the inbound ids.
func continued(id string, inbound map[string]bool) bool {
	return inbound[id] || (len(id) > 16 && inbound[normID(id[len(id)-16:])])
}

// FuzzMiddleware sends requests with fuzzed trace context and baggage
// headers of every format (uber-trace-id, uberctx-*, x-b3-*, b3,
// baggage-*, ot-tracer-*, ot-baggage-*, traceparent, tracestate, baggage)
// through the middleware with each backend. Every request must be served
// (200, handler run once, a span in its context); the span must continue
// the inbound trace exactly when the backend's Extract accepts the
// headers and a child of what it extracts continues it, and start a new
// trace otherwise. The seed corpus is in testdata/fuzz/FuzzMiddleware.
func FuzzMiddleware(f *testing.F) {
	f.Add("4bf92f3577b34da6:00f067aa0ba902b7:0:1", "", "", "", "", "", "", "", "", "", "tenant", "acme")
	f.Add("", "", "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", "1", "", "", "", "", "", "k", "v")
	f.Add("", "4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1", "", "", "", "", "", "", "", "", "", "")
	f.Add("", "", "", "", "", "4bf92f3577b34da6", "00f067aa0ba902b7", "true", "", "", "k", "v")
	f.Add("", "", "", "", "", "", "", "", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "vendor=x", "k", "v")
	f.Add("zzzz:1:0:1", "a-b-c-d-e", "xyz", "1", "maybe", "qq", "qq", "", "00-zz-zz-01", "", "%zz", "%zz")
	f.Add("0:0:0:0", "-", "0000000000000000", "0000000000000000", "0", "0", "0", "false", "ff-0-0-00", ",,,", "", "")
	tracers := fuzzTracers(f)
	engines := map[string]*gin.Engine{}
	spans := map[string]*opentracing.Span{}
	for name, tr := range tracers {
		var got opentracing.Span
		spans[name] = &got
		e := gin.New()
		e.Use(ginmw.Middleware(tr))
		e.GET("/x/:id", func(c *gin.Context) {
			got = ginmw.SpanFromContext(c)
			c.Status(http.StatusOK)
		})
		engines[name] = e
	}
	f.Fuzz(func(t *testing.T, uber, b3, xTrace, xSpan, xSampled, otTrace, otSpan, otSampled, traceparent, tracestate, bagKey, bagValue string) {
		h := http.Header{}
		for k, v := range map[string]string{
			"Uber-Trace-Id": uber, "B3": b3, "X-B3-Traceid": xTrace, "X-B3-Spanid": xSpan, "X-B3-Sampled": xSampled,
			"Ot-Tracer-Traceid": otTrace, "Ot-Tracer-Spanid": otSpan, "Ot-Tracer-Sampled": otSampled,
			"Traceparent": traceparent, "Tracestate": tracestate, "Baggage": bagKey + "=" + bagValue,
			"Uberctx-" + bagKey: bagValue, "Baggage-" + bagKey: bagValue, "Ot-Baggage-" + bagKey: bagValue,
		} {
			if v != "" {
				h[k] = []string{v}
			}
		}
		inbound := inboundTraceIDs(h)
		for name, tr := range tracers {
			*spans[name] = nil
			req := httptest.NewRequest(http.MethodGet, "/x/1", nil)
			req.Header = h.Clone()
			w := httptest.NewRecorder()
			engines[name].ServeHTTP(w, req)
			span := *spans[name]
			if w.Code != http.StatusOK || span == nil {
				t.Fatalf("%s: status %d, span %v: want 200 from the handler", name, w.Code, span)
			}
			got := traceIDOf(t, tr, span.Context())

			wantContinued, want := false, ""
			if sc, err := tr.Extract(opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(h)); err == nil {
				child := tr.StartSpan("direct", opentracing.ChildOf(sc))
				want = traceIDOf(t, tr, child.Context())
				child.Finish()
				wantContinued = continued(want, inbound)
			}
			if c := continued(got, inbound); c != wantContinued || (c && got != want) {
				t.Fatalf("%s: span trace %s (continued %t); a child of what Extract gives: %s (continued %t); inbound %v",
					name, got, c, want, wantContinued, h)
			}
		}
	})
}
