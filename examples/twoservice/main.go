// Command twoservice runs the two-service example: a checkout frontend that
// calls an inventory backend over HTTP, both traced with the backend chosen
// by TRACER_BACKEND.
//
// With -role=both (the default) it runs both services in this process, each
// with its own tracer and service name, sends -requests checkout requests
// through them, shuts the tracers down (flushing their spans) and exits:
//
//	TRACER_BACKEND=stdout go run ./examples/twoservice
//
// prints each span as a JSON line; the frontend's and the backend's spans
// share one trace_id. With TRACER_BACKEND=ui it prints the trace viewer's
// address instead and keeps going until interrupted, sending a checkout
// every -every (a slow one and a failing one now and then, so the viewer
// has errors and latencies to show):
//
//	TRACER_BACKEND=ui go run ./examples/twoservice
//
// With -role=frontend or -role=backend it runs one service until
// interrupted, for running them as separate processes.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/polytrace/polytrace"
	"github.com/polytrace/polytrace/backends/ui"
	"github.com/polytrace/polytrace/examples/twoservice/shop"
	"github.com/polytrace/polytrace/tracelog"
	"github.com/polytrace/polytrace/tracer"
)

func main() {
	role := flag.String("role", "both", "both, frontend or backend")
	addr := flag.String("addr", "127.0.0.1:0", "listen address (frontend or backend role)")
	backendURL := flag.String("backend-url", "http://127.0.0.1:8081", "inventory backend base URL (frontend role)")
	requests := flag.Int("requests", 3, "checkout requests to send (both role)")
	every := flag.Duration("every", time.Second, "with TRACER_BACKEND=ui (both role): after -requests, send a checkout this often until interrupted")
	flag.Parse()
	gin.SetMode(gin.ReleaseMode)
	log.SetOutput(os.Stderr)
	// Log lines, the services' and the log package's, go through slog to
	// standard error; tracelog adds trace_id and span_id to those logged
	// with a context that holds a span.
	slog.SetDefault(slog.New(tracelog.NewHandler(slog.NewTextHandler(os.Stderr, nil))))

	var err error
	switch *role {
	case "both":
		err = runBoth(*requests, *every)
	case "frontend", "backend":
		err = runOne(*role, *addr, *backendURL)
	default:
		err = fmt.Errorf("-role=%q: want both, frontend or backend", *role)
	}
	if err != nil {
		log.Fatal(err)
	}
}

// newTracer builds the tracer selected by the environment for the named
// service. TRACER_SERVICE_NAME, when set, wins over the role's name.
func newTracer(service string) (*polytrace.Tracer, error) {
	backend, cfg, err := polytrace.ConfigFromEnv()
	if err != nil {
		return nil, err
	}
	if _, set := os.LookupEnv(polytrace.EnvServiceName); !set {
		cfg.ServiceName = service
	}
	return polytrace.New(backend, cfg)
}

func runBoth(requests int, every time.Duration) error {
	backendTracer, err := newTracer("inventory")
	if err != nil {
		return err
	}
	frontendTracer, err := newTracer("checkout")
	if err != nil {
		return err
	}

	backend, err := serve(withDebug(shop.Backend(backendTracer), "inventory", backendTracer), "127.0.0.1:0")
	if err != nil {
		return err
	}
	frontend, err := serve(withDebug(shop.Frontend(frontendTracer, "http://"+backend.Addr, nil), "checkout", frontendTracer), "127.0.0.1:0")
	if err != nil {
		return err
	}
	log.Printf("tracing with %s; frontend on %s, backend on %s", frontendTracer.Backend(), frontend.Addr, backend.Addr)

	for i := 0; i < requests; i++ {
		if err := checkout(frontend.Addr, fmt.Sprintf("sku-%d", i)); err != nil {
			return err
		}
	}
	if viewer := ui.URL(); viewer != "" {
		// The viewer lives as long as its tracers: keep them open.
		log.Printf("trace viewer: %s (interrupt to stop)", viewer)
		keepCheckingOut(frontend.Addr, every)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = frontend.Shutdown(ctx)
	_ = backend.Shutdown(ctx)
	err = errors.Join(frontendTracer.Shutdown(ctx), backendTracer.Shutdown(ctx))
	logStats("checkout", frontendTracer)
	logStats("inventory", backendTracer)
	return err
}

// keepCheckingOut sends a checkout to the frontend at addr every interval
// (a slow one and a failing one among each twenty) until the process is
// interrupted.
func keepCheckingOut(addr string, every time.Duration) {
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(stop)
	tick := time.NewTicker(every)
	defer tick.Stop()
	for n := 0; ; n++ {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		sku := fmt.Sprintf("sku-%d", n%10)
		switch n % 20 {
		case 7:
			sku = shop.SlowSKU
		case 13:
			sku = shop.BrokenSKU
		}
		if err := checkout(addr, sku); err != nil {
			log.Print(err)
		}
	}
}

// checkout sends one checkout request to the frontend at addr and logs
// the answer.
func checkout(addr, sku string) error {
	resp, err := http.Get(fmt.Sprintf("http://%s/checkout/%s", addr, sku))
	if err != nil {
		return err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	log.Printf("GET /checkout/%s: %s %s", sku, resp.Status, body)
	return nil
}

func runOne(role, addr, backendURL string) error {
	service := map[string]string{"frontend": "checkout", "backend": "inventory"}[role]
	tr, err := newTracer(service)
	if err != nil {
		return err
	}
	defer func() {
		_ = tr.Close() // flushes, bounded by TRACER_FLUSH_TIMEOUT
		logStats(service, tr)
	}()
	var h http.Handler = shop.Backend(tr)
	if role == "frontend" {
		h = shop.Frontend(tr, backendURL, nil)
	}
	srv, err := serve(withDebug(h, service, tr), addr)
	if err != nil {
		return err
	}
	log.Printf("%s (%s) listening on http://%s, tracing with %s", role, service, srv.Addr, tr.Backend())
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	<-stop
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(ctx)
}

// serve starts h on addr and returns the server with Addr set to the
// address actually bound.
func serve(h http.Handler, addr string) (*http.Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Addr: ln.Addr().String(), Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Print(err)
		}
	}()
	return srv, nil
}

// debugPath serves the tracer's health (see polytrace.Tracer.Stats) as
// JSON; it is not traced.
const debugPath = "/debug/tracing"

// tracingReport is what debugPath serves and logStats logs.
type tracingReport struct {
	Service string       `json:"service"`
	Backend string       `json:"backend"`
	Stats   tracer.Stats `json:"stats"`
	// Backends has each backend's own figures, for a list of backends
	// (TRACER_BACKEND=otel,lightstep).
	Backends map[string]tracer.Stats `json:"backends,omitempty"`
}

func reportOf(service string, tr *polytrace.Tracer) tracingReport {
	r := tracingReport{Service: service, Backend: tr.Backend(), Stats: tr.Stats()}
	if each := tr.StatsByBackend(); len(each) > 1 {
		r.Backends = each
	}
	return r
}

// withDebug serves debugPath beside h.
func withDebug(h http.Handler, service string, tr *polytrace.Tracer) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/", h)
	mux.HandleFunc("GET "+debugPath, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(reportOf(service, tr))
	})
	return mux
}

// logStats logs the tracer's final health, once it is shut down, as one
// line: "tracing stats: " and the JSON that debugPath serves.
func logStats(service string, tr *polytrace.Tracer) {
	b, _ := json.Marshal(reportOf(service, tr))
	log.Printf("tracing stats: %s", b)
}
