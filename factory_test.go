package polytrace

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/opentracing/opentracing-go"

	"github.com/polytrace/polytrace/internal/envconf"
	"github.com/polytrace/polytrace/internal/faultnet"
	"github.com/polytrace/polytrace/tracer"
)

func TestConfigFromEnv(t *testing.T) {
	exe := tracer.DefaultServiceName()
	tests := []struct {
		name        string
		give        map[string]string
		wantBackend string
		wantService string
		wantRate    *float64
		wantTags    map[string]string
		wantFlush   time.Duration
	}{
		{name: "unset is noop", give: nil, wantBackend: "noop", wantService: "", wantFlush: 5 * time.Second},
		{name: "empty is noop", give: map[string]string{"TRACER_BACKEND": "  "}, wantBackend: "noop", wantFlush: 5 * time.Second},
		{name: "case and space", give: map[string]string{"TRACER_BACKEND": " Jaeger "}, wantBackend: "jaeger", wantFlush: 5 * time.Second},
		{name: "every variable", give: map[string]string{
			"TRACER_BACKEND": "zipkin", "TRACER_SERVICE_NAME": "checkout", "TRACER_SAMPLE_RATE": "0.25",
			"TRACER_TAGS": "env=prod, team=pay", "TRACER_FLUSH_TIMEOUT": "2s",
		}, wantBackend: "zipkin", wantService: "checkout", wantRate: tracer.Rate(0.25),
			wantTags: map[string]string{"env": "prod", "team": "pay"}, wantFlush: 2 * time.Second},
		{name: "rate zero is kept", give: map[string]string{"TRACER_SAMPLE_RATE": "0"}, wantBackend: "noop", wantRate: tracer.Rate(0), wantFlush: 5 * time.Second},
		{name: "TRACER_SERVICE_NAME wins", give: map[string]string{
			"TRACER_SERVICE_NAME": "a", "JAEGER_SERVICE_NAME": "b", "OTEL_SERVICE_NAME": "c",
		}, wantBackend: "noop", wantService: "a", wantFlush: 5 * time.Second},
		{name: "then JAEGER_SERVICE_NAME", give: map[string]string{
			"JAEGER_SERVICE_NAME": "b", "OTEL_SERVICE_NAME": "c",
		}, wantBackend: "noop", wantService: "b", wantFlush: 5 * time.Second},
		{name: "then OTEL_SERVICE_NAME", give: map[string]string{"OTEL_SERVICE_NAME": "c"},
			wantBackend: "noop", wantService: "c", wantFlush: 5 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			backend, cfg, err := configFromEnv(tracer.MapLookup(tt.give))
			if err != nil {
				t.Fatalf("configFromEnv: %v", err)
			}
			if backend != tt.wantBackend {
				t.Errorf("backend = %q, want %q", backend, tt.wantBackend)
			}
			if cfg.ServiceName != tt.wantService {
				t.Errorf("ServiceName = %q, want %q", cfg.ServiceName, tt.wantService)
			}
			if tt.wantService == "" && cfg.Service() != exe {
				t.Errorf("Service() = %q, want the executable's name %q", cfg.Service(), exe)
			}
			if !reflect.DeepEqual(cfg.SampleRate, tt.wantRate) {
				t.Errorf("SampleRate = %v, want %v", deref(cfg.SampleRate), deref(tt.wantRate))
			}
			if len(tt.wantTags) > 0 || len(cfg.Tags) > 0 {
				if !reflect.DeepEqual(cfg.Tags, tt.wantTags) {
					t.Errorf("Tags = %v, want %v", cfg.Tags, tt.wantTags)
				}
			}
			if cfg.Flush() != tt.wantFlush {
				t.Errorf("Flush() = %v, want %v", cfg.Flush(), tt.wantFlush)
			}
			if v, _ := cfg.Get("TRACER_BACKEND"); strings.TrimSpace(tt.give["TRACER_BACKEND"]) != "" && v == "" {
				t.Error("backend settings are not reachable through cfg.Lookup")
			}
		})
	}
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

// Every invalid value, of ours or of a backend's, gives an error naming the
// variable, the value and what is accepted, and a usable no-op tracer.
func TestFromEnvErrors(t *testing.T) {
	tests := []struct {
		give map[string]string
		want []string
		is   error
	}{
		{map[string]string{"TRACER_BACKEND": "jaegr"}, []string{`TRACER_BACKEND="jaegr"`, "jaeger, lightstep, noop, otel, stdout, ui, zipkin"}, tracer.ErrUnknownBackend},
		{map[string]string{"TRACER_SAMPLE_RATE": "all"}, []string{`TRACER_SAMPLE_RATE="all"`, "a number from 0 to 1"}, tracer.ErrInvalidConfig},
		{map[string]string{"TRACER_SAMPLE_RATE": "1.5"}, []string{`TRACER_SAMPLE_RATE="1.5"`}, tracer.ErrInvalidConfig},
		{map[string]string{"TRACER_SAMPLE_RATE": "-0.1"}, []string{`TRACER_SAMPLE_RATE="-0.1"`}, tracer.ErrInvalidConfig},
		{map[string]string{"TRACER_TAGS": "env"}, []string{`TRACER_TAGS="env"`, "key=value"}, tracer.ErrInvalidConfig},
		{map[string]string{"TRACER_FLUSH_TIMEOUT": "5"}, []string{`TRACER_FLUSH_TIMEOUT="5"`, "Go duration"}, tracer.ErrInvalidConfig},
		{map[string]string{"TRACER_BACKEND": "jaeger", "JAEGER_TAGS": "a=1,broken"}, []string{"JAEGER_TAGS", "broken"}, tracer.ErrInvalidConfig},
		{map[string]string{"TRACER_BACKEND": "jaeger", "JAEGER_AGENT_PORT": "sixty"}, []string{`JAEGER_AGENT_PORT="sixty"`}, tracer.ErrInvalidConfig},
		{map[string]string{"TRACER_BACKEND": "zipkin", "ZIPKIN_ENDPOINT": "localhost:9411"}, []string{`ZIPKIN_ENDPOINT="localhost:9411"`, "URL"}, tracer.ErrInvalidConfig},
		{map[string]string{"TRACER_BACKEND": "lightstep"}, []string{"LIGHTSTEP_ACCESS_TOKEN"}, nil},
		{map[string]string{"TRACER_BACKEND": "lightstep", "LIGHTSTEP_ACCESS_TOKEN": "t", "LIGHTSTEP_TRANSPORT": "udp"}, []string{`LIGHTSTEP_TRANSPORT="udp"`, "http", "grpc"}, tracer.ErrInvalidConfig},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.want[:1], ""), func(t *testing.T) {
			for k, v := range tt.give {
				t.Setenv(k, v)
			}
			before := opentracing.GlobalTracer()
			tr, err := FromEnv()
			if err == nil {
				t.Fatal("FromEnv succeeded, want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.is)
			}
			if tr == nil || tr.Backend() != "noop" {
				t.Fatalf("FromEnv returned %v with its error, want a no-op *Tracer", tr)
			}
			tr.StartSpan("still works").Finish()
			if opentracing.GlobalTracer() != before {
				t.Error("FromEnv installed a tracer despite the error")
			}
		})
	}
}

func TestErrorsNeverCarrySecrets(t *testing.T) {
	const token, password = "tok-SECRET-1", "pw-SECRET-2"
	cases := []map[string]string{
		{"TRACER_BACKEND": "lightstep", "LIGHTSTEP_ACCESS_TOKEN": token, "LIGHTSTEP_COLLECTOR_PORT": "x"},
		{"TRACER_BACKEND": "lightstep", "LIGHTSTEP_ACCESS_TOKEN": token, "LIGHTSTEP_TRANSPORT": "udp"},
		{"TRACER_BACKEND": "lightstep", "LIGHTSTEP_ACCESS_TOKEN": token, "TRACER_TAGS": "lightstep.guid=1"},
		{"TRACER_BACKEND": "jaeger", "JAEGER_USER": "u", "JAEGER_PASSWORD": password, "JAEGER_ENDPOINT": "ftp://u:" + password + "@h"},
		{"TRACER_BACKEND": "jaeger", "JAEGER_PASSWORD": password, "JAEGER_REPORTER_FLUSH_INTERVAL": "x"},
		{"TRACER_BACKEND": "zipkin", "ZIPKIN_ENDPOINT": "ftp://u:" + password + "@h/?k=" + token},
	}
	for _, give := range cases {
		_, _, err := configFromEnv(tracer.MapLookup(give))
		if err == nil {
			backend, cfg, _ := configFromEnv(tracer.MapLookup(give))
			_, err = New(backend, cfg)
		}
		if err == nil {
			t.Errorf("%v: no error", give)
			continue
		}
		if strings.Contains(err.Error(), token) || strings.Contains(err.Error(), password) {
			t.Errorf("error leaks a secret: %v", err)
		}
	}
}

func TestFromEnvInstallsGlobalTracer(t *testing.T) {
	defer opentracing.SetGlobalTracer(opentracing.NoopTracer{})
	for _, backend := range []string{"", "noop", "stdout", "jaeger", "zipkin"} {
		t.Run(backend, func(t *testing.T) {
			t.Setenv("TRACER_BACKEND", backend)
			t.Setenv("TRACER_FLUSH_TIMEOUT", "1s")
			tr, err := FromEnv()
			if err != nil {
				t.Fatal(err)
			}
			defer tr.Close()
			if opentracing.GlobalTracer() != opentracing.Tracer(tr) {
				t.Errorf("global tracer is %T, want the returned *Tracer", opentracing.GlobalTracer())
			}
			want := backend
			if want == "" {
				want = "noop"
			}
			if tr.Backend() != want {
				t.Errorf("Backend() = %q, want %q", tr.Backend(), want)
			}
		})
	}
}

func TestNew(t *testing.T) {
	tr, err := New("", tracer.Config{})
	if err != nil || tr.Backend() != "noop" {
		t.Fatalf(`New("") = %v, %v; want noop`, tr, err)
	}
	if _, ok := tr.Unwrap().(opentracing.NoopTracer); !ok {
		t.Errorf("noop Unwrap() = %T", tr.Unwrap())
	}
	tr, err = New("nope", tracer.Config{})
	if !errors.Is(err, tracer.ErrUnknownBackend) || tr == nil {
		t.Fatalf(`New("nope") = %v, %v; want a no-op tracer and ErrUnknownBackend`, tr, err)
	}
}

// blackHole returns the address of a listener that accepts connections
// and never answers them.
func blackHole(t *testing.T) string { return faultnet.HangingListener(t) }

// Close is bounded by TRACER_FLUSH_TIMEOUT even when the collector accepts
// connections and never answers, and is idempotent.
func TestCloseBoundedAndIdempotent(t *testing.T) {
	addr := blackHole(t)
	tests := []struct {
		backend string
		env     map[string]string
	}{
		{"jaeger", map[string]string{"JAEGER_ENDPOINT": "http://" + addr + "/api/traces"}},
		{"zipkin", map[string]string{"ZIPKIN_ENDPOINT": "http://" + addr + "/api/v2/spans"}},
		{"lightstep", map[string]string{"LIGHTSTEP_ACCESS_TOKEN": "t", "LIGHTSTEP_COLLECTOR_HOST": "127.0.0.1",
			"LIGHTSTEP_COLLECTOR_PORT": addr[strings.LastIndex(addr, ":")+1:], "LIGHTSTEP_COLLECTOR_PLAINTEXT": "true"}},
	}
	for _, tt := range tests {
		t.Run(tt.backend, func(t *testing.T) {
			tt.env["TRACER_BACKEND"] = tt.backend
			tt.env["TRACER_FLUSH_TIMEOUT"] = "300ms"
			backend, cfg, err := configFromEnv(tracer.MapLookup(tt.env))
			if err != nil {
				t.Fatal(err)
			}
			tr, err := New(backend, cfg)
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 100; i++ {
				tr.StartSpan("op").Finish()
			}
			returned := make(chan error, 2)
			go func() { returned <- tr.Close(); returned <- tr.Close() }()
			for i := 0; i < 2; i++ {
				select {
				case err := <-returned:
					t.Logf("Close %d: %v", i+1, err)
				case <-time.After(10 * time.Second):
					t.Fatalf("Close %d did not return within 10s with a 300ms flush timeout", i+1)
				}
			}
		})
	}
}

func TestShutdownHonoursContext(t *testing.T) {
	tr, err := New("noop", tracer.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := tr.Close(); err != nil {
		t.Fatalf("Close after Shutdown: %v", err)
	}
}

// TestVariableNamesAgree: the variables the root package exports are the
// ones tracer.Config.Validate names in its errors.
func TestVariableNamesAgree(t *testing.T) {
	for _, pair := range [][2]string{{EnvSampleRate, envconf.EnvSampleRate}, {EnvQueueSize, envconf.EnvQueueSize},
		{EnvFlushTimeout, envconf.EnvFlushTimeout}, {EnvTags, envconf.EnvTags}} {
		if pair[0] != pair[1] {
			t.Errorf("%s exported, %s named in errors", pair[0], pair[1])
		}
	}
}
