package hdrscan

import (
	"net/http"
	"testing"

	"github.com/opentracing/opentracing-go"
)

var fields = Fields{Names: []string{"uber-trace-id", "b3"}, Prefixes: []string{"uberctx-"}}

func TestAbsent(t *testing.T) {
	tests := []struct {
		name string
		give interface{}
		want bool
	}{
		{"no headers", opentracing.HTTPHeadersCarrier{}, true},
		{"unrelated headers", opentracing.HTTPHeadersCarrier{"User-Agent": {"x"}, "Accept": {"*/*"}, "B3x": {"1"}}, true},
		{"canonical name", opentracing.HTTPHeadersCarrier{"Uber-Trace-Id": {"1:2:0:1"}}, false},
		{"lower-case name", opentracing.HTTPHeadersCarrier{"uber-trace-id": {"1:2:0:1"}}, false},
		{"upper-case name", opentracing.HTTPHeadersCarrier{"B3": {"1"}}, false},
		{"prefix", opentracing.HTTPHeadersCarrier{"Uberctx-Tenant": {"a"}}, false},
		{"prefix alone is a match", opentracing.HTTPHeadersCarrier{"UBERCTX-": {"a"}}, false},
		{"shorter than the prefix", opentracing.HTTPHeadersCarrier{"Uberctx": {"a"}}, true},
		{"non-ASCII never matches", opentracing.HTTPHeadersCarrier{"uber-trace-\u0130d": {"1"}}, true},
		{"http.Header: not a carrier", http.Header{}, false},
		{"text map: unknown, not absent", opentracing.TextMapCarrier{}, false},
		{"nil carrier", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := fields.Absent(tt.give); got != tt.want {
				t.Errorf("Absent = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestAbsentAllocatesNothing(t *testing.T) {
	h := opentracing.HTTPHeadersCarrier{"User-Agent": {"x"}, "Accept": {"*/*"}, "Accept-Encoding": {"gzip"}}
	if n := testing.AllocsPerRun(100, func() { fields.Absent(h) }); n != 0 {
		t.Errorf("Absent allocates %v times, want 0", n)
	}
}

func TestMatch(t *testing.T) {
	for k, want := range map[string]bool{"UBERCTX-x": true, "Uber-Trace-Id": true, "b3": true, "Accept": false, "Uberctx": false, "B3x": false} {
		if got := fields.Match(k); got != want {
			t.Errorf("Match(%q) = %v, want %v", k, got, want)
		}
	}
}
