package jaegertest

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/polytrace/polytrace/internal/faultnet"
	"github.com/polytrace/polytrace/internal/syncbuf"
)

const (
	// startTimeout bounds the wait for Jaeger to answer, from exec to ready.
	startTimeout = 60 * time.Second
	// stopGrace is how long Jaeger gets to exit after SIGTERM before SIGKILL.
	stopGrace = 10 * time.Second
	// startAttempts is how often Start retries when a port it picked was
	// taken by someone else between picking and binding.
	startAttempts = 3
	// logTailLines is how much of Jaeger's log a failure shows.
	logTailLines = 80
	// rmemMaxPath is where Linux caps what a socket may ask for.
	rmemMaxPath = "/proc/sys/net/core/rmem_max"
)

// Jaeger is a running Jaeger all-in-one. Its fields are the addresses its
// receivers and query API listen on, all on 127.0.0.1.
type Jaeger struct {
	// AgentHost and AgentPort are where the Jaeger agent protocol (compact
	// thrift over UDP) is received.
	AgentHost string
	AgentPort int
	// CollectorURL receives jaeger.thrift batches over HTTP
	// (http://127.0.0.1:N/api/traces).
	CollectorURL string
	// ZipkinURL receives Zipkin JSON v2 or proto3 spans
	// (http://127.0.0.1:N/api/v2/spans).
	ZipkinURL string
	// OTLPGRPCAddr receives OTLP over gRPC (127.0.0.1:N, plaintext).
	OTLPGRPCAddr string
	// OTLPHTTPURL is the base URL of the OTLP/HTTP receiver
	// (http://127.0.0.1:N; traces go to /v1/traces).
	OTLPHTTPURL string
	// QueryURL is the base URL of the query API (http://127.0.0.1:N).
	QueryURL string
	// Query reads the query API at QueryURL.
	*Query

	log *logBuffer

	bin, dir, cfgPath string
	ports             ports
	mu                sync.Mutex
	proc              *process // nil while down
}

// ports are the listen ports of one instance.
type ports struct {
	otlpGRPC, otlpHTTP, thriftHTTP, thriftCompact, zipkin int
	queryHTTP, queryGRPC, health                          int
}

// Start runs Jaeger on free ports of 127.0.0.1 and waits (up to a minute)
// until its query API answers, its health check reports every component
// started and its TCP receivers accept connections. It is
// stopped when the test ends: SIGTERM, then SIGKILL after ten seconds. If
// the test failed, the tail of Jaeger's log is logged. Start fails the test,
// with that log tail, if Jaeger does not come up.
func Start(t testing.TB) *Jaeger {
	t.Helper()
	bin := Binary(t)
	j, err := launch(bin, t.TempDir(), func(msg string) { t.Log(msg) })
	if err != nil {
		t.Fatalf("jaegertest: %v", err)
	}
	t.Logf("jaegertest: jaeger ready (query %s)", j.QueryURL)
	// Cleanups run last-in first-out: stop first, then show the log,
	// including what Jaeger said while shutting down.
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("jaegertest: jaeger log (tail):\n%s", j.log.Tail(logTailLines))
		}
	})
	t.Cleanup(j.Close)
	return j
}

// Launch is Start for programs without a testing.TB (such as a load
// tool): it runs Jaeger with its configuration and data in dir, building
// the binary first if POLYTRACE_JAEGER_BIN is unset. The caller must
// Close it.
func Launch(dir string) (*Jaeger, error) {
	bin, err := BinaryPath()
	if err != nil {
		return nil, fmt.Errorf("jaegertest: %w", err)
	}
	j, err := launch(bin, dir, func(string) {})
	if err != nil {
		return nil, fmt.Errorf("jaegertest: %w", err)
	}
	return j, nil
}

// launch checks that the kernel lets the UDP receiver have its buffer,
// then picks ports and starts Jaeger, retrying with other ports when one
// it picked was taken meanwhile.
func launch(bin, dir string, logf func(string)) (*Jaeger, error) {
	if err := checkReceiveBufferLimit(rmemMaxPath); err != nil {
		return nil, err
	}
	for attempt := 1; ; attempt++ {
		j, err := start(bin, dir)
		if err == nil {
			return j, nil
		}
		var clash *portClashError
		if errors.As(err, &clash) && attempt < startAttempts {
			logf("jaegertest: jaeger exited at start: a port it was given was taken meanwhile; retrying with other ports")
			continue
		}
		return nil, err
	}
}

// portClashError reports that Jaeger exited because a port it was given was
// already taken.
type portClashError struct{ err error }

func (e *portClashError) Error() string { return e.err.Error() }
func (e *portClashError) Unwrap() error { return e.err }

// start makes one attempt. On error the process has been stopped already.
func start(bin, dir string) (*Jaeger, error) {
	p, err := pickPorts()
	if err != nil {
		return nil, err
	}
	cfgPath := filepath.Join(dir, "jaeger.yaml")
	if err := os.WriteFile(cfgPath, []byte(configYAML(p)), 0o644); err != nil {
		return nil, fmt.Errorf("write config: %w", err)
	}

	j := &Jaeger{
		AgentHost:    "127.0.0.1",
		AgentPort:    p.thriftCompact,
		CollectorURL: fmt.Sprintf("http://127.0.0.1:%d/api/traces", p.thriftHTTP),
		ZipkinURL:    fmt.Sprintf("http://127.0.0.1:%d/api/v2/spans", p.zipkin),
		OTLPGRPCAddr: fmt.Sprintf("127.0.0.1:%d", p.otlpGRPC),
		OTLPHTTPURL:  fmt.Sprintf("http://127.0.0.1:%d", p.otlpHTTP),
		QueryURL:     fmt.Sprintf("http://127.0.0.1:%d", p.queryHTTP),
		Query:        NewQuery(fmt.Sprintf("http://127.0.0.1:%d", p.queryHTTP)),
		log:          &logBuffer{},
		bin:          bin,
		dir:          dir,
		cfgPath:      cfgPath,
		ports:        p,
	}
	if err := j.run(); err != nil {
		return nil, err
	}
	return j, nil
}

// run starts the process on j's ports and waits until it is ready.
func (j *Jaeger) run() error {
	cmd := exec.Command(j.bin, "--config=file:"+j.cfgPath)
	cmd.Dir = j.dir
	cmd.Stdout = j.log
	cmd.Stderr = j.log
	cmd.SysProcAttr = sysProcAttr()
	began := time.Now()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", j.bin, err)
	}
	pr := &process{cmd: cmd, exited: make(chan struct{})}
	go func() {
		pr.waitErr = cmd.Wait()
		close(pr.exited)
	}()

	if err := j.waitReady(j.ports, pr.exited, began); err != nil {
		early := exitedEarly(pr.exited) // before stop, which always ends it
		pr.stop()
		if early {
			err = fmt.Errorf("%w (exit: %v)", err, pr.waitErr)
		}
		err = fmt.Errorf("%w\nconfig %s:\n%s\njaeger log (tail):\n%s", err, j.cfgPath, configYAML(j.ports), j.log.Tail(logTailLines))
		if early && strings.Contains(j.log.String(), "address already in use") {
			return &portClashError{err}
		}
		return err
	}
	j.mu.Lock()
	j.proc = pr
	j.mu.Unlock()
	return nil
}

// process is one run of the Jaeger binary.
type process struct {
	cmd     *exec.Cmd
	exited  chan struct{}
	waitErr error
}

// stop ends the process: SIGTERM, then SIGKILL after stopGrace.
func (pr *process) stop() {
	select {
	case <-pr.exited:
		return
	default:
	}
	_ = pr.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-pr.exited:
	case <-time.After(stopGrace):
		_ = pr.cmd.Process.Kill()
		<-pr.exited
	}
}

// Down stops the Jaeger process, keeping its addresses: from then on its
// TCP receivers refuse connections and datagrams to its UDP port are
// refused by the kernel. What it stored is lost (storage is in memory).
// It is a no-op when Jaeger is already down.
func (j *Jaeger) Down() {
	j.mu.Lock()
	pr := j.proc
	j.proc = nil
	j.mu.Unlock()
	if pr != nil {
		pr.stop()
	}
}

// Up starts Jaeger again on the same addresses, with empty storage, after
// [Jaeger.Down], and waits until it is ready. It is a no-op when Jaeger is
// running.
func (j *Jaeger) Up() error {
	j.mu.Lock()
	running := j.proc != nil
	j.mu.Unlock()
	if running {
		return nil
	}
	if err := j.run(); err != nil {
		return fmt.Errorf("jaegertest: restart on the same ports: %w", err)
	}
	return nil
}

// Stop is [Jaeger.Down] for tests: the collector goes away mid-test.
func (j *Jaeger) Stop(t testing.TB) {
	t.Helper()
	j.Down()
}

// Restart is [Jaeger.Up] for tests: it fails t if Jaeger does not come
// back on the same addresses.
func (j *Jaeger) Restart(t testing.TB) {
	t.Helper()
	if err := j.Up(); err != nil {
		t.Fatal(err)
	}
}

// Close stops Jaeger for good. Start registers it as a test cleanup;
// callers of Launch must call it.
func (j *Jaeger) Close() { j.Down() }

// PID returns the process id of the running Jaeger (for a load tool that
// measures its CPU time), or 0 while it is down.
func (j *Jaeger) PID() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.proc == nil {
		return 0
	}
	return j.proc.cmd.Process.Pid
}

// Log returns the tail of Jaeger's own log, up to n lines.
func (j *Jaeger) Log(n int) string { return j.log.Tail(n) }

func exitedEarly(exited <-chan struct{}) bool {
	select {
	case <-exited:
		return true
	default:
		return false
	}
}

// waitReady polls until the query API answers 200 on /api/services, the
// health check reports every component started (this covers the UDP
// receiver, which cannot be probed), and every TCP receiver accepts a
// connection; it fails when Jaeger exits or startTimeout passes.
func (j *Jaeger) waitReady(p ports, exited <-chan struct{}, began time.Time) error {
	tcp := map[string]int{
		"otlp grpc":   p.otlpGRPC,
		"otlp http":   p.otlpHTTP,
		"thrift http": p.thriftHTTP,
		"zipkin":      p.zipkin,
	}
	deadline := began.Add(startTimeout)
	client := &http.Client{Timeout: 2 * time.Second}
	var pending string
	for {
		pending = j.notReady(client, p.health, tcp)
		if pending == "" {
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("jaeger exited before it was ready (%s)", pending)
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("jaeger not ready after %s: %s", startTimeout, pending)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// notReady returns what is not ready yet, or "".
func (j *Jaeger) notReady(client *http.Client, healthPort int, tcp map[string]int) string {
	for name, url := range map[string]string{
		"query API":    j.QueryURL + "/api/services",
		"health check": fmt.Sprintf("http://127.0.0.1:%d/status", healthPort),
	} {
		resp, err := client.Get(url)
		if err != nil {
			return name + ": " + err.Error()
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return name + ": GET " + url + ": " + resp.Status
		}
	}
	for name, port := range tcp {
		c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), time.Second)
		if err != nil {
			return name + " receiver: " + err.Error()
		}
		c.Close()
	}
	return ""
}

// pickPorts finds distinct free ports: it holds every listener open until
// all are chosen, then releases them for Jaeger.
func pickPorts() (ports, error) {
	var closers []func() error
	defer func() {
		for _, c := range closers {
			_ = c()
		}
	}()
	tcp := func() (int, error) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, fmt.Errorf("pick a free TCP port: %w", err)
		}
		closers = append(closers, l.Close)
		return l.Addr().(*net.TCPAddr).Port, nil
	}
	var p ports
	for _, dst := range []*int{&p.otlpGRPC, &p.otlpHTTP, &p.thriftHTTP, &p.zipkin, &p.queryHTTP, &p.queryGRPC, &p.health} {
		port, err := tcp()
		if err != nil {
			return ports{}, err
		}
		*dst = port
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return ports{}, fmt.Errorf("pick a free UDP port: %w", err)
	}
	closers = append(closers, pc.Close)
	p.thriftCompact = pc.LocalAddr().(*net.UDPAddr).Port
	return p, nil
}

// checkReceiveBufferLimit fails when the limit read from path (Linux's
// net.core.rmem_max) would silently cap the UDP receiver's buffer below
// faultnet.UDPReceiveBuffer, which makes the tests that count spans sent over UDP
// lose some on a busy machine. Where path does not exist (not Linux),
// there is nothing to check.
func checkReceiveBufferLimit(path string) error {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	limit, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return fmt.Errorf("read %s: %q is not a number", path, b)
	}
	if limit < faultnet.UDPReceiveBuffer {
		return fmt.Errorf("net.core.rmem_max is %d bytes; Jaeger's UDP receiver needs %d so that bursts of datagrams are not dropped (sysctl -w net.core.rmem_max=%d)", limit, faultnet.UDPReceiveBuffer, faultnet.UDPReceiveBuffer)
	}
	return nil
}

// configYAML renders the collector-style configuration of Jaeger v2 (keys
// as in cmd/jaeger/internal/all-in-one.yaml of jaeger v1.76.0): in-memory
// storage, the query API, a health check, and otlp, jaeger and zipkin
// receivers feeding the storage exporter with no batching delay; the UDP
// receiver's socket buffer is faultnet.UDPReceiveBuffer. Jaeger's own
// metrics endpoint and self-tracing are off so that nothing listens on, or
// sends to, a fixed port.
func configYAML(p ports) string {
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
      level: info

extensions:
  jaeger_storage:
    backends:
      memstore:
        memory:
          max_traces: 100000
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
        socket_buffer_size: %d
  zipkin:
    endpoint: 127.0.0.1:%d

exporters:
  jaeger_storage_exporter:
    trace_storage: memstore
`, p.queryHTTP, p.queryGRPC, p.health, p.otlpGRPC, p.otlpHTTP, p.thriftHTTP, p.thriftCompact, faultnet.UDPReceiveBuffer, p.zipkin)
}

// logBuffer collects Jaeger's stdout and stderr.
type logBuffer struct{ syncbuf.Buffer }

// Tail returns the last n lines written (at most 16 KiB).
func (b *logBuffer) Tail(n int) string { return tail(b.Bytes(), n, 16<<10) }
