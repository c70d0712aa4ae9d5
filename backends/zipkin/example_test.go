package zipkin_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/openzipkin/zipkin-go/reporter/recorder"

	"github.com/polytrace/polytrace/backends/zipkin"
	"github.com/polytrace/polytrace/tracer"
)

func Example() {
	// A stand-in for a Zipkin collector that prints the spans it receives.
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var spans []struct {
			Name          string `json:"name"`
			LocalEndpoint struct {
				ServiceName string `json:"serviceName"`
			} `json:"localEndpoint"`
			Tags map[string]string `json:"tags"`
		}
		if err := json.NewDecoder(r.Body).Decode(&spans); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		for _, s := range spans {
			fmt.Println(s.LocalEndpoint.ServiceName, s.Name, s.Tags["env"], s.Tags["card"])
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	defer collector.Close()

	inst, err := zipkin.Open(tracer.Config{
		ServiceName: "checkout",
		Tags:        map[string]string{"env": "prod"},
		Lookup: tracer.MapLookup(map[string]string{
			zipkin.EnvEndpoint: collector.URL + "/api/v2/spans",
		}),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	span := inst.Tracer.StartSpan("charge")
	span.SetTag("card", "visa")
	span.Finish()

	// Shutdown sends what is still buffered.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := inst.Shutdown(ctx); err != nil {
		fmt.Println(err)
	}
	// Output: checkout charge prod visa
}

func ExampleNewWithReporter() {
	// Any zipkin-go reporter works; this one keeps spans in memory.
	rec := recorder.NewReporter()
	inst, err := zipkin.NewWithReporter(tracer.Config{ServiceName: "billing"}, rec)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer inst.Shutdown(context.Background())

	parent := inst.Tracer.StartSpan("invoice")
	child := inst.Tracer.StartSpan("render", opentracing.ChildOf(parent.Context()))
	child.Finish()
	parent.Finish()

	spans := rec.Flush()
	fmt.Println(len(spans), "spans")
	fmt.Println(spans[0].Name, "is a child of", spans[1].Name+":", *spans[0].ParentID == spans[1].ID)
	// Output:
	// 2 spans
	// render is a child of invoice: true
}

func ExampleOptionsFromConfig() {
	_, err := zipkin.OptionsFromConfig(tracer.Config{
		Lookup: tracer.MapLookup(map[string]string{zipkin.EnvEndpoint: "zipkin:9411"}),
	})
	fmt.Println(err)
	// Output: ZIPKIN_ENDPOINT="zipkin:9411": want an absolute http:// or https:// URL
}
