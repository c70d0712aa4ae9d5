package lightsteptest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/gogo/protobuf/proto"
	"github.com/gogo/protobuf/types"
	"github.com/lightstep/lightstep-tracer-common/golang/gogo/collectorpb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
)

// The transports a Receiver speaks, as [Start] takes them.
const (
	HTTP = "http"
	GRPC = "grpc"
)

// The wire names used by lightstep-tracer-go v0.26.0.
const (
	// ReportPath is the HTTP path reports are posted to.
	ReportPath = "/api/v2/reports"
	// ContentType is the content type of HTTP report bodies and answers.
	ContentType = "application/octet-stream"
	// TokenHeader carries the access token on HTTP requests; its lower-case
	// form is the gRPC metadata key.
	TokenHeader = "Lightstep-Access-Token"
	// ComponentNameKey is the reporter tag naming the service.
	ComponentNameKey = "lightstep.component_name"
)

// maxBody bounds an HTTP report body.
const maxBody = 64 << 20

// Span is a span as the receiver decoded it.
type Span struct {
	Operation string
	TraceID   uint64
	SpanID    uint64
	// ParentSpanID is the span id of the first reference, zero for a root.
	ParentSpanID uint64
	// Relationship is "CHILD_OF" or "FOLLOWS_FROM" when ParentSpanID is set.
	Relationship string
	Start        time.Time
	Duration     time.Duration
	// Tags holds every tag value as a string (numbers in Go syntax, bools
	// as true/false, JSON values verbatim).
	Tags    map[string]string
	Baggage map[string]string
	Logs    []Log

	// Component is the reporter's lightstep.component_name tag.
	Component string
	// ReporterTags are the tags of the tracer that sent the span.
	ReporterTags map[string]string
}

// Log is one log record of a span.
type Log struct {
	Time   time.Time
	Fields map[string]string
}

// Report describes one report request as received.
type Report struct {
	// Transport is HTTP or GRPC.
	Transport string
	// HeaderToken is the Lightstep-Access-Token header (HTTP) or
	// lightstep-access-token metadata (gRPC); AuthToken is the request's
	// Auth.AccessToken field.
	HeaderToken string
	AuthToken   string
	ReporterID  uint64
	// Spans counts the spans in the request.
	Spans int
}

// Receiver is an in-process Lightstep collector. Its methods are safe for
// concurrent use.
type Receiver struct {
	// Host and Port are where it listens: 127.0.0.1 and a free port.
	Host string
	Port int
	// Transport is HTTP or GRPC.
	Transport string

	httpSrv   *http.Server
	grpcSrv   *grpc.Server
	served    chan struct{}
	closeOnce sync.Once

	mu       sync.Mutex
	spans    []Span
	reports  []Report
	respErrs []string
	changed  chan struct{} // closed and replaced whenever spans grow
}

// Start starts a receiver speaking transport (HTTP or GRPC) on a free port
// of 127.0.0.1, or fails t. It is closed when the test ends.
func Start(t testing.TB, transport string) *Receiver {
	t.Helper()
	r, err := Listen(transport)
	if err != nil {
		t.Fatal(err)
		return nil
	}
	t.Cleanup(r.Close)
	return r
}

// Listen starts a receiver speaking transport (HTTP or GRPC) on a free
// port of 127.0.0.1, for code without a testing.TB (examples, TestMain).
// The caller must Close it.
func Listen(transport string) (*Receiver, error) {
	return ListenAt(transport, "127.0.0.1:0")
}

// ListenAt is Listen on a given address, such as the Addr of a receiver
// that was closed: a collector coming back on the same port, with nothing
// received yet. The caller must Close it.
func ListenAt(transport, addr string) (*Receiver, error) {
	if transport != HTTP && transport != GRPC {
		return nil, fmt.Errorf("lightsteptest: transport %q: want %q or %q", transport, HTTP, GRPC)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("lightsteptest: listen: %w", err)
	}
	bound := ln.Addr().(*net.TCPAddr)
	r := &Receiver{
		Host:      bound.IP.String(),
		Port:      bound.Port,
		Transport: transport,
		served:    make(chan struct{}),
		changed:   make(chan struct{}),
	}
	if transport == HTTP {
		mux := http.NewServeMux()
		mux.HandleFunc(ReportPath, r.serveHTTP)
		r.httpSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go func() {
			defer close(r.served)
			_ = r.httpSrv.Serve(ln)
		}()
	} else {
		r.grpcSrv = grpc.NewServer()
		collectorpb.RegisterCollectorServiceServer(r.grpcSrv, grpcService{r})
		go func() {
			defer close(r.served)
			_ = r.grpcSrv.Serve(ln)
		}()
	}
	return r, nil
}

// Addr returns Host:Port.
func (r *Receiver) Addr() string { return net.JoinHostPort(r.Host, strconv.Itoa(r.Port)) }

// Close stops the receiver: open connections are dropped and new ones
// refused. It is idempotent and returns once the server has stopped.
func (r *Receiver) Close() {
	r.closeOnce.Do(func() {
		if r.httpSrv != nil {
			_ = r.httpSrv.Close()
		} else {
			r.grpcSrv.Stop()
		}
		<-r.served
	})
}

// RespondWithErrors makes later answers carry msgs in ReportResponse.Errors
// (the spans are still recorded), as a collector does when it rejects a
// report. No arguments restores clean answers.
func (r *Receiver) RespondWithErrors(msgs ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.respErrs = append([]string(nil), msgs...)
}

// Spans returns the spans received so far, in arrival order.
func (r *Receiver) Spans() []Span {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Span(nil), r.spans...)
}

// Reports returns the report requests received so far, in arrival order.
func (r *Receiver) Reports() []Report {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Report(nil), r.reports...)
}

// AccessTokens returns the distinct non-empty access tokens seen so far,
// in headers, metadata or Auth fields, sorted.
func (r *Receiver) AccessTokens() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	seen := map[string]bool{}
	var out []string
	for _, rep := range r.reports {
		for _, tok := range []string{rep.HeaderToken, rep.AuthToken} {
			if tok != "" && !seen[tok] {
				seen[tok] = true
				out = append(out, tok)
			}
		}
	}
	sort.Strings(out)
	return out
}

// WaitForSpans waits until at least n spans have arrived and returns all
// of them. It fails t, listing what did arrive, if that takes longer than
// timeout.
func (r *Receiver) WaitForSpans(t testing.TB, n int, timeout time.Duration) []Span {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		got, changed := len(r.spans), r.changed
		r.mu.Unlock()
		if got >= n {
			return r.Spans()
		}
		select {
		case <-changed:
		case <-deadline.C:
			spans := r.Spans()
			ops := make([]string, len(spans))
			for i, s := range spans {
				ops[i] = s.Operation
			}
			t.Fatalf("lightsteptest: waited %v for %d spans on %s, got %d: %q", timeout, n, r.Transport, len(spans), ops)
			return nil
		}
	}
}

// record decodes req and returns the answer to send.
func (r *Receiver) record(transport, headerToken string, req *collectorpb.ReportRequest) *collectorpb.ReportResponse {
	received := time.Now()
	reporterTags := fields(req.GetReporter().GetTags())
	spans := make([]Span, 0, len(req.GetSpans()))
	for _, s := range req.GetSpans() {
		spans = append(spans, decodeSpan(s, reporterTags))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reports = append(r.reports, Report{
		Transport:   transport,
		HeaderToken: headerToken,
		AuthToken:   req.GetAuth().GetAccessToken(),
		ReporterID:  req.GetReporter().GetReporterId(),
		Spans:       len(spans),
	})
	if len(spans) > 0 {
		r.spans = append(r.spans, spans...)
		close(r.changed)
		r.changed = make(chan struct{})
	}
	return &collectorpb.ReportResponse{
		ReceiveTimestamp:  timestamp(received),
		TransmitTimestamp: timestamp(time.Now()),
		Errors:            append([]string(nil), r.respErrs...),
	}
}

func (r *Receiver) serveHTTP(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "want POST", http.StatusMethodNotAllowed)
		return
	}
	if ct := req.Header.Get("Content-Type"); ct != ContentType {
		http.Error(w, fmt.Sprintf("content type %q: want %s", ct, ContentType), http.StatusUnsupportedMediaType)
		return
	}
	body, err := io.ReadAll(io.LimitReader(req.Body, maxBody+1))
	if err != nil {
		http.Error(w, "read body: "+err.Error(), http.StatusBadRequest)
		return
	}
	if len(body) > maxBody {
		http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
		return
	}
	var rr collectorpb.ReportRequest
	if err := proto.Unmarshal(body, &rr); err != nil {
		http.Error(w, "decode ReportRequest: "+err.Error(), http.StatusBadRequest)
		return
	}
	out, err := proto.Marshal(r.record(HTTP, req.Header.Get(TokenHeader), &rr))
	if err != nil {
		http.Error(w, "encode ReportResponse: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", ContentType)
	_, _ = w.Write(out)
}

type grpcService struct{ r *Receiver }

func (s grpcService) Report(ctx context.Context, req *collectorpb.ReportRequest) (*collectorpb.ReportResponse, error) {
	if req == nil {
		return nil, errors.New("lightsteptest: nil ReportRequest")
	}
	var token string
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		if v := md.Get(TokenHeader); len(v) > 0 {
			token = v[0]
		}
	}
	return s.r.record(GRPC, token, req), nil
}

func decodeSpan(s *collectorpb.Span, reporterTags map[string]string) Span {
	out := Span{
		Operation:    s.GetOperationName(),
		TraceID:      s.GetSpanContext().GetTraceId(),
		SpanID:       s.GetSpanContext().GetSpanId(),
		Start:        fromTimestamp(s.GetStartTimestamp()),
		Duration:     time.Duration(s.GetDurationMicros()) * time.Microsecond,
		Tags:         fields(s.GetTags()),
		Baggage:      map[string]string{},
		Component:    reporterTags[ComponentNameKey],
		ReporterTags: reporterTags,
	}
	for k, v := range s.GetSpanContext().GetBaggage() {
		out.Baggage[k] = v
	}
	if refs := s.GetReferences(); len(refs) > 0 {
		out.ParentSpanID = refs[0].GetSpanContext().GetSpanId()
		out.Relationship = refs[0].GetRelationship().String()
	}
	for _, l := range s.GetLogs() {
		out.Logs = append(out.Logs, Log{Time: fromTimestamp(l.GetTimestamp()), Fields: fields(l.GetFields())})
	}
	return out
}

// fields decodes key-values with every value as a string.
func fields(kvs []*collectorpb.KeyValue) map[string]string {
	m := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		var v string
		switch x := kv.GetValue().(type) {
		case *collectorpb.KeyValue_StringValue:
			v = x.StringValue
		case *collectorpb.KeyValue_IntValue:
			v = strconv.FormatInt(x.IntValue, 10)
		case *collectorpb.KeyValue_DoubleValue:
			v = strconv.FormatFloat(x.DoubleValue, 'g', -1, 64)
		case *collectorpb.KeyValue_BoolValue:
			v = strconv.FormatBool(x.BoolValue)
		case *collectorpb.KeyValue_JsonValue:
			v = x.JsonValue
		}
		m[kv.GetKey()] = v
	}
	return m
}

func timestamp(t time.Time) *types.Timestamp {
	return &types.Timestamp{Seconds: t.Unix(), Nanos: int32(t.Nanosecond())}
}

func fromTimestamp(ts *types.Timestamp) time.Time {
	if ts == nil {
		return time.Time{}
	}
	return time.Unix(ts.Seconds, int64(ts.Nanos))
}
