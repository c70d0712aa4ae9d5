package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opentracing/opentracing-go"

	"github.com/polytrace/polytrace"
	"github.com/polytrace/polytrace/backends/stdout"
	"github.com/polytrace/polytrace/internal/jaegertest"
	"github.com/polytrace/polytrace/internal/lightsteptest"
	"github.com/polytrace/polytrace/internal/syncbuf"
	"github.com/polytrace/polytrace/tracer"
)

// A path is one way spans travel from a backend to a collector we can
// count them in.
type path struct {
	name    string
	backend string // TRACER_BACKEND
	// env returns the backend's settings for collector addresses: the
	// real collector's, or a proxy's in front of it.
	env func(c *collectors) map[string]string
	// count returns how many spans of service, whose operation name
	// starts with op, the collector holds.
	count func(t *testing.T, c *collectors, service, op string, since time.Time) int
}

// collectors are the real collectors the paths report to.
type collectors struct {
	jaeger  *jaegertest.Jaeger
	lsHTTP  *lightsteptest.Receiver
	lsGRPC  *lightsteptest.Receiver
	stdout  *syncbuf.Buffer
	proxied map[string]string // address overrides set by fault tests
}

func (c *collectors) addr(key, real string) string {
	if a, ok := c.proxied[key]; ok {
		return a
	}
	return real
}

const lightstepToken = "e2e-secret-token-8f3a"

func jaegerCount(t *testing.T, c *collectors, service, op string, since time.Time) int {
	t.Helper()
	if op == "" {
		n, err := c.jaeger.SpanCounts(service, since.Add(-time.Minute), time.Now().Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		return n[service]
	}
	n := 0
	for _, tr := range c.jaeger.Traces(t, service) {
		for _, s := range tr.Spans {
			if tr.ServiceOf(s) == service && strings.HasPrefix(s.OperationName, op) {
				n++
			}
		}
	}
	return n
}

func lightstepCount(r func(c *collectors) *lightsteptest.Receiver) func(*testing.T, *collectors, string, string, time.Time) int {
	return func(t *testing.T, c *collectors, service, op string, _ time.Time) int {
		n := 0
		seen := map[uint64]bool{}
		for _, s := range r(c).Spans() {
			if s.Component == service && strings.HasPrefix(s.Operation, op) && !seen[s.SpanID] {
				seen[s.SpanID] = true
				n++
			}
		}
		return n
	}
}

func lightstepEnv(transport string, r func(c *collectors) *lightsteptest.Receiver) func(c *collectors) map[string]string {
	return func(c *collectors) map[string]string {
		addr := c.addr("lightstep-"+transport, r(c).Addr())
		host, port := splitHostPort(addr)
		return map[string]string{
			"LIGHTSTEP_ACCESS_TOKEN":        lightstepToken,
			"LIGHTSTEP_COLLECTOR_HOST":      host,
			"LIGHTSTEP_COLLECTOR_PORT":      port,
			"LIGHTSTEP_COLLECTOR_PLAINTEXT": "true",
			"LIGHTSTEP_TRANSPORT":           transport,
		}
	}
}

// networkPaths report over the network to Jaeger or the Lightstep
// receiver.
var networkPaths = []path{
	{
		name: "jaeger-udp", backend: "jaeger",
		env: func(c *collectors) map[string]string {
			host, port := splitHostPort(c.addr("jaeger-udp", c.jaeger.AgentHost+":"+strconv.Itoa(c.jaeger.AgentPort)))
			return map[string]string{"JAEGER_AGENT_HOST": host, "JAEGER_AGENT_PORT": port}
		},
		count: jaegerCount,
	},
	{
		name: "jaeger-http", backend: "jaeger",
		env: func(c *collectors) map[string]string {
			return map[string]string{"JAEGER_ENDPOINT": "http://" + c.addr("jaeger-http", hostPortOf(c.jaeger.CollectorURL)) + "/api/traces"}
		},
		count: jaegerCount,
	},
	{
		name: "zipkin", backend: "zipkin",
		env: func(c *collectors) map[string]string {
			return map[string]string{"ZIPKIN_ENDPOINT": "http://" + c.addr("zipkin", hostPortOf(c.jaeger.ZipkinURL)) + "/api/v2/spans"}
		},
		count: jaegerCount,
	},
	{
		name: "otel-grpc", backend: "otel",
		env: func(c *collectors) map[string]string {
			return map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
				"OTEL_EXPORTER_OTLP_ENDPOINT": "http://" + c.addr("otel-grpc", c.jaeger.OTLPGRPCAddr)}
		},
		count: jaegerCount,
	},
	{
		name: "otel-http", backend: "otel",
		env: func(c *collectors) map[string]string {
			return map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
				"OTEL_EXPORTER_OTLP_ENDPOINT": "http://" + c.addr("otel-http", hostPortOf(c.jaeger.OTLPHTTPURL))}
		},
		count: jaegerCount,
	},
	{
		name: "lightstep-http", backend: "lightstep",
		env:   lightstepEnv(lightsteptest.HTTP, func(c *collectors) *lightsteptest.Receiver { return c.lsHTTP }),
		count: lightstepCount(func(c *collectors) *lightsteptest.Receiver { return c.lsHTTP }),
	},
	{
		name: "lightstep-grpc", backend: "lightstep",
		env:   lightstepEnv(lightsteptest.GRPC, func(c *collectors) *lightsteptest.Receiver { return c.lsGRPC }),
		count: lightstepCount(func(c *collectors) *lightsteptest.Receiver { return c.lsGRPC }),
	},
}

// stdoutPath writes JSON lines into the collectors' buffer.
var stdoutPath = path{
	name: "stdout", backend: "stdout",
	count: func(t *testing.T, c *collectors, service, op string, _ time.Time) int {
		n := 0
		sc := bufio.NewScanner(bytes.NewReader(c.stdout.Bytes()))
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var l struct {
				Service   string `json:"service"`
				Operation string `json:"operation"`
			}
			if json.Unmarshal(sc.Bytes(), &l) == nil && l.Service == service && strings.HasPrefix(l.Operation, op) {
				n++
			}
		}
		return n
	},
}

// startCollectors starts Jaeger and a Lightstep receiver per transport.
func startCollectors(t *testing.T) *collectors {
	t.Helper()
	return &collectors{
		jaeger:  jaegertest.Start(t),
		lsHTTP:  lightsteptest.Start(t, lightsteptest.HTTP),
		lsGRPC:  lightsteptest.Start(t, lightsteptest.GRPC),
		stdout:  &syncbuf.Buffer{},
		proxied: map[string]string{},
	}
}

// traced is a tracer under test: a *polytrace.Tracer for the network
// backends, the stdout backend's instance (writing to a buffer) for
// stdout.
type traced struct {
	Tracer   opentracing.Tracer
	Stats    func() tracer.Stats
	Shutdown func(context.Context) error
}

// open builds the tracer of p for service. queue sets TRACER_QUEUE_SIZE
// (0: unset).
func (p path) open(t *testing.T, c *collectors, service string, queue int) traced {
	t.Helper()
	cfg := tracer.Config{ServiceName: service, QueueSize: queue, FlushTimeout: 10 * time.Second}
	if p.backend == "stdout" {
		inst, err := stdout.New(cfg, stdout.Options{Writer: c.stdout})
		if err != nil {
			t.Fatalf("%s: open: %v", p.name, err)
		}
		return traced{Tracer: inst.Tracer, Stats: inst.Stats, Shutdown: inst.Shutdown}
	}
	cfg.Lookup = tracer.MapLookup(p.env(c))
	tr, err := polytrace.New(p.backend, cfg)
	if err != nil {
		t.Fatalf("%s: open: %v", p.name, err)
	}
	return traced{Tracer: tr, Stats: tr.Stats, Shutdown: tr.Shutdown}
}

func shutdownWithin(inst traced, d time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return inst.Shutdown(ctx)
}

func splitHostPort(addr string) (host, port string) {
	for i := len(addr) - 1; i >= 0; i-- {
		if addr[i] == ':' {
			return addr[:i], addr[i+1:]
		}
	}
	return addr, ""
}

// hostPortOf returns the host:port of an http://host:port/... URL.
func hostPortOf(u string) string {
	rest := u[len("http://"):]
	for i, r := range rest {
		if r == '/' {
			return rest[:i]
		}
	}
	return rest
}
