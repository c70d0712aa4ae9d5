package otel

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"log"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.uber.org/goleak"

	"github.com/polytrace/polytrace/tracer"
	tracertest "github.com/polytrace/polytrace/tracer/tracertest"
)

// probe compares span identities through the OpenTelemetry span context.
type probe struct{}

func (probe) SameTrace(a, b opentracing.Span) bool {
	x, ok1 := SpanContext(a.Context())
	y, ok2 := SpanContext(b.Context())
	return ok1 && ok2 && x.IsValid() && x.TraceID() == y.TraceID()
}

func (probe) SameSpanContext(s opentracing.Span, sc opentracing.SpanContext) bool {
	x, ok1 := SpanContext(s.Context())
	y, ok2 := SpanContext(sc)
	return ok1 && ok2 && x.IsValid() && x.TraceID() == y.TraceID() && x.SpanID() == y.SpanID()
}

// quiet is a logger for tests that do not look at the log.
var quiet = log.New(&bytes.Buffer{}, "", 0)

func open(t *testing.T, cfg tracer.Config, opts Options) *tracer.Instance {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = quiet
	}
	inst, err := New(cfg, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return inst
}

func shutdownOK(t *testing.T, inst *tracer.Instance) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := inst.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
}

func TestConformance(t *testing.T) {
	for _, protocol := range []string{ProtocolHTTPProtobuf, ProtocolGRPC} {
		t.Run(protocol, func(t *testing.T) {
			var endpoint string
			if protocol == ProtocolGRPC {
				_, addr := startGRPC(t)
				endpoint = "http://" + addr
			} else {
				_, srv := startHTTP(t, false)
				endpoint = srv.URL + "/v1/traces"
			}
			hole := blackHole(t)
			tracertest.Run(t, tracertest.Harness{
				Open: func(t *testing.T, cfg tracer.Config) *tracer.Instance {
					return open(t, cfg, Options{Protocol: protocol, Endpoint: endpoint,
						ScheduleDelay: 10 * time.Millisecond})
				},
				OpenUnreachable: func(t *testing.T, cfg tracer.Config) *tracer.Instance {
					return open(t, cfg, Options{Protocol: protocol, Endpoint: "http://" + hole,
						ScheduleDelay: time.Millisecond})
				},
				OpenRecorded: func(t *testing.T, cfg tracer.Config) (*tracer.Instance, func() []tracertest.Exported) {
					c, srv := startHTTP(t, false)
					inst := open(t, cfg, Options{Protocol: ProtocolHTTPProtobuf, Endpoint: srv.URL + "/v1/traces",
						ScheduleDelay: 10 * time.Millisecond})
					return inst, func() []tracertest.Exported { return exported(c.Spans()) }
				},
				Probe: probe{},
			})
		})
	}
}

// TestExport sends a parent and a child span through each protocol and
// compression to a local receiver and checks what arrives.
func TestExport(t *testing.T) {
	tests := []struct {
		name        string
		protocol    string
		compression string
		tls         bool
		wantEnc     string
		wantType    string
	}{
		{name: "http/protobuf", protocol: ProtocolHTTPProtobuf, wantType: "application/x-protobuf"},
		{name: "http/protobuf gzip", protocol: ProtocolHTTPProtobuf, compression: CompressionGzip, wantEnc: "gzip", wantType: "application/x-protobuf"},
		{name: "http/json", protocol: ProtocolHTTPJSON, wantType: "application/json"},
		{name: "https", protocol: ProtocolHTTPProtobuf, tls: true, wantType: "application/x-protobuf"},
		{name: "grpc", protocol: ProtocolGRPC, wantEnc: "identity", wantType: "application/grpc"},
		{name: "grpc gzip", protocol: ProtocolGRPC, compression: CompressionGzip, wantEnc: "gzip", wantType: "application/grpc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := Options{Protocol: tt.protocol, Compression: tt.compression, ScheduleDelay: 10 * time.Millisecond,
				Headers:            map[string]string{"Api-Key": "s3cret value", "X-Tenant": "acme"},
				ResourceAttributes: map[string]string{"deployment.environment": "test", "team": "x"}}
			var col *collector
			if tt.protocol == ProtocolGRPC {
				var addr string
				col, addr = startGRPC(t)
				opts.Endpoint = "http://" + addr
			} else {
				var srv *httptest.Server
				col, srv = startHTTP(t, tt.tls)
				opts.Endpoint = srv.URL // no path: /v1/traces is added
				if tt.tls {
					pool := x509.NewCertPool()
					pool.AddCert(srv.Certificate())
					opts.TLSConfig = &tls.Config{RootCAs: pool}
				}
			}
			inst := open(t, tracer.Config{ServiceName: "checkout", Tags: map[string]string{"team": "payments"}}, opts)
			tr := inst.Tracer
			parent := tr.StartSpan("GET /checkout/:sku", ext.SpanKindRPCServer)
			child := tr.StartSpan("GET /inventory/:sku", opentracing.ChildOf(parent.Context()), ext.SpanKindRPCClient)
			ext.HTTPStatusCode.Set(child, 503)
			ext.Error.Set(child, true)
			child.LogKV("event", "retry", "attempt", 2)
			child.Finish()
			parent.Finish()
			shutdownOK(t, inst)

			spans := col.waitSpans(t, 2)
			if len(spans) != 2 {
				t.Fatalf("got %d spans, want 2: %v", len(spans), spans)
			}
			c, p := spans[1], spans[0] // sorted by name: checkout < inventory
			if p.Name != "GET /checkout/:sku" || c.Name != "GET /inventory/:sku" {
				t.Fatalf("spans %v", spans)
			}
			if c.TraceID != p.TraceID || c.ParentID != p.SpanID || p.ParentID != "" || len(c.TraceID) != 32 {
				t.Errorf("child %v\nparent %v: not linked", c, p)
			}
			wantRes := map[string]string{"service.name": "checkout", "team": "payments", "deployment.environment": "test",
				"telemetry.sdk.language": "go"}
			for k, v := range wantRes {
				if c.Resource[k] != v {
					t.Errorf("resource %s = %q, want %q (resource %v)", k, c.Resource[k], v, c.Resource)
				}
			}
			if tt.protocol != ProtocolHTTPJSON { // the JSON decoder here reads less
				if p.Kind != "SPAN_KIND_SERVER" || c.Kind != "SPAN_KIND_CLIENT" {
					t.Errorf("kinds %s, %s; want server, client", p.Kind, c.Kind)
				}
				if c.Status != "STATUS_CODE_ERROR" || c.Attrs["http.status_code"] != "503" || len(c.Events) != 1 || c.Events[0] != "retry" {
					t.Errorf("child status %s attrs %v events %v", c.Status, c.Attrs, c.Events)
				}
			}
			for _, r := range col.Requests() {
				if got := r.Header.Get("Api-Key"); got != "s3cret value" {
					t.Errorf("Api-Key header %q, want the configured value", got)
				}
				if got := r.Header.Get("X-Tenant"); got != "acme" {
					t.Errorf("X-Tenant header %q", got)
				}
				if r.Encoding != tt.wantEnc {
					t.Errorf("encoding %q, want %q", r.Encoding, tt.wantEnc)
				}
				if !strings.HasPrefix(r.ContentType, tt.wantType) {
					t.Errorf("content type %q, want %q", r.ContentType, tt.wantType)
				}
				if tt.protocol != ProtocolGRPC && r.Path != "/v1/traces" {
					t.Errorf("path %q, want /v1/traces", r.Path)
				}
			}
		})
	}
}

// TestProcessEnvironmentIgnored sets every OTEL_* variable the SDK and
// the exporters read in the process environment, pointing elsewhere, and
// checks that a tracer built with New and MapLookup uses none of them.
func TestProcessEnvironmentIgnored(t *testing.T) {
	// A certificate the exporters would load, which would make an http://
	// endpoint refuse to start and a gRPC one use TLS.
	tlsSrv := httptest.NewTLSServer(http.NotFoundHandler())
	defer tlsSrv.Close()
	certFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: tlsSrv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	hole := blackHole(t)
	env := map[string]string{
		"OTEL_EXPORTER_OTLP_ENDPOINT":            "http://" + hole,
		"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT":     "http://" + hole + "/v1/traces",
		"OTEL_EXPORTER_OTLP_PROTOCOL":            "http/json",
		"OTEL_EXPORTER_OTLP_HEADERS":             "x-leak=env",
		"OTEL_EXPORTER_OTLP_TRACES_HEADERS":      "x-leak=env-traces",
		"OTEL_EXPORTER_OTLP_COMPRESSION":         "gzip",
		"OTEL_EXPORTER_OTLP_TIMEOUT":             "1",
		"OTEL_EXPORTER_OTLP_INSECURE":            "false",
		"OTEL_EXPORTER_OTLP_CERTIFICATE":         certFile,
		"OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE":  certFile,
		"OTEL_SERVICE_NAME":                      "leaked-service",
		"OTEL_RESOURCE_ATTRIBUTES":               "leak=yes,service.name=leaked-too",
		"OTEL_TRACES_SAMPLER":                    "always_off",
		"OTEL_BSP_MAX_QUEUE_SIZE":                "1",
		"OTEL_BSP_MAX_EXPORT_BATCH_SIZE":         "1",
		"OTEL_BSP_SCHEDULE_DELAY":                "600000",
		"OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT":        "1",
		"OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT": "2",
		"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL":     "http/json",
		"OTEL_EXPORTER_OTLP_TRACES_COMPRESSION":  "gzip",
		"OTEL_EXPORTER_OTLP_TRACES_INSECURE":     "false",
		"OTEL_EXPORTER_OTLP_TRACES_TIMEOUT":      "1",
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
	for _, protocol := range []string{ProtocolHTTPProtobuf, ProtocolGRPC} {
		t.Run(protocol, func(t *testing.T) {
			var (
				col      *collector
				settings = map[string]string{EnvProtocol: protocol, EnvBSPScheduleDelay: "10"}
			)
			if protocol == ProtocolGRPC {
				var addr string
				col, addr = startGRPC(t)
				settings[EnvEndpoint] = "http://" + addr
			} else {
				var srv *httptest.Server
				col, srv = startHTTP(t, false)
				settings[EnvEndpoint] = srv.URL
			}
			var logs bytes.Buffer
			cfg := tracer.Config{Tags: map[string]string{"run": "env"}, Lookup: tracer.MapLookup(settings)}
			opts, err := OptionsFromConfig(cfg)
			if err != nil {
				t.Fatal(err)
			}
			opts.Logger = log.New(&logs, "", 0)
			inst, err := New(cfg, opts)
			if err != nil {
				t.Fatalf("New with a leaky process environment: %v", err)
			}
			const n = 20 // more than the environment's queue size of 1
			for i := 0; i < n; i++ {
				s := inst.Tracer.StartSpan("span")
				s.SetTag("a", "long value").SetTag("b", 2).SetTag("c", true)
				s.Finish()
			}
			shutdownOK(t, inst)
			spans := col.waitSpans(t, n)
			if len(spans) != n {
				t.Errorf("got %d spans, want %d", len(spans), n)
			}
			s := spans[0]
			if _, ok := s.Resource["leak"]; ok || s.Resource["service.name"] == "leaked-service" || s.Resource["service.name"] == "leaked-too" || s.Resource["run"] != "env" {
				t.Errorf("resource %v holds the process environment's attributes", s.Resource)
			}
			if len(s.Attrs) != 3 || s.Attrs["a"] != "long value" {
				t.Errorf("attributes %v: span limits from the process environment", s.Attrs)
			}
			for _, r := range col.Requests() {
				if r.Header.Get("X-Leak") != "" || (r.Encoding != "" && r.Encoding != "identity") || strings.Contains(r.ContentType, "json") {
					t.Errorf("request %+v uses the process environment's headers, compression or protocol", r)
				}
			}
			if logs.Len() != 0 {
				t.Errorf("logged: %s", logs.String())
			}
		})
	}
}

// keptSpans is an in-memory exporter whose Shutdown keeps what it got.
type keptSpans struct{ *tracetest.InMemoryExporter }

func (keptSpans) Shutdown(context.Context) error { return nil }

// newRecorded builds the backend over an in-memory exporter.
func newRecorded(t *testing.T, cfg tracer.Config, opts Options) (*tracer.Instance, keptSpans) {
	t.Helper()
	mem := keptSpans{tracetest.NewInMemoryExporter()}
	if opts.Logger == nil {
		opts.Logger = quiet
	}
	inst, err := build(cfg, opts, mem)
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	return inst, mem
}

// flushed shuts inst down, which exports every finished span, and returns
// what reached mem.
func flushed(t *testing.T, inst *tracer.Instance, mem keptSpans) tracetest.SpanStubs {
	t.Helper()
	shutdownOK(t, inst)
	return mem.GetSpans()
}

func TestSampling(t *testing.T) {
	const roots = 200
	tests := []struct {
		name      string
		rate      *float64
		sampler   sdktrace.Sampler
		wantDesc  string
		wantRoots int
	}{
		{name: "default", wantDesc: "ParentBased{root:AlwaysOnSampler,", wantRoots: roots},
		{name: "OTEL sampler", sampler: sdktrace.ParentBased(sdktrace.NeverSample()), wantDesc: "ParentBased{root:AlwaysOffSampler,", wantRoots: 0},
		{name: "rate 0 wins over always_on", rate: tracer.Rate(0), sampler: sdktrace.AlwaysSample(), wantDesc: "ParentBased{root:TraceIDRatioBased{0},", wantRoots: 0},
		{name: "rate 1 wins over always_off", rate: tracer.Rate(1), sampler: sdktrace.NeverSample(), wantDesc: "ParentBased{root:TraceIDRatioBased{1},", wantRoots: roots},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inst, mem := newRecorded(t, tracer.Config{SampleRate: tt.rate}, Options{Sampler: tt.sampler})
			if s, _, _ := samplerFor(tt.rate, tt.sampler); s == nil {
				t.Fatal("no sampler")
			} else if d := s.Description(); !strings.HasPrefix(d, tt.wantDesc) {
				t.Errorf("sampler %s, want %s…", d, tt.wantDesc)
			}
			for i := 0; i < roots; i++ {
				inst.Tracer.StartSpan("root").Finish()
			}
			// A sampled caller's decision is kept, whatever the rate.
			hdr := http.Header{"Traceparent": {"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}}
			sc, err := inst.Tracer.Extract(opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(hdr))
			if err != nil {
				t.Fatal(err)
			}
			inst.Tracer.StartSpan("continued", ext.RPCServerOption(sc)).Finish()
			gotRoots, continued := 0, 0
			for _, s := range flushed(t, inst, mem) {
				switch s.Name {
				case "root":
					gotRoots++
				case "continued":
					continued++
					if s.Parent.SpanID().String() != "b7ad6b7169203331" || s.SpanContext.TraceID().String() != "0af7651916cd43dd8448eb211c80319c" {
						t.Errorf("continued span: parent %s trace %s", s.Parent.SpanID(), s.SpanContext.TraceID())
					}
				}
			}
			if gotRoots != tt.wantRoots {
				t.Errorf("%d of %d root spans exported, want %d", gotRoots, roots, tt.wantRoots)
			}
			if continued != 1 {
				t.Errorf("%d continued spans exported, want 1", continued)
			}
		})
	}
}

func TestResource(t *testing.T) {
	tests := []struct {
		name string
		cfg  tracer.Config
		opts Options
		want map[string]string // "" value: must be absent
	}{
		{name: "service name from config wins", cfg: tracer.Config{ServiceName: "checkout"},
			opts: Options{ServiceName: "otel-name", ResourceAttributes: map[string]string{"service.name": "attr-name"}},
			want: map[string]string{"service.name": "checkout"}},
		{name: "OTEL_SERVICE_NAME next", opts: Options{ServiceName: "otel-name", ResourceAttributes: map[string]string{"service.name": "attr-name"}},
			want: map[string]string{"service.name": "otel-name"}},
		{name: "service.name attribute next", opts: Options{ResourceAttributes: map[string]string{"service.name": "attr-name"}},
			want: map[string]string{"service.name": "attr-name"}},
		{name: "executable last", want: map[string]string{"service.name": tracer.DefaultServiceName()}},
		{name: "tags over attributes", cfg: tracer.Config{ServiceName: "s", Tags: map[string]string{"env": "prod", "team": "pay"}},
			opts: Options{ResourceAttributes: map[string]string{"env": "dev", "region": "eu"}},
			want: map[string]string{"env": "prod", "team": "pay", "region": "eu", "telemetry.sdk.name": "opentelemetry", "telemetry.sdk.language": "go"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inst, mem := newRecorded(t, tt.cfg, tt.opts)
			inst.Tracer.StartSpan("s").Finish()
			spans := flushed(t, inst, mem)
			if len(spans) != 1 {
				t.Fatalf("%d spans", len(spans))
			}
			got := map[string]string{}
			for _, kv := range spans[0].Resource.Attributes() {
				got[string(kv.Key)] = kv.Value.Emit()
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("resource %s = %q, want %q (all: %v)", k, got[k], v, got)
				}
			}
		})
	}
}

// TestShutdownBoundedAndClean shuts a tracer down while its collector
// never answers: Shutdown returns by its deadline with the context's
// error, and no goroutine is left behind.
func TestShutdownBoundedAndClean(t *testing.T) {
	for _, protocol := range []string{ProtocolHTTPProtobuf, ProtocolGRPC} {
		t.Run(protocol, func(t *testing.T) {
			hole := blackHole(t)
			defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
			inst := open(t, tracer.Config{}, Options{Protocol: protocol, Endpoint: "http://" + hole, ScheduleDelay: time.Millisecond})
			for i := 0; i < 100; i++ {
				inst.Tracer.StartSpan("s").Finish()
			}
			time.Sleep(50 * time.Millisecond) // let an export start and hang
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			err := inst.Shutdown(ctx)
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("Shutdown = %v, want the deadline's error", err)
			}
			// The second call waits for the first run, which gave up at
			// the same deadline.
			if again := inst.Shutdown(context.Background()); !errors.Is(again, context.DeadlineExceeded) {
				t.Errorf("second Shutdown = %v, want the first run's deadline error", again)
			}
		})
	}
}

// TestShutdownReportsFlushError checks that a final export the collector
// refuses makes Shutdown fail, without the header values.
func TestShutdownReportsFlushError(t *testing.T) {
	col, srv := startHTTP(t, false)
	col.status, col.body = http.StatusUnauthorized, "bad key s3cret-key"
	var logs bytes.Buffer
	inst := open(t, tracer.Config{}, Options{Endpoint: srv.URL, Headers: map[string]string{"Api-Key": "s3cret-key"},
		ScheduleDelay: time.Hour, Logger: log.New(&logs, "", 0)})
	inst.Tracer.StartSpan("s").Finish()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := inst.Shutdown(ctx)
	if err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("Shutdown = %v, want the collector's 401", err)
	}
	if strings.Contains(err.Error(), "s3cret") || strings.Contains(logs.String(), "s3cret") {
		t.Errorf("a header value leaked:\nerror: %v\nlog: %s", err, logs.String())
	}
	if !strings.Contains(logs.String(), "export failed: 1 spans:") || !strings.Contains(logs.String(), "[redacted]") {
		t.Errorf("log %q, want the failure with the secret redacted", logs.String())
	}
}

// exported is what the receiver got, in the conformance suite's shape, as
// Jaeger shows OTLP spans: the kind as span.kind, an error status as
// error=true and otel.status_description, events as log records.
func exported(spans []gotSpan) []tracertest.Exported {
	var out []tracertest.Exported
	for _, s := range spans {
		e := tracertest.Exported{Operation: s.Name, Tags: map[string]string{}, Start: s.Start, Finish: s.End}
		e.TraceID, e.SpanID, e.ParentID = tracertest.HexIDs(s.TraceID, s.SpanID, s.ParentID)
		maps.Copy(e.Tags, s.Attrs)
		if k := strings.TrimPrefix(s.Kind, "SPAN_KIND_"); k != "" && k != "INTERNAL" && k != "UNSPECIFIED" {
			e.Tags["span.kind"] = strings.ToLower(k)
		}
		if s.Status == "STATUS_CODE_ERROR" {
			e.Tags["error"] = "true"
			e.Tags["otel.status_description"] = s.StatusMessage
		}
		for i, name := range s.Events {
			l := map[string]string{"event": name}
			maps.Copy(l, s.EventAttrs[i])
			e.Logs = append(e.Logs, l)
		}
		out = append(out, e)
	}
	return out
}
