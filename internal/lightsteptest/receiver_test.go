package lightsteptest_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gogo/protobuf/proto"
	"github.com/gogo/protobuf/types"
	"github.com/lightstep/lightstep-tracer-common/golang/gogo/collectorpb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/encoding"
	grpcproto "google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/metadata"

	"github.com/polytrace/polytrace/internal/lightsteptest"
)

var (
	t0 = time.Unix(1700000000, 123456000)
	t1 = t0.Add(5 * time.Millisecond)
)

func ts(t time.Time) *types.Timestamp {
	return &types.Timestamp{Seconds: t.Unix(), Nanos: int32(t.Nanosecond())}
}

// handBuilt is a report with every kind of value the decoder handles: a
// root and a child span, tags of all five value kinds, baggage and logs.
func handBuilt(token string) *collectorpb.ReportRequest {
	return &collectorpb.ReportRequest{
		Reporter: &collectorpb.Reporter{
			ReporterId: 77,
			Tags: []*collectorpb.KeyValue{
				{Key: "lightstep.component_name", Value: &collectorpb.KeyValue_StringValue{StringValue: "checkout"}},
				{Key: "env", Value: &collectorpb.KeyValue_StringValue{StringValue: "test"}},
			},
		},
		Auth: &collectorpb.Auth{AccessToken: token},
		Spans: []*collectorpb.Span{
			{
				SpanContext:    &collectorpb.SpanContext{TraceId: 0xabc, SpanId: 1},
				OperationName:  "GET /orders/:id",
				StartTimestamp: ts(t0),
				DurationMicros: 2500,
				Tags: []*collectorpb.KeyValue{
					{Key: "s", Value: &collectorpb.KeyValue_StringValue{StringValue: "text"}},
					{Key: "i", Value: &collectorpb.KeyValue_IntValue{IntValue: -42}},
					{Key: "d", Value: &collectorpb.KeyValue_DoubleValue{DoubleValue: 0.25}},
					{Key: "b", Value: &collectorpb.KeyValue_BoolValue{BoolValue: true}},
					{Key: "j", Value: &collectorpb.KeyValue_JsonValue{JsonValue: `{"a":1}`}},
				},
			},
			{
				SpanContext:   &collectorpb.SpanContext{TraceId: 0xabc, SpanId: 2, Baggage: map[string]string{"tenant": "acme"}},
				OperationName: "SELECT orders",
				References: []*collectorpb.Reference{{
					Relationship: collectorpb.Reference_CHILD_OF,
					SpanContext:  &collectorpb.SpanContext{SpanId: 1},
				}},
				StartTimestamp: ts(t1),
				DurationMicros: 700,
				Logs: []*collectorpb.Log{{
					Timestamp: ts(t1),
					Fields: []*collectorpb.KeyValue{
						{Key: "event", Value: &collectorpb.KeyValue_StringValue{StringValue: "retry"}},
						{Key: "attempt", Value: &collectorpb.KeyValue_IntValue{IntValue: 2}},
					},
				}},
			},
		},
		InternalMetrics: &collectorpb.InternalMetrics{
			StartTimestamp: ts(t0),
			Counts:         []*collectorpb.MetricsSample{{Name: "spans.dropped", Value: &collectorpb.MetricsSample_IntValue{IntValue: 3}}},
		},
	}
}

// wantSpans is handBuilt decoded.
func wantSpans() []lightsteptest.Span {
	reporter := map[string]string{"lightstep.component_name": "checkout", "env": "test"}
	return []lightsteptest.Span{
		{
			Operation: "GET /orders/:id",
			TraceID:   0xabc,
			SpanID:    1,
			Start:     t0,
			Duration:  2500 * time.Microsecond,
			Tags:      map[string]string{"s": "text", "i": "-42", "d": "0.25", "b": "true", "j": `{"a":1}`},
			Baggage:   map[string]string{},
			Component: "checkout", ReporterTags: reporter,
		},
		{
			Operation:    "SELECT orders",
			TraceID:      0xabc,
			SpanID:       2,
			ParentSpanID: 1,
			Relationship: "CHILD_OF",
			Start:        t1,
			Duration:     700 * time.Microsecond,
			Tags:         map[string]string{},
			Baggage:      map[string]string{"tenant": "acme"},
			Logs:         []lightsteptest.Log{{Time: t1, Fields: map[string]string{"event": "retry", "attempt": "2"}}},
			Component:    "checkout", ReporterTags: reporter,
		},
	}
}

// send reports req to r the way lightstep-tracer-go does: header or
// metadata token plus the request's own Auth field.
func send(t *testing.T, r *lightsteptest.Receiver, token string, req *collectorpb.ReportRequest) *collectorpb.ReportResponse {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if r.Transport == lightsteptest.GRPC {
		cc, err := grpc.NewClient(r.Addr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			t.Fatal(err)
		}
		defer cc.Close()
		ctx = metadata.NewOutgoingContext(ctx, metadata.Pairs("lightstep-access-token", token))
		resp, err := collectorpb.NewCollectorServiceClient(cc).Report(ctx, req)
		if err != nil {
			t.Fatalf("gRPC Report: %v", err)
		}
		return resp
	}
	body, err := proto.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	status, out := post(t, r, http.MethodPost, lightsteptest.ContentType, token, body)
	if status != http.StatusOK {
		t.Fatalf("POST %s: status %d: %s", lightsteptest.ReportPath, status, out)
	}
	var resp collectorpb.ReportResponse
	if err := proto.Unmarshal(out, &resp); err != nil {
		t.Fatalf("decode ReportResponse: %v", err)
	}
	return &resp
}

func post(t *testing.T, r *lightsteptest.Receiver, method, contentType, token string, body []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, "http://"+r.Addr()+lightsteptest.ReportPath, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set(lightsteptest.TokenHeader, token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, out
}

var transports = []string{lightsteptest.HTTP, lightsteptest.GRPC}

func TestReceiverDecodesHandBuiltReport(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			r := lightsteptest.Start(t, tr)
			resp := send(t, r, "header-token", handBuilt("auth-token"))

			if resp.GetReceiveTimestamp() == nil || resp.GetTransmitTimestamp() == nil {
				t.Errorf("response lacks timestamps: %v", resp)
			}
			if len(resp.GetErrors()) != 0 {
				t.Errorf("response errors = %q, want none", resp.GetErrors())
			}
			if got, want := r.Spans(), wantSpans(); !reflect.DeepEqual(got, want) {
				t.Errorf("spans:\n got  %+v\n want %+v", got, want)
			}
			wantReports := []lightsteptest.Report{{
				Transport: tr, HeaderToken: "header-token", AuthToken: "auth-token", ReporterID: 77, Spans: 2,
			}}
			if got := r.Reports(); !reflect.DeepEqual(got, wantReports) {
				t.Errorf("reports = %+v, want %+v", got, wantReports)
			}
			if got, want := r.AccessTokens(), []string{"auth-token", "header-token"}; !reflect.DeepEqual(got, want) {
				t.Errorf("AccessTokens = %q, want %q", got, want)
			}
		})
	}
}

// TestGRPCCodecHandlesGogoMessages proves what the receiver and the
// Lightstep client both rely on: grpc's default codec encodes and decodes
// collectorpb's gogo-generated messages exactly as gogo itself does.
func TestGRPCCodecHandlesGogoMessages(t *testing.T) {
	codec := encoding.GetCodecV2(grpcproto.Name)
	if codec == nil {
		t.Fatal("grpc has no proto codec registered")
	}
	req := handBuilt("tok")

	wire, err := codec.Marshal(req)
	if err != nil {
		t.Fatalf("grpc codec Marshal: %v", err)
	}
	var viaGogo collectorpb.ReportRequest
	if err := proto.Unmarshal(wire.Materialize(), &viaGogo); err != nil {
		t.Fatalf("gogo Unmarshal of grpc bytes: %v", err)
	}
	if !proto.Equal(&viaGogo, req) {
		t.Errorf("grpc-encoded, gogo-decoded:\n got  %v\n want %v", &viaGogo, req)
	}

	gogoBytes, err := proto.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	var viaGRPC collectorpb.ReportRequest
	if err := codec.Unmarshal(mem.BufferSlice{mem.SliceBuffer(gogoBytes)}, &viaGRPC); err != nil {
		t.Fatalf("grpc codec Unmarshal of gogo bytes: %v", err)
	}
	if !proto.Equal(&viaGRPC, req) {
		t.Errorf("gogo-encoded, grpc-decoded:\n got  %v\n want %v", &viaGRPC, req)
	}
}

func TestRespondWithErrors(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			r := lightsteptest.Start(t, tr)
			r.RespondWithErrors("access token rejected", "over quota")
			resp := send(t, r, "tok", handBuilt("tok"))
			if got, want := resp.GetErrors(), []string{"access token rejected", "over quota"}; !reflect.DeepEqual(got, want) {
				t.Errorf("errors = %q, want %q", got, want)
			}
			if n := len(r.Spans()); n != 2 {
				t.Errorf("%d spans recorded, want 2 (errors do not drop them)", n)
			}
			r.RespondWithErrors()
			if got := send(t, r, "tok", handBuilt("tok")).GetErrors(); len(got) != 0 {
				t.Errorf("after RespondWithErrors(): errors = %q, want none", got)
			}
		})
	}
}

func TestHTTPRefusesMalformedRequests(t *testing.T) {
	r := lightsteptest.Start(t, lightsteptest.HTTP)
	good, err := proto.Marshal(handBuilt("tok"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		method      string
		contentType string
		body        []byte
		want        int
	}{
		{"GET", http.MethodGet, lightsteptest.ContentType, nil, http.StatusMethodNotAllowed},
		{"JSON body", http.MethodPost, "application/json", []byte(`{}`), http.StatusUnsupportedMediaType},
		{"not protobuf", http.MethodPost, lightsteptest.ContentType, []byte{0xff, 0xff, 0xff}, http.StatusBadRequest},
		{"good", http.MethodPost, lightsteptest.ContentType, good, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, body := post(t, r, tt.method, tt.contentType, "tok", tt.body); got != tt.want {
				t.Errorf("status = %d (%s), want %d", got, body, tt.want)
			}
		})
	}
	if n := len(r.Reports()); n != 1 {
		t.Errorf("%d reports recorded, want only the good one", n)
	}
}

func TestCloseRefusesConnections(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			r := lightsteptest.Start(t, tr)
			c, err := net.DialTimeout("tcp", r.Addr(), 5*time.Second)
			if err != nil {
				t.Fatalf("dial before Close: %v", err)
			}
			c.Close()
			r.Close()
			r.Close() // idempotent
			if c, err := net.DialTimeout("tcp", r.Addr(), 5*time.Second); err == nil {
				c.Close()
				t.Fatal("dial after Close succeeded")
			}
		})
	}
}

func TestWaitForSpansReturnsWhenSpansArrive(t *testing.T) {
	r := lightsteptest.Start(t, lightsteptest.HTTP)
	var wg sync.WaitGroup
	wg.Add(1)
	sendErr := make(chan error, 1)
	go func() {
		defer wg.Done()
		time.Sleep(50 * time.Millisecond)
		body, _ := proto.Marshal(handBuilt("tok"))
		resp, err := http.Post("http://"+r.Addr()+lightsteptest.ReportPath, lightsteptest.ContentType, bytes.NewReader(body))
		if err == nil {
			resp.Body.Close()
		}
		sendErr <- err
	}()
	spans := r.WaitForSpans(t, 2, 10*time.Second)
	wg.Wait()
	if err := <-sendErr; err != nil {
		t.Fatal(err)
	}
	if len(spans) != 2 || spans[1].Operation != "SELECT orders" {
		t.Errorf("WaitForSpans = %+v, want the two hand-built spans", spans)
	}
}

// fakeTB records Fatal calls instead of stopping the goroutine.
type fakeTB struct {
	testing.TB
	mu     sync.Mutex
	failed []string
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Fatal(args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failed = append(f.failed, fmt.Sprint(args...))
}
func (f *fakeTB) Fatalf(format string, args ...any) { f.Fatal(fmt.Sprintf(format, args...)) }

func TestWaitForSpansFailsOnTimeout(t *testing.T) {
	r := lightsteptest.Start(t, lightsteptest.HTTP)
	send(t, r, "tok", handBuilt("tok"))
	tb := &fakeTB{}
	if got := r.WaitForSpans(tb, 3, 50*time.Millisecond); got != nil {
		t.Errorf("WaitForSpans returned %d spans after failing", len(got))
	}
	if len(tb.failed) != 1 || !strings.Contains(tb.failed[0], "got 2") || !strings.Contains(tb.failed[0], "SELECT orders") {
		t.Errorf("failure message = %q, want one naming the 2 spans received", tb.failed)
	}
}

func TestStartRefusesUnknownTransport(t *testing.T) {
	tb := &fakeTB{}
	if r := lightsteptest.Start(tb, "thrift"); r != nil {
		t.Errorf("Start(thrift) = %v, want nil", r)
	}
	if len(tb.failed) != 1 || !strings.Contains(tb.failed[0], `"thrift"`) {
		t.Errorf("failure = %q, want one naming the transport", tb.failed)
	}
	if _, err := lightsteptest.Listen("thrift"); err == nil {
		t.Error("Listen(thrift) succeeded")
	}
}

func TestBlackHoleAcceptsAndNeverAnswers(t *testing.T) {
	var addr string
	t.Run("open", func(t *testing.T) {
		host, port := lightsteptest.BlackHole(t)
		addr = net.JoinHostPort(host, fmt.Sprint(port))
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		defer c.Close()
		if _, err := c.Write([]byte("POST /api/v2/reports HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
			t.Fatalf("write: %v", err)
		}
		_ = c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		n, err := c.Read(make([]byte, 1))
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("read = %d, %v; want a timeout (no answer, connection left open)", n, err)
		}
	})
	// The subtest's cleanup closed the listener.
	if c, err := net.DialTimeout("tcp", addr, 5*time.Second); err == nil {
		c.Close()
		t.Fatal("black hole still accepts after its test ended")
	}
}
