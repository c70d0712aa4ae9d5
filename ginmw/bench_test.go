package ginmw_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/mocktracer"

	"github.com/polytrace/polytrace/ginmw"
)

// BenchmarkMiddleware serves GET /users/:id through httptest with bare Gin,
// with the middleware and a no-op tracer (direct, and global looked up per
// request), and with the middleware and mocktracer. Compare within one run.
func BenchmarkMiddleware(b *testing.B) {
	gin.SetMode(gin.TestMode)
	mock := mocktracer.New()
	benches := []struct {
		name   string
		mws    []gin.HandlerFunc
		global opentracing.Tracer
	}{
		{"bare-gin", nil, opentracing.NoopTracer{}},
		{"ginmw-noop", []gin.HandlerFunc{ginmw.Middleware(opentracing.NoopTracer{})}, opentracing.NoopTracer{}},
		{"ginmw-nil-global-noop", []gin.HandlerFunc{ginmw.Middleware(nil)}, opentracing.NoopTracer{}},
		{"ginmw-mocktracer", []gin.HandlerFunc{ginmw.Middleware(mock)}, opentracing.NoopTracer{}},
	}
	for _, bb := range benches {
		b.Run(bb.name, func(b *testing.B) {
			prev := opentracing.GlobalTracer()
			opentracing.SetGlobalTracer(bb.global)
			defer opentracing.SetGlobalTracer(prev)

			e := gin.New()
			e.Use(bb.mws...)
			e.GET("/users/:id", func(c *gin.Context) { c.String(http.StatusOK, "user") })
			req := httptest.NewRequest("GET", "/users/42", nil)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				e.ServeHTTP(httptest.NewRecorder(), req)
				if i%4096 == 4095 {
					mock.Reset() // keep finished spans from piling up
				}
			}
			if bb.name == "ginmw-mocktracer" {
				mock.Reset()
				e.ServeHTTP(httptest.NewRecorder(), req)
				if len(mock.FinishedSpans()) != 1 {
					b.Fatal("mocktracer recorded no span: the benchmark measures nothing")
				}
			}
		})
	}
}
