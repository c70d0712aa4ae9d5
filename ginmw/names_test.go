package ginmw

import (
	"fmt"
	"sync"
	"testing"
)

func TestUnmatchedName(t *testing.T) {
	tests := []struct {
		give       string
		wantOp     string
		wantMethod string
	}{
		{"GET", "GET", "GET"},
		{"HEAD", "HEAD", "HEAD"},
		{"POST", "POST", "POST"},
		{"PUT", "PUT", "PUT"},
		{"PATCH", "PATCH", "PATCH"},
		{"DELETE", "DELETE", "DELETE"},
		{"CONNECT", "CONNECT", "CONNECT"},
		{"OPTIONS", "OPTIONS", "OPTIONS"},
		{"TRACE", "TRACE", "TRACE"},
		{"get", "HTTP", "_OTHER"},
		{"PROPFIND", "HTTP", "_OTHER"},
		{"", "HTTP", "_OTHER"},
	}
	for _, tt := range tests {
		if got := unmatchedName(tt.give); got.op != tt.wantOp || got.method != tt.wantMethod || got.routeOpt != nil {
			t.Errorf("unmatchedName(%q) = %+v, want op %q, method %q, no route", tt.give, got, tt.wantOp, tt.wantMethod)
		}
	}
}

func TestNameCacheGetDoesNotAllocate(t *testing.T) {
	var nc nameCache
	nc.get("GET", "/users/:id")
	nc.get("PROPFIND", "/dav/*path")
	// A method string built at run time, as net/http's are.
	method := string([]byte("PROPFIND"))
	for _, k := range []routeKey{{"GET", "/users/:id"}, {method, "/dav/*path"}} {
		var got spanName
		if n := testing.AllocsPerRun(100, func() { got = nc.get(k.method, k.route) }); n != 0 {
			t.Errorf("get(%q, %q) allocations = %v, want 0", k.method, k.route, n)
		}
		if want := k.method + " " + k.route; got.op != want || got.method != k.method {
			t.Errorf("get(%q, %q) = %+v, want op %q", k.method, k.route, got, want)
		}
	}
}

func TestNameCacheConcurrent(t *testing.T) {
	var nc nameCache
	const routes = 50
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range routes {
				r := fmt.Sprintf("/r%d", (i+g)%routes)
				if got := nc.get("GET", r); got.op != "GET "+r {
					t.Errorf("get(GET, %s) = %q", r, got.op)
				}
			}
		}()
	}
	wg.Wait()
	if n := len(*nc.names.Load()); n != routes {
		t.Errorf("cached names = %d, want %d", n, routes)
	}
}
