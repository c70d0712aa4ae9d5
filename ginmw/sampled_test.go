package ginmw_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/mocktracer"

	"github.com/polytrace/polytrace/ginmw"
	"github.com/polytrace/polytrace/internal/sampling"
)

// decidingTracer is mocktracer whose spans carry a sampling decision that
// the middleware learns through internal/sampling, as it does for the
// backends' spans.
type decidingTracer struct {
	*mocktracer.MockTracer
	sampled bool
}

type decidingSpan struct {
	*mocktracer.MockSpan
	sampled *atomic.Bool
}

func (t *decidingTracer) StartSpan(op string, opts ...opentracing.StartSpanOption) opentracing.Span {
	s := decidingSpan{t.MockTracer.StartSpan(op, opts...).(*mocktracer.MockSpan), new(atomic.Bool)}
	s.sampled.Store(t.sampled)
	return s
}

func init() {
	sampling.Register(func(s opentracing.Span) (bool, bool) {
		ds, ok := s.(decidingSpan)
		if !ok {
			return false, false
		}
		return ds.sampled.Load(), true
	})
}

func TestUnsampledSpanSkipsRequestTags(t *testing.T) {
	always := map[string]any{"span.kind": "server", "component": "gin", "http.method": "GET", "http.route": "/x"}
	tests := []struct {
		name        string
		giveSampled bool
		giveHandler gin.HandlerFunc
		wantExtra   []string // tags besides always
	}{
		{"sampled", true, func(c *gin.Context) {}, []string{"http.url", "peer.ipv4", "http.status_code"}},
		{"unsampled", false, func(c *gin.Context) {}, nil},
		{"sampled by the handler", false, func(c *gin.Context) {
			ginmw.SpanFromContext(c).(decidingSpan).sampled.Store(true)
		}, []string{"http.url", "peer.ipv4", "http.status_code"}},
		{"unsampled, handler fails", false, func(c *gin.Context) { c.Status(http.StatusInternalServerError) }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := &decidingTracer{MockTracer: mocktracer.New(), sampled: tt.giveSampled}
			e := gin.New()
			e.Use(ginmw.Middleware(tr))
			e.GET("/x", tt.giveHandler)
			serve(e, "GET", "/x?q=1")

			got := onlySpan(t, tr.MockTracer).Tags()
			if len(got) != len(always)+len(tt.wantExtra) {
				t.Errorf("tags = %v, want %v and %v", got, always, tt.wantExtra)
			}
			for k, v := range always {
				if fmt.Sprint(got[k]) != v {
					t.Errorf("tag %s = %v, want %v", k, got[k], v)
				}
			}
			for _, k := range tt.wantExtra {
				if _, ok := got[k]; !ok {
					t.Errorf("tag %s missing: %v", k, got)
				}
			}
		})
	}
}

// TestHandlerChangesCarriedToOriginalRequest checks that the middleware,
// which gives the handlers a copy of the request carrying the span, hands
// back the original request (not another copy), with the forms the
// handlers parsed and the body they wrapped.
func TestHandlerChangesCarriedToOriginalRequest(t *testing.T) {
	tr := mocktracer.New()
	orig := httptest.NewRequest("POST", "/form", strings.NewReader("a=1"))
	orig.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	var after *http.Request
	wrapped := http.MaxBytesReader(nil, http.NoBody, 1)
	e := gin.New()
	e.Use(func(c *gin.Context) {
		c.Next()
		after = c.Request
	}, ginmw.Middleware(tr))
	e.POST("/form", func(c *gin.Context) {
		if c.Request == orig {
			t.Error("handlers got the original request, want a copy carrying the span")
		}
		if err := c.Request.ParseForm(); err != nil {
			t.Error(err)
		}
		c.Request.Body = wrapped
	})
	serveReq(e, orig)

	onlySpan(t, tr)
	if after != orig {
		t.Fatalf("request after the middleware = %p, want the original %p", after, orig)
	}
	if got := after.Form.Get("a"); got != "1" {
		t.Errorf("Form a = %q, want the handler's parsed value 1", got)
	}
	if got := after.PostForm.Get("a"); got != "1" {
		t.Errorf("PostForm a = %q, want 1", got)
	}
	if after.Body != wrapped {
		t.Error("body the handler installed was lost")
	}
	if opentracing.SpanFromContext(after.Context()) != nil {
		t.Error("span still in the original request's context")
	}
}

// appendingTracer appends to, and overwrites, the start options it is
// given, as a careless tracer might. The middleware shares one slice of
// options between the requests of a route; the appends must not reach it.
type appendingTracer struct {
	*mocktracer.MockTracer
	seen atomic.Int64
}

func (t *appendingTracer) StartSpan(op string, opts ...opentracing.StartSpanOption) opentracing.Span {
	t.seen.Store(int64(len(opts)))
	opts = append(opts, opentracing.Tag{Key: "extra", Value: "x"})
	return t.MockTracer.StartSpan(op, opts...)
}

// Run it with -race: concurrent requests whose appends landed in the
// shared slice's spare capacity would race.
func TestSharedStartOptionsUnchangedByAppend(t *testing.T) {
	tr := &appendingTracer{MockTracer: mocktracer.New()}
	e := newEngine(ginmw.Middleware(tr))
	const workers, each = 4, 25
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range each {
				serve(e, "GET", "/users/1")
			}
		})
	}
	wg.Wait()
	if got := tr.seen.Load(); got != 4 {
		t.Fatalf("tracer got %d start options, want 4 (kind, component, method, route)", got)
	}
	spans := tr.FinishedSpans()
	if len(spans) != workers*each {
		t.Fatalf("finished spans = %d, want %d", len(spans), workers*each)
	}
	for _, s := range spans {
		if got := s.Tag("extra"); got != "x" {
			t.Fatalf("tag extra = %v, want x", got)
		}
	}
}

func TestStatusTagAboveByteRange(t *testing.T) {
	tests := []struct {
		give int
		want uint16
	}{{200, 200}, {256, 256}, {404, 404}, {599, 599}, {600, 600}, {999, 999}}
	for _, tt := range tests {
		tr := mocktracer.New()
		e := gin.New()
		e.Use(ginmw.Middleware(tr))
		e.GET("/s", func(c *gin.Context) { c.Status(tt.give) })
		serve(e, "GET", "/s")
		if got := onlySpan(t, tr).Tag("http.status_code"); got != tt.want {
			t.Errorf("status %d: tag = %#v, want uint16(%d)", tt.give, got, tt.want)
		}
	}
}
