package polytrace_test

import (
	"fmt"
	"log"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/opentracing/opentracing-go"

	"github.com/polytrace/polytrace"
	"github.com/polytrace/polytrace/ginmw"
	"github.com/polytrace/polytrace/tracer"
)

// The whole integration in a service's main: the backend is chosen at run
// time by TRACER_BACKEND.
func ExampleFromEnv() {
	tr, err := polytrace.FromEnv()
	if err != nil {
		log.Printf("tracing off: %v", err) // tr is a working no-op tracer
	}
	defer tr.Close() // flush, bounded by TRACER_FLUSH_TIMEOUT

	r := gin.New()
	r.Use(gin.Recovery(), ginmw.Middleware(tr))
	r.GET("/users/:id", func(c *gin.Context) {
		span, _ := opentracing.StartSpanFromContext(c.Request.Context(), "load-user")
		defer span.Finish()
		c.String(http.StatusOK, "user %s", c.Param("id"))
	})
	_ = r.Run(":8080")
}

// Programs that configure in code name the backend and pass a Config;
// backend-specific settings go in Lookup under their variable names.
func ExampleNew() {
	tr, err := polytrace.New("zipkin", tracer.Config{
		ServiceName: "checkout",
		SampleRate:  tracer.Rate(0.5),
		Lookup: tracer.MapLookup(map[string]string{
			"ZIPKIN_ENDPOINT": "http://127.0.0.1:9411/api/v2/spans",
		}),
	})
	fmt.Println(tr.Backend(), err)
	_ = tr.Close()

	tr, err = polytrace.New("jaegr", tracer.Config{})
	fmt.Println(tr.Backend())
	fmt.Println(err)
	// Output:
	// zipkin <nil>
	// noop
	// polytrace: unknown tracer backend "jaegr" (registered: jaeger, lightstep, noop, otel, stdout, ui, zipkin; is its package imported?)
}
