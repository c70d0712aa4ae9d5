package main

import "testing"

func TestParseStatsLine(t *testing.T) {
	tests := []struct {
		give     string
		ok       bool
		exported int64
	}{
		{`2026/11/25 13:00:00 tracing stats: {"service":"checkout","backend":"zipkin","stats":{"spans_exported":12}}`, true, 12},
		{`time=2026-11-25T13:00:00Z level=INFO msg="tracing stats: {\"service\":\"inventory\",\"stats\":{\"spans_exported\":7}}"`, true, 7},
		{`time=2026-11-25T13:00:00Z level=INFO msg="checked out" sku=sku-1`, false, 0},
		{`tracing stats: {broken`, false, 0},
	}
	for _, tt := range tests {
		st, ok := parseStatsLine(tt.give)
		if ok != tt.ok || st.SpansExported != tt.exported {
			t.Errorf("parseStatsLine(%q) = %+v, %t; want exported %d, %t", tt.give, st, ok, tt.exported, tt.ok)
		}
	}
}
