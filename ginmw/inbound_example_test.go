package ginmw_test

import (
	"github.com/gin-gonic/gin"
	"github.com/opentracing/opentracing-go"

	"github.com/polytrace/polytrace/ginmw"
)

// A public API, called by clients that are not trusted with trace
// context: every request starts its own trace. An internal service
// instead lowers the baggage it accepts to 16 items and 2 KiB.
func ExampleWithIgnoreInboundContext() {
	tr := opentracing.GlobalTracer()

	public := gin.New()
	public.Use(ginmw.Middleware(tr, ginmw.WithIgnoreInboundContext()))

	internal := gin.New()
	internal.Use(ginmw.Middleware(tr, ginmw.WithInboundBaggageLimit(16, 2048)))
	// Output:
}
