package ginmw_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/gin-gonic/gin"
	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/mocktracer"

	"github.com/polytrace/polytrace/ginmw"
)

func Example() {
	tracer := mocktracer.New()
	// opentracing.StartSpanFromContext starts spans with the global tracer.
	opentracing.SetGlobalTracer(tracer)
	defer opentracing.SetGlobalTracer(opentracing.NoopTracer{})

	r := gin.New()
	r.Use(ginmw.Middleware(tracer,
		ginmw.WithFilter(func(req *http.Request) bool { return req.URL.Path != "/healthz" })))
	r.GET("/healthz", func(c *gin.Context) { c.Status(http.StatusNoContent) })
	r.GET("/users/:id", func(c *gin.Context) {
		span, ctx := opentracing.StartSpanFromContext(c.Request.Context(), "GetUser")
		defer span.Finish()
		_ = ctx // pass ctx on to the database, outgoing calls...
		ginmw.SpanFromContext(c).SetTag("user.id", c.Param("id"))
		c.String(http.StatusOK, "user %s", c.Param("id"))
	})

	for _, path := range []string{"/healthz", "/users/42", "/users/43?token=secret", "/wp-login.php"} {
		r.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", path, nil))
	}
	for _, s := range tracer.FinishedSpans() {
		if status := s.Tag("http.status_code"); status != nil {
			fmt.Printf("%s: url=%v status=%v user.id=%v\n", s.OperationName, s.Tag("http.url"), status, s.Tag("user.id"))
		} else {
			fmt.Println(s.OperationName)
		}
	}
	// Output:
	// GetUser
	// GET /users/:id: url=/users/42 status=200 user.id=42
	// GetUser
	// GET /users/:id: url=/users/43 status=200 user.id=43
	// GET: url=/wp-login.php status=404 user.id=<nil>
}
