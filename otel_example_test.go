package polytrace_test

import (
	"context"
	"fmt"

	"github.com/opentracing/opentracing-go"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/polytrace/polytrace"
	"github.com/polytrace/polytrace/tracelog"
	"github.com/polytrace/polytrace/tracer"
)

// OpenTelemetry instrumentation and OpenTracing code in one trace, on any
// backend: here zipkin's tracer, reporting to a collector that is not
// there (spans are dropped when the tracer closes).
func ExampleTracer_TracerProvider() {
	tr, err := polytrace.New("zipkin", tracer.Config{ServiceName: "shop"})
	if err != nil {
		panic(err)
	}
	defer tr.Close()

	request := tr.StartSpan("GET /checkout") // as ginmw starts it
	ctx := opentracing.ContextWithSpan(context.Background(), request)

	// An OpenTelemetry span (otelhttp's, otelsql's...) is its child, and
	// an OpenTracing span started from the context it returns is the
	// OpenTelemetry span's child.
	ctx, price := tr.TracerProvider().Tracer("shop/pricing").Start(ctx, "price",
		trace.WithAttributes(attribute.String("sku", "sku-1")))
	reserve, _ := opentracing.StartSpanFromContextWithTracer(ctx, tr, "reserve")

	requestTrace, _, _ := tracelog.SpanContextIDs(request.Context())
	reserveTrace, _, _ := tracelog.SpanContextIDs(reserve.Context())
	fmt.Println("recording:", price.IsRecording())
	fmt.Println("one trace:", price.SpanContext().TraceID().String() == requestTrace && reserveTrace == requestTrace)
	reserve.Finish()
	price.End()
	request.Finish()
	// Output:
	// recording: true
	// one trace: true
}
