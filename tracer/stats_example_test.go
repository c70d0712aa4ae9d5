package tracer_test

import (
	"fmt"

	"github.com/polytrace/polytrace/tracer"
)

// A service logs its tracer's health, for example at shutdown.
func ExampleStats() {
	st := tracer.Stats{SpansStarted: 120, SpansFinished: 118, SpansExported: 100, SpansDropped: 10,
		ExportErrors: 2, LastExportError: `Post "http://collector:14268/api/traces": connection refused`}
	fmt.Println(st)
	fmt.Println("waiting to be sent:", st.Pending())
	// Output:
	// started=120 finished=118 exported=100 dropped=10 pending=8 export_errors=2 last_error="Post \"http://collector:14268/api/traces\": connection refused"
	// waiting to be sent: 8
}
