package bench

import (
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"testing"

	"github.com/gin-gonic/gin"
)

// inFlight is how many requests BenchmarkInFlight holds open at once.
const inFlight = 1000

// BenchmarkInFlight measures the memory a traced request holds while it is
// in flight: each iteration starts inFlight concurrent GET /users/:id
// requests whose handler waits until all have started, and reports the
// growth of the live heap per request (live-B/req, after a GC). The
// requests' goroutine stacks are not heap and do not count; the recorders
// and request copies do, as they do for bare Gin. The memory per in-flight
// span of a middleware is its live-B/req minus bare Gin's. Run it with a
// small -benchtime, such as 10x: every iteration runs two GCs.
func BenchmarkInFlight(b *testing.B) {
	gin.SetMode(gin.ReleaseMode)
	for _, mw := range []string{"bare", "seed-jaeger", "ginmw-noop", "ginmw-jaeger-sampled", "ginmw-zipkin-sampled",
		"ginmw-lightstep-sampled", "ginmw-otel-sampled", "otelgin"} {
		b.Run("mw="+mw, func(b *testing.B) {
			s := newSubject(b, mw)
			e := gin.New()
			if s.mw != nil {
				e.Use(s.mw)
			}
			var started sync.WaitGroup
			var release chan struct{}
			e.GET("/users/:id", func(c *gin.Context) {
				started.Done()
				<-release
				c.String(http.StatusOK, "user")
			})
			r := httptest.NewRequest(http.MethodGet, "/users/42", nil)
			var grown float64
			var before, after runtime.MemStats
			for b.Loop() {
				release = make(chan struct{})
				started.Add(inFlight)
				var done sync.WaitGroup
				runtime.GC()
				runtime.GC() // twice: sync.Pool victims (Gin's contexts) are freed on the second
				runtime.ReadMemStats(&before)
				for range inFlight {
					done.Go(func() { e.ServeHTTP(httptest.NewRecorder(), r) })
				}
				started.Wait()
				runtime.GC()
				runtime.ReadMemStats(&after)
				close(release)
				done.Wait()
				grown += float64(after.HeapAlloc) - float64(before.HeapAlloc)
			}
			b.ReportMetric(grown/float64(b.N*inFlight), "live-B/req")
			shutdownSubject(b, s, mw)
		})
	}
}
