package polytrace_test

import (
	"fmt"

	"github.com/polytrace/polytrace"
	"github.com/polytrace/polytrace/tracer"
)

// Stats reads the same for every backend: here, zipkin's, with its
// collector unreachable.
func ExampleTracer_Stats() {
	tr, err := polytrace.New("zipkin", tracer.Config{
		ServiceName: "checkout",
		QueueSize:   100, // TRACER_QUEUE_SIZE
		Lookup:      tracer.MapLookup(map[string]string{"ZIPKIN_ENDPOINT": "http://127.0.0.1:9/api/v2/spans"}),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for range 150 {
		tr.StartSpan("charge").Finish()
	}
	_ = tr.Close() // the collector refuses: nothing is exported
	st := tr.Stats()
	fmt.Println("started:", st.SpansStarted, "finished:", st.SpansFinished)
	fmt.Println("exported:", st.SpansExported, "dropped:", st.SpansDropped, "pending:", st.Pending())
	// Output:
	// started: 150 finished: 150
	// exported: 0 dropped: 150 pending: 0
}
