package jaeger_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	jaegerclient "github.com/uber/jaeger-client-go"
	"github.com/uber/jaeger-client-go/testutils"
	"github.com/uber/jaeger-client-go/thrift"
	thriftjaeger "github.com/uber/jaeger-client-go/thrift-gen/jaeger"
	"github.com/uber/jaeger-client-go/thrift-gen/sampling"
	"github.com/uber/jaeger-lib/metrics/metricstest"
	"go.uber.org/goleak"

	"github.com/polytrace/polytrace/backends/jaeger"
	"github.com/polytrace/polytrace/internal/faultnet"
	"github.com/polytrace/polytrace/internal/syncbuf"
	"github.com/polytrace/polytrace/propagation"
	"github.com/polytrace/polytrace/tracer"
	"github.com/polytrace/polytrace/tracer/tracertest"
)

// probe compares identities through jaeger-client-go's SpanContext.
type probe struct{}

func jaegerContext(sc opentracing.SpanContext) (jaegerclient.SpanContext, bool) {
	c, ok := sc.(jaegerclient.SpanContext)
	return c, ok
}

func (probe) SameTrace(a, b opentracing.Span) bool {
	ca, ok1 := jaegerContext(a.Context())
	cb, ok2 := jaegerContext(b.Context())
	return ok1 && ok2 && ca.TraceID() == cb.TraceID()
}

func (probe) SameSpanContext(s opentracing.Span, sc opentracing.SpanContext) bool {
	ca, ok1 := jaegerContext(s.Context())
	cb, ok2 := jaegerContext(sc)
	return ok1 && ok2 && ca.TraceID() == cb.TraceID() && ca.SpanID() == cb.SpanID()
}

// startAgent runs jaeger-client-go's mock agent: a UDP socket on 127.0.0.1
// that decodes compact-thrift batches, plus an HTTP sampling endpoint.
func startAgent(t *testing.T) *testutils.MockAgent {
	t.Helper()
	agent, err := testutils.StartMockAgent()
	if err != nil {
		t.Fatalf("start mock agent: %v", err)
	}
	t.Cleanup(agent.Close)
	return agent
}

// agentEnv returns settings pointing the UDP sender at agent.
func agentEnv(t *testing.T, agent *testutils.MockAgent, extra ...string) map[string]string {
	t.Helper()
	host, port, err := net.SplitHostPort(agent.SpanServerAddr())
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"JAEGER_AGENT_HOST": host, "JAEGER_AGENT_PORT": port}
	for i := 0; i+1 < len(extra); i += 2 {
		env[extra[i]] = extra[i+1]
	}
	return env
}

func config(env map[string]string) tracer.Config {
	return tracer.Config{ServiceName: "jaeger-test", Lookup: tracer.MapLookup(env)}
}

// open opens a tracer from cfg and shuts it down when the test ends.
func open(t *testing.T, cfg tracer.Config) *tracer.Instance {
	t.Helper()
	inst, err := jaeger.Open(cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if inst == nil || inst.Tracer == nil || inst.Shutdown == nil {
		t.Fatalf("Open returned %+v", inst)
	}
	t.Cleanup(func() { shutdownWithin(t, inst, 10*time.Second) })
	return inst
}

func shutdownWithin(t *testing.T, inst *tracer.Instance, d time.Duration) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return inst.Shutdown(ctx)
}

// blackHole returns a collector URL whose listener accepts connections
// and never reads from or answers them.
func blackHole(t *testing.T) string {
	return "http://" + faultnet.HangingListener(t) + "/api/traces"
}

// closedPort returns a loopback address where nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestConformance(t *testing.T) {
	agent := startAgent(t)
	tracertest.Run(t, tracertest.Harness{
		Open: func(t *testing.T, cfg tracer.Config) *tracer.Instance {
			cfg.Lookup = tracer.MapLookup(agentEnv(t, agent))
			inst, err := jaeger.Open(cfg)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			return inst
		},
		OpenUnreachable: func(t *testing.T, cfg tracer.Config) *tracer.Instance {
			cfg.Lookup = tracer.MapLookup(map[string]string{"JAEGER_ENDPOINT": blackHole(t)})
			inst, err := jaeger.Open(cfg)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			return inst
		},
		OpenRecorded: func(t *testing.T, cfg tracer.Config) (*tracer.Instance, func() []tracertest.Exported) {
			agent := startAgent(t)
			cfg.Lookup = tracer.MapLookup(agentEnv(t, agent))
			inst, err := jaeger.Open(cfg)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			return inst, func() []tracertest.Exported {
				// UDP: the spans sent before Shutdown returned may still
				// be on their way to the agent. Stats counts them.
				sent := inst.Stats().SpansExported
				deadline := time.Now().Add(10 * time.Second)
				for agentSpans(agent) < sent && time.Now().Before(deadline) {
					time.Sleep(10 * time.Millisecond)
				}
				var out []tracertest.Exported
				for _, b := range agent.GetJaegerBatches() {
					for _, s := range b.Spans {
						e := tracertest.Exported{Operation: s.OperationName, Tags: thriftFields(s.Tags),
							TraceID: propagation.TraceID{High: uint64(s.TraceIdHigh), Low: uint64(s.TraceIdLow)},
							SpanID:  uint64(s.SpanId), ParentID: uint64(s.ParentSpanId),
							Start: time.UnixMicro(s.StartTime), Finish: time.UnixMicro(s.StartTime + s.Duration)}
						for _, l := range s.Logs {
							e.Logs = append(e.Logs, thriftFields(l.Fields))
						}
						out = append(out, e)
					}
				}
				return out
			}
		},
		Probe: probe{},
	})
}

// thriftFields are Jaeger tags or log fields as text.
func thriftFields(tags []*thriftjaeger.Tag) map[string]string {
	m := map[string]string{}
	for _, tag := range tags {
		switch {
		case tag.VStr != nil:
			m[tag.Key] = *tag.VStr
		case tag.VLong != nil:
			m[tag.Key] = strconv.FormatInt(*tag.VLong, 10)
		case tag.VDouble != nil:
			m[tag.Key] = strconv.FormatFloat(*tag.VDouble, 'g', -1, 64)
		case tag.VBool != nil:
			m[tag.Key] = strconv.FormatBool(*tag.VBool)
		default:
			m[tag.Key] = string(tag.VBinary)
		}
	}
	return m
}

// agentSpans counts the spans the agent received.
func agentSpans(agent *testutils.MockAgent) (n int64) {
	for _, b := range agent.GetJaegerBatches() {
		n += int64(len(b.Spans))
	}
	return n
}

// waitForSpan polls the agent until a span named op arrives, and returns
// it with the batch's process.
func waitForSpan(t *testing.T, agent *testutils.MockAgent, op string) (*thriftjaeger.Span, *thriftjaeger.Process) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, b := range agent.GetJaegerBatches() {
			for _, s := range b.Spans {
				if s.OperationName == op {
					return s, b.Process
				}
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no span %q reached the agent; batches: %v", op, agent.GetJaegerBatches())
	return nil, nil
}

func processTags(p *thriftjaeger.Process) map[string]string {
	tags := map[string]string{}
	for _, tag := range p.Tags {
		if tag.VStr != nil {
			tags[tag.Key] = *tag.VStr
		}
	}
	return tags
}

func TestUDPAgentReceivesSpansWithMergedProcessTags(t *testing.T) {
	agent := startAgent(t)
	env := agentEnv(t, agent, "JAEGER_TAGS", "env=prod,team=from-jaeger,region=${JAEGER_TEST_REGION:eu}")
	cfg := config(env)
	cfg.Tags = map[string]string{"team": "from-tracer"}
	inst, err := jaeger.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	span := inst.Tracer.StartSpan("udp-op")
	want, _ := jaegerContext(span.Context())
	span.Finish()
	if err := shutdownWithin(t, inst, 10*time.Second); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}

	got, process := waitForSpan(t, agent, "udp-op")
	if got.TraceIdLow != int64(want.TraceID().Low) || got.SpanId != int64(want.SpanID()) {
		t.Errorf("agent got trace %x span %x, want %v", got.TraceIdLow, got.SpanId, want)
	}
	if process.ServiceName != "jaeger-test" {
		t.Errorf("service = %q, want jaeger-test", process.ServiceName)
	}
	tags := processTags(process)
	for k, v := range map[string]string{"env": "prod", "team": "from-tracer", "region": "eu"} {
		if tags[k] != v {
			t.Errorf("process tag %s = %q, want %q (all: %v)", k, tags[k], v, tags)
		}
	}
}

func TestOpenDoesNotResolveAgentName(t *testing.T) {
	// With reconnecting disabled, jaeger-client-go resolves the agent's
	// name while constructing, and fails when it does not resolve. Open
	// defers that to the first span (none here, so no DNS query is sent).
	inst := open(t, config(map[string]string{
		"JAEGER_AGENT_HOST":                             "agent.invalid",
		"JAEGER_REPORTER_ATTEMPT_RECONNECTING_DISABLED": "true",
	}))
	if err := shutdownWithin(t, inst, 10*time.Second); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
}

func TestUDPAgentDownShutdownDrains(t *testing.T) {
	host, port, _ := net.SplitHostPort(closedPort(t))
	inst := open(t, config(map[string]string{"JAEGER_AGENT_HOST": host, "JAEGER_AGENT_PORT": port}))
	for i := 0; i < 300; i++ {
		inst.Tracer.StartSpan("into-the-void").Finish()
	}
	// UDP sends never wait for the receiver: the drain completes.
	if err := shutdownWithin(t, inst, 10*time.Second); err != nil {
		t.Fatalf("Shutdown with no agent listening: %v, want nil", err)
	}
}

// collector is an httptest Jaeger collector that decodes thrift batches.
type collector struct {
	*httptest.Server
	mu       sync.Mutex
	batches  []*thriftjaeger.Batch
	auth     []string
	ctypes   []string
	failures []error
}

func startCollector(t *testing.T) *collector {
	t.Helper()
	c := &collector{}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		batch := thriftjaeger.NewBatch()
		if err == nil {
			buf := thrift.NewTMemoryBuffer()
			buf.Write(body)
			err = batch.Read(r.Context(), thrift.NewTBinaryProtocolTransport(buf))
		}
		user, pass, _ := r.BasicAuth()
		c.mu.Lock()
		defer c.mu.Unlock()
		if err != nil {
			c.failures = append(c.failures, err)
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		c.batches = append(c.batches, batch)
		c.auth = append(c.auth, user+":"+pass)
		c.ctypes = append(c.ctypes, r.Header.Get("Content-Type"))
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(c.Close)
	return c
}

func TestHTTPCollectorWithBasicAuth(t *testing.T) {
	col := startCollector(t)
	env := map[string]string{
		"JAEGER_ENDPOINT": col.URL + "/api/traces",
		"JAEGER_USER":     "svc",
		"JAEGER_PASSWORD": "pa:ss word",
		// Ignored when JAEGER_ENDPOINT is set: the collector wins.
		"JAEGER_AGENT_HOST": "127.0.0.1",
		"JAEGER_AGENT_PORT": "9",
	}
	inst := open(t, config(env))
	span := inst.Tracer.StartSpan("http-op")
	want, _ := jaegerContext(span.Context())
	span.Finish()
	if err := shutdownWithin(t, inst, 10*time.Second); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}

	col.mu.Lock()
	defer col.mu.Unlock()
	if len(col.failures) > 0 {
		t.Fatalf("collector could not decode: %v", col.failures)
	}
	if len(col.batches) != 1 {
		t.Fatalf("collector got %d batches, want 1 (flushed by Shutdown)", len(col.batches))
	}
	if col.auth[0] != "svc:pa:ss word" {
		t.Errorf("basic auth = %q, want svc:pa:ss word", col.auth[0])
	}
	if col.ctypes[0] != "application/x-thrift" {
		t.Errorf("Content-Type = %q, want application/x-thrift", col.ctypes[0])
	}
	b := col.batches[0]
	if b.Process.ServiceName != "jaeger-test" || len(b.Spans) != 1 ||
		b.Spans[0].OperationName != "http-op" || b.Spans[0].SpanId != int64(want.SpanID()) {
		t.Errorf("collector got batch %v, want one http-op span %v from jaeger-test", b, want)
	}
}

func TestShutdownAbandonsBlackHoledCollector(t *testing.T) {
	url := blackHole(t)
	before := goleak.IgnoreCurrent()
	inst, err := jaeger.Open(config(map[string]string{"JAEGER_ENDPOINT": url}))
	if err != nil {
		t.Fatal(err)
	}
	// 150 spans: the 100th sends a batch that hangs on the black hole.
	for i := 0; i < 150; i++ {
		inst.Tracer.StartSpan("held").Finish()
	}
	err = shutdownWithin(t, inst, 200*time.Millisecond)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown against a black hole = %v, want context.DeadlineExceeded", err)
	}
	// The client's own HTTP timeout is 5s per batch; abandoning the
	// requests at the deadline lets the background drain end well before.
	deadline := time.Now().Add(3 * time.Second)
	for {
		err := goleak.Find(before)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the tracer's goroutines outlived Shutdown's deadline by 3s: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// client returns the jaeger-client-go tracer behind tr, failing t when
// there is none.
func client(t *testing.T, tr opentracing.Tracer) *jaegerclient.Tracer {
	t.Helper()
	if u, ok := tr.(interface{ Unwrap() opentracing.Tracer }); ok {
		if jt, ok := u.Unwrap().(*jaegerclient.Tracer); ok {
			return jt
		}
	}
	t.Fatalf("tracer is %T, want one whose Unwrap returns *jaeger.Tracer", tr)
	return nil
}

// sampler returns the sampler the tracer actually runs, as text.
func sampler(t *testing.T, inst *tracer.Instance) string {
	t.Helper()
	jt := client(t, inst.Tracer)
	return describe(jt.Sampler())
}

func describe(s jaegerclient.SamplerV2) string {
	switch s := s.(type) {
	case *jaegerclient.ConstSampler:
		return fmt.Sprintf("const(%t)", s.Decision)
	case *jaegerclient.ProbabilisticSampler:
		return fmt.Sprintf("probabilistic(%g)", s.SamplingRate())
	case *jaegerclient.RateLimitingSampler:
		return s.String()
	case *jaegerclient.RemotelyControlledSampler:
		return "remote(" + describe(s.Sampler()) + ")"
	default:
		return fmt.Sprintf("%T", s)
	}
}

func TestSamplerPrecedence(t *testing.T) {
	tests := []struct {
		name        string
		rate        *float64
		env         map[string]string
		want        string
		wantSampled *bool // for deterministic samplers
	}{
		{name: "neither: sample everything", want: "const(true)", wantSampled: ptr(true)},
		{name: "rate 0 beats jaeger const 1", rate: tracer.Rate(0),
			env: map[string]string{"JAEGER_SAMPLER_TYPE": "const", "JAEGER_SAMPLER_PARAM": "1"}, want: "const(false)", wantSampled: ptr(false)},
		{name: "rate 1 beats jaeger const 0", rate: tracer.Rate(1),
			env: map[string]string{"JAEGER_SAMPLER_TYPE": "const", "JAEGER_SAMPLER_PARAM": "0"}, want: "const(true)", wantSampled: ptr(true)},
		{name: "rate 0.3 beats jaeger remote", rate: tracer.Rate(0.3),
			env: map[string]string{"JAEGER_SAMPLER_TYPE": "remote"}, want: "probabilistic(0.3)"},
		{name: "rate with a stray JAEGER_SAMPLER_PARAM", rate: tracer.Rate(0.5),
			env: map[string]string{"JAEGER_SAMPLER_PARAM": "0.1"}, want: "probabilistic(0.5)"},
		{name: "jaeger const 0", env: map[string]string{"JAEGER_SAMPLER_TYPE": "const", "JAEGER_SAMPLER_PARAM": "0"},
			want: "const(false)", wantSampled: ptr(false)},
		{name: "jaeger const without param", env: map[string]string{"JAEGER_SAMPLER_TYPE": "const"},
			want: "const(true)", wantSampled: ptr(true)},
		{name: "jaeger probabilistic", env: map[string]string{"JAEGER_SAMPLER_TYPE": "probabilistic", "JAEGER_SAMPLER_PARAM": "0.25"},
			want: "probabilistic(0.25)"},
		{name: "jaeger ratelimiting", env: map[string]string{"JAEGER_SAMPLER_TYPE": "rateLimiting", "JAEGER_SAMPLER_PARAM": "3"},
			want: "RateLimitingSampler(maxTracesPerSecond=3)"},
		{name: "jaeger remote", env: map[string]string{"JAEGER_SAMPLER_TYPE": "remote", "JAEGER_SAMPLER_PARAM": "0.2",
			"JAEGER_SAMPLING_ENDPOINT": "http://" + closedPort(t) + "/sampling"}, want: "remote(probabilistic(0.2))"},
		{name: "jaeger remote default initial rate", env: map[string]string{"JAEGER_SAMPLER_TYPE": "remote",
			"JAEGER_SAMPLING_ENDPOINT": "http://" + closedPort(t) + "/sampling"}, want: "remote(probabilistic(0.001))"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := config(agentEnvOrEmpty(tt.env))
			cfg.SampleRate = tt.rate
			inst := open(t, cfg)
			if got := sampler(t, inst); got != tt.want {
				t.Errorf("sampler = %s, want %s", got, tt.want)
			}
			if tt.wantSampled != nil {
				span := inst.Tracer.StartSpan("decide")
				sc, _ := jaegerContext(span.Context())
				span.Finish()
				if sc.IsSampled() != *tt.wantSampled {
					t.Errorf("root span sampled = %t, want %t", sc.IsSampled(), *tt.wantSampled)
				}
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// agentEnvOrEmpty sends spans to a closed local port so tests do not
// reach a real agent on 6831.
func agentEnvOrEmpty(env map[string]string) map[string]string {
	out := map[string]string{"JAEGER_AGENT_HOST": "127.0.0.1", "JAEGER_AGENT_PORT": "9"}
	for k, v := range env {
		out[k] = v
	}
	return out
}

func TestRemoteSamplerFollowsSamplingEndpoint(t *testing.T) {
	agent := startAgent(t)
	agent.AddSamplingStrategy("jaeger-test", &sampling.SamplingStrategyResponse{
		StrategyType:          sampling.SamplingStrategyType_PROBABILISTIC,
		ProbabilisticSampling: &sampling.ProbabilisticSamplingStrategy{SamplingRate: 1},
	})
	env := agentEnv(t, agent,
		"JAEGER_SAMPLER_TYPE", "remote",
		"JAEGER_SAMPLER_PARAM", "0",
		"JAEGER_SAMPLING_ENDPOINT", "http://"+agent.SamplingServerAddr()+"/sampling",
		"JAEGER_SAMPLER_REFRESH_INTERVAL", "20ms",
		"JAEGER_SAMPLER_MAX_OPERATIONS", "5",
	)
	inst := open(t, config(env))
	first := inst.Tracer.StartSpan("before-poll")
	if sc, _ := jaegerContext(first.Context()); sc.IsSampled() {
		t.Fatal("initial rate 0 sampled a span before the first poll")
	}
	first.Finish()
	deadline := time.Now().Add(10 * time.Second)
	for {
		span := inst.Tracer.StartSpan("after-poll")
		sc, _ := jaegerContext(span.Context())
		span.Finish()
		if sc.IsSampled() {
			return // the strategy from the endpoint (rate 1) is in force
		}
		if time.Now().After(deadline) {
			t.Fatalf("sampler never adopted the endpoint's strategy; sampler: %s", sampler(t, inst))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestTraceID128Bit(t *testing.T) {
	for _, give := range []string{"true", "false"} {
		t.Run(give, func(t *testing.T) {
			inst := open(t, config(agentEnvOrEmpty(map[string]string{"JAEGER_TRACEID_128BIT": give})))
			span := inst.Tracer.StartSpan("ids")
			sc, _ := jaegerContext(span.Context())
			span.Finish()
			if got, want := sc.TraceID().High != 0, give == "true"; got != want {
				t.Errorf("trace id %v: 128-bit = %t, want %t", sc.TraceID(), got, want)
			}
		})
	}
}

func TestDisabledIsNoopTracer(t *testing.T) {
	inst := open(t, config(map[string]string{"JAEGER_DISABLED": "true"}))
	if _, ok := inst.Tracer.(opentracing.NoopTracer); !ok {
		t.Fatalf("JAEGER_DISABLED=true built %T, want opentracing.NoopTracer", inst.Tracer)
	}
	if err := shutdownWithin(t, inst, time.Second); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}

	inst = open(t, config(agentEnvOrEmpty(map[string]string{"JAEGER_DISABLED": "false"})))
	client(t, inst.Tracer)
}

func TestFinishedSpanStaysReadable(t *testing.T) {
	// With the client's span pool on, a reported span is reset for reuse;
	// callers (and the conformance probe) read spans after Finish.
	agent := startAgent(t)
	inst := open(t, config(agentEnv(t, agent)))
	span := inst.Tracer.StartSpan("kept")
	want, _ := jaegerContext(span.Context())
	span.Finish()
	if err := shutdownWithin(t, inst, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	waitForSpan(t, agent, "kept") // reported, so released by the reporter
	got, _ := jaegerContext(span.Context())
	if got.TraceID() != want.TraceID() || got.SpanID() != want.SpanID() {
		t.Errorf("span context after report = %v, want %v", got, want)
	}
	if op := span.(*jaegerclient.Span).OperationName(); op != "kept" {
		t.Errorf("operation name after report = %q, want kept", op)
	}
}

func TestRPCMetrics(t *testing.T) {
	for _, enabled := range []bool{true, false} {
		t.Run(strconv.FormatBool(enabled), func(t *testing.T) {
			cfg := config(agentEnvOrEmpty(map[string]string{"JAEGER_RPC_METRICS": strconv.FormatBool(enabled)}))
			opts, err := jaeger.OptionsFromConfig(cfg)
			if err != nil {
				t.Fatal(err)
			}
			factory := metricstest.NewFactory(0)
			defer factory.Stop()
			opts.Metrics = factory
			inst, err := jaeger.New(cfg, opts)
			if err != nil {
				t.Fatal(err)
			}
			defer shutdownWithin(t, inst, 10*time.Second)
			span := inst.Tracer.StartSpan("GET /orders", ext.SpanKindRPCServer)
			span.Finish()

			counters, _ := factory.Snapshot()
			var rpc, started bool
			for name := range counters {
				rpc = rpc || strings.HasPrefix(name, "jaeger-rpc.requests") && strings.Contains(name, "endpoint=GET-/orders")
				started = started || strings.Contains(name, "started_spans")
			}
			if !started {
				t.Errorf("tracer metrics did not reach Options.Metrics: %v", counters)
			}
			if rpc != enabled {
				t.Errorf("JAEGER_RPC_METRICS=%t: RPC request counter present = %t; counters %v", enabled, rpc, counters)
			}
		})
	}
}

// logCapture is where captureLog sends the standard logger.
type logCapture = syncbuf.Buffer

func captureLog(t *testing.T) *logCapture {
	t.Helper()
	c := &logCapture{}
	out, flags := log.Writer(), log.Flags()
	log.SetOutput(c)
	t.Cleanup(func() { log.SetOutput(out); log.SetFlags(flags) })
	return c
}

func TestLogSpans(t *testing.T) {
	for _, give := range []string{"true", "false"} {
		t.Run(give, func(t *testing.T) {
			logs := captureLog(t)
			inst := open(t, config(agentEnvOrEmpty(map[string]string{"JAEGER_REPORTER_LOG_SPANS": give})))
			span := inst.Tracer.StartSpan("logged")
			sc, _ := jaegerContext(span.Context())
			span.Finish()
			if err := shutdownWithin(t, inst, 10*time.Second); err != nil {
				t.Fatal(err)
			}
			got := strings.Contains(logs.String(), "Reporting span "+sc.String())
			if want := give == "true"; got != want {
				t.Errorf("JAEGER_REPORTER_LOG_SPANS=%s: span logged = %t, want %t; log:\n%s", give, got, want, logs)
			}
		})
	}
}

func TestClientLogsRedactSecrets(t *testing.T) {
	logs := captureLog(t)
	endpoint := "http://bob:urlpass-9@" + closedPort(t) + "/api/traces?apikey=query-secret-7"
	inst := open(t, config(map[string]string{
		"JAEGER_ENDPOINT": endpoint,
		"JAEGER_USER":     "alice",
		"JAEGER_PASSWORD": "env-password-5",
	}))
	inst.Tracer.StartSpan("refused").Finish()
	if err := shutdownWithin(t, inst, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	out := logs.String()
	if !strings.Contains(out, "failed to flush Jaeger spans") {
		t.Fatalf("the refused send was not logged, so nothing was checked; log:\n%s", out)
	}
	for _, secret := range []string{"urlpass-9", "query-secret-7", "env-password-5"} {
		if strings.Contains(out, secret) {
			t.Errorf("log shows secret %q:\n%s", secret, out)
		}
	}
}
