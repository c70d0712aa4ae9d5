package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/openzipkin/zipkin-go/model"
	"go.uber.org/goleak"

	"github.com/polytrace/polytrace/propagation"
	"github.com/polytrace/polytrace/tracer"
	"github.com/polytrace/polytrace/tracer/tracertest"
	"github.com/polytrace/polytrace/traceview"
)

// Every test must leave no goroutine behind: the store's writer and the
// viewer's server end with their tracers.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// open builds a tracer on its own store, without a listener, shut down at
// the end of the test.
func open(t *testing.T, cfg tracer.Config, maxBytes int64) (*tracer.Instance, *traceview.Store) {
	t.Helper()
	store := traceview.NewStore(maxBytes)
	inst, err := New(cfg, Options{Store: store})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = shutdownWithin(inst, 10*time.Second) })
	return inst, store
}

// openBlocked builds a tracer whose store takes no span until unlock is
// called (as when a page render holds the store).
func openBlocked(t *testing.T, cfg tracer.Config) (inst *tracer.Instance, unlock func()) {
	t.Helper()
	store := traceview.NewStore(traceview.DefaultMaxBytes)
	var mu sync.Mutex
	mu.Lock()
	var once sync.Once
	unlock = func() { once.Do(mu.Unlock) }
	add := func(s model.SpanModel) bool {
		mu.Lock()
		defer mu.Unlock()
		return store.Add(s)
	}
	inst, err := New(cfg, Options{Store: store, add: add})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		unlock()
		if err := shutdownWithin(inst, 10*time.Second); err != nil {
			t.Errorf("Shutdown once the store was free: %v", err)
		}
	})
	return inst, unlock
}

// services lists the services of store through its JSON API.
func services(t *testing.T, store *traceview.Store, path string) []string {
	t.Helper()
	rec := httptest.NewRecorder()
	traceview.Handler(store, "").ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	var body struct{ Data []string }
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return body.Data
}

func shutdownWithin(inst *tracer.Instance, d time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return inst.Shutdown(ctx)
}

// flush shuts inst down, so that every span it finished is in its store.
func flush(t *testing.T, inst *tracer.Instance) {
	t.Helper()
	if err := shutdownWithin(inst, 10*time.Second); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
}

func TestConformance(t *testing.T) {
	first, _ := open(t, tracer.Config{}, traceview.MinMaxBytes)
	tracertest.Run(t, tracertest.Harness{
		Open: func(t *testing.T, cfg tracer.Config) *tracer.Instance {
			inst, _ := open(t, cfg, traceview.DefaultMaxBytes)
			return inst
		},
		OpenRecorded: func(t *testing.T, cfg tracer.Config) (*tracer.Instance, func() []tracertest.Exported) {
			store := traceview.NewStore(traceview.DefaultMaxBytes)
			var (
				mu  sync.Mutex
				got []tracertest.Exported
			)
			add := func(m model.SpanModel) bool {
				e := tracertest.Exported{Operation: m.Name, Tags: map[string]string{},
					TraceID: propagation.TraceID{High: m.TraceID.High, Low: m.TraceID.Low}, SpanID: uint64(m.ID),
					Start: m.Timestamp, Finish: m.Timestamp.Add(m.Duration)}
				if m.ParentID != nil {
					e.ParentID = uint64(*m.ParentID)
				}
				maps.Copy(e.Tags, m.Tags)
				if m.Kind != "" {
					e.Tags["span.kind"] = strings.ToLower(string(m.Kind))
				}
				for _, a := range m.Annotations {
					k, v, _ := strings.Cut(a.Value, ":")
					e.Logs = append(e.Logs, map[string]string{k: v})
				}
				mu.Lock()
				got = append(got, e)
				mu.Unlock()
				return store.Add(m)
			}
			inst, err := New(cfg, Options{Store: store, add: add})
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			return inst, func() []tracertest.Exported {
				mu.Lock()
				defer mu.Unlock()
				return slices.Clone(got)
			}
		},
		// Nothing goes over a network: the nearest thing to an unreachable
		// collector is a store that never lets the spans in (a page render
		// that never ends).
		OpenUnreachable: func(t *testing.T, cfg tracer.Config) *tracer.Instance {
			inst, unlock := openBlocked(t, cfg)
			t.Cleanup(func() {
				unlock()
				if err := shutdownWithin(inst, 10*time.Second); err != nil {
					t.Errorf("Shutdown once the store was free: %v", err)
				}
			})
			return inst
		},
		Probe: tracertest.ConverterProbe(first.Converter),
	})
}

func TestOptionsFromConfig(t *testing.T) {
	tests := []struct {
		env      map[string]string
		addr     string
		maxBytes int64
		err      string // in the error, with the variable's name and value
	}{
		{env: nil, addr: DefaultAddr, maxBytes: traceview.DefaultMaxBytes},
		{env: map[string]string{EnvAddr: "off"}, addr: ""},
		{env: map[string]string{EnvAddr: "OFF"}, addr: ""},
		{env: map[string]string{EnvAddr: "127.0.0.1:9000"}, addr: "127.0.0.1:9000"},
		{env: map[string]string{EnvAddr: ":9000"}, addr: ":9000"},
		{env: map[string]string{EnvAddr: "[::1]:0"}, addr: "[::1]:0"},
		{env: map[string]string{EnvAddr: "localhost"}, err: `TRACER_UI_ADDR="localhost": want host:port`},
		{env: map[string]string{EnvAddr: "127.0.0.1:http"}, err: `TRACER_UI_ADDR="127.0.0.1:http"`},
		{env: map[string]string{EnvAddr: "127.0.0.1:70000"}, err: `TRACER_UI_ADDR="127.0.0.1:70000"`},
		{env: map[string]string{EnvMaxBytes: "1048576"}, maxBytes: 1 << 20},
		{env: map[string]string{EnvMaxBytes: "1MB"}, maxBytes: 1e6},
		{env: map[string]string{EnvMaxBytes: "1 MiB"}, maxBytes: 1 << 20},
		{env: map[string]string{EnvMaxBytes: "64kib"}, maxBytes: 64 << 10},
		{env: map[string]string{EnvMaxBytes: "2GiB"}, maxBytes: 2 << 30},
		{env: map[string]string{EnvMaxBytes: "1KB"}, err: `TRACER_UI_MAX_BYTES="1KB": want a size from 64KiB to 64GiB`},
		{env: map[string]string{EnvMaxBytes: "lots"}, err: `TRACER_UI_MAX_BYTES="lots"`},
		{env: map[string]string{EnvMaxBytes: "-5MB"}, err: `TRACER_UI_MAX_BYTES="-5MB"`},
		{env: map[string]string{EnvMaxBytes: "100GiB"}, err: `TRACER_UI_MAX_BYTES="100GiB"`},
		{env: map[string]string{EnvMaxBytes: "99999999999999999999"}, err: `TRACER_UI_MAX_BYTES`},
	}
	for _, tt := range tests {
		opts, err := OptionsFromConfig(tracer.Config{Lookup: tracer.MapLookup(tt.env)})
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) || !errors.Is(err, tracer.ErrInvalidConfig) {
				t.Errorf("%v: error %v, want one containing %q and wrapping ErrInvalidConfig", tt.env, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%v: %v", tt.env, err)
			continue
		}
		if _, set := tt.env[EnvAddr]; (set || tt.env == nil) && opts.Addr != tt.addr {
			t.Errorf("%v: Addr = %q, want %q", tt.env, opts.Addr, tt.addr)
		}
		if tt.maxBytes != 0 && opts.MaxBytes != tt.maxBytes {
			t.Errorf("%v: MaxBytes = %d, want %d", tt.env, opts.MaxBytes, tt.maxBytes)
		}
	}
}

// TestViewerSharedByTracers: tracers of one process opened on the same
// address share its viewer, which serves until the last is shut down.
func TestViewerSharedByTracers(t *testing.T) {
	store := traceview.NewStore(traceview.DefaultMaxBytes)
	var logs bytes.Buffer
	logger := log.New(&logs, "", 0)
	a, err := New(tracer.Config{ServiceName: "a"}, Options{Addr: "127.0.0.1:0", Store: store, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(tracer.Config{ServiceName: "b"}, Options{Addr: "127.0.0.1:0", Store: store, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	url := URL()
	if !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("URL() = %q, want the viewer's loopback address", url)
	}
	if n := strings.Count(logs.String(), "serving traces at "+url+" (loopback only)"); n != 1 {
		t.Errorf("start lines for one viewer: %d, want 1; log:\n%s", n, logs.String())
	}
	a.Tracer.StartSpan("from-a").Finish()
	b.Tracer.StartSpan("from-b").Finish()
	flush(t, a)
	get := func() (int, error) {
		resp, err := http.Get(url + "api/services")
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	if code, err := get(); err != nil || code != http.StatusOK {
		t.Fatalf("viewer after one of two tracers shut down: %d, %v; want it serving", code, err)
	}
	flush(t, b)
	if _, err := get(); err == nil {
		t.Error("viewer still serving after both tracers shut down")
	}
	if URL() != "" {
		t.Errorf("URL() = %q after the viewer stopped, want empty", URL())
	}
	if got := services(t, store, "/api/services"); len(got) != 2 {
		t.Errorf("services %v, want a and b in the one store", got)
	}
}

// TestListenFailure: a taken port leaves the tracer recording, and Ping
// (which TRACER_STRICT calls) reports it.
func TestListenFailure(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var logs bytes.Buffer
	store := traceview.NewStore(traceview.DefaultMaxBytes)
	inst, err := New(tracer.Config{ServiceName: "taken"}, Options{Addr: ln.Addr().String(), Store: store, Logger: log.New(&logs, "", 0)})
	if err != nil {
		t.Fatalf("New with a taken port: %v, want a tracer", err)
	}
	err = inst.Ping(context.Background())
	if !errors.Is(err, tracer.ErrCollectorUnreachable) || !strings.Contains(err.Error(), "TRACER_UI_ADDR="+`"`+ln.Addr().String()) {
		t.Errorf("Ping = %v, want ErrCollectorUnreachable naming TRACER_UI_ADDR and its value", err)
	}
	if !strings.Contains(logs.String(), "cannot listen") {
		t.Errorf("log %q, want the listen failure", logs.String())
	}
	inst.Tracer.StartSpan("still-recorded").Finish()
	flush(t, inst)
	if got := services(t, store, "/api/services/taken/operations"); len(got) != 1 || got[0] != "still-recorded" {
		t.Errorf("operations %v, want the span recorded", got)
	}
}

func TestLoopback(t *testing.T) {
	for addr, want := range map[string]bool{"127.0.0.1:1": true, "[::1]:1": true, "0.0.0.0:1": false, "[::]:1": false, "192.0.2.1:1": false} {
		a, err := net.ResolveTCPAddr("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		if got := loopback(a); got != want {
			t.Errorf("loopback(%s) = %v, want %v", addr, got, want)
		}
	}
}

// TestStats: spans stored are exported; spans of a trace that would hold
// more than half the store are dropped, as are those the queue cannot
// hold.
func TestStats(t *testing.T) {
	inst, store := open(t, tracer.Config{}, traceview.MinMaxBytes)
	big := strings.Repeat("x", 4000)
	root := inst.Tracer.StartSpan("root")
	for range 20 { // 20 × 4 KB in one trace: past half of 64 KiB
		inst.Tracer.StartSpan("child", opentracing.ChildOf(root.Context())).SetTag("big", big).Finish()
	}
	root.Finish()
	flush(t, inst)
	st := inst.Stats()
	if st.SpansFinished != 21 || st.SpansExported+st.SpansDropped != 21 || st.SpansDropped == 0 {
		t.Errorf("Stats = %s, want 21 finished, some dropped, the rest exported", st)
	}
	if b := store.Bytes(); b > store.MaxBytes()/2 {
		t.Errorf("one trace holds %d bytes, over half the bound %d", b, store.MaxBytes())
	}

	blocked, unlock := openBlocked(t, tracer.Config{QueueSize: 10})
	for range 100 {
		blocked.Tracer.StartSpan("s").Finish()
	}
	if st := blocked.Stats(); st.SpansDropped < 100-10-1 {
		t.Errorf("store busy: Stats = %s, want all but the queue dropped", st)
	}
	unlock()
	flush(t, blocked)
	if st := blocked.Stats(); st.SpansExported+st.SpansDropped != 100 || st.Pending() != 0 {
		t.Errorf("after Shutdown: %s, want every span exported or dropped", st)
	}
}
