package ginmw

import (
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"
	"github.com/opentracing/opentracing-go"
)

// Option configures [Middleware]. A nil Option is ignored.
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	filters    []func(*http.Request) bool
	ginFilters []func(*gin.Context) bool
	opName     func(*gin.Context) string
	observers  []func(opentracing.Span, *gin.Context)
	urlTag     func(*url.URL) string

	ignoreInbound                    bool // see WithIgnoreInboundContext
	maxBaggageItems, maxBaggageBytes int  // see WithInboundBaggageLimit
}

func newConfig(opts []Option) config {
	cfg := config{maxBaggageItems: DefaultMaxBaggageItems, maxBaggageBytes: DefaultMaxBaggageBytes}
	for _, o := range opts {
		if o != nil {
			o.apply(&cfg)
		}
	}
	if cfg.urlTag == nil {
		cfg.urlTag = pathOnly
	}
	return cfg
}

// traced reports whether every filter accepts the request.
func (cfg *config) traced(c *gin.Context) bool {
	for _, f := range cfg.filters {
		if !f(c.Request) {
			return false
		}
	}
	for _, f := range cfg.ginFilters {
		if !f(c) {
			return false
		}
	}
	return true
}

// pathOnly is the default http.url tag: the escaped path, without scheme,
// host, user info or query.
func pathOnly(u *url.URL) string { return u.EscapedPath() }

// WithFilter traces a request only when f returns true for it, e.g. to skip
// health checks:
//
//	ginmw.WithFilter(func(r *http.Request) bool { return r.URL.Path != "/healthz" })
//
// A filtered request still runs the handlers; it gets no span. With several
// filters (of either kind) a request is traced only if all accept it. A nil
// f is ignored.
func WithFilter(f func(*http.Request) bool) Option {
	return optionFunc(func(c *config) {
		if f != nil {
			c.filters = append(c.filters, f)
		}
	})
}

// WithGinFilter is [WithFilter] with access to the gin.Context, e.g. to
// decide by c.FullPath(). A nil f is ignored.
func WithGinFilter(f func(*gin.Context) bool) Option {
	return optionFunc(func(c *config) {
		if f != nil {
			c.ginFilters = append(c.ginFilters, f)
		}
	})
}

// WithOperationName names spans with f instead of "<METHOD> <route>". An
// empty result falls back to the default name. Keep the names few: they are
// indexed by every backend. A nil f is ignored; the last non-nil one wins.
func WithOperationName(f func(*gin.Context) string) Option {
	return optionFunc(func(c *config) {
		if f != nil {
			c.opName = f
		}
	})
}

// WithSpanObserver calls f with each request's span right after it starts,
// before the later handlers run, e.g. to add tags from the request. The
// span is already in c.Request's context. Several observers run in the
// order given. A nil f is ignored.
func WithSpanObserver(f func(opentracing.Span, *gin.Context)) Option {
	return optionFunc(func(c *config) {
		if f != nil {
			c.observers = append(c.observers, f)
		}
	})
}

// WithURLTag sets what goes into the http.url tag: f gets the request URL
// and returns the value, or "" for no tag. The default is the escaped path
// alone, as query strings often carry tokens. A nil f is ignored; the last
// non-nil one wins.
func WithURLTag(f func(*url.URL) string) Option {
	return optionFunc(func(c *config) {
		if f != nil {
			c.urlTag = f
		}
	})
}
