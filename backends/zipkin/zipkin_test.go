package zipkin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	zipkinot "github.com/openzipkin-contrib/zipkin-go-opentracing"
	zipkingo "github.com/openzipkin/zipkin-go"
	"github.com/openzipkin/zipkin-go/model"
	zipkinhttp "github.com/openzipkin/zipkin-go/reporter/http"
	"github.com/openzipkin/zipkin-go/reporter/recorder"
	"go.uber.org/goleak"

	"github.com/polytrace/polytrace/internal/faultnet"
	"github.com/polytrace/polytrace/tracer"
	"github.com/polytrace/polytrace/tracer/tracertest"
)

var discard = log.New(io.Discard, "", 0)

// wireSpan is a span as Zipkin's JSON v2 carries it.
type wireSpan struct {
	TraceID       string `json:"traceId"`
	ID            string `json:"id"`
	ParentID      string `json:"parentId"`
	Name          string `json:"name"`
	Kind          string `json:"kind"`
	Timestamp     int64  `json:"timestamp"`
	Duration      int64  `json:"duration"`
	LocalEndpoint struct {
		ServiceName string `json:"serviceName"`
	} `json:"localEndpoint"`
	Tags        map[string]string `json:"tags"`
	Annotations []struct {
		Timestamp int64  `json:"timestamp"`
		Value     string `json:"value"`
	} `json:"annotations"`
}

// collector is a stand-in Zipkin collector that decodes JSON v2 bodies.
type collector struct {
	*httptest.Server
	mu       sync.Mutex
	received []wireSpan
	auth     []string // user:password of each request with basic auth
	bad      []string // requests that were not JSON v2 span posts
}

func newCollector(t *testing.T) *collector {
	t.Helper()
	c := &collector{}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var spans []wireSpan
		err := json.NewDecoder(r.Body).Decode(&spans)
		c.mu.Lock()
		defer c.mu.Unlock()
		if r.Method != http.MethodPost || r.URL.Path != "/api/v2/spans" ||
			r.Header.Get("Content-Type") != "application/json" || err != nil {
			c.bad = append(c.bad, r.Method+" "+r.URL.Path+" "+r.Header.Get("Content-Type"))
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		if u, p, ok := r.BasicAuth(); ok {
			c.auth = append(c.auth, u+":"+p)
		}
		c.received = append(c.received, spans...)
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(c.Close)
	return c
}

func (c *collector) endpoint() string { return c.URL + "/api/v2/spans" }

func (c *collector) spans(t *testing.T) []wireSpan {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.bad) > 0 {
		t.Errorf("collector got malformed requests: %v", c.bad)
	}
	return append([]wireSpan(nil), c.received...)
}

// blackHole returns the address of a listener that accepts connections
// and never answers them.
func blackHole(t *testing.T) string { return faultnet.HangingListener(t) }

func mustNew(t *testing.T, cfg tracer.Config, opts Options) *tracer.Instance {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = discard
	}
	inst, err := New(cfg, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if inst == nil || inst.Tracer == nil || inst.Shutdown == nil {
		t.Fatal("New returned an incomplete instance")
	}
	return inst
}

func shutdownOK(t *testing.T, inst *tracer.Instance) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := inst.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
}

// zctx returns the zipkin-go context of one of the backend's contexts.
func zctx(t *testing.T, sc opentracing.SpanContext) model.SpanContext {
	t.Helper()
	c, ok := sc.(*spanContext)
	if !ok || c == nil {
		t.Fatalf("span context is %T, not the backend's", sc)
	}
	return c.zipkin
}

// probe compares identities through the zipkin-go span context.
type probe struct{}

func (probe) SameTrace(a, b opentracing.Span) bool {
	ca, okA := a.Context().(*spanContext)
	cb, okB := b.Context().(*spanContext)
	return okA && okB && ca.zipkin.TraceID == cb.zipkin.TraceID
}

func (probe) SameSpanContext(s opentracing.Span, sc opentracing.SpanContext) bool {
	ca, okA := s.Context().(*spanContext)
	cb, okB := sc.(*spanContext)
	return okA && okB && cb != nil && ca.zipkin.TraceID == cb.zipkin.TraceID && ca.zipkin.ID == cb.zipkin.ID
}

func TestConformance(t *testing.T) {
	col := newCollector(t)
	tracertest.Run(t, tracertest.Harness{
		Open: func(t *testing.T, cfg tracer.Config) *tracer.Instance {
			return mustNew(t, cfg, Options{Endpoint: col.endpoint(), BatchInterval: 10 * time.Millisecond})
		},
		OpenUnreachable: func(t *testing.T, cfg tracer.Config) *tracer.Instance {
			// The request timeout is far longer than the test: Shutdown
			// must return by its context's deadline on its own.
			return mustNew(t, cfg,
				Options{Endpoint: "http://" + blackHole(t) + "/api/v2/spans", BatchInterval: 10 * time.Millisecond, Timeout: time.Hour})
		},
		OpenRecorded: func(t *testing.T, cfg tracer.Config) (*tracer.Instance, func() []tracertest.Exported) {
			col := newCollector(t)
			inst := mustNew(t, cfg, Options{Endpoint: col.endpoint(), BatchInterval: 10 * time.Millisecond})
			return inst, func() []tracertest.Exported {
				col.mu.Lock()
				defer col.mu.Unlock()
				var out []tracertest.Exported
				for _, s := range col.received {
					e := exportedOf(s.Name, s.Kind, s.Tags, s.Annotations)
					e.TraceID, e.SpanID, e.ParentID = tracertest.HexIDs(s.TraceID, s.ID, s.ParentID)
					e.Start, e.Finish = time.UnixMicro(s.Timestamp), time.UnixMicro(s.Timestamp+s.Duration)
					out = append(out, e)
				}
				return out
			}
		},
		Probe: probe{},
	})
}

// exportedOf is a Zipkin span in the suite's shape: the kind as span.kind,
// each annotation "key:value" as a one-field log record.
func exportedOf(name, kind string, tags map[string]string, annotations []struct {
	Timestamp int64  `json:"timestamp"`
	Value     string `json:"value"`
}) tracertest.Exported {
	e := tracertest.Exported{Operation: name, Tags: map[string]string{}}
	for k, v := range tags {
		e.Tags[k] = v
	}
	if kind != "" {
		e.Tags["span.kind"] = strings.ToLower(kind)
	}
	for _, a := range annotations {
		k, v, _ := strings.Cut(a.Value, ":")
		e.Logs = append(e.Logs, map[string]string{k: v})
	}
	return e
}

func TestRegistered(t *testing.T) {
	col := newCollector(t)
	cfg := tracer.Config{
		ServiceName: "via-registry",
		Lookup:      tracer.MapLookup(map[string]string{EnvEndpoint: col.endpoint(), EnvBatchInterval: "1h"}),
	}
	inst, err := tracer.Open(Name, cfg)
	if err != nil {
		t.Fatalf("tracer.Open(%q): %v", Name, err)
	}
	inst.Tracer.StartSpan("registered").Finish()
	shutdownOK(t, inst)
	got := col.spans(t)
	if len(got) != 1 || got[0].Name != "registered" || got[0].LocalEndpoint.ServiceName != "via-registry" {
		t.Fatalf("collector got %+v, want one span registered from via-registry", got)
	}
}

// TestSpansReachCollector checks the JSON v2 the collector receives: span
// names, service, tags (tracer-wide and per span), parent links and logs.
// The batch interval is an hour, so only Shutdown's flush can send them.
func TestSpansReachCollector(t *testing.T) {
	col := newCollector(t)
	inst := mustNew(t, tracer.Config{ServiceName: "Checkout", Tags: map[string]string{"env": "test"}},
		Options{Endpoint: col.endpoint(), BatchInterval: time.Hour})
	tr := inst.Tracer

	parent := tr.StartSpan("GET /orders/:id", ext.SpanKindRPCServer)
	child := tr.StartSpan("load-order", opentracing.ChildOf(parent.Context()), opentracing.Tag{Key: "db.type", Value: "sql"})
	child.SetTag("rows", 3)
	child.LogKV("event", "cache-miss", "key", "order-7")
	child.Finish()
	parent.Finish()
	pc, cc := zctx(t, parent.Context()), zctx(t, child.Context())

	shutdownOK(t, inst)
	byName := map[string]wireSpan{}
	for _, s := range col.spans(t) {
		byName[s.Name] = s
	}
	if len(byName) != 2 {
		t.Fatalf("collector got spans %v, want 2", byName)
	}
	// Zipkin's JSON lowers the case of span and service names.
	p, ok := byName["get /orders/:id"]
	if !ok {
		t.Fatalf("no parent span in %v", byName)
	}
	c, ok := byName["load-order"]
	if !ok {
		t.Fatalf("no child span in %v", byName)
	}
	for _, s := range []wireSpan{p, c} {
		if s.LocalEndpoint.ServiceName != "checkout" {
			t.Errorf("span %q service = %q, want checkout", s.Name, s.LocalEndpoint.ServiceName)
		}
		if s.Tags["env"] != "test" {
			t.Errorf("span %q tags = %v, want env=test", s.Name, s.Tags)
		}
		if s.TraceID != pc.TraceID.String() || len(s.TraceID) != 32 {
			t.Errorf("span %q trace id = %q, want the 128-bit %s", s.Name, s.TraceID, pc.TraceID)
		}
		if s.Timestamp <= 0 || s.Duration <= 0 {
			t.Errorf("span %q timestamp %d, duration %d: want both set", s.Name, s.Timestamp, s.Duration)
		}
	}
	if p.Kind != "SERVER" || p.ParentID != "" || p.ID != pc.ID.String() {
		t.Errorf("parent = kind %q id %q parent %q; want SERVER, %s, no parent", p.Kind, p.ID, p.ParentID, pc.ID)
	}
	if c.ParentID != pc.ID.String() || c.ID != cc.ID.String() || c.ID == p.ID {
		t.Errorf("child id %q parent %q; want id %s parent %s", c.ID, c.ParentID, cc.ID, pc.ID)
	}
	if c.Tags["db.type"] != "sql" || c.Tags["rows"] != "3" {
		t.Errorf("child tags = %v, want db.type=sql rows=3", c.Tags)
	}
	if len(c.Annotations) != 2 || c.Annotations[0].Value != "event:cache-miss" || c.Annotations[1].Value != "key:order-7" {
		t.Fatalf("child annotations = %+v, want event:cache-miss, key:order-7", c.Annotations)
	}
	if c.Annotations[0].Timestamp != c.Annotations[1].Timestamp {
		t.Errorf("one LogKV record has timestamps %d and %d, want one", c.Annotations[0].Timestamp, c.Annotations[1].Timestamp)
	}
}

func TestBasicAuthAndSecretsNotLogged(t *testing.T) {
	col := newCollector(t)
	endpoint := strings.Replace(col.endpoint(), "http://", "http://alice:s3cret@", 1) + "?token=hunter2"
	inst := mustNew(t, tracer.Config{}, Options{Endpoint: endpoint})
	inst.Tracer.StartSpan("authed").Finish()
	shutdownOK(t, inst)
	if len(col.spans(t)) != 1 {
		t.Fatalf("collector got %d spans, want 1", len(col.spans(t)))
	}
	col.mu.Lock()
	auth := col.auth
	col.mu.Unlock()
	if len(auth) != 1 || auth[0] != "alice:s3cret" {
		t.Errorf("basic auth = %v, want alice:s3cret", auth)
	}

	// Now a collector that refuses connections: the reporter logs and
	// Shutdown returns the failure, with neither secret in them.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	var logs bytes.Buffer
	inst = mustNew(t, tracer.Config{}, Options{
		Endpoint: "http://alice:s3cret@" + addr + "/api/v2/spans?token=hunter2",
		Logger:   log.New(&syncWriter{w: &logs}, "", 0),
	})
	inst.Tracer.StartSpan("refused").Finish()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = inst.Shutdown(ctx)
	if err == nil {
		t.Fatal("Shutdown with a refusing collector returned nil, want the send error")
	}
	for _, text := range []string{err.Error(), logs.String()} {
		if !strings.Contains(text, addr) {
			t.Errorf("%q does not name the collector %s", text, addr)
		}
		for _, secret := range []string{"s3cret", "hunter2"} {
			if strings.Contains(text, secret) {
				t.Errorf("%q contains the secret %q", text, secret)
			}
		}
	}
}

type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// TestShutdownReleasesGoroutines: with a collector that never answers and
// no request timeout to speak of, Shutdown returns at its deadline and the
// reporter's goroutines end right after, their request cancelled.
func TestShutdownReleasesGoroutines(t *testing.T) {
	addr := blackHole(t)
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	inst := mustNew(t, tracer.Config{}, Options{Endpoint: "http://" + addr + "/api/v2/spans", Timeout: time.Hour, BatchInterval: time.Millisecond})
	for i := 0; i < 10; i++ {
		inst.Tracer.StartSpan("stuck").Finish()
	}
	time.Sleep(20 * time.Millisecond) // let a batch request get stuck
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := inst.Shutdown(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown = %v, want the context's deadline error", err)
	}
	if waited := time.Since(start); waited > 5*time.Second {
		t.Errorf("Shutdown took %v past a 100ms deadline", waited)
	}
}

func TestSampling(t *testing.T) {
	tests := []struct {
		name string
		give *float64
		want int
	}{
		{"unset samples all", nil, 50},
		{"one samples all", tracer.Rate(1), 50},
		{"zero samples none", tracer.Rate(0), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := recorder.NewReporter()
			inst, err := NewWithReporter(tracer.Config{SampleRate: tt.give}, rec)
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 50; i++ {
				inst.Tracer.StartSpan("s").Finish()
			}
			if got := len(rec.Flush()); got != tt.want {
				t.Errorf("reported %d of 50 spans, want %d", got, tt.want)
			}
			shutdownOK(t, inst)
		})
	}
}

// TestSamplerRate checks the rate over random ids, both 63-bit ones (as
// zipkin-go makes) and full 64-bit ones (as this backend and others make);
// zipkin-go's boundary sampler samples about half of the latter whatever
// the rate.
func TestSamplerRate(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, rate := range []float64{0.01, 0.25, 0.9} {
		sample := newSampler(&rate)
		for _, bits := range []int{63, 64} {
			const n = 100000
			hits := 0
			for i := 0; i < n; i++ {
				id := rng.Uint64()
				if bits == 63 {
					id >>= 1
				}
				if sample(id) {
					hits++
				}
			}
			if got := float64(hits) / n; math.Abs(got-rate) > 0.01 {
				t.Errorf("rate %v, %d-bit ids: sampled %v", rate, bits, got)
			}
		}
		if !sample(0) || sample(math.MaxInt64) {
			t.Errorf("rate %v: want id 0 sampled and id 2^63-1 not", rate)
		}
	}
}

func TestInvalidSampleRate(t *testing.T) {
	for _, give := range []float64{-0.1, 1.01, math.NaN(), math.Inf(1)} {
		inst, err := New(tracer.Config{SampleRate: &give}, Options{Logger: discard})
		if err == nil || inst != nil {
			t.Errorf("rate %v: New = %v, %v; want an error", give, inst, err)
			continue
		}
		if !errors.Is(err, tracer.ErrInvalidConfig) || !strings.Contains(err.Error(), "TRACER_SAMPLE_RATE") {
			t.Errorf("rate %v: error %q does not wrap ErrInvalidConfig and name the sample rate", give, err)
		}
		if _, err := NewWithReporter(tracer.Config{SampleRate: &give}, recorder.NewReporter()); !errors.Is(err, tracer.ErrInvalidConfig) {
			t.Errorf("rate %v: NewWithReporter error = %v, want ErrInvalidConfig", give, err)
		}
	}
}

// TestUpstreamSamplingDecision: an extracted decision beats the local rate.
func TestUpstreamSamplingDecision(t *testing.T) {
	tests := []struct {
		name    string
		rate    float64
		headers http.Header
		want    int
	}{
		{"sampled upstream, rate 0", 0, http.Header{"X-B3-Traceid": {"463ac35c9f6413ad"}, "X-B3-Spanid": {"a2fb4a1d1a96d312"}, "X-B3-Sampled": {"1"}}, 1},
		{"debug upstream, rate 0", 0, http.Header{"X-B3-Traceid": {"463ac35c9f6413ad"}, "X-B3-Spanid": {"a2fb4a1d1a96d312"}, "X-B3-Flags": {"1"}}, 1},
		{"not sampled upstream, rate 1", 1, http.Header{"X-B3-Traceid": {"463ac35c9f6413ad"}, "X-B3-Spanid": {"a2fb4a1d1a96d312"}, "X-B3-Sampled": {"0"}}, 0},
		{"single header not sampled, rate 1", 1, http.Header{"B3": {"463ac35c9f6413ad-a2fb4a1d1a96d312-0"}}, 0},
		{"no decision upstream, rate 1", 1, http.Header{"X-B3-Traceid": {"463ac35c9f6413ad"}, "X-B3-Spanid": {"a2fb4a1d1a96d312"}}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := recorder.NewReporter()
			inst, err := NewWithReporter(tracer.Config{SampleRate: &tt.rate}, rec)
			if err != nil {
				t.Fatal(err)
			}
			defer shutdownOK(t, inst)
			sc, err := inst.Tracer.Extract(opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(tt.headers))
			if err != nil {
				t.Fatalf("Extract: %v", err)
			}
			inst.Tracer.StartSpan("server", ext.RPCServerOption(sc)).Finish()
			if got := len(rec.Flush()); got != tt.want {
				t.Errorf("reported %d spans, want %d", got, tt.want)
			}
		})
	}
}

func TestInjectB3Multi(t *testing.T) {
	inst, err := NewWithReporter(tracer.Config{}, recorder.NewReporter())
	if err != nil {
		t.Fatal(err)
	}
	defer shutdownOK(t, inst)
	parent := inst.Tracer.StartSpan("parent")
	child := inst.Tracer.StartSpan("child", opentracing.ChildOf(parent.Context()))
	child.SetBaggageItem("tenant", "a b/c")
	pc, cc := zctx(t, parent.Context()), zctx(t, child.Context())

	h := http.Header{}
	if err := inst.Tracer.Inject(child.Context(), opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(h)); err != nil {
		t.Fatal(err)
	}
	want := http.Header{
		"X-B3-Traceid":      {cc.TraceID.String()},
		"X-B3-Spanid":       {cc.ID.String()},
		"X-B3-Parentspanid": {pc.ID.String()},
		"X-B3-Sampled":      {"1"},
		"Baggage-Tenant":    {"a%20b%2Fc"},
	}
	if !equalHeaders(h, want) {
		t.Errorf("injected headers %v, want %v", h, want)
	}

	got, err := inst.Tracer.Extract(opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(h))
	if err != nil {
		t.Fatal(err)
	}
	if g := zctx(t, got); g.TraceID != cc.TraceID || g.ID != cc.ID || g.ParentID == nil || *g.ParentID != pc.ID {
		t.Errorf("extracted %+v, want the child's ids", g)
	}
	if b := got.(*spanContext).baggage; len(b) != 1 || b["tenant"] != "a b/c" {
		t.Errorf("extracted baggage %v, want tenant=a b/c", b)
	}

	// TextMap keeps the lower-case names; values are percent-encoded too.
	tm := opentracing.TextMapCarrier{}
	if err := inst.Tracer.Inject(child.Context(), opentracing.TextMap, tm); err != nil {
		t.Fatal(err)
	}
	if tm["x-b3-traceid"] != cc.TraceID.String() || tm["baggage-tenant"] != "a%20b%2Fc" || len(tm) != 5 {
		t.Errorf("text map %v", tm)
	}
}

func equalHeaders(a, b http.Header) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range b {
		if len(a[k]) != 1 || a[k][0] != v[0] {
			return false
		}
	}
	return true
}

func TestExtract(t *testing.T) {
	const (
		trace  = "463ac35c9f6413ad48485a3953bb6124"
		span   = "a2fb4a1d1a96d312"
		parent = "0020000000000001"
	)
	tests := []struct {
		name       string
		give       http.Header
		wantErr    error
		wantTrace  string
		wantSpan   string
		wantParent string
		wantBag    map[string]string
	}{
		{name: "multi", give: http.Header{"X-B3-Traceid": {trace}, "X-B3-Spanid": {span}, "X-B3-Parentspanid": {parent}, "X-B3-Sampled": {"1"}},
			wantTrace: trace, wantSpan: span, wantParent: parent},
		{name: "single", give: http.Header{"B3": {trace + "-" + span + "-1-" + parent}},
			wantTrace: trace, wantSpan: span, wantParent: parent},
		{name: "single wins over multi", give: http.Header{"B3": {trace + "-" + span}, "X-B3-Traceid": {"0000000000000009"}, "X-B3-Spanid": {"0000000000000009"}},
			wantTrace: trace, wantSpan: span},
		{name: "bad single, good multi", give: http.Header{"B3": {"garbage"}, "X-B3-Traceid": {trace}, "X-B3-Spanid": {span}},
			wantTrace: trace, wantSpan: span},
		{name: "64-bit trace id", give: http.Header{"X-B3-Traceid": {"48485a3953bb6124"}, "X-B3-Spanid": {span}},
			wantTrace: "48485a3953bb6124", wantSpan: span},
		{name: "baggage", give: http.Header{"B3": {trace + "-" + span}, "Baggage-User-Id": {"42"}, "Baggage-Tier": {"gold%21"}},
			wantTrace: trace, wantSpan: span, wantBag: map[string]string{"user-id": "42", "tier": "gold!"}},
		{name: "nothing", give: http.Header{}, wantErr: opentracing.ErrSpanContextNotFound},
		{name: "other tracers only", give: http.Header{"Uber-Trace-Id": {"1:2:0:1"}, "Baggage-X": {"1"}}, wantErr: opentracing.ErrSpanContextNotFound},
		{name: "decision only", give: http.Header{"B3": {"0"}}, wantErr: opentracing.ErrSpanContextNotFound},
		{name: "bad single alone", give: http.Header{"B3": {"-"}}, wantErr: opentracing.ErrSpanContextCorrupted},
		{name: "trace id alone", give: http.Header{"X-B3-Traceid": {trace}}, wantErr: opentracing.ErrSpanContextCorrupted},
		{name: "bad hex", give: http.Header{"X-B3-Traceid": {"xyz"}, "X-B3-Spanid": {span}}, wantErr: opentracing.ErrSpanContextCorrupted},
		{name: "bad sampled", give: http.Header{"X-B3-Traceid": {trace}, "X-B3-Spanid": {span}, "X-B3-Sampled": {"maybe"}}, wantErr: opentracing.ErrSpanContextCorrupted},
		{name: "zero span id", give: http.Header{"X-B3-Traceid": {trace}, "X-B3-Spanid": {"0000000000000000"}}, wantErr: opentracing.ErrSpanContextCorrupted},
		{name: "zero trace id", give: http.Header{"B3": {"0000000000000000-" + span}}, wantErr: opentracing.ErrSpanContextCorrupted},
	}
	inst, err := NewWithReporter(tracer.Config{}, recorder.NewReporter())
	if err != nil {
		t.Fatal(err)
	}
	defer shutdownOK(t, inst)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc, err := inst.Tracer.Extract(opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(tt.give))
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || sc != nil {
					t.Fatalf("Extract = %v, %v; want nil, %v", sc, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Extract: %v", err)
			}
			c := zctx(t, sc)
			gotParent := ""
			if c.ParentID != nil {
				gotParent = c.ParentID.String()
			}
			if c.TraceID.String() != tt.wantTrace || c.ID.String() != tt.wantSpan || gotParent != tt.wantParent {
				t.Errorf("extracted trace %s span %s parent %q; want %s %s %q", c.TraceID, c.ID, gotParent, tt.wantTrace, tt.wantSpan, tt.wantParent)
			}
			bag := map[string]string{}
			sc.ForeachBaggageItem(func(k, v string) bool { bag[k] = v; return true })
			if len(bag) != len(tt.wantBag) {
				t.Errorf("baggage %v, want %v", bag, tt.wantBag)
			}
			for k, v := range tt.wantBag {
				if bag[k] != v {
					t.Errorf("baggage %v, want %v", bag, tt.wantBag)
				}
			}
			child := inst.Tracer.StartSpan("child", opentracing.ChildOf(sc))
			if cc := zctx(t, child.Context()); cc.TraceID != c.TraceID || cc.ParentID == nil || *cc.ParentID != c.ID {
				t.Errorf("child of extracted context: %+v", cc)
			}
			child.Finish()
		})
	}
}

func TestBinaryFormat(t *testing.T) {
	inst, err := NewWithReporter(tracer.Config{}, recorder.NewReporter())
	if err != nil {
		t.Fatal(err)
	}
	defer shutdownOK(t, inst)
	span := inst.Tracer.StartSpan("s").SetBaggageItem("k", "v")
	var buf bytes.Buffer
	if err := inst.Tracer.Inject(span.Context(), opentracing.Binary, &buf); err != nil {
		t.Fatal(err)
	}
	sc, err := inst.Tracer.Extract(opentracing.Binary, &buf)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := zctx(t, sc), zctx(t, span.Context()); got.TraceID != want.TraceID || got.ID != want.ID || sc.(*spanContext).baggage["k"] != "v" {
		t.Errorf("binary round trip gave %+v %v", got, sc.(*spanContext).baggage)
	}
	if _, err := inst.Tracer.Extract(opentracing.Binary, strings.NewReader("{not json")); !errors.Is(err, opentracing.ErrSpanContextCorrupted) {
		t.Errorf("garbage binary: %v, want ErrSpanContextCorrupted", err)
	}
	if _, err := inst.Tracer.Extract(opentracing.Binary, strings.NewReader("")); !errors.Is(err, opentracing.ErrSpanContextNotFound) {
		t.Errorf("empty binary: %v, want ErrSpanContextNotFound", err)
	}
}

func TestReferencesAndBaggage(t *testing.T) {
	rec := recorder.NewReporter()
	inst, err := NewWithReporter(tracer.Config{}, rec)
	if err != nil {
		t.Fatal(err)
	}
	defer shutdownOK(t, inst)
	tr := inst.Tracer
	a := tr.StartSpan("a").SetBaggageItem("from-a", "1")
	b := tr.StartSpan("b").SetBaggageItem("from-b", "2")
	c := tr.StartSpan("c", opentracing.FollowsFrom(a.Context()), opentracing.ChildOf(b.Context()))
	cc := zctx(t, c.Context())
	if bc := zctx(t, b.Context()); cc.ParentID == nil || *cc.ParentID != bc.ID || cc.TraceID != bc.TraceID {
		t.Errorf("c's parent = %v, want ChildOf reference b %v", cc.ParentID, bc.ID)
	}
	if c.BaggageItem("from-a") != "1" || c.BaggageItem("from-b") != "2" {
		t.Errorf("c did not inherit baggage of both references")
	}
	d := tr.StartSpan("d", opentracing.FollowsFrom(a.Context()))
	if dc, ac := zctx(t, d.Context()), zctx(t, a.Context()); dc.ParentID == nil || *dc.ParentID != ac.ID {
		t.Errorf("d's parent = %v, want FollowsFrom reference a %v", dc.ParentID, ac.ID)
	}
	// A context handed out before SetBaggageItem does not change.
	before := c.Context()
	c.SetBaggageItem("late", "x")
	n := 0
	before.ForeachBaggageItem(func(string, string) bool { n++; return true })
	if n != 2 {
		t.Errorf("an earlier context sees %d baggage items, want 2", n)
	}
	// Foreign contexts are ignored: a new trace starts.
	e := tr.StartSpan("e", opentracing.ChildOf(opentracing.NoopTracer{}.StartSpan("x").Context()))
	if ec := zctx(t, e.Context()); ec.ParentID != nil {
		t.Errorf("child of a foreign context has parent %v", ec.ParentID)
	}
}

func TestDeprecatedLogs(t *testing.T) {
	rec := recorder.NewReporter()
	inst, err := NewWithReporter(tracer.Config{}, rec)
	if err != nil {
		t.Fatal(err)
	}
	defer shutdownOK(t, inst)
	span := inst.Tracer.StartSpan("s")
	span.LogEvent("started")
	span.LogEventWithPayload("y", "z")
	span.Log(opentracing.LogData{Event: "done"})
	span.LogKV("odd")
	span.Finish()
	spans := rec.Flush()
	if len(spans) != 1 {
		t.Fatalf("got %d spans", len(spans))
	}
	var got []string
	for _, a := range spans[0].Annotations {
		got = append(got, a.Value)
	}
	want := []string{"event:started", "event:y", "payload:z", "event:done", "error.object:non-even keyValues len: 1", "function:LogKV"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("annotations %q, want %q", got, want)
	}
}

func TestOptionsFromConfig(t *testing.T) {
	tests := []struct {
		name    string
		give    map[string]string
		want    Options
		wantErr string   // substring naming the setting
		secrets []string // must not appear in the error
	}{
		{name: "defaults", give: nil, want: Options{Endpoint: DefaultEndpoint, Timeout: DefaultTimeout, BatchInterval: DefaultBatchInterval, Encoding: EncodingJSON}},
		{name: "all set", give: map[string]string{EnvEndpoint: " https://zipkin.example:9411/api/v2/spans ", EnvTimeout: "250ms", EnvBatchInterval: "2s"},
			want: Options{Endpoint: "https://zipkin.example:9411/api/v2/spans", Timeout: 250 * time.Millisecond, BatchInterval: 2 * time.Second, Encoding: EncodingJSON}},
		{name: "proto3", give: map[string]string{EnvEncoding: " PROTO3 "},
			want: Options{Endpoint: DefaultEndpoint, Timeout: DefaultTimeout, BatchInterval: DefaultBatchInterval, Encoding: EncodingProto3}},
		{name: "bad encoding", give: map[string]string{EnvEncoding: "thrift"}, wantErr: `ZIPKIN_ENCODING="thrift": want one of json, proto3`},
		{name: "credentials kept", give: map[string]string{EnvEndpoint: "http://u:p@zipkin/api/v2/spans?x=1"},
			want: Options{Endpoint: "http://u:p@zipkin/api/v2/spans?x=1", Timeout: DefaultTimeout, BatchInterval: DefaultBatchInterval, Encoding: EncodingJSON}},
		{name: "empty is unset", give: map[string]string{EnvEndpoint: "  "},
			want: Options{Endpoint: DefaultEndpoint, Timeout: DefaultTimeout, BatchInterval: DefaultBatchInterval, Encoding: EncodingJSON}},
		{name: "bad scheme", give: map[string]string{EnvEndpoint: "ftp://zipkin/api"}, wantErr: `ZIPKIN_ENDPOINT="ftp://zipkin/api": want an absolute http:// or https:// URL`},
		{name: "no scheme", give: map[string]string{EnvEndpoint: "zipkin:9411"}, wantErr: "ZIPKIN_ENDPOINT"},
		{name: "secret redacted", give: map[string]string{EnvEndpoint: "https://bob:pa55word@/api?token=hunter2"}, wantErr: "ZIPKIN_ENDPOINT", secrets: []string{"pa55word", "hunter2"}},
		{name: "bad timeout", give: map[string]string{EnvTimeout: "5"}, wantErr: `ZIPKIN_TIMEOUT="5": want a positive Go duration`},
		{name: "negative timeout", give: map[string]string{EnvTimeout: "-1s"}, wantErr: "ZIPKIN_TIMEOUT"},
		{name: "zero interval", give: map[string]string{EnvBatchInterval: "0s"}, wantErr: `ZIPKIN_BATCH_INTERVAL="0s"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tracer.Config{Lookup: tracer.MapLookup(tt.give)}
			got, err := OptionsFromConfig(cfg)
			if tt.wantErr == "" {
				if err != nil || got != tt.want {
					t.Fatalf("OptionsFromConfig = %+v, %v; want %+v", got, err, tt.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, tracer.ErrInvalidConfig) {
				t.Fatalf("error = %v; want one containing %q and wrapping ErrInvalidConfig", err, tt.wantErr)
			}
			for _, s := range tt.secrets {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error %q shows the secret %q", err, s)
				}
			}
			inst, openErr := Open(cfg)
			if inst != nil || openErr == nil || openErr.Error() != err.Error() {
				t.Errorf("Open = %v, %v; want nil and the same error", inst, openErr)
			}
		})
	}
}

func TestNewOptionErrors(t *testing.T) {
	tests := []struct {
		name string
		give Options
		want string
	}{
		{"endpoint without scheme", Options{Endpoint: "localhost:9411"}, "zipkin.Options.Endpoint"},
		{"endpoint secret", Options{Endpoint: "gopher://u:s3cret@x?token=hunter2"}, "zipkin.Options.Endpoint"},
		{"negative timeout", Options{Timeout: -time.Second}, `zipkin.Options.Timeout="-1s"`},
		{"negative interval", Options{BatchInterval: -time.Second}, `zipkin.Options.BatchInterval="-1s"`},
		{"unknown encoding", Options{Encoding: "thrift"}, `zipkin.Options.Encoding="thrift": want one of json, proto3`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inst, err := New(tracer.Config{}, tt.give)
			if inst != nil || err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, tracer.ErrInvalidConfig) {
				t.Fatalf("New = %v, %v; want an error naming %s", inst, err, tt.want)
			}
			if strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error %q shows a secret", err)
			}
		})
	}
	if _, err := NewWithReporter(tracer.Config{}, nil); err == nil {
		t.Error("NewWithReporter(nil reporter) succeeded")
	}
}

// TestSendAfterCloseDoesNotBlock uses zipkin-go's HTTP reporter directly:
// unguarded, a Send after Close blocks forever.
func TestSendAfterCloseDoesNotBlock(t *testing.T) {
	col := newCollector(t)
	g := &closeGuard{Reporter: zipkinhttp.NewReporter(col.endpoint(), zipkinhttp.Logger(discard))}
	span := model.SpanModel{SpanContext: model.SpanContext{TraceID: model.TraceID{Low: 1}, ID: 1}, Name: "late", Timestamp: time.Now()}
	g.Send(span)
	if err := g.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 100; i++ {
			g.Send(span)
		}
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Send after Close blocked")
	}
	if err := g.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if got := col.spans(t); len(got) != 1 || got[0].Name != "late" {
		t.Errorf("collector got %+v, want the one span sent before Close", got)
	}
}

// strictReporter fails the test when a Send is running or starts while
// Close runs, or after it.
type strictReporter struct {
	t       *testing.T
	closed  atomic.Bool
	running atomic.Int64
	sent    atomic.Int64
	block   chan struct{} // when set, each Send waits for it to be closed
	entered chan struct{} // when set, each Send signals it here first
}

func (r *strictReporter) Send(model.SpanModel) {
	r.running.Add(1)
	defer r.running.Add(-1)
	if r.closed.Load() {
		r.t.Error("Send reached the reporter after Close")
	}
	if r.entered != nil {
		r.entered <- struct{}{}
	}
	if r.block != nil {
		<-r.block
	}
	r.sent.Add(1)
}

func (r *strictReporter) Close() error {
	if r.running.Load() != 0 {
		r.t.Error("Close reached the reporter while a Send was running")
	}
	r.closed.Store(true)
	return nil
}

func closeWithin(t *testing.T, g *closeGuard, d time.Duration) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- g.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Close: %v", err)
		}
	case <-time.After(d):
		t.Fatalf("Close did not return within %v", d)
	}
}

func TestCloseGuardRace(t *testing.T) {
	inner := &strictReporter{t: t}
	g := &closeGuard{Reporter: inner}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
					g.Send(model.SpanModel{})
				}
			}
		}()
	}
	for inner.sent.Load() < 1000 {
		time.Sleep(time.Millisecond)
	}
	// Senders keep hammering while Close runs: it must neither starve nor
	// let a Send through.
	closeWithin(t, g, 10*time.Second)
	close(stop)
	wg.Wait()
	if !inner.closed.Load() {
		t.Error("the reporter was not closed")
	}
	closeWithin(t, g, 10*time.Second) // a second Close is a no-op
}

func TestCloseGuardWaitsForSend(t *testing.T) {
	inner := &strictReporter{t: t, block: make(chan struct{}), entered: make(chan struct{}, 1)}
	g := &closeGuard{Reporter: inner}
	sent := make(chan struct{})
	go func() { defer close(sent); g.Send(model.SpanModel{}) }()
	<-inner.entered
	closed := make(chan error, 1)
	go func() { closed <- g.Close() }()
	select {
	case <-closed:
		t.Fatal("Close returned while a Send was still in the reporter")
	case <-time.After(50 * time.Millisecond):
	}
	close(inner.block)
	<-sent
	select {
	case err := <-closed:
		if err != nil || !inner.closed.Load() {
			t.Fatalf("Close = %v, reporter closed %v", err, inner.closed.Load())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return after the Send finished")
	}
	g.Send(model.SpanModel{}) // dropped: strictReporter would complain
	if inner.sent.Load() != 1 {
		t.Errorf("reporter got %d spans, want 1", inner.sent.Load())
	}
}

type discardReporter struct{}

func (discardReporter) Send(model.SpanModel) {}
func (discardReporter) Close() error         { return nil }

// BenchmarkSpan compares a parent and child span with a tag through this
// backend's tracer and through zipkin-go-opentracing's alone, both over a
// reporter that discards.
func BenchmarkSpan(b *testing.B) {
	inst, err := NewWithReporter(tracer.Config{ServiceName: "bench"}, discardReporter{})
	if err != nil {
		b.Fatal(err)
	}
	ztr, err := zipkingo.NewTracer(discardReporter{}, zipkingo.WithLocalEndpoint(&model.Endpoint{ServiceName: "bench"}))
	if err != nil {
		b.Fatal(err)
	}
	for _, bt := range []struct {
		name string
		tr   opentracing.Tracer
	}{
		{"polytrace", inst.Tracer},
		{"zipkinot", zipkinot.Wrap(ztr)},
	} {
		b.Run(bt.name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					parent := bt.tr.StartSpan("parent")
					child := bt.tr.StartSpan("child", opentracing.ChildOf(parent.Context()))
					child.SetTag("k", "v")
					child.Finish()
					parent.Finish()
				}
			})
		})
	}
}

// customOption is a start option of another type than opentracing's
// plain ones, so that StartSpan applies the options to read them.
type customOption struct{}

func (customOption) Apply(*opentracing.StartSpanOptions) {}

// TestSamplingWithOtherOptions: the rate decides a root whatever options
// it is started with.
func TestSamplingWithOtherOptions(t *testing.T) {
	for _, rate := range []float64{0, 1} {
		rec := recorder.NewReporter()
		inst, err := NewWithReporter(tracer.Config{SampleRate: tracer.Rate(rate)}, rec)
		if err != nil {
			t.Fatal(err)
		}
		inst.Tracer.StartSpan("root", customOption{}).Finish()
		if got, want := len(rec.Flush()), int(rate); got != want {
			t.Errorf("rate %v: %d spans reported, want %d", rate, got, want)
		}
		shutdownOK(t, inst)
	}
}
