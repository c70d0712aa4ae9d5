package jaegertest_test

import (
	"encoding/json"
	"fmt"

	"github.com/polytrace/polytrace/internal/jaegertest"
)

// The helpers read a trace as the query API returns it; in a test the
// traces come from (*Jaeger).WaitForTraces or (*Jaeger).Traces.
func ExampleTrace() {
	const answer = `[{
	  "traceID": "5af7183fb1d4cf5f",
	  "spans": [
	    {"traceID": "5af7183fb1d4cf5f", "spanID": "5af7183fb1d4cf5f", "operationName": "GET /users/:id",
	     "processID": "p1", "tags": [{"key": "http.status_code", "type": "int64", "value": 200}]},
	    {"traceID": "5af7183fb1d4cf5f", "spanID": "2222222222222222", "operationName": "SELECT users",
	     "processID": "p2",
	     "references": [{"refType": "CHILD_OF", "traceID": "5af7183fb1d4cf5f", "spanID": "5af7183fb1d4cf5f"}]}
	  ],
	  "processes": {"p1": {"serviceName": "api"}, "p2": {"serviceName": "db"}}
	}]`
	var traces []jaegertest.Trace
	if err := json.Unmarshal([]byte(answer), &traces); err != nil {
		panic(err)
	}
	tr := traces[0]
	root, query := tr.SpanByOperation("GET /users/:id"), tr.SpanByOperation("SELECT users")
	status, _ := root.Tag("http.status_code")
	fmt.Printf("%s: status %v (%T)\n", tr.ServiceOf(*root), status, status)
	fmt.Printf("%s: parent %s\n", tr.ServiceOf(*query), query.ParentSpanID())
	// Output:
	// api: status 200 (int64)
	// db: parent 5af7183fb1d4cf5f
}
