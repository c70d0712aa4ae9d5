package jaegertest_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/uber/jaeger-client-go/thrift"
	jaegerthrift "github.com/uber/jaeger-client-go/thrift-gen/jaeger"
	"github.com/uber/jaeger-client-go/utils"

	"github.com/polytrace/polytrace/internal/jaegertest"
)

// waitTimeout is generous: the machine is slow and storage is eventually
// consistent.
const waitTimeout = 30 * time.Second

// TestEndToEnd starts a real Jaeger, sends hand-made spans to each of its
// receivers without any tracer library, and finds them through the query
// API: this proves the generated configuration wires every receiver to the
// storage and the query API, and that the query helpers decode what Jaeger
// returns.
func TestEndToEnd(t *testing.T) {
	began := time.Now()
	j := jaegertest.Start(t)
	t.Logf("Start took %s", time.Since(began).Round(time.Millisecond))

	for name, url := range map[string]string{
		"CollectorURL": j.CollectorURL, "ZipkinURL": j.ZipkinURL,
		"OTLPHTTPURL": j.OTLPHTTPURL, "QueryURL": j.QueryURL,
	} {
		if !strings.HasPrefix(url, "http://127.0.0.1:") {
			t.Errorf("%s = %q, want http://127.0.0.1:PORT...", name, url)
		}
	}
	if got := j.Services(t); len(got) != 0 {
		t.Fatalf("Services of a fresh Jaeger = %q, want none", got)
	}

	t.Run("Zipkin", func(t *testing.T) { testZipkin(t, j) })
	t.Run("OTLPHTTP", func(t *testing.T) { testOTLPHTTP(t, j) })
	t.Run("ThriftHTTP", func(t *testing.T) { testThriftHTTP(t, j) })
	t.Run("AgentUDP", func(t *testing.T) { testAgentUDP(t, j) })

	want := []string{"jt-agent", "jt-otlp", "jt-thrift", "jt-zipkin"}
	if got := j.Services(t); !reflect.DeepEqual(got, want) {
		t.Errorf("Services = %q, want %q", got, want)
	}
}

func testZipkin(t *testing.T, j *jaegertest.Jaeger) {
	const (
		traceID = "5af7183fb1d4cf5f5af7183fb1d4cf5f"
		rootID  = "1111111111111111"
		childID = "2222222222222222"
	)
	now := time.Now().UnixMicro()
	body := fmt.Sprintf(`[
	  {"traceId":%q,"id":%q,"name":"get /zipkin","kind":"SERVER","timestamp":%d,"duration":5000,
	   "localEndpoint":{"serviceName":"jt-zipkin"},"tags":{"http.method":"GET","component":"handmade"}},
	  {"traceId":%q,"id":%q,"parentId":%q,"name":"child op","timestamp":%d,"duration":1000,
	   "localEndpoint":{"serviceName":"jt-zipkin"}}
	]`, traceID, rootID, now, traceID, childID, rootID, now+1000)
	post(t, j.ZipkinURL, "application/json", []byte(body))

	traces := j.WaitForTraces(t, "jt-zipkin", spansAtLeast(2), waitTimeout)
	if len(traces) != 1 {
		t.Fatalf("got %s, want 1 trace", jaegertest.Summary(traces))
	}
	tr := traces[0]
	if tr.TraceID != traceID {
		t.Errorf("TraceID = %q, want %q", tr.TraceID, traceID)
	}
	root, child := tr.SpanByOperation("get /zipkin"), tr.SpanByOperation("child op")
	if root == nil || child == nil {
		t.Fatalf("want spans %q and %q in %s", "get /zipkin", "child op", jaegertest.Summary(traces))
	}
	if root.SpanID != rootID || child.SpanID != childID {
		t.Errorf("span IDs = %q, %q, want %q, %q", root.SpanID, child.SpanID, rootID, childID)
	}
	if got := root.ParentSpanID(); got != "" {
		t.Errorf("root ParentSpanID = %q, want none", got)
	}
	if got := child.ParentSpanID(); got != rootID {
		t.Errorf("child ParentSpanID = %q, want %q", got, rootID)
	}
	if got, ok := root.Tag("http.method"); !ok || got != "GET" {
		t.Errorf("Tag(http.method) = %v, %v, want GET, true", got, ok)
	}
	if got, ok := root.Tag("no.such.tag"); ok {
		t.Errorf("Tag(no.such.tag) = %v, true, want absent", got)
	}
	if got := tr.ServiceOf(*child); got != "jt-zipkin" {
		t.Errorf("ServiceOf(child) = %q, want jt-zipkin", got)
	}
	if root.Duration != 5000 {
		t.Errorf("root Duration = %dµs, want 5000", root.Duration)
	}
}

func testOTLPHTTP(t *testing.T, j *jaegertest.Jaeger) {
	const (
		traceID = "0af7651916cd43dd8448eb211c80319c"
		spanID  = "b7ad6b7169203331"
	)
	start := time.Now().UnixNano()
	body := fmt.Sprintf(`{"resourceSpans":[{
	  "resource":{"attributes":[{"key":"service.name","value":{"stringValue":"jt-otlp"}}]},
	  "scopeSpans":[{"scope":{"name":"handmade"},"spans":[{
	    "traceId":%q,"spanId":%q,"name":"otlp op","kind":2,
	    "startTimeUnixNano":"%d","endTimeUnixNano":"%d",
	    "attributes":[
	      {"key":"answer","value":{"intValue":"42"}},
	      {"key":"big","value":{"intValue":"9007199254740993"}},
	      {"key":"ratio","value":{"doubleValue":0.5}},
	      {"key":"ok","value":{"boolValue":true}}
	    ]}]}]}]}`, traceID, spanID, start, start+2_000_000)
	post(t, j.OTLPHTTPURL+"/v1/traces", "application/json", []byte(body))

	traces := j.WaitForTraces(t, "jt-otlp", spansAtLeast(1), waitTimeout)
	s := traces[0].SpanByOperation("otlp op")
	if s == nil {
		t.Fatalf("no span %q in %s", "otlp op", jaegertest.Summary(traces))
	}
	if traces[0].TraceID != traceID || s.SpanID != spanID {
		t.Errorf("IDs = %s/%s, want %s/%s", traces[0].TraceID, s.SpanID, traceID, spanID)
	}
	for _, tc := range []struct {
		give string
		want any
	}{
		{give: "answer", want: int64(42)},
		{give: "big", want: int64(9007199254740993)}, // beyond 2^53: sent as a string
		{give: "ratio", want: 0.5},
		{give: "ok", want: true},
	} {
		if got, ok := s.Tag(tc.give); !ok || got != tc.want {
			t.Errorf("Tag(%q) = %#v, %v, want %#v, true", tc.give, got, ok, tc.want)
		}
	}
}

// handmadeBatch is a jaeger.thrift batch of one span with one tag.
func handmadeBatch(service, op string, spanID int64) *jaegerthrift.Batch {
	v := "yes"
	return &jaegerthrift.Batch{
		Process: &jaegerthrift.Process{ServiceName: service},
		Spans: []*jaegerthrift.Span{{
			TraceIdLow:    spanID,
			SpanId:        spanID,
			OperationName: op,
			Flags:         1,
			StartTime:     time.Now().UnixMicro(),
			Duration:      1500,
			Tags:          []*jaegerthrift.Tag{{Key: "handmade", VType: jaegerthrift.TagType_STRING, VStr: &v}},
		}},
	}
}

func testThriftHTTP(t *testing.T, j *jaegertest.Jaeger) {
	buf := thrift.NewTMemoryBuffer()
	if err := handmadeBatch("jt-thrift", "thrift op", 0x1234).Write(context.Background(), thrift.NewTBinaryProtocolTransport(buf)); err != nil {
		t.Fatal(err)
	}
	post(t, j.CollectorURL, "application/x-thrift", buf.Bytes())
	checkHandmade(t, j, "jt-thrift", "thrift op", "0000000000001234")
}

func testAgentUDP(t *testing.T, j *jaegertest.Jaeger) {
	client, err := utils.NewAgentClientUDP(fmt.Sprintf("%s:%d", j.AgentHost, j.AgentPort), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	batch := handmadeBatch("jt-agent", "agent op", 0x5678)
	// UDP gives no answer: resend until the span shows up, in case the
	// receiver's socket was not reading yet.
	j.WaitForTraces(t, "jt-agent", func(tr []jaegertest.Trace) bool {
		if len(tr) == 0 {
			if err := client.EmitBatch(context.Background(), batch); err != nil {
				t.Errorf("EmitBatch: %v", err)
			}
		}
		return len(tr) > 0
	}, waitTimeout)
	checkHandmade(t, j, "jt-agent", "agent op", "0000000000005678")
}

func checkHandmade(t *testing.T, j *jaegertest.Jaeger, service, op, id string) {
	t.Helper()
	traces := j.WaitForTraces(t, service, spansAtLeast(1), waitTimeout)
	tr := traces[0]
	s := tr.SpanByOperation(op)
	if s == nil {
		t.Fatalf("no span %q in %s", op, jaegertest.Summary(traces))
	}
	if tr.TraceID != id || s.SpanID != id {
		t.Errorf("IDs = %s/%s, want %s/%s", tr.TraceID, s.SpanID, id, id)
	}
	if got := tr.ServiceOf(*s); got != service {
		t.Errorf("ServiceOf = %q, want %q", got, service)
	}
	if got, ok := s.Tag("handmade"); !ok || got != "yes" {
		t.Errorf("Tag(handmade) = %#v, %v, want \"yes\", true", got, ok)
	}
}

// spansAtLeast holds when the traces have n spans in all.
func spansAtLeast(n int) func([]jaegertest.Trace) bool {
	return func(traces []jaegertest.Trace) bool {
		total := 0
		for _, tr := range traces {
			total += len(tr.Spans)
		}
		return total >= n
	}
}

func post(t *testing.T, url, contentType string, body []byte) {
	t.Helper()
	resp, err := http.Post(url, contentType, bytes.NewReader(body))
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("POST %s: %s", url, resp.Status)
	}
}

// TestTwoInstances proves instances get distinct ports and separate
// storage.
func TestTwoInstances(t *testing.T) {
	a, b := jaegertest.Start(t), jaegertest.Start(t)
	if a.QueryURL == b.QueryURL || a.ZipkinURL == b.ZipkinURL || a.AgentPort == b.AgentPort {
		t.Fatalf("instances share addresses: %+v and %+v", a, b)
	}
	body := fmt.Sprintf(`[{"traceId":"00000000000000aa","id":"00000000000000aa","name":"only in a","timestamp":%d,"duration":10,"localEndpoint":{"serviceName":"jt-a"}}]`, time.Now().UnixMicro())
	post(t, a.ZipkinURL, "application/json", []byte(body))
	a.WaitForTraces(t, "jt-a", spansAtLeast(1), waitTimeout)
	if got := b.Services(t); len(got) != 0 {
		t.Errorf("b.Services = %q, want none: a's span leaked into b", got)
	}
}
