package zipkin

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	"github.com/openzipkin/zipkin-go/model"
	"github.com/openzipkin/zipkin-go/proto/zipkin_proto3"

	"github.com/polytrace/polytrace/tracer"
)

func TestProto3Encoding(t *testing.T) {
	// ZIPKIN_ENCODING=proto3 posts Zipkin's proto3 ListOfSpans, with its
	// content type, holding the same span the JSON encoding would.
	var (
		mu     sync.Mutex
		bodies [][]byte
		types  []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies, types = append(bodies, b), append(types, r.Header.Get("Content-Type"))
		mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()

	inst := mustNew(t, tracer.Config{ServiceName: "checkout", Tags: map[string]string{"env": "test"}},
		Options{Endpoint: srv.URL + "/api/v2/spans", BatchInterval: time.Hour, Encoding: EncodingProto3})
	span := inst.Tracer.StartSpan("GET /orders/:id", ext.SpanKindRPCServer, opentracing.Tag{Key: "http.method", Value: "GET"})
	ext.HTTPStatusCode.Set(span, 200)
	span.Finish()
	want := zctx(t, span.Context())
	shutdownOK(t, inst)

	mu.Lock()
	defer mu.Unlock()
	if len(bodies) != 1 {
		t.Fatalf("%d requests, want 1", len(bodies))
	}
	if types[0] != "application/x-protobuf" {
		t.Errorf("Content-Type %q, want application/x-protobuf", types[0])
	}
	spans, err := zipkin_proto3.ParseSpans(bodies[0], false)
	if err != nil {
		t.Fatalf("body is not proto3 spans: %v", err)
	}
	if len(spans) != 1 {
		t.Fatalf("%d spans, want 1", len(spans))
	}
	got := spans[0]
	if got.Name != "GET /orders/:id" || got.Kind != model.Server || got.LocalEndpoint == nil || got.LocalEndpoint.ServiceName != "checkout" {
		t.Errorf("span %q kind %q endpoint %+v, want GET /orders/:id, SERVER, checkout", got.Name, got.Kind, got.LocalEndpoint)
	}
	if got.TraceID != want.TraceID || got.ID != want.ID {
		t.Errorf("ids %s/%s, want %s/%s", got.TraceID, got.ID, want.TraceID, want.ID)
	}
	for k, v := range map[string]string{"http.method": "GET", "http.status_code": "200", "env": "test"} {
		if got.Tags[k] != v {
			t.Errorf("tag %s = %q, want %q (tags %v)", k, got.Tags[k], v, got.Tags)
		}
	}
}
