package ginmw

import (
	"errors"
	"net/http"
	"reflect"
	"testing"

	"github.com/opentracing/opentracing-go"
)

func TestLimitBaggage(t *testing.T) {
	tests := []struct {
		name      string
		give      http.Header
		items     int
		bytes     int
		wantItems int
		wantSize  int
		want      http.Header
	}{
		{
			name:  "no baggage",
			give:  http.Header{"Uber-Trace-Id": {"1:2:0:1"}, "Cookie": {"a=b"}},
			items: 1, bytes: 1,
			want: http.Header{"Uber-Trace-Id": {"1:2:0:1"}, "Cookie": {"a=b"}},
		},
		{
			name:      "W3C list cut by items",
			give:      http.Header{"Traceparent": {"00-x"}, "Baggage": {"c=3, a=1,b=2"}},
			wantItems: 3, wantSize: 9,
			items: 2, bytes: -1,
			want: http.Header{"Traceparent": {"00-x"}, "Baggage": {"a=1,b=2"}},
		},
		{
			name:      "items taken in header name order, cut by bytes",
			give:      http.Header{"Ot-Baggage-B": {"2"}, "Uberctx-A": {"1"}, "Jaeger-Baggage": {"k=v,l=w"}, "X-Other": {"o"}},
			wantItems: 4, wantSize: len("Ot-Baggage-B2") + len("Uberctx-A1") + 6,
			items: -1, bytes: len("Ot-Baggage-B2") + len("Uberctx-A1") + 3,
			// Jaeger-Baggage (k=v, l=w: 6 bytes), Ot-Baggage-B (13) fit;
			// Uberctx-A (10) would make 29.
			want: http.Header{"Jaeger-Baggage": {"k=v,l=w"}, "Ot-Baggage-B": {"2"}, "X-Other": {"o"}},
		},
		{
			name:      "zero limits drop all baggage, keep the rest",
			give:      http.Header{"Baggage-K": {"v"}, "X-B3-Traceid": {"1"}},
			wantItems: 1, wantSize: len("Baggage-Kv"),
			items: 0, bytes: 0,
			want: http.Header{"X-B3-Traceid": {"1"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items, size := baggageSize(tt.give)
			if items != tt.wantItems || size != tt.wantSize {
				t.Errorf("baggageSize = %d items, %d bytes; want %d, %d", items, size, tt.wantItems, tt.wantSize)
			}
			if got := limitBaggage(tt.give, tt.items, tt.bytes); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("limitBaggage = %v, want %v", got, tt.want)
			}
		})
	}
}

// refusing is a tracer whose Extract finds nothing, without allocating.
type refusing struct{ opentracing.NoopTracer }

var errNone = errors.New("none")

func (refusing) Extract(interface{}, interface{}) (opentracing.SpanContext, error) {
	return nil, errNone
}

// TestExtractWithoutBaggageAllocatesNothing: the limits cost requests
// without baggage no allocation (speed is for the benchmarks).
func TestExtractWithoutBaggageAllocatesNothing(t *testing.T) {
	cfg := newConfig(nil)
	h := http.Header{
		"Uber-Trace-Id": {"4bf92f3577b34da6:00f067aa0ba902b7:0:1"},
		"Accept":        {"*/*"},
		"User-Agent":    {"test"},
		"Authorization": {"Bearer x"},
	}
	var tr opentracing.Tracer = refusing{}
	if n := testing.AllocsPerRun(100, func() { _ = cfg.extract(tr, h) }); n != 0 {
		t.Errorf("extract allocated %v times per request without baggage, want 0", n)
	}
}

func TestBaggageKind(t *testing.T) {
	tests := []struct {
		name string
		want int
	}{
		{"Uberctx-Tenant", 1}, {"uberctx-tenant", 1}, {"UBERCTX-TENANT", 1},
		{"Ot-Baggage-User", 1}, {"Baggage-User", 1}, {"bAGGAGE-user", 1},
		{"Baggage", 2}, {"baggage", 2}, {"Jaeger-Baggage", 2}, {"JAEGER-BAGGAGE", 2},
		{"Uberctx-", 0}, // a prefix alone names no item
		{"B3", 0}, {"Uber-Trace-Id", 0}, {"Ot-Tracer-Traceid", 0}, {"Jaeger-Debug-Id", 0},
		{"User-Agent", 0}, {"Accept", 0}, {"", 0}, {"\xff", 0},
	}
	for _, tt := range tests {
		if got := baggageKind(tt.name); got != tt.want {
			t.Errorf("baggageKind(%q) = %d, want %d", tt.name, got, tt.want)
		}
	}
}
