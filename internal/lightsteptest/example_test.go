package lightsteptest_test

import (
	"bytes"
	"fmt"
	"net/http"

	"github.com/gogo/protobuf/proto"
	"github.com/lightstep/lightstep-tracer-common/golang/gogo/collectorpb"

	"github.com/polytrace/polytrace/internal/lightsteptest"
)

// A receiver decodes the reports a Lightstep client posts to it. Tests use
// Start(t, transport), which closes it at the end of the test.
func Example() {
	r, err := lightsteptest.Listen(lightsteptest.HTTP)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()

	body, _ := proto.Marshal(&collectorpb.ReportRequest{
		Reporter: &collectorpb.Reporter{Tags: []*collectorpb.KeyValue{
			{Key: "lightstep.component_name", Value: &collectorpb.KeyValue_StringValue{StringValue: "checkout"}},
		}},
		Auth: &collectorpb.Auth{AccessToken: "my-token"},
		Spans: []*collectorpb.Span{{
			SpanContext:   &collectorpb.SpanContext{TraceId: 1, SpanId: 2},
			OperationName: "GET /orders",
			Tags: []*collectorpb.KeyValue{
				{Key: "http.status_code", Value: &collectorpb.KeyValue_IntValue{IntValue: 200}},
			},
		}},
	})
	resp, err := http.Post(fmt.Sprintf("http://%s:%d%s", r.Host, r.Port, lightsteptest.ReportPath),
		lightsteptest.ContentType, bytes.NewReader(body))
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()

	for _, s := range r.Spans() {
		fmt.Println(s.Component, s.Operation, s.TraceID, s.SpanID, s.Tags["http.status_code"])
	}
	fmt.Println(r.AccessTokens())
	// Output:
	// checkout GET /orders 1 2 200
	// [my-token]
}
