package jaeger_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/polytrace/polytrace/backends/jaeger"
	"github.com/polytrace/polytrace/tracer"
)

// defaults is what OptionsFromConfig gives with nothing set.
var defaults = jaeger.Options{
	SamplingEndpoint:         "http://localhost:5778/sampling",
	SamplerMaxOperations:     2000,
	SamplerRefreshInterval:   time.Minute,
	QueueSize:                2048, // tracer.DefaultQueueSize; the client's own default is 100
	FlushInterval:            time.Second,
	AgentHost:                "localhost",
	AgentPort:                6831,
	AttemptReconnectInterval: 30 * time.Second,
}

func with(change func(o *jaeger.Options)) jaeger.Options {
	o := defaults
	change(&o)
	return o
}

func TestOptionsFromConfigValid(t *testing.T) {
	tests := []struct {
		name string
		give map[string]string
		rate *float64
		want jaeger.Options
	}{
		{name: "nothing set", want: defaults},
		{name: "empty values are unset", give: map[string]string{"JAEGER_DISABLED": "", "JAEGER_AGENT_PORT": "  "}, want: defaults},
		{name: "booleans", give: map[string]string{
			"JAEGER_DISABLED": "true", "JAEGER_RPC_METRICS": "1", "JAEGER_TRACEID_128BIT": " TRUE ",
			"JAEGER_REPORTER_LOG_SPANS": "t", "JAEGER_REPORTER_ATTEMPT_RECONNECTING_DISABLED": "true",
		}, want: with(func(o *jaeger.Options) {
			o.Disabled, o.RPCMetrics, o.TraceID128Bit, o.LogSpans, o.DisableAttemptReconnecting = true, true, true, true, true
		})},
		{name: "tags with references", give: map[string]string{
			"JAEGER_TAGS": "a=1, b = two ,c=${UNSET_VAR:dflt},d=${SET_VAR:dflt},e=${SET_VAR},f=,url=x=y,g=${UNSET_VAR}",
			"SET_VAR":     "val",
		}, want: with(func(o *jaeger.Options) {
			o.Tags = map[string]string{"a": "1", "b": "two", "c": "dflt", "d": "val", "e": "val", "f": "", "url": "x=y", "g": ""}
		})},
		{name: "tags with a trailing comma", give: map[string]string{"JAEGER_TAGS": "a=1,"},
			want: with(func(o *jaeger.Options) { o.Tags = map[string]string{"a": "1"} })},
		{name: "const sampler defaults to 1", give: map[string]string{"JAEGER_SAMPLER_TYPE": "const"},
			want: with(func(o *jaeger.Options) { o.SamplerType, o.SamplerParam = "const", 1 })},
		{name: "const sampler 0, any case", give: map[string]string{"JAEGER_SAMPLER_TYPE": "CONST", "JAEGER_SAMPLER_PARAM": "0"},
			want: with(func(o *jaeger.Options) { o.SamplerType, o.SamplerParam = "const", 0 })},
		{name: "probabilistic", give: map[string]string{"JAEGER_SAMPLER_TYPE": "probabilistic", "JAEGER_SAMPLER_PARAM": "0.25"},
			want: with(func(o *jaeger.Options) { o.SamplerType, o.SamplerParam = "probabilistic", 0.25 })},
		{name: "rate limiting", give: map[string]string{"JAEGER_SAMPLER_TYPE": "rateLimiting", "JAEGER_SAMPLER_PARAM": "2.5"},
			want: with(func(o *jaeger.Options) { o.SamplerType, o.SamplerParam = "ratelimiting", 2.5 })},
		{name: "remote with defaults", give: map[string]string{"JAEGER_SAMPLER_TYPE": "remote"},
			want: with(func(o *jaeger.Options) { o.SamplerType, o.SamplerParam = "remote", 0.001 })},
		{name: "remote fully set", give: map[string]string{
			"JAEGER_SAMPLER_TYPE": "remote", "JAEGER_SAMPLER_PARAM": "0.5",
			"JAEGER_SAMPLING_ENDPOINT": "http://sampler:5778/sampling", "JAEGER_SAMPLER_MAX_OPERATIONS": "10",
			"JAEGER_SAMPLER_REFRESH_INTERVAL": "30s",
		}, want: with(func(o *jaeger.Options) {
			o.SamplerType, o.SamplerParam, o.SamplingEndpoint = "remote", 0.5, "http://sampler:5778/sampling"
			o.SamplerMaxOperations, o.SamplerRefreshInterval = 10, 30*time.Second
		})},
		{name: "deprecated sampling manager variable", give: map[string]string{"JAEGER_SAMPLER_MANAGER_HOST_PORT": "http://m:5778/sampling"},
			want: with(func(o *jaeger.Options) { o.SamplingEndpoint = "http://m:5778/sampling" })},
		{name: "sampling endpoint beats its deprecated name", give: map[string]string{
			"JAEGER_SAMPLER_MANAGER_HOST_PORT": "http://old:5778/sampling", "JAEGER_SAMPLING_ENDPOINT": "http://new:5778/sampling",
		}, want: with(func(o *jaeger.Options) { o.SamplingEndpoint = "http://new:5778/sampling" })},
		{name: "agent host also sets the sampling endpoint", give: map[string]string{"JAEGER_AGENT_HOST": "agent", "JAEGER_AGENT_PORT": "6832"},
			want: with(func(o *jaeger.Options) {
				o.AgentHost, o.AgentPort, o.SamplingEndpoint = "agent", 6832, "http://agent:5778/sampling"
			})},
		{name: "IPv6 agent", give: map[string]string{"JAEGER_AGENT_HOST": "::1"},
			want: with(func(o *jaeger.Options) { o.AgentHost, o.SamplingEndpoint = "::1", "http://[::1]:5778/sampling" })},
		{name: "reporter", give: map[string]string{
			"JAEGER_REPORTER_MAX_QUEUE_SIZE": "500", "JAEGER_REPORTER_FLUSH_INTERVAL": "250ms",
			"JAEGER_REPORTER_ATTEMPT_RECONNECT_INTERVAL": "5s",
		}, want: with(func(o *jaeger.Options) {
			o.QueueSize, o.FlushInterval, o.AttemptReconnectInterval = 500, 250*time.Millisecond, 5*time.Second
		})},
		{name: "collector with basic auth", give: map[string]string{
			"JAEGER_ENDPOINT": "https://collector:14268/api/traces", "JAEGER_USER": "svc", "JAEGER_PASSWORD": "pw",
		}, want: with(func(o *jaeger.Options) {
			o.Endpoint, o.User, o.Password = "https://collector:14268/api/traces", "svc", "pw"
		})},
		{name: "user without endpoint is unused, not an error", give: map[string]string{"JAEGER_USER": "svc"},
			want: with(func(o *jaeger.Options) { o.User = "svc" })},
		{name: "stray sampler param when TRACER_SAMPLE_RATE wins", rate: tracer.Rate(0.5),
			give: map[string]string{"JAEGER_SAMPLER_PARAM": "0.1"},
			want: with(func(o *jaeger.Options) { o.SamplerParam = 0.1 })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tracer.Config{Lookup: tracer.MapLookup(tt.give), SampleRate: tt.rate}
			got, err := jaeger.OptionsFromConfig(cfg)
			if err != nil {
				t.Fatalf("OptionsFromConfig: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("OptionsFromConfig =\n %+v\nwant\n %+v", plain(got), plain(tt.want))
			}
			// Every valid configuration also opens.
			cfg.Lookup = tracer.MapLookup(agentEnvOrEmpty(tt.give))
			open(t, cfg)
		})
	}
}

// plain shows the options field by field, secrets included, for diffs.
func plain(o jaeger.Options) string {
	type shown jaeger.Options
	s := shown(o)
	return fmt.Sprintf("%+v password=%q", s, string(o.Password))
}

func TestOptionsFromConfigInvalid(t *testing.T) {
	tests := []struct {
		give      map[string]string
		wantVar   string
		wantValue string
		wantWant  string
	}{
		{map[string]string{"JAEGER_DISABLED": "maybe"}, "JAEGER_DISABLED", "maybe", "a boolean"},
		{map[string]string{"JAEGER_RPC_METRICS": "yes"}, "JAEGER_RPC_METRICS", "yes", "a boolean"},
		{map[string]string{"JAEGER_TRACEID_128BIT": "2"}, "JAEGER_TRACEID_128BIT", "2", "a boolean"},
		{map[string]string{"JAEGER_TAGS": "novalue"}, "JAEGER_TAGS", "novalue", "key=value pairs"},
		{map[string]string{"JAEGER_TAGS": "a=1,=v"}, "JAEGER_TAGS", "a=1,=v", "key=value pairs"},
		{map[string]string{"JAEGER_TAGS": "a=${UNTERMINATED"}, "JAEGER_TAGS", "a=${UNTERMINATED", "${VAR:default}"},
		{map[string]string{"JAEGER_TAGS": "a=${:dflt}"}, "JAEGER_TAGS", "a=${:dflt}", "${VAR:default}"},
		{map[string]string{"JAEGER_SAMPLER_TYPE": "adaptive"}, "JAEGER_SAMPLER_TYPE", "adaptive", "one of const, probabilistic, ratelimiting, remote"},
		{map[string]string{"JAEGER_SAMPLER_PARAM": "0.1"}, "JAEGER_SAMPLER_TYPE", "", "whenever JAEGER_SAMPLER_PARAM is set"},
		{map[string]string{"JAEGER_SAMPLER_TYPE": "const", "JAEGER_SAMPLER_PARAM": "abc"}, "JAEGER_SAMPLER_PARAM", "abc", "0 or 1"},
		{map[string]string{"JAEGER_SAMPLER_TYPE": "const", "JAEGER_SAMPLER_PARAM": "0.5"}, "JAEGER_SAMPLER_PARAM", "0.5", "0 or 1"},
		{map[string]string{"JAEGER_SAMPLER_TYPE": "probabilistic", "JAEGER_SAMPLER_PARAM": "1.5"}, "JAEGER_SAMPLER_PARAM", "1.5", "from 0 to 1"},
		{map[string]string{"JAEGER_SAMPLER_TYPE": "probabilistic", "JAEGER_SAMPLER_PARAM": "-0.1"}, "JAEGER_SAMPLER_PARAM", "-0.1", "from 0 to 1"},
		{map[string]string{"JAEGER_SAMPLER_TYPE": "probabilistic", "JAEGER_SAMPLER_PARAM": "NaN"}, "JAEGER_SAMPLER_PARAM", "NaN", "from 0 to 1"},
		{map[string]string{"JAEGER_SAMPLER_TYPE": "probabilistic"}, "JAEGER_SAMPLER_PARAM", "", "required"},
		{map[string]string{"JAEGER_SAMPLER_TYPE": "ratelimiting"}, "JAEGER_SAMPLER_PARAM", "", "required"},
		{map[string]string{"JAEGER_SAMPLER_TYPE": "ratelimiting", "JAEGER_SAMPLER_PARAM": "0"}, "JAEGER_SAMPLER_PARAM", "0", "positive number of traces per second"},
		{map[string]string{"JAEGER_SAMPLER_TYPE": "ratelimiting", "JAEGER_SAMPLER_PARAM": "+Inf"}, "JAEGER_SAMPLER_PARAM", "+Inf", "positive number of traces per second"},
		{map[string]string{"JAEGER_SAMPLER_TYPE": "remote", "JAEGER_SAMPLER_PARAM": "2"}, "JAEGER_SAMPLER_PARAM", "2", "initial sampling probability from 0 to 1"},
		{map[string]string{"JAEGER_SAMPLING_ENDPOINT": "sampler:5778"}, "JAEGER_SAMPLING_ENDPOINT", "sampler:5778", "http://"},
		{map[string]string{"JAEGER_SAMPLER_MANAGER_HOST_PORT": "ftp://m/s"}, "JAEGER_SAMPLER_MANAGER_HOST_PORT", "ftp://m/s", "http://"},
		{map[string]string{"JAEGER_SAMPLER_MAX_OPERATIONS": "0"}, "JAEGER_SAMPLER_MAX_OPERATIONS", "0", "an integer from 1"},
		{map[string]string{"JAEGER_SAMPLER_MAX_OPERATIONS": "many"}, "JAEGER_SAMPLER_MAX_OPERATIONS", "many", "an integer from 1"},
		{map[string]string{"JAEGER_SAMPLER_REFRESH_INTERVAL": "10"}, "JAEGER_SAMPLER_REFRESH_INTERVAL", "10", "Go duration"},
		{map[string]string{"JAEGER_SAMPLER_REFRESH_INTERVAL": "-1s"}, "JAEGER_SAMPLER_REFRESH_INTERVAL", "-1s", "Go duration"},
		{map[string]string{"JAEGER_REPORTER_MAX_QUEUE_SIZE": "0"}, "JAEGER_REPORTER_MAX_QUEUE_SIZE", "0", "an integer from 1 to 1000000"},
		{map[string]string{"JAEGER_REPORTER_MAX_QUEUE_SIZE": "2000000"}, "JAEGER_REPORTER_MAX_QUEUE_SIZE", "2000000", "an integer from 1 to 1000000"},
		{map[string]string{"JAEGER_REPORTER_MAX_QUEUE_SIZE": "x"}, "JAEGER_REPORTER_MAX_QUEUE_SIZE", "x", "an integer"},
		{map[string]string{"JAEGER_REPORTER_FLUSH_INTERVAL": "1"}, "JAEGER_REPORTER_FLUSH_INTERVAL", "1", "Go duration"},
		{map[string]string{"JAEGER_REPORTER_FLUSH_INTERVAL": "0s"}, "JAEGER_REPORTER_FLUSH_INTERVAL", "0s", "positive Go duration"},
		{map[string]string{"JAEGER_REPORTER_LOG_SPANS": "on"}, "JAEGER_REPORTER_LOG_SPANS", "on", "a boolean"},
		{map[string]string{"JAEGER_REPORTER_ATTEMPT_RECONNECTING_DISABLED": "nope"}, "JAEGER_REPORTER_ATTEMPT_RECONNECTING_DISABLED", "nope", "a boolean"},
		{map[string]string{"JAEGER_REPORTER_ATTEMPT_RECONNECT_INTERVAL": "soon"}, "JAEGER_REPORTER_ATTEMPT_RECONNECT_INTERVAL", "soon", "Go duration"},
		{map[string]string{"JAEGER_ENDPOINT": "collector:14268"}, "JAEGER_ENDPOINT", "collector:14268", "http:// or https:// URL"},
		{map[string]string{"JAEGER_ENDPOINT": "ftp://collector/api"}, "JAEGER_ENDPOINT", "ftp://collector/api", "http:// or https:// URL"},
		{map[string]string{"JAEGER_ENDPOINT": "http://c/api", "JAEGER_USER": "svc"}, "JAEGER_PASSWORD", "", "whenever JAEGER_USER"},
		{map[string]string{"JAEGER_ENDPOINT": "http://c/api", "JAEGER_PASSWORD": "pw"}, "JAEGER_USER", "", "whenever JAEGER_PASSWORD"},
		{map[string]string{"JAEGER_AGENT_HOST": "agent:6831"}, "JAEGER_AGENT_HOST", "agent:6831", "without a port"},
		{map[string]string{"JAEGER_AGENT_HOST": "http://agent"}, "JAEGER_AGENT_HOST", "http://agent", "host name or IP address"},
		{map[string]string{"JAEGER_AGENT_HOST": "a b"}, "JAEGER_AGENT_HOST", "a b", "host name or IP address"},
		{map[string]string{"JAEGER_AGENT_PORT": "0"}, "JAEGER_AGENT_PORT", "0", "an integer from 1 to 65535"},
		{map[string]string{"JAEGER_AGENT_PORT": "70000"}, "JAEGER_AGENT_PORT", "70000", "an integer from 1 to 65535"},
		{map[string]string{"JAEGER_AGENT_PORT": "udp"}, "JAEGER_AGENT_PORT", "udp", "an integer from 1 to 65535"},
		// Unused because JAEGER_ENDPOINT is set, still checked.
		{map[string]string{"JAEGER_ENDPOINT": "http://c/api", "JAEGER_AGENT_PORT": "-1"}, "JAEGER_AGENT_PORT", "-1", "an integer from 1 to 65535"},
		// Checked even when the tracer is disabled.
		{map[string]string{"JAEGER_DISABLED": "true", "JAEGER_REPORTER_FLUSH_INTERVAL": "fast"}, "JAEGER_REPORTER_FLUSH_INTERVAL", "fast", "Go duration"},
	}
	for _, tt := range tests {
		t.Run(tt.wantVar+"="+tt.wantValue, func(t *testing.T) {
			cfg := tracer.Config{Lookup: tracer.MapLookup(tt.give)}
			_, err := jaeger.OptionsFromConfig(cfg)
			checkInvalid(t, err, tt.wantVar, tt.wantValue, tt.wantWant)

			inst, err := jaeger.Open(cfg)
			if inst != nil {
				t.Errorf("Open returned an Instance with the error")
			}
			checkInvalid(t, err, tt.wantVar, tt.wantValue, tt.wantWant)
		})
	}
}

func checkInvalid(t *testing.T, err error, name, value, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want one naming %s", name)
	}
	if !errors.Is(err, tracer.ErrInvalidConfig) {
		t.Errorf("error %q does not wrap tracer.ErrInvalidConfig", err)
	}
	msg := err.Error()
	if !strings.Contains(msg, name+"="+strconv.Quote(value)) {
		t.Errorf("error %q does not name %s=%q", msg, name, value)
	}
	if !strings.Contains(msg, want) {
		t.Errorf("error %q does not say what is accepted (%q)", msg, want)
	}
}

func TestOpenThroughRegistry(t *testing.T) {
	_, err := tracer.Open(jaeger.Name, tracer.Config{Lookup: tracer.MapLookup(map[string]string{"JAEGER_AGENT_PORT": "x"})})
	checkInvalid(t, err, "JAEGER_AGENT_PORT", "x", "an integer from 1 to 65535")

	inst, err := tracer.Open("Jaeger", tracer.Config{Lookup: tracer.MapLookup(agentEnvOrEmpty(nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { shutdownWithin(t, inst, 10*time.Second) })
}

func TestNewValidatesOptions(t *testing.T) {
	tests := []struct {
		name      string
		give      jaeger.Options
		rate      *float64
		wantVar   string
		wantValue string
	}{
		{"unknown sampler", jaeger.Options{SamplerType: "bogus"}, nil, "JAEGER_SAMPLER_TYPE", "bogus"},
		{"const param", jaeger.Options{SamplerType: "const", SamplerParam: 0.5}, nil, "JAEGER_SAMPLER_PARAM", "0.5"},
		{"probability", jaeger.Options{SamplerType: "Probabilistic", SamplerParam: 3}, nil, "JAEGER_SAMPLER_PARAM", "3"},
		{"negative queue", jaeger.Options{QueueSize: -1}, nil, "JAEGER_REPORTER_MAX_QUEUE_SIZE", "-1"},
		{"negative flush", jaeger.Options{FlushInterval: -time.Second}, nil, "JAEGER_REPORTER_FLUSH_INTERVAL", "-1s"},
		{"negative refresh", jaeger.Options{SamplerRefreshInterval: -time.Second}, nil, "JAEGER_SAMPLER_REFRESH_INTERVAL", "-1s"},
		{"negative reconnect", jaeger.Options{AttemptReconnectInterval: -time.Second}, nil, "JAEGER_REPORTER_ATTEMPT_RECONNECT_INTERVAL", "-1s"},
		{"negative max operations", jaeger.Options{SamplerMaxOperations: -5}, nil, "JAEGER_SAMPLER_MAX_OPERATIONS", "-5"},
		{"port", jaeger.Options{AgentPort: 70000}, nil, "JAEGER_AGENT_PORT", "70000"},
		{"host with port", jaeger.Options{AgentHost: "agent:6831"}, nil, "JAEGER_AGENT_HOST", "agent:6831"},
		{"endpoint", jaeger.Options{Endpoint: "nope"}, nil, "JAEGER_ENDPOINT", "nope"},
		{"remote sampling endpoint", jaeger.Options{SamplerType: "remote", SamplingEndpoint: "nope"}, nil, "JAEGER_SAMPLING_ENDPOINT", "nope"},
		{"user without password", jaeger.Options{Endpoint: "http://c/api", User: "svc"}, nil, "JAEGER_PASSWORD", ""},
		{"sample rate", jaeger.Options{}, tracer.Rate(1.5), "TRACER_SAMPLE_RATE", "1.5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inst, err := jaeger.New(tracer.Config{SampleRate: tt.rate}, tt.give)
			if inst != nil {
				t.Error("New returned an Instance with the error")
			}
			checkInvalid(t, err, tt.wantVar, tt.wantValue, "want ")
		})
	}
}

func TestNewFillsDefaults(t *testing.T) {
	// A zero Options is valid and reports to the default agent address; a
	// closed local port is used here instead.
	inst, err := jaeger.New(tracer.Config{}, jaeger.Options{AgentHost: "127.0.0.1", AgentPort: 9})
	if err != nil {
		t.Fatal(err)
	}
	inst.Tracer.StartSpan("zero-options").Finish()
	if err := shutdownWithin(t, inst, 10*time.Second); err != nil {
		t.Fatal(err)
	}
}

func TestSecretsNeverPrinted(t *testing.T) {
	secrets := []string{"env-pass-123", "url-pass-456", "query-secret-789"}
	cfg := tracer.Config{Lookup: tracer.MapLookup(map[string]string{
		"JAEGER_ENDPOINT": "https://bob:url-pass-456@collector:14268/api/traces?apikey=query-secret-789",
		"JAEGER_USER":     "alice",
		"JAEGER_PASSWORD": "env-pass-123",
	})}
	opts, err := jaeger.OptionsFromConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if string(opts.Password) != "env-pass-123" {
		t.Fatalf("Password = %q, want the value set", string(opts.Password))
	}

	var slogOut bytes.Buffer
	slog.New(slog.NewJSONHandler(&slogOut, nil)).Info("config", "opts", opts, "password", opts.Password)
	passwordJSON, _ := json.Marshal(opts.Password)
	printed := map[string]string{
		"Sprint":            fmt.Sprint(opts),
		"Sprint pointer":    fmt.Sprint(&opts),
		"%v":                fmt.Sprintf("%v", opts),
		"%+v":               fmt.Sprintf("%+v", opts),
		"%#v":               fmt.Sprintf("%#v", opts),
		"%s":                fmt.Sprintf("%s", opts),
		"%d":                fmt.Sprintf("%d", opts),
		"%q password":       fmt.Sprintf("%q", opts.Password),
		"%x password":       fmt.Sprintf("%x", opts.Password),
		"%d password":       fmt.Sprintf("%d", opts.Password),
		"in a struct":       fmt.Sprintf("%+v", struct{ O jaeger.Options }{opts}),
		"slog":              slogOut.String(),
		"json of password":  string(passwordJSON),
		"String of options": opts.String(),
	}
	for how, out := range printed {
		for _, s := range secrets {
			if strings.Contains(out, s) {
				t.Errorf("%s shows secret %q: %s", how, s, out)
			}
		}
	}
	// Redacting must not hide what is not secret.
	for _, visible := range []string{"alice", "collector:14268", "[redacted]"} {
		if !strings.Contains(printed["%+v"], visible) {
			t.Errorf("%%+v hides %q: %s", visible, printed["%+v"])
		}
	}
	if fmt.Sprint(jaeger.Secret("")) != "" {
		t.Errorf("an empty Secret prints %q, want nothing", fmt.Sprint(jaeger.Secret("")))
	}

	// Errors: an invalid endpoint with credentials, and an invalid
	// setting alongside a password.
	for _, env := range []map[string]string{
		{"JAEGER_ENDPOINT": "ftp://bob:url-pass-456@c/api?apikey=query-secret-789", "JAEGER_USER": "alice", "JAEGER_PASSWORD": "env-pass-123"},
		{"JAEGER_ENDPOINT": "http://c/api", "JAEGER_PASSWORD": "env-pass-123"},
		{"JAEGER_ENDPOINT": "http://c/api", "JAEGER_USER": "alice", "JAEGER_PASSWORD": "env-pass-123", "JAEGER_AGENT_PORT": "x"},
	} {
		_, err := jaeger.Open(tracer.Config{Lookup: tracer.MapLookup(env)})
		if err == nil {
			t.Fatalf("Open(%v) gave no error", env)
		}
		for _, s := range secrets {
			if strings.Contains(err.Error(), s) {
				t.Errorf("error shows secret %q: %v", s, err)
			}
		}
	}
}
