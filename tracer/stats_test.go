package tracer_test

import (
	"testing"

	"github.com/polytrace/polytrace/tracer"
)

func TestStatsPendingAndString(t *testing.T) {
	tests := []struct {
		give        tracer.Stats
		wantPending int64
		want        string
	}{
		{tracer.Stats{}, 0, "started=0 finished=0 exported=0 dropped=0 pending=0 export_errors=0"},
		{tracer.Stats{SpansStarted: 9, SpansFinished: 8, SpansExported: 5, SpansDropped: 1}, 2,
			"started=9 finished=8 exported=5 dropped=1 pending=2 export_errors=0"},
		// Exported beyond finished (a snapshot taken mid-update): never
		// negative.
		{tracer.Stats{SpansFinished: 1, SpansExported: 2, ExportErrors: 1, LastExportError: "refused"}, 0,
			`started=0 finished=1 exported=2 dropped=0 pending=0 export_errors=1 last_error="refused"`},
	}
	for _, tt := range tests {
		if got := tt.give.Pending(); got != tt.wantPending {
			t.Errorf("%+v.Pending() = %d, want %d", tt.give, got, tt.wantPending)
		}
		if got := tt.give.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}

func TestQueue(t *testing.T) {
	for _, tt := range []struct{ give, own, want int }{
		{0, 0, tracer.DefaultQueueSize}, {-5, 0, tracer.DefaultQueueSize}, {10, 0, 10}, {10, 7, 10}, {0, 7, 7}, {-5, 7, 7},
	} {
		if got := (tracer.Config{QueueSize: tt.give}).Queue(tt.own); got != tt.want {
			t.Errorf("Queue(%d) with QueueSize %d = %d, want %d", tt.own, tt.give, got, tt.want)
		}
	}
}
