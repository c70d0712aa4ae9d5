package ginmw

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/opentracing/opentracing-go"

	"github.com/polytrace/polytrace/tracelog"
)

// WithTraceIDHeader sets the response header name (such as "X-Trace-Id")
// to the trace id of each traced request, in the backend's own string
// form (see tracelog.IDs), so that a caller can quote it and the trace be
// found. The header is set when the span starts, before the handlers run;
// requests without a span (filtered, or a no-op tracer) get none, and so
// do spans of tracers tracelog does not know. The id is sent whether or
// not the trace is sampled: an unsampled trace is not stored, but log
// lines carry the same id (tracelog.NewHandler). An empty name gives a
// nil Option, which Middleware ignores.
//
// It is built on [WithSpanObserver] and costs nothing when not used.
func WithTraceIDHeader(name string) Option {
	name = strings.TrimSpace(name)
	if name == "" {
		return nil
	}
	name = http.CanonicalHeaderKey(name)
	return WithSpanObserver(func(span opentracing.Span, c *gin.Context) {
		if id, _, ok := tracelog.SpanContextIDs(span.Context()); ok {
			c.Writer.Header().Set(name, id)
		}
	})
}
