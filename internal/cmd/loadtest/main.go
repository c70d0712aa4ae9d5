// Command loadtest drives the two-service example (examples/twoservice,
// run as two processes: the checkout frontend and the inventory backend)
// with sustained concurrent requests, for each tracing backend, while the
// collector is up, refusing connections, black-holed, slow, or stopped and
// restarted mid-run. It prints, per backend and scenario, requests served
// and failed, latency percentiles against tracing off, requests per
// second, the peak RSS of each process, and what became of the spans: the
// processes' own Stats (finished, exported, dropped, export errors) and
// the count in the collector. Everything runs on 127.0.0.1: a real Jaeger
// v2 (internal/jaegertest) and Lightstep receivers (internal/lightsteptest),
// with a fault proxy (internal/faultnet) between the services and them.
//
//	go run ./internal/cmd/loadtest -duration 10s -rps 400
//
// With -check it exits non-zero when a guarantee breaks: a request failed,
// latency with tracing is absurd against tracing off, memory grew past the
// bound, a span went missing with the collector up, or export did not
// resume after a restart.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/polytrace/polytrace/internal/faultnet"
	"github.com/polytrace/polytrace/internal/jaegertest"
	"github.com/polytrace/polytrace/internal/lightsteptest"
	"github.com/polytrace/polytrace/tracer"
)

// config is what the flags set.
type config struct {
	targets     []string
	scenarios   []string
	duration    time.Duration
	rps         int
	workers     int
	maxRequests int
	queue       int
	slowDelay   time.Duration
	flush       time.Duration
	check       bool
	bin         string
	uiMaxBytes  string
}

func main() {
	var (
		cfg       config
		targets   = flag.String("backends", strings.Join(targetNames(), ","), "comma-separated backends (paths): "+strings.Join(targetNames(), ", "))
		scenarios = flag.String("scenarios", "up,down,black-hole,slow,restart", "comma-separated collector scenarios: up, down, black-hole, slow, restart")
	)
	flag.DurationVar(&cfg.duration, "duration", 10*time.Second, "load duration per backend and scenario (restart: at least 9s)")
	flag.IntVar(&cfg.rps, "rps", 400, "requests per second offered to the frontend")
	flag.IntVar(&cfg.workers, "workers", 32, "concurrent client connections")
	flag.IntVar(&cfg.maxRequests, "max-requests", 100000, "bound on requests per run")
	flag.IntVar(&cfg.queue, "queue", 0, "TRACER_QUEUE_SIZE for the services (0: unset, the default 2048)")
	flag.DurationVar(&cfg.slowDelay, "slow-delay", 2*time.Second, "delay the slow collector adds to each answer")
	flag.DurationVar(&cfg.flush, "flush-timeout", 5*time.Second, "TRACER_FLUSH_TIMEOUT of the services: how long shutting down may wait for the collector")
	flag.BoolVar(&cfg.check, "check", false, "exit 1 if a guarantee breaks")
	flag.StringVar(&cfg.uiMaxBytes, "ui-max-bytes", "1MB", "TRACER_UI_MAX_BYTES of the services with the ui backend: small, so that the store turns over")
	flag.StringVar(&cfg.bin, "example", "", "path of a built examples/twoservice (default: build it)")
	flag.Parse()
	cfg.targets = splitList(*targets)
	cfg.scenarios = splitList(*scenarios)
	log.SetFlags(log.Ltime)
	if err := run(cfg); err != nil {
		log.Fatal(err)
	}
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func run(cfg config) error {
	for _, s := range cfg.scenarios {
		if !slices.Contains([]string{"up", "down", "black-hole", "slow", "restart"}, s) {
			return fmt.Errorf("-scenarios: %q: want up, down, black-hole, slow or restart", s)
		}
	}
	var targets []target
	for _, name := range cfg.targets {
		t, ok := findTarget(name)
		if !ok {
			return fmt.Errorf("-backends: %q: want one of %s", name, strings.Join(targetNames(), ", "))
		}
		targets = append(targets, t)
	}
	dir, err := os.MkdirTemp("", "polytrace-loadtest-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if cfg.bin == "" {
		cfg.bin = filepath.Join(dir, "twoservice")
		log.Printf("building examples/twoservice")
		if out, err := exec.Command("go", "build", "-o", cfg.bin, "github.com/polytrace/polytrace/examples/twoservice").CombinedOutput(); err != nil {
			return fmt.Errorf("build the example: %v\n%s", err, out)
		}
	}
	col, err := startCollectors(dir, targets)
	if err != nil {
		return err
	}
	defer col.close()

	var results []result
	for _, t := range targets {
		// A baseline right before each backend's runs: the machine's load
		// drifts, and latency is compared with tracing off at the time.
		log.Printf("baseline: tracing off, %d rps for %v", cfg.rps, cfg.duration)
		off, err := runOne(cfg, col, offTarget, "up")
		if err != nil {
			return err
		}
		results = append(results, off)
		for _, s := range cfg.scenarios {
			if t.collectorAddr == nil && s != "up" {
				continue // nothing to break: the spans stay in the process
			}
			log.Printf("%s, collector %s", t.name, s)
			r, err := runOne(cfg, col, t, s)
			if err != nil {
				return fmt.Errorf("%s/%s: %w", t.name, s, err)
			}
			results = append(results, r)
		}
	}
	printTable(os.Stdout, cfg, results)
	if cfg.check {
		if failures := checkAll(cfg, results); len(failures) > 0 {
			fmt.Println("\nFAILED:")
			for _, f := range failures {
				fmt.Println("  " + f)
			}
			os.Exit(1)
		}
		fmt.Println("\nall guarantees held")
	}
	return nil
}

// collectors are the real collectors, shared by all runs.
type collectors struct {
	jaeger *jaegertest.Jaeger
	mu     sync.Mutex
	ls     map[string]*lightsteptest.Receiver // by transport
}

func startCollectors(dir string, targets []target) (*collectors, error) {
	col := &collectors{ls: map[string]*lightsteptest.Receiver{}}
	for _, t := range targets {
		if t.usesJaeger && col.jaeger == nil {
			log.Printf("starting Jaeger")
			j, err := jaegertest.Launch(dir)
			if err != nil {
				return nil, err
			}
			col.jaeger = j
		}
		if t.lightstep != "" && col.ls[t.lightstep] == nil {
			r, err := lightsteptest.Listen(t.lightstep)
			if err != nil {
				col.close()
				return nil, err
			}
			col.ls[t.lightstep] = r
		}
	}
	return col, nil
}

func (c *collectors) receiver(transport string) *lightsteptest.Receiver {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ls[transport]
}

// down stops the collector of t (the Lightstep receiver of a list with
// one); up starts it again on the same address.
func (c *collectors) down(t target) {
	if t.lightstep == "" {
		c.jaeger.Down()
		return
	}
	c.receiver(t.lightstep).Close()
}

func (c *collectors) up(t target) error {
	if t.lightstep == "" {
		return c.jaeger.Up()
	}
	old := c.receiver(t.lightstep)
	r, err := lightsteptest.ListenAt(t.lightstep, old.Addr())
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.ls[t.lightstep] = r
	c.mu.Unlock()
	return nil
}

func (c *collectors) close() {
	if c.jaeger != nil {
		c.jaeger.Close()
	}
	for _, r := range c.ls {
		r.Close()
	}
}

// result is what one run measured.
type result struct {
	target, scenario string
	served, failed   int64
	firstError       string
	elapsed          time.Duration
	latencies        []time.Duration // sorted
	peakKiB          [2]int64        // frontend, backend
	stats            tracer.Stats    // both services' final stats, added
	statsOK          bool
	delivered        int64 // spans in the collector (after the restart, for restart)
	deliveredKnown   bool
	afterRestart     int64        // requests started once the collector was back
	healthy          tracer.Stats // the healthy backend's (of a list), both services added
	healthyOK        bool
	healthyDelivered int64    // spans in the healthy backend's collector
	viewerFound      string   // what the viewers held (ui)
	viewerProblems   []string // the viewers' broken guarantees (ui)
}

func (r result) percentile(p float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	i := int(p * float64(len(r.latencies)-1))
	return r.latencies[i]
}

func (r result) rps() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.served) / r.elapsed.Seconds()
}

// runOne starts the two services with t's backend, applies scenario to
// its collector, drives load and collects the figures.
func runOne(cfg config, col *collectors, t target, scenario string) (result, error) {
	res := result{target: t.name, scenario: scenario}
	id := fmt.Sprintf("%s-%s-%d", t.name, scenario, time.Now().UnixNano()%1e6)
	frontService, backService := "checkout-"+id, "inventory-"+id

	// The fault proxy between the services and the collector.
	addr := ""
	var proxy interface {
		Set(faultnet.Mode, time.Duration) error
		Close()
	}
	if t.collectorAddr != nil {
		real := t.collectorAddr(col)
		if t.udp {
			p, err := faultnet.ListenUDP(real)
			if err != nil {
				return res, err
			}
			proxy, addr = p, p.Addr()
		} else {
			p, err := faultnet.ListenTCP(real)
			if err != nil {
				return res, err
			}
			proxy, addr = p, p.Addr()
		}
		defer proxy.Close()
		mode := map[string]faultnet.Mode{"up": faultnet.Forward, "restart": faultnet.Forward,
			"down": faultnet.Refuse, "black-hole": faultnet.BlackHole, "slow": faultnet.Slow}[scenario]
		if err := proxy.Set(mode, cfg.slowDelay); err != nil {
			return res, err
		}
	}

	env := func(service string) map[string]string {
		e := map[string]string{"TRACER_SERVICE_NAME": service, "TRACER_FLUSH_TIMEOUT": cfg.flush.String()}
		if t.backend != "" {
			e["TRACER_BACKEND"] = t.backend
		}
		if cfg.queue > 0 {
			e["TRACER_QUEUE_SIZE"] = strconv.Itoa(cfg.queue)
		}
		if t.env != nil {
			for k, v := range t.env(addr) {
				e[k] = v
			}
		}
		if t.healthyEnv != nil {
			for k, v := range t.healthyEnv(col) {
				e[k] = v
			}
		}
		if t.viewer {
			e["TRACER_UI_ADDR"] = "127.0.0.1:0"
			e["TRACER_UI_MAX_BYTES"] = cfg.uiMaxBytes
		}
		return e
	}
	back, err := startChild(cfg.bin, "backend", "inventory", env(backService))
	if err != nil {
		return res, err
	}
	front, err := startChild(cfg.bin, "frontend", "checkout", env(frontService), "-backend-url=http://"+back.addr)
	if err != nil {
		_ = back.stop(10 * time.Second)
		return res, err
	}

	if t.viewer {
		if err := sendSamples(front.addr); err != nil {
			return res, err
		}
	}
	since := time.Now()
	duration := cfg.duration
	var upAt atomic.Int64 // when the restarted collector was ready, Unix ns
	var phases sync.WaitGroup
	if scenario == "restart" {
		// A third up, a third down, a third up again: the last third
		// must leave the clients time to reconnect and send.
		duration = max(duration, 9*time.Second)
		phases.Add(1)
		go func() {
			defer phases.Done()
			time.Sleep(duration / 3)
			col.down(t)
			log.Printf("  collector stopped")
			time.Sleep(duration / 3)
			if err := col.up(t); err != nil {
				log.Printf("  collector restart failed: %v", err)
				return
			}
			upAt.Store(time.Now().UnixNano())
			log.Printf("  collector restarted")
		}()
	}
	load(cfg, front.addr, duration, &res, &upAt)
	phases.Wait()
	if t.viewer {
		newest := "newest-" + id
		if err := get(http.DefaultClient, "http://"+front.addr+"/checkout/"+newest); err != nil {
			return res, err
		}
		res.viewerFound, res.viewerProblems = checkViewers(front, back, frontService, backService, newest, res.served)
	}

	// The frontend first: its requests to the backend are over.
	grace := cfg.flush + 10*time.Second
	errFront := front.stop(grace)
	errBack := back.stop(grace)
	if errFront != nil || errBack != nil {
		return res, fmt.Errorf("stop: %v %v", errFront, errBack)
	}
	res.peakKiB = [2]int64{front.peak, back.peak}
	fs, ok1 := front.finalStats()
	bs, ok2 := back.finalStats()
	res.statsOK = ok1 && ok2
	res.stats = addStats(fs, bs)
	if !res.statsOK && t.backend != "" {
		log.Printf("  no final stats logged:\n%s\n%s", front.stderr.String(), back.stderr.String())
	}
	if t.healthy != "" {
		hf, ok1 := front.backendStats(t.healthy)
		hb, ok2 := back.backendStats(t.healthy)
		res.healthy, res.healthyOK = addStats(hf, hb), ok1 && ok2
		healthy := t
		healthy.delivered = func(col *collectors, _, _ *child, front, back string, since time.Time) (int64, error) {
			return t.healthyDelivered(col, front, back, since)
		}
		res.healthyDelivered, _ = waitDelivered(healthy, col, front, back, frontService, backService, since, res.healthy.SpansExported)
	}
	if t.delivered != nil {
		if restartedAt := upAt.Load(); scenario == "restart" && restartedAt != 0 {
			since = time.Unix(0, restartedAt)
		}
		res.delivered, res.deliveredKnown = waitDelivered(t, col, front, back, frontService, backService, since, res.stats.SpansExported)
	}
	return res, nil
}

// waitDelivered polls the collector until it holds want spans, or its
// count stops growing for two seconds.
func waitDelivered(t target, col *collectors, front, back *child, frontService, backService string, since time.Time, want int64) (int64, bool) {
	var last int64 = -1
	stable := time.Now()
	deadline := time.Now().Add(30 * time.Second)
	for {
		n, err := t.delivered(col, front, back, frontService, backService, since)
		if err != nil {
			log.Printf("  count spans in the collector: %v", err)
			return 0, false
		}
		if n != last {
			last, stable = n, time.Now()
		}
		if n >= want || time.Since(stable) > 2*time.Second || time.Now().After(deadline) {
			return n, true
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func addStats(a, b tracer.Stats) tracer.Stats {
	s := tracer.Stats{
		SpansStarted:  a.SpansStarted + b.SpansStarted,
		SpansFinished: a.SpansFinished + b.SpansFinished,
		SpansExported: a.SpansExported + b.SpansExported,
		SpansDropped:  a.SpansDropped + b.SpansDropped,
		ExportErrors:  a.ExportErrors + b.ExportErrors,
	}
	s.LastExportError = a.LastExportError
	if s.LastExportError == "" {
		s.LastExportError = b.LastExportError
	}
	return s
}

// load offers cfg.rps requests per second for duration to the frontend
// through cfg.workers connections, recording each request's outcome.
func load(cfg config, frontAddr string, duration time.Duration, res *result, upAt *atomic.Int64) {
	client := &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			MaxIdleConns:        cfg.workers,
			MaxIdleConnsPerHost: cfg.workers,
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		},
	}
	defer client.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), duration)
	defer cancel()
	tokens := make(chan struct{}, cfg.workers)
	go func() {
		defer close(tokens)
		interval := time.Second / time.Duration(max(cfg.rps, 1))
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for sent := 0; sent < cfg.maxRequests; sent++ {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			select {
			case tokens <- struct{}{}:
			case <-ctx.Done():
				return
			}
		}
	}()
	var (
		mu        sync.Mutex
		lat       []time.Duration
		served    atomic.Int64
		failed    atomic.Int64
		after     atomic.Int64
		firstErr  atomic.Pointer[string]
		wg        sync.WaitGroup
		requestID atomic.Int64
	)
	began := time.Now()
	for range cfg.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for range tokens {
				n := requestID.Add(1)
				start := time.Now()
				if at := upAt.Load(); at != 0 && start.UnixNano() >= at {
					after.Add(1)
				}
				err := get(client, fmt.Sprintf("http://%s/checkout/sku-%d", frontAddr, n%100))
				mine = append(mine, time.Since(start))
				if err != nil {
					failed.Add(1)
					msg := err.Error()
					firstErr.CompareAndSwap(nil, &msg)
					continue
				}
				served.Add(1)
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(began)
	slices.Sort(lat)
	res.latencies = lat
	res.served, res.failed, res.afterRestart = served.Load(), failed.Load(), after.Load()
	if p := firstErr.Load(); p != nil {
		res.firstError = *p
	}
}

func get(client *http.Client, url string) error {
	resp, err := client.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return nil
}
