package main

import (
	"context"
	"fmt"
	"log"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// jaegerPorts are the loopback ports of the Jaeger all-in-one loadgen
// starts (the same configuration as internal/jaegertest's).
type jaegerPorts struct {
	otlpGRPC, otlpHTTP, thriftHTTP, zipkin, queryHTTP, queryGRPC, health int
	thriftCompact                                                        int // UDP
}

func (p jaegerPorts) collectorURL() string {
	return fmt.Sprintf("http://127.0.0.1:%d/api/traces", p.thriftHTTP)
}
func (p jaegerPorts) zipkinURL() string {
	return fmt.Sprintf("http://127.0.0.1:%d/api/v2/spans", p.zipkin)
}
func (p jaegerPorts) otlpHTTPAddr() string {
	return fmt.Sprintf("127.0.0.1:%d", p.otlpHTTP)
}

func (r *run) startJaeger(ctx context.Context, bin string) error {
	var p jaegerPorts
	var ls []net.Listener
	for _, dst := range []*int{&p.otlpGRPC, &p.otlpHTTP, &p.thriftHTTP, &p.zipkin, &p.queryHTTP, &p.queryGRPC, &p.health} {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return fmt.Errorf("pick a free port: %w", err)
		}
		ls = append(ls, l)
		*dst = l.Addr().(*net.TCPAddr).Port
	}
	for _, l := range ls {
		l.Close()
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("pick a free UDP port: %w", err)
	}
	p.thriftCompact = pc.LocalAddr().(*net.UDPAddr).Port
	pc.Close()
	cfg := filepath.Join(r.dir, "jaeger.yaml")
	if err := os.WriteFile(cfg, []byte(jaegerConfig(p)), 0o644); err != nil {
		return err
	}
	logf, err := os.Create(filepath.Join(r.dir, "jaeger.log"))
	if err != nil {
		return err
	}
	cmd := exec.Command(bin, "--config=file:"+cfg)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", bin, err)
	}
	r.mu.Lock()
	r.procs = append(r.procs, cmd)
	r.mu.Unlock()
	r.jaeger, r.jaegerPID = p, cmd.Process.Pid
	began := time.Now()
	if err := waitHTTP(ctx, fmt.Sprintf("http://127.0.0.1:%d/api/services", p.queryHTTP), 90*time.Second); err != nil {
		return fmt.Errorf("jaeger: %w (log %s)", err, logf.Name())
	}
	for _, port := range []int{p.otlpHTTP, p.thriftHTTP, p.zipkin} {
		if err := waitHTTP(ctx, fmt.Sprintf("http://127.0.0.1:%d/", port), 30*time.Second); err != nil {
			return fmt.Errorf("jaeger receiver: %w (log %s)", err, logf.Name())
		}
	}
	log.Printf("jaeger ready in %v (query http://127.0.0.1:%d)", time.Since(began).Round(time.Millisecond), p.queryHTTP)
	return nil
}

// jaegerConfig is an all-in-one with in-memory storage on the given ports.
func jaegerConfig(p jaegerPorts) string {
	return fmt.Sprintf(`service:
  extensions: [jaeger_storage, jaeger_query, healthcheckv2]
  pipelines:
    traces:
      receivers: [otlp, jaeger, zipkin]
      exporters: [jaeger_storage_exporter]
  telemetry:
    metrics:
      level: none
    logs:
      level: warn

extensions:
  jaeger_storage:
    backends:
      memstore:
        memory:
          max_traces: 20000
  jaeger_query:
    storage:
      traces: memstore
    enable_tracing: false
    http:
      endpoint: 127.0.0.1:%d
    grpc:
      endpoint: 127.0.0.1:%d
  healthcheckv2:
    use_v2: true
    http:
      endpoint: 127.0.0.1:%d

receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:%d
      http:
        endpoint: 127.0.0.1:%d
  jaeger:
    protocols:
      thrift_http:
        endpoint: 127.0.0.1:%d
      thrift_compact:
        endpoint: 127.0.0.1:%d
  zipkin:
    endpoint: 127.0.0.1:%d

exporters:
  jaeger_storage_exporter:
    trace_storage: memstore
`, p.queryHTTP, p.queryGRPC, p.health, p.otlpGRPC, p.otlpHTTP, p.thriftHTTP, p.thriftCompact, p.zipkin)
}
