package polytrace

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/polytrace/polytrace/tracer"
)

// settings are every variable FromEnv or a backend reads.
var settings = []string{
	EnvBackend, EnvServiceName, EnvSampleRate, EnvTags, EnvFlushTimeout, EnvQueueSize, EnvStrict, EnvPropagation,
	"JAEGER_SERVICE_NAME", "JAEGER_DISABLED", "JAEGER_RPC_METRICS", "JAEGER_TAGS", "JAEGER_TRACEID_128BIT",
	"JAEGER_SAMPLER_TYPE", "JAEGER_SAMPLER_PARAM", "JAEGER_SAMPLING_ENDPOINT", "JAEGER_SAMPLER_MANAGER_HOST_PORT",
	"JAEGER_SAMPLER_MAX_OPERATIONS", "JAEGER_SAMPLER_REFRESH_INTERVAL", "JAEGER_REPORTER_MAX_QUEUE_SIZE",
	"JAEGER_REPORTER_FLUSH_INTERVAL", "JAEGER_REPORTER_LOG_SPANS", "JAEGER_REPORTER_ATTEMPT_RECONNECTING_DISABLED",
	"JAEGER_REPORTER_ATTEMPT_RECONNECT_INTERVAL", "JAEGER_ENDPOINT", "JAEGER_USER", "JAEGER_PASSWORD",
	"JAEGER_AGENT_HOST", "JAEGER_AGENT_PORT",
	"ZIPKIN_ENDPOINT", "ZIPKIN_TIMEOUT", "ZIPKIN_BATCH_INTERVAL",
	"LIGHTSTEP_ACCESS_TOKEN", "LIGHTSTEP_COLLECTOR_HOST", "LIGHTSTEP_COLLECTOR_PORT", "LIGHTSTEP_COLLECTOR_PLAINTEXT", "LIGHTSTEP_TRANSPORT",
	"OTEL_SERVICE_NAME", "OTEL_RESOURCE_ATTRIBUTES", "OTEL_TRACES_SAMPLER", "OTEL_TRACES_SAMPLER_ARG",
	"OTEL_BSP_SCHEDULE_DELAY", "OTEL_BSP_EXPORT_TIMEOUT", "OTEL_BSP_MAX_QUEUE_SIZE", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE",
	"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
	"OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_HEADERS", "OTEL_EXPORTER_OTLP_TIMEOUT", "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
	"OTEL_EXPORTER_OTLP_COMPRESSION", "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "OTEL_EXPORTER_OTLP_INSECURE", "OTEL_EXPORTER_OTLP_TRACES_INSECURE",
	// TRACER_UI_ADDR is not fuzzed, so that the fuzzer never opens a
	// listener beyond loopback; TestEveryVariableRejectsInvalidValues
	// gives it an invalid value.
	"TRACER_UI_MAX_BYTES",
}

// secretSettings must never have their values printed.
var secretSettings = map[string]bool{
	"JAEGER_PASSWORD": true, "LIGHTSTEP_ACCESS_TOKEN": true,
	"OTEL_EXPORTER_OTLP_HEADERS": true, "OTEL_EXPORTER_OTLP_TRACES_HEADERS": true,
}

// secretMark starts the value fuzzed into a secret setting, so that a
// leak is recognizable whatever the value.
const secretMark = "s3cr3t-"

// FuzzConfig sets two of the variables to random values on top of a
// working configuration of a random backend, then reads the configuration
// and opens the tracer as FromEnv does. It must never panic nor return a
// nil tracer; an error must name a variable and never show a secret
// value. The seed corpus is in testdata/fuzz/FuzzConfig.
func FuzzConfig(f *testing.F) {
	f.Add(uint8(0), uint8(2), "all", uint8(3), "env")
	f.Add(uint8(1), uint8(24), "ftp://u:p@h/?k=v", uint8(25), "u")
	f.Add(uint8(2), uint8(29), "zipkin:9411", uint8(30), "-5s")
	f.Add(uint8(3), uint8(32), "bad token", uint8(34), "70000")
	f.Add(uint8(4), uint8(45), "grpc://x", uint8(49), "a=b,c")
	f.Add(uint8(1), uint8(13), "0.5", uint8(12), "")
	f.Add(uint8(0), uint8(5), "0", uint8(6), "yes")
	backends := tracer.Backends()
	f.Fuzz(func(t *testing.T, backend uint8, i uint8, v string, j uint8, w string) {
		env := map[string]string{
			EnvBackend:               backends[int(backend)%len(backends)],
			"LIGHTSTEP_ACCESS_TOKEN": "fuzz-token",
			// Nothing listens there: nothing is sent anywhere.
			"JAEGER_AGENT_HOST": "127.0.0.1", "JAEGER_AGENT_PORT": "9",
			"ZIPKIN_ENDPOINT":             "http://127.0.0.1:9/api/v2/spans",
			"LIGHTSTEP_COLLECTOR_HOST":    "127.0.0.1",
			"LIGHTSTEP_COLLECTOR_PORT":    "9",
			"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9",
			"TRACER_UI_ADDR":              "127.0.0.1:0",
		}
		set := map[string]string{}
		for _, kv := range []struct {
			i uint8
			v string
		}{{i, v}, {j, w}} {
			name := settings[int(kv.i)%len(settings)]
			if secretSettings[name] {
				kv.v = secretMark + kv.v
			}
			env[name], set[name] = kv.v, kv.v
		}
		backendName, cfg, err := configFromEnv(tracer.MapLookup(env))
		if err == nil {
			// Strictness would dial the network; it is parsed, not used.
			cfg.Strict = false
			var tr *Tracer
			tr, err = New(backendName, cfg)
			if tr == nil {
				t.Fatalf("New(%q) returned a nil tracer (error %v)", backendName, err)
			}
			tr.StartSpan("fuzz").Finish()
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			_ = tr.Shutdown(ctx)
			cancel()
		}
		if err == nil {
			return
		}
		msg := err.Error()
		named := false
		for _, s := range settings {
			named = named || strings.Contains(msg, s)
		}
		if !named {
			t.Errorf("error names no variable: %v (set %q)", err, set)
		}
		if strings.Contains(msg, secretMark) {
			t.Errorf("error shows a secret value: %v", err)
		}
	})
}

// TestEveryVariableRejectsInvalidValues gives each variable that has
// invalid values one of them: the error must name the variable (and
// wrap tracer.ErrInvalidConfig or tracer.ErrUnknownBackend), and the
// tracer returned must work.
func TestEveryVariableRejectsInvalidValues(t *testing.T) {
	tests := []struct {
		backend, name, give string
		want                string // the variable named, when not name
	}{
		{"", EnvBackend, "jaegr", ""},
		{"noop", EnvSampleRate, "2", ""},
		{"noop", EnvTags, "=v", ""},
		{"noop", EnvFlushTimeout, "-1s", ""},
		{"noop", EnvQueueSize, "0", ""},
		{"noop", EnvQueueSize, "1000001", ""},
		{"noop", EnvStrict, "maybe", ""},
		{"noop", EnvPropagation, "b3,carrier-pigeon", ""},
		{"jaeger", "JAEGER_DISABLED", "nope", ""},
		{"jaeger", "JAEGER_RPC_METRICS", "2", ""},
		{"jaeger", "JAEGER_TAGS", "k", ""},
		{"jaeger", "JAEGER_TRACEID_128BIT", "y", ""},
		{"jaeger", "JAEGER_SAMPLER_TYPE", "always", ""},
		{"jaeger", "JAEGER_SAMPLER_PARAM", "0.5", "JAEGER_SAMPLER_TYPE"},
		{"jaeger", "JAEGER_SAMPLING_ENDPOINT", "host:5778", ""},
		{"jaeger", "JAEGER_SAMPLER_MANAGER_HOST_PORT", "host:5778", ""},
		{"jaeger", "JAEGER_SAMPLER_MAX_OPERATIONS", "0", ""},
		{"jaeger", "JAEGER_SAMPLER_REFRESH_INTERVAL", "1", ""},
		{"jaeger", "JAEGER_REPORTER_MAX_QUEUE_SIZE", "-1", ""},
		{"jaeger", "JAEGER_REPORTER_FLUSH_INTERVAL", "soon", ""},
		{"jaeger", "JAEGER_REPORTER_LOG_SPANS", "verbose", ""},
		{"jaeger", "JAEGER_REPORTER_ATTEMPT_RECONNECTING_DISABLED", "x", ""},
		{"jaeger", "JAEGER_REPORTER_ATTEMPT_RECONNECT_INTERVAL", "0s", ""},
		{"jaeger", "JAEGER_ENDPOINT", "collector:14268", ""},
		{"jaeger", "JAEGER_AGENT_HOST", "agent:6831", ""},
		{"jaeger", "JAEGER_AGENT_PORT", "0", ""},
		{"zipkin", "ZIPKIN_ENDPOINT", "//zipkin/api", ""},
		{"zipkin", "ZIPKIN_TIMEOUT", "5", ""},
		{"zipkin", "ZIPKIN_BATCH_INTERVAL", "-1s", ""},
		{"lightstep", "LIGHTSTEP_ACCESS_TOKEN", "two words", ""},
		{"lightstep", "LIGHTSTEP_COLLECTOR_HOST", "https://collector", ""},
		{"lightstep", "LIGHTSTEP_COLLECTOR_PORT", "65536", ""},
		{"lightstep", "LIGHTSTEP_COLLECTOR_PLAINTEXT", "plain", ""},
		{"lightstep", "LIGHTSTEP_TRANSPORT", "udp", ""},
		{"ui", "TRACER_UI_ADDR", "localhost", ""},
		{"ui", "TRACER_UI_MAX_BYTES", "1KB", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name+"="+tt.give, func(t *testing.T) {
			env := map[string]string{tt.name: tt.give, "LIGHTSTEP_ACCESS_TOKEN": "t"}
			if tt.name == "LIGHTSTEP_ACCESS_TOKEN" {
				env[tt.name] = tt.give
			}
			if tt.backend != "" {
				env[EnvBackend] = tt.backend
			}
			backend, cfg, err := configFromEnv(tracer.MapLookup(env))
			var tr *Tracer
			if err == nil {
				tr, err = New(backend, cfg)
				defer tr.Close()
			}
			want := tt.name
			if tt.want != "" {
				want = tt.want
			}
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("%s=%q: error %v, want one naming %s", tt.name, tt.give, err, want)
			}
			if !errors.Is(err, tracer.ErrInvalidConfig) && !errors.Is(err, tracer.ErrUnknownBackend) {
				t.Errorf("error %v wraps neither ErrInvalidConfig nor ErrUnknownBackend", err)
			}
			if tr != nil {
				tr.StartSpan("after an error").Finish()
			}
		})
	}
}
