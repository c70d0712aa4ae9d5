package polytrace

import (
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/polytrace/polytrace/tracer"
)

// TestStrict: an unreachable collector stops the tracer from opening only
// when TRACER_STRICT=true, with an error naming TRACER_STRICT and the
// collector's setting; a reachable one opens either way.
func TestStrict(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	up := ln.Addr().String()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := closed.Addr().String()
	closed.Close()
	_, upPort, _ := net.SplitHostPort(up)
	_, downPort, _ := net.SplitHostPort(down)

	tests := []struct {
		name    string
		env     map[string]string
		setting string // named by the strict error
	}{
		{"jaeger-http", map[string]string{"TRACER_BACKEND": "jaeger", "JAEGER_ENDPOINT": "http://%s/api/traces"}, "JAEGER_ENDPOINT"},
		{"zipkin", map[string]string{"TRACER_BACKEND": "zipkin", "ZIPKIN_ENDPOINT": "http://%s/api/v2/spans"}, "ZIPKIN_ENDPOINT"},
		{"lightstep", map[string]string{"TRACER_BACKEND": "lightstep", "LIGHTSTEP_ACCESS_TOKEN": "t",
			"LIGHTSTEP_COLLECTOR_HOST": "127.0.0.1", "LIGHTSTEP_COLLECTOR_PORT": "%s"}, "LIGHTSTEP_COLLECTOR_HOST"},
	}
	for _, tt := range tests {
		for _, strict := range []string{"true", "false"} {
			for _, reachable := range []bool{true, false} {
				addr, port := down, downPort
				if reachable {
					addr, port = up, upPort
				}
				t.Run(tt.name+"/strict="+strict+"/reachable="+map[bool]string{true: "yes", false: "no"}[reachable], func(t *testing.T) {
					env := map[string]string{EnvStrict: strict, EnvFlushTimeout: "2s"}
					for k, v := range tt.env {
						if strings.Contains(v, "%s") {
							if k == "LIGHTSTEP_COLLECTOR_PORT" {
								v = strings.Replace(v, "%s", port, 1)
							} else {
								v = strings.Replace(v, "%s", addr, 1)
							}
						}
						env[k] = v
					}
					backend, cfg, err := configFromEnv(tracer.MapLookup(env))
					if err != nil {
						t.Fatal(err)
					}
					began := time.Now()
					tr, err := New(backend, cfg)
					defer tr.Close()
					if took := time.Since(began); took > 2*time.Second+5*time.Second {
						t.Errorf("New took %v with a 2s flush timeout", took)
					}
					wantErr := strict == "true" && !reachable
					if (err != nil) != wantErr {
						t.Fatalf("New = %v, want error: %t", err, wantErr)
					}
					if !wantErr {
						if tr.Backend() != backend {
							t.Errorf("Backend() = %q, want %q", tr.Backend(), backend)
						}
						return
					}
					if !errors.Is(err, tracer.ErrCollectorUnreachable) {
						t.Errorf("error %v does not wrap ErrCollectorUnreachable", err)
					}
					for _, want := range []string{EnvStrict, tt.setting} {
						if !strings.Contains(err.Error(), want) {
							t.Errorf("error %q does not name %s", err, want)
						}
					}
					if tr.Backend() != "noop" {
						t.Errorf("with the error, Backend() = %q, want a no-op tracer", tr.Backend())
					}
				})
			}
		}
	}
}

// TestTracerStats: Stats reads the backend's counters through the root
// tracer, and is zero for a no-op tracer.
func TestTracerStats(t *testing.T) {
	if st := noopTracer().Stats(); st != (tracer.Stats{}) {
		t.Errorf("no-op Stats = %+v, want zero", st)
	}
	tr, err := New("zipkin", tracer.Config{ServiceName: "stats", Lookup: tracer.MapLookup(map[string]string{
		"ZIPKIN_ENDPOINT": "http://127.0.0.1:9/api/v2/spans"})})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		tr.StartSpan("s").Finish()
	}
	st := tr.Stats()
	if st.SpansStarted != 3 || st.SpansFinished != 3 || st.SpansExported != 0 {
		t.Errorf("before Shutdown: %s; want 3 started and finished, none exported", st)
	}
	_ = tr.Close()
	st = tr.Stats()
	if st.SpansDropped != 3 || st.ExportErrors == 0 || !strings.Contains(st.LastExportError, "refused") {
		t.Errorf("after Shutdown with the collector down: %s; want 3 dropped and the refusal", st)
	}
}
