package ginmw_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/opentracing/opentracing-go"

	"github.com/polytrace/polytrace/backends/jaeger"
	"github.com/polytrace/polytrace/backends/otel"
	"github.com/polytrace/polytrace/backends/stdout"
	"github.com/polytrace/polytrace/ginmw"
	"github.com/polytrace/polytrace/tracer"
)

// realTracers are backends whose Extract reads baggage headers: Jaeger
// (uberctx-*) and the B3 tracer of the zipkin and stdout backends
// (baggage-*). Neither sends anything anywhere here.
func realTracers(t *testing.T) map[string]struct {
	tr       opentracing.Tracer
	overhead int // bytes an item costs beyond its name and value
} {
	t.Helper()
	shut := func(inst *tracer.Instance) {
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = inst.Shutdown(ctx)
		})
	}
	// A UDP agent address nobody listens on: nothing is finished here
	// anyway, the middleware's span aside.
	j, err := jaeger.New(tracer.Config{ServiceName: "inbound"}, jaeger.Options{AgentHost: "127.0.0.1", AgentPort: 9})
	if err != nil {
		t.Fatal(err)
	}
	shut(j)
	s, err := stdout.New(tracer.Config{ServiceName: "inbound"}, stdout.Options{Writer: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	shut(s)
	// W3C traceparent and baggage; exports go to the discard port.
	o, err := otel.New(tracer.Config{ServiceName: "inbound"}, otel.Options{Protocol: otel.ProtocolHTTPProtobuf, Endpoint: "http://127.0.0.1:9/v1/traces"})
	if err != nil {
		t.Fatal(err)
	}
	shut(o)
	return map[string]struct {
		tr       opentracing.Tracer
		overhead int
	}{
		"jaeger": {j.Tracer, len("uberctx-")},
		"b3":     {s.Tracer, len("baggage-")},
		"otel":   {o.Tracer, len("=")}, // items of one baggage header
	}
}

// inbound serves one request with hdr through the middleware and returns
// the baggage of the request's span and the headers the span injects.
func inbound(t *testing.T, tr opentracing.Tracer, hdr http.Header, opts ...ginmw.Option) (map[string]string, http.Header) {
	t.Helper()
	e := gin.New()
	e.Use(ginmw.Middleware(tr, opts...))
	baggage := map[string]string{}
	injected := http.Header{}
	e.GET("/x", func(c *gin.Context) {
		sc := ginmw.SpanFromContext(c).Context()
		sc.ForeachBaggageItem(func(k, v string) bool { baggage[k] = v; return true })
		_ = tr.Inject(sc, opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(injected))
		c.Status(http.StatusOK)
	})
	req := httptest.NewRequest(http.MethodGet, "/x", nil)
	req.Header = hdr
	w := httptest.NewRecorder()
	e.ServeHTTP(w, req)
	if w.Code != http.StatusOK {
		t.Fatalf("status %d, want 200", w.Code)
	}
	return baggage, injected
}

// parentHeaders returns the headers of a sampled parent span of tr
// carrying n baggage items k000=v..., and the parent's injected trace
// header value, to check that the trace continues.
func parentHeaders(t *testing.T, tr opentracing.Tracer, n, valueLen int) http.Header {
	t.Helper()
	parent := tr.StartSpan("client")
	defer parent.Finish()
	for i := range n {
		parent.SetBaggageItem(fmt.Sprintf("k%03d", i), strings.Repeat("v", valueLen))
	}
	h := http.Header{}
	if err := tr.Inject(parent.Context(), opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(h)); err != nil {
		t.Fatal(err)
	}
	return h
}

func traceHeader(h http.Header) string {
	if v := h.Get("Uber-Trace-Id"); v != "" {
		return strings.SplitN(v, ":", 2)[0]
	}
	if parts := strings.Split(h.Get("Traceparent"), "-"); len(parts) == 4 {
		return parts[1]
	}
	return h.Get("X-B3-Traceid")
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func TestInboundBaggageLimits(t *testing.T) {
	tests := []struct {
		name      string
		items     int // baggage items the client sends
		valueLen  int
		opts      []ginmw.Option
		wantItems int
		notFor    string // a backend whose own extractor has a lower limit
	}{
		{name: "within the defaults", items: 10, valueLen: 10, wantItems: 10},
		{name: "too many items", items: ginmw.DefaultMaxBaggageItems + 36, valueLen: 1, wantItems: ginmw.DefaultMaxBaggageItems},
		// Each item costs len(prefix)+4 (name) + 500 (value) bytes.
		{name: "too many bytes", items: 40, valueLen: 500, wantItems: -1},
		{name: "custom item limit", items: 10, valueLen: 1, opts: []ginmw.Option{ginmw.WithInboundBaggageLimit(3, -1)}, wantItems: 3},
		{name: "no baggage accepted", items: 5, valueLen: 1, opts: []ginmw.Option{ginmw.WithInboundBaggageLimit(0, 0)}, wantItems: 0},
		// OTel's W3C baggage propagator itself refuses a header of more
		// than 64 items or 8192 bytes.
		{name: "no limit", items: 200, valueLen: 100, opts: []ginmw.Option{ginmw.WithInboundBaggageLimit(-1, -1)}, wantItems: 200, notFor: "otel"},
	}
	for name, b := range realTracers(t) {
		for _, tt := range tests {
			if tt.notFor == name {
				continue
			}
			t.Run(name+"/"+tt.name, func(t *testing.T) {
				hdr := parentHeaders(t, b.tr, tt.items, tt.valueLen)
				got, injected := inbound(t, b.tr, hdr, tt.opts...)
				want := tt.wantItems
				if want == -1 { // as many as fit in DefaultMaxBaggageBytes
					want = ginmw.DefaultMaxBaggageBytes / (b.overhead + 4 + tt.valueLen)
				}
				if len(got) != want {
					t.Fatalf("%d items kept, want %d", len(got), want)
				}
				// The items kept are the first by name: deterministic.
				for i, k := range sortedKeys(got) {
					if wantKey := fmt.Sprintf("k%03d", i); k != wantKey {
						t.Fatalf("kept %v, want k000..k%03d", sortedKeys(got), want-1)
					}
				}
				// The trace continues whatever happened to the baggage.
				if a, b := traceHeader(hdr), traceHeader(injected); a == "" || a != b {
					t.Errorf("trace id in %q, out %q: want the caller's trace continued", a, b)
				}
			})
		}
	}
}

func TestIgnoreInboundContext(t *testing.T) {
	for name, b := range realTracers(t) {
		t.Run(name, func(t *testing.T) {
			hdr := parentHeaders(t, b.tr, 3, 5)
			got, injected := inbound(t, b.tr, hdr.Clone(), ginmw.WithIgnoreInboundContext())
			if len(got) != 0 {
				t.Errorf("baggage %v reached the span, want none", got)
			}
			if in, out := traceHeader(hdr), traceHeader(injected); out == "" || in == out {
				t.Errorf("trace id in %q, out %q: want a new trace", in, out)
			}
			// Without the option the same headers continue the trace.
			got, injected = inbound(t, b.tr, hdr.Clone())
			if len(got) != 3 || traceHeader(injected) != traceHeader(hdr) {
				t.Errorf("without the option: baggage %v, trace %q; want 3 items and trace %q", got, traceHeader(injected), traceHeader(hdr))
			}
		})
	}
}
