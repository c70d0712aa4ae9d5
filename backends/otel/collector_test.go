package otel

import (
	"compress/gzip"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/polytrace/polytrace/internal/faultnet"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/stats"
	"google.golang.org/protobuf/proto"
)

// gotSpan is a span as a test collector received it.
type gotSpan struct {
	Name                      string
	TraceID, SpanID, ParentID string // hex; ParentID "" for a root
	Start, End                time.Time
	Kind                      string // SPAN_KIND_CLIENT, …
	Status                    string // STATUS_CODE_ERROR, …
	StatusMessage             string
	Attrs                     map[string]string
	Resource                  map[string]string
	Events                    []string
	EventAttrs                []map[string]string // of each event
}

func (s gotSpan) String() string {
	return fmt.Sprintf("%q trace=%s span=%s parent=%s kind=%s attrs=%v resource=%v", s.Name, s.TraceID, s.SpanID, s.ParentID, s.Kind, s.Attrs, s.Resource)
}

// request is what a test collector saw of one export request.
type request struct {
	Header      http.Header // HTTP headers, or gRPC metadata
	Encoding    string      // Content-Encoding, or the gRPC compression
	ContentType string
	Path        string
}

// collector keeps what a test OTLP receiver got.
type collector struct {
	mu       sync.Mutex
	spans    []gotSpan
	requests []request
	status   int    // HTTP status to answer with; 0 means 200
	body     string // body of a non-200 answer
}

func (c *collector) add(req request, rs []*tracepb.ResourceSpans) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.requests = append(c.requests, req)
	for _, r := range rs {
		res := attrMap(r.GetResource().GetAttributes())
		for _, ss := range r.GetScopeSpans() {
			for _, s := range ss.GetSpans() {
				g := gotSpan{
					Name:          s.GetName(),
					TraceID:       hex.EncodeToString(s.GetTraceId()),
					SpanID:        hex.EncodeToString(s.GetSpanId()),
					Kind:          s.GetKind().String(),
					Status:        s.GetStatus().GetCode().String(),
					StatusMessage: s.GetStatus().GetMessage(),
					Attrs:         attrMap(s.GetAttributes()),
					Resource:      res,
					Start:         time.Unix(0, int64(s.GetStartTimeUnixNano())),
					End:           time.Unix(0, int64(s.GetEndTimeUnixNano())),
				}
				if p := s.GetParentSpanId(); len(p) > 0 {
					g.ParentID = hex.EncodeToString(p)
				}
				for _, e := range s.GetEvents() {
					g.Events = append(g.Events, e.GetName())
					g.EventAttrs = append(g.EventAttrs, attrMap(e.GetAttributes()))
				}
				c.spans = append(c.spans, g)
			}
		}
	}
}

func attrMap(kvs []*commonpb.KeyValue) map[string]string {
	m := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		v := kv.GetValue()
		switch v.GetValue().(type) {
		case *commonpb.AnyValue_IntValue:
			m[kv.GetKey()] = fmt.Sprint(v.GetIntValue())
		case *commonpb.AnyValue_BoolValue:
			m[kv.GetKey()] = fmt.Sprint(v.GetBoolValue())
		case *commonpb.AnyValue_DoubleValue:
			m[kv.GetKey()] = fmt.Sprint(v.GetDoubleValue())
		case *commonpb.AnyValue_ArrayValue:
			var items []string
			for _, item := range v.GetArrayValue().GetValues() {
				items = append(items, strconv.Quote(item.GetStringValue()))
			}
			m[kv.GetKey()] = "[" + strings.Join(items, ",") + "]"
		default:
			m[kv.GetKey()] = v.GetStringValue()
		}
	}
	return m
}

// Spans returns the spans received so far, sorted by name.
func (c *collector) Spans() []gotSpan {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := append([]gotSpan(nil), c.spans...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Requests returns the requests received so far.
func (c *collector) Requests() []request {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]request(nil), c.requests...)
}

// waitSpans waits up to 10s for at least n spans.
func (c *collector) waitSpans(t *testing.T, n int) []gotSpan {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := c.Spans()
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("collector got %d spans, want %d: %v", len(got), n, got)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// startHTTP starts an OTLP/HTTP receiver (protobuf and JSON, optionally
// gzipped) and returns it with its base URL.
func startHTTP(t *testing.T, tlsOn bool) (*collector, *httptest.Server) {
	t.Helper()
	c := &collector{}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body io.Reader = r.Body
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			body = zr
		}
		raw, err := io.ReadAll(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var rs []*tracepb.ResourceSpans
		switch ct := r.Header.Get("Content-Type"); ct {
		case "application/x-protobuf":
			var req coltracepb.ExportTraceServiceRequest
			if err := proto.Unmarshal(raw, &req); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			rs = req.GetResourceSpans()
		case "application/json":
			if rs, err = decodeJSON(raw); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
		default:
			http.Error(w, "content type "+ct, http.StatusUnsupportedMediaType)
			return
		}
		c.mu.Lock()
		status, answer := c.status, c.body
		c.mu.Unlock()
		if status != 0 && status != http.StatusOK {
			c.add(request{Header: r.Header.Clone(), Encoding: r.Header.Get("Content-Encoding"), ContentType: r.Header.Get("Content-Type"), Path: r.URL.Path}, nil)
			http.Error(w, answer, status)
			return
		}
		c.add(request{Header: r.Header.Clone(), Encoding: r.Header.Get("Content-Encoding"), ContentType: r.Header.Get("Content-Type"), Path: r.URL.Path}, rs)
		w.Header().Set("Content-Type", "application/x-protobuf")
		out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
		_, _ = w.Write(out)
	})
	srv := httptest.NewUnstartedServer(h)
	if tlsOn {
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	return c, srv
}

// decodeJSON reads the parts of an OTLP/JSON request the tests look at
// (OTLP/JSON writes ids as hex, which protojson does not read).
func decodeJSON(raw []byte) ([]*tracepb.ResourceSpans, error) {
	type kv struct {
		Key   string `json:"key"`
		Value struct {
			StringValue *string `json:"stringValue"`
			IntValue    *string `json:"intValue"`
		} `json:"value"`
	}
	var req struct {
		ResourceSpans []struct {
			Resource struct {
				Attributes []kv `json:"attributes"`
			} `json:"resource"`
			ScopeSpans []struct {
				Spans []struct {
					Name         string `json:"name"`
					TraceID      string `json:"traceId"`
					SpanID       string `json:"spanId"`
					ParentSpanID string `json:"parentSpanId"`
					Kind         int    `json:"kind"`
					Attributes   []kv   `json:"attributes"`
				} `json:"spans"`
			} `json:"scopeSpans"`
		} `json:"resourceSpans"`
	}
	if err := json.Unmarshal(raw, &req); err != nil {
		return nil, err
	}
	conv := func(in []kv) []*commonpb.KeyValue {
		var out []*commonpb.KeyValue
		for _, a := range in {
			v := ""
			if a.Value.StringValue != nil {
				v = *a.Value.StringValue
			} else if a.Value.IntValue != nil {
				v = *a.Value.IntValue
			}
			out = append(out, &commonpb.KeyValue{Key: a.Key, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v}}})
		}
		return out
	}
	var out []*tracepb.ResourceSpans
	for _, r := range req.ResourceSpans {
		pr := &tracepb.ResourceSpans{Resource: &resourcepb.Resource{Attributes: conv(r.Resource.Attributes)}}
		for _, ss := range r.ScopeSpans {
			ps := &tracepb.ScopeSpans{}
			for _, s := range ss.Spans {
				tid, err1 := hex.DecodeString(s.TraceID)
				sid, err2 := hex.DecodeString(s.SpanID)
				pid, err3 := hex.DecodeString(s.ParentSpanID)
				if err1 != nil || err2 != nil || err3 != nil {
					return nil, fmt.Errorf("ids of %q are not hex: %q %q %q", s.Name, s.TraceID, s.SpanID, s.ParentSpanID)
				}
				ps.Spans = append(ps.Spans, &tracepb.Span{Name: s.Name, TraceId: tid, SpanId: sid, ParentSpanId: pid,
					Kind: tracepb.Span_SpanKind(s.Kind), Attributes: conv(s.Attributes)})
			}
			pr.ScopeSpans = append(pr.ScopeSpans, ps)
		}
		out = append(out, pr)
	}
	return out, nil
}

// startGRPC starts an OTLP/gRPC receiver on 127.0.0.1 (plaintext) and
// returns it with its address.
func startGRPC(t *testing.T) (*collector, string) {
	t.Helper()
	c := &collector{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	comp := &compressionRecorder{}
	srv := grpc.NewServer(grpc.StatsHandler(comp))
	coltracepb.RegisterTraceServiceServer(srv, &grpcReceiver{c: c, comp: comp})
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(srv.Stop)
	return c, ln.Addr().String()
}

type grpcReceiver struct {
	coltracepb.UnimplementedTraceServiceServer
	c    *collector
	comp *compressionRecorder
}

func (g *grpcReceiver) Export(ctx context.Context, req *coltracepb.ExportTraceServiceRequest) (*coltracepb.ExportTraceServiceResponse, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	h := http.Header{}
	for k, vs := range md {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	g.c.add(request{Header: h, Encoding: g.comp.last(), ContentType: strings.Join(md.Get("content-type"), ",")}, req.GetResourceSpans())
	return &coltracepb.ExportTraceServiceResponse{}, nil
}

// compressionRecorder is a gRPC stats handler that remembers the
// compression of the last incoming request.
type compressionRecorder struct {
	mu   sync.Mutex
	comp string
}

func (r *compressionRecorder) last() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.comp
}

func (r *compressionRecorder) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context {
	return ctx
}
func (r *compressionRecorder) HandleRPC(_ context.Context, s stats.RPCStats) {
	if h, ok := s.(*stats.InHeader); ok {
		r.mu.Lock()
		r.comp = h.Compression
		r.mu.Unlock()
	}
}
func (r *compressionRecorder) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context {
	return ctx
}
func (r *compressionRecorder) HandleConn(context.Context, stats.ConnStats) {}

// blackHole returns the address of a listener that accepts connections
// and never answers them.
func blackHole(t *testing.T) string { return faultnet.HangingListener(t) }
