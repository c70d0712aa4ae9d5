package main

import "testing"

func TestParseStatsLine(t *testing.T) {
	tests := []struct {
		give     string
		ok       bool
		exported int64
		otel     int64 // exported by the otel backend of a list
	}{
		{`2026/11/25 13:00:00 tracing stats: {"service":"checkout","backend":"otel,lightstep","stats":{"spans_exported":3},"backends":{"otel":{"spans_exported":9},"lightstep":{"spans_exported":3}}}`, true, 3, 9},
		{`2026/11/25 13:00:00 tracing stats: {"service":"checkout","backend":"zipkin","stats":{"spans_exported":12}}`, true, 12, 0},
		{`time=2026-11-25T13:00:00Z level=INFO msg="tracing stats: {\"service\":\"inventory\",\"stats\":{\"spans_exported\":7}}"`, true, 7, 0},
		{`time=2026-11-25T13:00:00Z level=INFO msg="checked out" sku=sku-1`, false, 0, 0},
		{`tracing stats: {broken`, false, 0, 0},
	}
	for _, tt := range tests {
		r, ok := parseStatsLine(tt.give)
		if ok != tt.ok || r.Stats.SpansExported != tt.exported || r.Backends["otel"].SpansExported != tt.otel {
			t.Errorf("parseStatsLine(%q) = %+v, %t; want exported %d (otel %d), %t", tt.give, r, ok, tt.exported, tt.otel, tt.ok)
		}
	}
}
