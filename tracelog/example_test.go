package tracelog_test

import (
	"context"
	"log/slog"
	"net/http"
	"os"

	"github.com/opentracing/opentracing-go"
	"github.com/openzipkin/zipkin-go/reporter"

	"github.com/polytrace/polytrace/backends/zipkin"
	"github.com/polytrace/polytrace/tracelog"
	"github.com/polytrace/polytrace/tracer"
)

func Example() {
	inst, err := zipkin.NewWithReporter(tracer.Config{ServiceName: "checkout"}, reporter.NewNoopReporter())
	if err != nil {
		panic(err)
	}
	defer inst.Shutdown(context.Background())

	// A request arrives from a caller whose span is in trace 0af7…319c.
	h := http.Header{"X-B3-Traceid": {"0af7651916cd43dd8448eb211c80319c"}, "X-B3-Spanid": {"b7ad6b7169203331"}, "X-B3-Sampled": {"1"}}
	parent, _ := inst.Tracer.Extract(opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(h))
	span := inst.Tracer.StartSpan("GET /checkout/:sku", opentracing.ChildOf(parent))
	defer span.Finish()
	ctx := opentracing.ContextWithSpan(context.Background(), span)

	logger := slog.New(tracelog.NewHandler(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey || a.Key == tracelog.SpanIDKey { // both vary from run to run
				return slog.Attr{}
			}
			return a
		},
	})))
	logger.InfoContext(ctx, "checking out", "sku", "sku-1")
	logger.Info("no context, no ids")
	// Output:
	// level=INFO msg="checking out" sku=sku-1 trace_id=0af7651916cd43dd8448eb211c80319c
	// level=INFO msg="no context, no ids"
}
