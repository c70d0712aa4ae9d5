package main

import (
	"fmt"
	"net"
	"time"

	"github.com/polytrace/polytrace/internal/lightsteptest"
)

// target is one way the services report: a backend and its transport.
type target struct {
	name       string
	backend    string // TRACER_BACKEND; empty for tracing off
	usesJaeger bool
	lightstep  string // the receiver's transport, for Lightstep targets
	udp        bool
	// collectorAddr returns the collector's host:port, which the fault
	// proxy forwards to; nil when nothing is sent over the network.
	collectorAddr func(col *collectors) string
	// env returns the backend's settings, given the proxy's address.
	env func(addr string) map[string]string
	// delivered counts the spans of both services in the collector.
	delivered func(col *collectors, front, back *child, frontService, backService string, since time.Time) (int64, error)
	// viewer: each service serves its spans on a viewer of its own (the
	// ui backend), checked by checkViewers instead of delivered.
	viewer bool
	// healthy, for a list of backends, is the one whose collector the
	// scenario leaves alone (the others' is behind the fault proxy):
	// every span must reach it, whatever happens to the others.
	healthy string
	// healthyEnv returns the healthy backend's settings.
	healthyEnv func(col *collectors) map[string]string
	// healthyDelivered counts the spans of both services in the healthy
	// backend's collector.
	healthyDelivered func(col *collectors, front, back string, since time.Time) (int64, error)
}

var offTarget = target{name: "off"}

// dualTarget reports to Jaeger over OTLP and to a Lightstep receiver at
// once (TRACER_BACKEND=otel,lightstep), the receiver behind the fault
// proxy: the scenario breaks the Lightstep side only.
func dualTarget() target {
	t := lightstepTarget(lightsteptest.HTTP)
	t.name, t.backend, t.usesJaeger, t.healthy = "otel+lightstep", "otel,lightstep", true, "otel"
	t.healthyEnv = func(col *collectors) map[string]string {
		return map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://" + hostPort(col.jaeger.OTLPHTTPURL)}
	}
	t.healthyDelivered = func(col *collectors, front, back string, since time.Time) (int64, error) {
		return jaegerDelivered(col, nil, nil, front, back, since)
	}
	return t
}

// jaegerDelivered counts each service's spans in the traces found by
// searching that service: a trace whose checkout spans were dropped still
// counts its inventory spans.
func jaegerDelivered(col *collectors, _, _ *child, front, back string, since time.Time) (int64, error) {
	var total int64
	for _, service := range []string{front, back} {
		n, err := col.jaeger.SpanCounts(service, since.Add(-time.Minute), time.Now().Add(time.Minute))
		if err != nil {
			return 0, err
		}
		total += int64(n[service])
	}
	return total, nil
}

func lightstepTarget(transport string) target {
	return target{
		name: "lightstep-" + transport, backend: "lightstep", lightstep: transport,
		collectorAddr: func(col *collectors) string { return col.receiver(transport).Addr() },
		env: func(addr string) map[string]string {
			host, port, _ := net.SplitHostPort(addr)
			return map[string]string{
				"LIGHTSTEP_ACCESS_TOKEN":        "loadtest-token",
				"LIGHTSTEP_COLLECTOR_HOST":      host,
				"LIGHTSTEP_COLLECTOR_PORT":      port,
				"LIGHTSTEP_COLLECTOR_PLAINTEXT": "true",
				"LIGHTSTEP_TRANSPORT":           transport,
			}
		},
		delivered: func(col *collectors, _, _ *child, front, back string, _ time.Time) (int64, error) {
			var n int64
			for _, s := range col.receiver(transport).Spans() {
				if s.Component == front || s.Component == back {
					n++
				}
			}
			return n, nil
		},
	}
}

var targets = []target{
	{
		name: "jaeger-udp", backend: "jaeger", usesJaeger: true, udp: true,
		collectorAddr: func(col *collectors) string {
			return net.JoinHostPort(col.jaeger.AgentHost, fmt.Sprint(col.jaeger.AgentPort))
		},
		env: func(addr string) map[string]string {
			host, port, _ := net.SplitHostPort(addr)
			return map[string]string{"JAEGER_AGENT_HOST": host, "JAEGER_AGENT_PORT": port}
		},
		delivered: jaegerDelivered,
	},
	{
		name: "jaeger-http", backend: "jaeger", usesJaeger: true,
		collectorAddr: func(col *collectors) string { return hostPort(col.jaeger.CollectorURL) },
		env: func(addr string) map[string]string {
			return map[string]string{"JAEGER_ENDPOINT": "http://" + addr + "/api/traces"}
		},
		delivered: jaegerDelivered,
	},
	{
		name: "zipkin", backend: "zipkin", usesJaeger: true,
		collectorAddr: func(col *collectors) string { return hostPort(col.jaeger.ZipkinURL) },
		env: func(addr string) map[string]string {
			return map[string]string{"ZIPKIN_ENDPOINT": "http://" + addr + "/api/v2/spans"}
		},
		delivered: jaegerDelivered,
	},
	{
		name: "otel-grpc", backend: "otel", usesJaeger: true,
		collectorAddr: func(col *collectors) string { return col.jaeger.OTLPGRPCAddr },
		env: func(addr string) map[string]string {
			return map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://" + addr}
		},
		delivered: jaegerDelivered,
	},
	{
		name: "otel-http", backend: "otel", usesJaeger: true,
		collectorAddr: func(col *collectors) string { return hostPort(col.jaeger.OTLPHTTPURL) },
		env: func(addr string) map[string]string {
			return map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://" + addr}
		},
		delivered: jaegerDelivered,
	},
	lightstepTarget(lightsteptest.HTTP),
	lightstepTarget(lightsteptest.GRPC),
	{
		name: "stdout", backend: "stdout",
		delivered: func(_ *collectors, front, back *child, _, _ string, _ time.Time) (int64, error) {
			return front.lines.count() + back.lines.count(), nil
		},
	},
	uiTarget(),
	dualTarget(),
}

func findTarget(name string) (target, bool) {
	for _, t := range targets {
		if t.name == name {
			return t, true
		}
	}
	return target{}, false
}

func targetNames() []string {
	names := make([]string, len(targets))
	for i, t := range targets {
		names[i] = t.name
	}
	return names
}

// hostPort returns the host:port of an http://host:port/... URL.
func hostPort(u string) string {
	rest := u[len("http://"):]
	for i, r := range rest {
		if r == '/' {
			return rest[:i]
		}
	}
	return rest
}
