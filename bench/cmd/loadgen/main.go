// Command loadgen measures the throughput of the two-service example
// (examples/twoservice) with each tracing backend against tracing off, on
// this machine, with real collectors: a Jaeger v2 all-in-one (its Jaeger
// HTTP, Zipkin and OTLP receivers) and, for Lightstep, which Jaeger cannot
// receive, a local sink speaking the Lightstep HTTP protocol that decodes
// and counts each report.
//
//	cd bench && go run ./cmd/loadgen -jaeger "$POLYTRACE_JAEGER_BIN" -duration 10s -rounds 3
//
// It builds the example, starts Jaeger on free loopback ports, then for
// each round and backend runs the frontend (checkout) and backend
// (inventory) services as two processes, drives GET /checkout/:sku with
// -concurrency keep-alive clients for -duration after a warm-up, and
// records requests per second, latency percentiles, errors, the
// services' peak RSS and the CPU each process used. Each backend's
// measurement follows one with tracing off, and its ratio is taken against
// that one; rounds repeat the whole. Everything runs on
// 127.0.0.1, and every process it starts is stopped when it exits.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/lightstep/lightstep-tracer-common/golang/gogo/collectorpb"

	"github.com/polytrace/polytrace/internal/jaegertest"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("loadgen: ")
	jaegerBin := flag.String("jaeger", "", "Jaeger v2 binary (default $POLYTRACE_JAEGER_BIN; when both are unset, one is built from tools/jaeger, about 10 minutes cold)")
	duration := flag.Duration("duration", 10*time.Second, "measured load per backend and round")
	warmup := flag.Duration("warmup", 2*time.Second, "unmeasured load before each measurement")
	rounds := flag.Int("rounds", 3, "rounds; each runs every backend once")
	concurrency := flag.Int("concurrency", 8, "concurrent clients")
	backends := flag.String("backends", "off,jaeger,jaeger-agent,zipkin,zipkin-proto3,lightstep,otel",
		"comma-separated backends: TRACER_BACKEND values (jaeger reports to the HTTP collector), jaeger-agent (UDP agent protocol), zipkin-proto3 (ZIPKIN_ENCODING=proto3), off (unset)")
	flag.Parse()
	if *jaegerBin != "" {
		// internal/jaegertest reads the binary from the environment.
		os.Setenv(jaegertest.BinaryEnv, *jaegerBin)
	}
	if *duration > 5*time.Minute || *rounds > 20 {
		log.Fatal("-duration is at most 5m and -rounds at most 20")
	}

	r := &run{dir: mustTemp(), duration: *duration, warmup: *warmup, concurrency: *concurrency}
	defer os.RemoveAll(r.dir)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := r.main(ctx, strings.Split(*backends, ","), *rounds); err != nil {
		r.cleanup()
		log.Fatal(err)
	}
	r.cleanup()
}

func mustTemp() string {
	d, err := os.MkdirTemp("", "polytrace-loadgen-")
	if err != nil {
		log.Fatal(err)
	}
	return d
}

type run struct {
	dir         string
	duration    time.Duration
	warmup      time.Duration
	concurrency int
	example     string // the example binary

	jaeger    *jaegertest.Jaeger
	jaegerPID int
	lightstep *lightstepSink

	mu    sync.Mutex
	procs []*exec.Cmd
}

// result is one measurement of one backend.
type result struct {
	backend          string
	round            int
	requests, errors int64
	rps              float64
	p50, p99         time.Duration
	rssKB            [2]int64 // peak RSS of frontend, backend
	// CPU time per request during the measurement, in µs: the two
	// services, Jaeger, and this process (clients and Lightstep sink).
	cpuServices, cpuJaeger, cpuLoadgen float64
	offRPS                             float64 // tracing off, measured just before
}

func (r *run) main(ctx context.Context, backends []string, rounds int) error {
	log.Printf("building the example")
	r.example = filepath.Join(r.dir, "twoservice")
	build := exec.CommandContext(ctx, "go", "build", "-o", r.example, "github.com/polytrace/polytrace/examples/twoservice")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("build the example: %w", err)
	}
	// An all-in-one with in-memory storage on free loopback ports, the
	// one the end-to-end tests run.
	began := time.Now()
	j, err := jaegertest.Launch(r.dir)
	if err != nil {
		return err
	}
	r.jaeger, r.jaegerPID = j, j.PID()
	log.Printf("jaeger ready in %v (query %s)", time.Since(began).Round(time.Millisecond), j.QueryURL)

	sink, err := startLightstepSink()
	if err != nil {
		return err
	}
	r.lightstep = sink
	defer sink.close()

	// Each backend is measured right after a measurement with tracing
	// off, and its ratio taken against that one: on a machine whose load
	// changes, a reference measured minutes earlier would not do.
	var results []result
	for round := 1; round <= rounds; round++ {
		for _, b := range backends {
			b = strings.TrimSpace(b)
			if b == "off" {
				continue
			}
			var pair [2]result
			for i, name := range []string{"off", b} {
				res, err := r.measure(ctx, name, round)
				if err != nil {
					return fmt.Errorf("backend %s, round %d: %w", name, round, err)
				}
				log.Printf("round %d %-12s %8.0f req/s  p50 %v  p99 %v  errors %d  peak RSS %d/%d KiB  CPU µs/req: services %.0f, jaeger %.0f, loadgen %.0f",
					round, name, res.rps, res.p50, res.p99, res.errors, res.rssKB[0], res.rssKB[1], res.cpuServices, res.cpuJaeger, res.cpuLoadgen)
				pair[i] = res
			}
			pair[1].offRPS = pair[0].rps
			results = append(results, pair[0], pair[1])
		}
	}
	if err := r.checkDelivered(backends); err != nil {
		return err
	}
	report(os.Stdout, results, backends, r)
	return nil
}

// env returns the example's environment for backend b.
func (r *run) env(b string) ([]string, error) {
	env := []string{"GIN_MODE=release", "TRACER_SAMPLE_RATE=1", "TRACER_FLUSH_TIMEOUT=5s"}
	switch b {
	case "off":
		return env, nil
	case "jaeger":
		env = append(env, "JAEGER_ENDPOINT="+r.jaeger.CollectorURL)
	case "jaeger-agent":
		// jaeger-client-go's default transport: compact thrift over UDP.
		env = append(env, "JAEGER_AGENT_HOST=127.0.0.1", "JAEGER_AGENT_PORT="+strconv.Itoa(r.jaeger.AgentPort), "TRACER_BACKEND=jaeger")
		return env, nil
	case "zipkin":
		env = append(env, "ZIPKIN_ENDPOINT="+r.jaeger.ZipkinURL)
	case "zipkin-proto3":
		env = append(env, "ZIPKIN_ENDPOINT="+r.jaeger.ZipkinURL, "ZIPKIN_ENCODING=proto3", "TRACER_BACKEND=zipkin")
		return env, nil
	case "lightstep":
		env = append(env, "LIGHTSTEP_ACCESS_TOKEN=loadgen", "LIGHTSTEP_COLLECTOR_HOST=127.0.0.1",
			"LIGHTSTEP_COLLECTOR_PORT="+strconv.Itoa(r.lightstep.port), "LIGHTSTEP_COLLECTOR_PLAINTEXT=true", "LIGHTSTEP_TRANSPORT=http")
	case "otel":
		env = append(env, "OTEL_EXPORTER_OTLP_ENDPOINT="+r.jaeger.OTLPHTTPURL, "OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf")
	default:
		return nil, fmt.Errorf("unknown backend %q: want off, jaeger, jaeger-agent, zipkin, zipkin-proto3, lightstep or otel", b)
	}
	return append(env, "TRACER_BACKEND="+b), nil
}

func (r *run) measure(ctx context.Context, b string, round int) (result, error) {
	env, err := r.env(b)
	if err != nil {
		return result{}, err
	}
	backendAddr, err := freeTCP()
	if err != nil {
		return result{}, err
	}
	frontendAddr, err := freeTCP()
	if err != nil {
		return result{}, err
	}
	logf, err := os.Create(filepath.Join(r.dir, fmt.Sprintf("%s-%d.log", b, round)))
	if err != nil {
		return result{}, err
	}
	defer logf.Close()
	be, err := r.startService(env, logf, "-role=backend", "-addr="+backendAddr)
	if err != nil {
		return result{}, err
	}
	fe, err := r.startService(env, logf, "-role=frontend", "-addr="+frontendAddr, "-backend-url=http://"+backendAddr)
	if err != nil {
		r.stop(be)
		return result{}, err
	}
	defer r.stop(be)
	defer r.stop(fe)
	for _, a := range []string{backendAddr, frontendAddr} {
		if err := waitHTTP(ctx, "http://"+a+"/healthz", 20*time.Second); err != nil {
			return result{}, fmt.Errorf("service on %s: %w (log %s)", a, err, logf.Name())
		}
	}

	url := "http://" + frontendAddr + "/checkout/sku-"
	load(ctx, url, r.concurrency, r.warmup, nil)
	lat := make([][]time.Duration, r.concurrency)
	res := result{backend: b, round: round}
	pids := []int{fe.Process.Pid, be.Process.Pid}
	svc0, jg0, self0 := cpuOf(pids...), cpuOf(r.jaegerPID), selfCPU()
	res.requests, res.errors = load(ctx, url, r.concurrency, r.duration, lat)
	svc1, jg1, self1 := cpuOf(pids...), cpuOf(r.jaegerPID), selfCPU()
	if res.requests > 0 {
		per := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(res.requests) }
		res.cpuServices, res.cpuJaeger, res.cpuLoadgen = per(svc1-svc0), per(jg1-jg0), per(self1-self0)
	}
	if ctx.Err() != nil {
		return result{}, ctx.Err()
	}
	res.rps = float64(res.requests) / r.duration.Seconds()
	all := slices.Concat(lat...)
	slices.Sort(all)
	if len(all) > 0 {
		res.p50, res.p99 = all[len(all)/2], all[len(all)*99/100]
	}
	res.rssKB = [2]int64{peakRSS(fe.Process.Pid), peakRSS(be.Process.Pid)}
	if res.requests == 0 || res.errors > res.requests/100 {
		return res, fmt.Errorf("%d requests, %d errors: the services did not serve (log %s)", res.requests, res.errors, logf.Name())
	}
	return res, nil
}

// load runs n clients against url for d; with lat, each records its
// latencies in lat[i]. It returns the requests answered 200 and the
// others.
func load(ctx context.Context, url string, n int, d time.Duration, lat [][]time.Duration) (ok, failed int64) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	tr := &http.Transport{MaxIdleConnsPerHost: n, MaxConnsPerHost: n, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	var okN, failedN atomic.Int64
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			for j := 0; ctx.Err() == nil; j++ {
				start := time.Now()
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url+strconv.Itoa(j%100), nil)
				resp, err := client.Do(req)
				if err != nil {
					if ctx.Err() == nil {
						failedN.Add(1)
					}
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					failedN.Add(1)
					continue
				}
				okN.Add(1)
				if lat != nil {
					lat[i] = append(lat[i], time.Since(start))
				}
			}
		})
	}
	wg.Wait()
	return okN.Load(), failedN.Load()
}

func (r *run) startService(env []string, logf *os.File, args ...string) (*exec.Cmd, error) {
	cmd := exec.Command(r.example, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.procs = append(r.procs, cmd)
	r.mu.Unlock()
	return cmd, nil
}

// stop ends cmd: SIGTERM (the services flush their spans), then SIGKILL
// after 10s.
func (r *run) stop(cmd *exec.Cmd) {
	r.mu.Lock()
	r.procs = slices.DeleteFunc(r.procs, func(c *exec.Cmd) bool { return c == cmd })
	r.mu.Unlock()
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
}

func (r *run) cleanup() {
	if r.jaeger != nil {
		r.jaeger.Close()
	}
	r.mu.Lock()
	procs := slices.Clone(r.procs)
	r.mu.Unlock()
	for i := len(procs) - 1; i >= 0; i-- {
		r.stop(procs[i])
	}
}

// cpuOf returns the CPU time (user and system) the processes have used,
// from /proc (clock-tick resolution).
func cpuOf(pids ...int) time.Duration {
	var total time.Duration
	for _, pid := range pids {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		// Fields after the command name, which is in parentheses.
		i := bytes.LastIndexByte(b, ')')
		f := strings.Fields(string(b[i+1:]))
		if len(f) < 13 {
			continue
		}
		u, _ := strconv.ParseInt(f[11], 10, 64)
		s, _ := strconv.ParseInt(f[12], 10, 64)
		total += time.Duration(u+s) * time.Second / clockTicks
	}
	return total
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat times: 100 on Linux.
const clockTicks = 100

func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// peakRSS returns the VmHWM of a process in KiB, or -1.
func peakRSS(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err == nil {
				return n
			}
		}
	}
	return -1
}

func freeTCP() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("pick a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func waitHTTP(ctx context.Context, url string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	client := &http.Client{Timeout: time.Second}
	for {
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode < 500 {
				return nil
			}
			err = errors.New(resp.Status)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not answering %s after %v: %w", url, timeout, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// checkDelivered makes sure the tracing runs traced: Jaeger holds traces
// of both services and the Lightstep sink received spans.
func (r *run) checkDelivered(backends []string) error {
	for _, b := range backends {
		switch strings.TrimSpace(b) {
		case "jaeger", "jaeger-agent", "zipkin", "zipkin-proto3", "otel":
			for _, svc := range []string{"checkout", "inventory"} {
				resp, err := http.Get(fmt.Sprintf("%s/api/traces?service=%s&limit=1", r.jaeger.QueryURL, svc))
				if err != nil {
					return err
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte(`"traceID"`)) {
					return fmt.Errorf("jaeger has no trace of %s: %s %.200s", svc, resp.Status, body)
				}
			}
		case "lightstep":
			if r.lightstep.spans.Load() == 0 {
				return errors.New("the lightstep sink received no span")
			}
		}
	}
	return nil
}

func report(w io.Writer, results []result, backends []string, r *run) {
	fmt.Fprintf(w, "\n%d clients, %v per measurement after %v warm-up; ratio = req/s / req/s with tracing off measured just before\n\n",
		r.concurrency, r.duration, r.warmup)
	if !slices.Contains(backends, "off") {
		backends = append([]string{"off"}, backends...)
	}
	fmt.Fprintln(w, "| backend | req/s (median) | ratio vs off: median (per pair) | p50 | p99 | errors | peak RSS frontend / backend (KiB) | CPU µs per request: services / Jaeger / loadgen |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|")
	for _, b := range backends {
		b = strings.TrimSpace(b)
		var rps, ratios []float64
		var per []string
		var p50, p99 []time.Duration
		var errs int64
		var rss [2]int64
		var cs, cj, cl []float64
		for _, res := range results {
			if res.backend != b {
				continue
			}
			rps = append(rps, res.rps)
			if b == "off" {
				ratios, per = append(ratios, 1), []string{"reference"}
			} else if o := res.offRPS; o > 0 {
				ratios = append(ratios, res.rps/o)
				per = append(per, fmt.Sprintf("%.2f", res.rps/o))
			}
			p50, p99 = append(p50, res.p50), append(p99, res.p99)
			errs += res.errors
			rss[0], rss[1] = max(rss[0], res.rssKB[0]), max(rss[1], res.rssKB[1])
			cs, cj, cl = append(cs, res.cpuServices), append(cj, res.cpuJaeger), append(cl, res.cpuLoadgen)
		}
		fmt.Fprintf(w, "| %s | %.0f | %.2f (%s) | %v | %v | %d | %d / %d | %.0f / %.0f / %.0f |\n",
			b, median(rps), median(ratios), strings.Join(per, ", "), medianD(p50), medianD(p99), errs, rss[0], rss[1],
			median(cs), median(cj), median(cl))
	}
	fmt.Fprintf(w, "\nlightstep sink: %d reports, %d spans\n", r.lightstep.reports.Load(), r.lightstep.spans.Load())
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	v = slices.Clone(v)
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

func medianD(v []time.Duration) time.Duration {
	if len(v) == 0 {
		return 0
	}
	v = slices.Clone(v)
	slices.Sort(v)
	return v[len(v)/2].Round(time.Microsecond)
}

// lightstepSink receives Lightstep HTTP reports (POST /api/v2/reports, a
// protobuf ReportRequest), decodes them, counts their spans and answers
// an empty ReportResponse.
type lightstepSink struct {
	srv            *http.Server
	port           int
	reports, spans atomic.Int64
}

func startLightstepSink() (*lightstepSink, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &lightstepSink{port: l.Addr().(*net.TCPAddr).Port}
	resp, err := (&collectorpb.ReportResponse{}).Marshal()
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v2/reports", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 64<<20))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var req collectorpb.ReportRequest
		if err := req.Unmarshal(body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		s.reports.Add(1)
		s.spans.Add(int64(len(req.Spans)))
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = w.Write(resp)
	})
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = s.srv.Serve(l) }()
	return s, nil
}

func (s *lightstepSink) close() { _ = s.srv.Close() }
