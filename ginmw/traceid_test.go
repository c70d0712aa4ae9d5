package ginmw_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/openzipkin/zipkin-go/reporter"

	"github.com/polytrace/polytrace/backends/zipkin"
	"github.com/polytrace/polytrace/ginmw"
	"github.com/polytrace/polytrace/tracer"
)

func TestWithTraceIDHeader(t *testing.T) {
	inst, err := zipkin.NewWithReporter(tracer.Config{ServiceName: "svc"}, reporter.NewNoopReporter())
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Shutdown(context.Background())
	const traceID = "0af7651916cd43dd8448eb211c80319c"
	tests := []struct {
		name    string
		header  string
		path    string
		inbound bool
		want    string
	}{
		{"caller's trace", " x-trace-id ", "/users/1", true, traceID},
		{"new trace", "X-Trace-Id", "/users/1", false, "new"},
		{"filtered request", "X-Trace-Id", "/healthz", true, ""},
		{"empty name", "", "/users/1", true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := gin.New()
			r.Use(ginmw.Middleware(inst.Tracer,
				ginmw.WithFilter(func(r *http.Request) bool { return r.URL.Path != "/healthz" }),
				ginmw.WithTraceIDHeader(tt.header)))
			r.GET("/users/:id", func(c *gin.Context) { c.String(http.StatusOK, "ok") })
			r.GET("/healthz", func(c *gin.Context) { c.String(http.StatusOK, "ok") })
			req := httptest.NewRequest(http.MethodGet, tt.path, nil)
			if tt.inbound {
				req.Header.Set("X-B3-TraceId", traceID)
				req.Header.Set("X-B3-SpanId", "b7ad6b7169203331")
				req.Header.Set("X-B3-Sampled", "1")
			}
			w := httptest.NewRecorder()
			r.ServeHTTP(w, req)
			got := w.Header().Get("X-Trace-Id")
			switch tt.want {
			case "new":
				if len(got) != 32 || got == traceID {
					t.Fatalf("X-Trace-Id = %q, want a new 128-bit trace id", got)
				}
			default:
				if got != tt.want {
					t.Fatalf("X-Trace-Id = %q, want %q", got, tt.want)
				}
			}
		})
	}
}
