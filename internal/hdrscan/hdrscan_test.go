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

func TestLower(t *testing.T) {
	tests := []struct {
		give Fields
		want bool
	}{
		{fields, true},
		{Fields{Names: []string{"Uber-Trace-Id"}}, false},
		{Fields{Prefixes: []string{""}}, false},
		{Fields{Names: []string{"\u00e9"}}, false},
	}
	for _, tt := range tests {
		if got := tt.give.Lower(); got != tt.want {
			t.Errorf("%v.Lower() = %v, want %v", tt.give, got, tt.want)
		}
	}
}

func TestIsAndHasPrefix(t *testing.T) {
	tests := []struct {
		k, lower  string
		is, isPre bool
	}{
		{"Uber-Trace-Id", "uber-trace-id", true, true},
		{"uber-trace-idx", "uber-trace-id", false, true},
		{"Uber-Trace", "uber-trace-id", false, false},
		{"X-B3-Sampled", "x-b3-", false, true},
		{"x-b3-", "x-b3-", true, true},
	}
	for _, tt := range tests {
		if got := Is(tt.k, tt.lower); got != tt.is {
			t.Errorf("Is(%q, %q) = %v, want %v", tt.k, tt.lower, got, tt.is)
		}
		if got := HasPrefix(tt.k, tt.lower); got != tt.isPre {
			t.Errorf("HasPrefix(%q, %q) = %v, want %v", tt.k, tt.lower, got, tt.isPre)
		}
	}
	if !fields.Match("UBERCTX-x") || fields.Match("Accept") {
		t.Error("Match disagrees with the fields")
	}
}
