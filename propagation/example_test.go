package propagation_test

import (
	"fmt"
	"maps"
	"net/http"
	"slices"

	"github.com/opentracing/opentracing-go"

	"github.com/polytrace/polytrace/propagation"
)

func Example() {
	fs, err := propagation.Parse("tracecontext,baggage,jaeger")
	if err != nil {
		panic(err)
	}
	sc := propagation.SpanContext{
		TraceID:  propagation.TraceID{High: 0x0af7651916cd43dd, Low: 0x8448eb211c80319c},
		SpanID:   0xb7ad6b7169203331,
		Sampling: propagation.Sampled,
		Baggage:  map[string]string{"tenant": "acme"},
	}
	h := http.Header{}
	if err := fs.Inject(sc, opentracing.HTTPHeadersCarrier(h)); err != nil {
		panic(err)
	}
	for _, k := range slices.Sorted(maps.Keys(h)) {
		fmt.Printf("%s: %s\n", k, h.Get(k))
	}

	// A caller that speaks B3 only: this list reads it too.
	in := http.Header{"X-B3-Traceid": {"8448eb211c80319c"}, "X-B3-Spanid": {"b7ad6b7169203331"}, "X-B3-Sampled": {"0"}}
	got, err := propagation.Formats{propagation.TraceContext, propagation.B3Multi}.Extract(opentracing.HTTPHeadersCarrier(in))
	fmt.Println(got.TraceID, got.Sampling, err)
	// Output:
	// Baggage: tenant=acme
	// Traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01
	// Uber-Trace-Id: 0af7651916cd43dd8448eb211c80319c:b7ad6b7169203331:0000000000000000:1
	// Uberctx-Tenant: acme
	// 00000000000000008448eb211c80319c not-sampled <nil>
}
