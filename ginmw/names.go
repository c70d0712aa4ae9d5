package ginmw

import (
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
)

// spanName is what a request's method and route give: the operation name,
// the value of the http.method tag, and the start options carrying the
// method and route tags, built once so requests do not allocate them.
type spanName struct {
	op        string
	method    string
	methodOpt opentracing.StartSpanOption
	routeOpt  opentracing.StartSpanOption // nil when no route matched

	// opts are all the start options of a span with this name and no
	// parent: span kind, component, method and route. Every request of the
	// route passes this very slice to StartSpan; len == cap, so a tracer
	// that appends to it gets a copy.
	opts []opentracing.StartSpanOption
}

func newSpanName(op, method, route string) spanName {
	n := spanName{
		op:        op,
		method:    method,
		methodOpt: opentracing.Tag{Key: string(ext.HTTPMethod), Value: method},
	}
	if route != "" {
		n.routeOpt = opentracing.Tag{Key: httpRoute, Value: route}
	}
	n.opts = []opentracing.StartSpanOption{serverOpt, componentOpt, n.methodOpt}
	if n.routeOpt != nil {
		n.opts = append(n.opts, n.routeOpt)
	}
	n.opts = n.opts[:len(n.opts):len(n.opts)]
	return n
}

// httpRoute is the tag holding the route template (OpenTelemetry's name;
// OpenTracing has none).
const httpRoute = "http.route"

// standardMethod returns the package constant for one of the methods of
// RFC 9110 and RFC 5789, so names never keep a reference to the request.
func standardMethod(m string) (string, bool) {
	switch m {
	case http.MethodGet:
		return http.MethodGet, true
	case http.MethodHead:
		return http.MethodHead, true
	case http.MethodPost:
		return http.MethodPost, true
	case http.MethodPut:
		return http.MethodPut, true
	case http.MethodPatch:
		return http.MethodPatch, true
	case http.MethodDelete:
		return http.MethodDelete, true
	case http.MethodConnect:
		return http.MethodConnect, true
	case http.MethodOptions:
		return http.MethodOptions, true
	case http.MethodTrace:
		return http.MethodTrace, true
	}
	return "", false
}

// unmatchedName names a request that matched no route: its method alone,
// or "HTTP" (tag "_OTHER") when the method is not a standard one, so that
// the names stay a fixed, small set whatever clients send.
func unmatchedName(method string) spanName {
	if n, ok := unmatchedNames[method]; ok {
		return n
	}
	return otherName
}

var (
	unmatchedNames = func() map[string]spanName {
		m := make(map[string]spanName)
		for _, method := range []string{
			http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
			http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace,
		} {
			m[method] = newSpanName(method, method, "")
		}
		return m
	}()
	otherName = newSpanName("HTTP", "_OTHER", "")
)

type routeKey struct{ method, route string }

// nameCache holds the names of matched routes. Routes are registered by the
// program, so the set is bounded. Reads are lock-free and allocation-free;
// an insert copies the map (once per method and route) and publishes it
// with a compare-and-swap, retrying if another insert won: no lock at all,
// so none can be contended when a route's first requests arrive together.
type nameCache struct {
	names atomic.Pointer[map[routeKey]spanName]
}

// get returns the name of a request with method that matched route (not "").
func (nc *nameCache) get(method, route string) spanName {
	if m := nc.names.Load(); m != nil {
		if n, ok := (*m)[routeKey{method, route}]; ok {
			return n
		}
	}
	return nc.add(method, route)
}

func (nc *nameCache) add(method, route string) spanName {
	// The method string may point into the request line: copy it.
	m, ok := standardMethod(method)
	if !ok {
		m = strings.Clone(method)
	}
	route = strings.Clone(route)
	key := routeKey{m, route}
	n := newSpanName(m+" "+route, m, route)
	for {
		old := nc.names.Load()
		if old != nil {
			if have, ok := (*old)[key]; ok {
				return have
			}
		}
		next := make(map[routeKey]spanName, 1+mapLen(old))
		if old != nil {
			for k, v := range *old {
				next[k] = v
			}
		}
		next[key] = n
		if nc.names.CompareAndSwap(old, &next) {
			return n
		}
	}
}

func mapLen(m *map[routeKey]spanName) int {
	if m == nil {
		return 0
	}
	return len(*m)
}
