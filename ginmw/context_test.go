package ginmw_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/mocktracer"

	"github.com/polytrace/polytrace/ginmw"
)

// TestGinContextAsContext shows what happens when handlers pass the
// *gin.Context as the context: with Gin's default engine the span in the
// request's context is out of reach (the child starts a new trace); with
// ContextWithFallback it is found. c.Request.Context() works either way.
func TestGinContextAsContext(t *testing.T) {
	tests := []struct {
		name     string
		fallback bool
		ctx      func(c *gin.Context) context.Context
		child    bool // the handler's span is the request span's child
	}{
		{"gin.Context, default engine", false, func(c *gin.Context) context.Context { return c }, false},
		{"gin.Context, ContextWithFallback", true, func(c *gin.Context) context.Context { return c }, true},
		{"c.Request.Context(), default engine", false, func(c *gin.Context) context.Context { return c.Request.Context() }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := mocktracer.New()
			r := gin.New()
			r.ContextWithFallback = tt.fallback
			r.Use(ginmw.Middleware(tr))
			r.GET("/", func(c *gin.Context) {
				span, _ := opentracing.StartSpanFromContextWithTracer(tt.ctx(c), tr, "handler")
				span.Finish()
				c.Status(http.StatusOK)
			})
			r.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
			spans := map[string]*mocktracer.MockSpan{}
			for _, s := range tr.FinishedSpans() {
				spans[s.OperationName] = s
			}
			handler, request := spans["handler"], spans["GET /"]
			if handler == nil || request == nil {
				t.Fatalf("spans %v", tr.FinishedSpans())
			}
			isChild := handler.ParentID == request.SpanContext.SpanID && handler.SpanContext.TraceID == request.SpanContext.TraceID
			if isChild != tt.child {
				t.Errorf("handler span is the request span's child: %v, want %v", isChild, tt.child)
			}
		})
	}
}
