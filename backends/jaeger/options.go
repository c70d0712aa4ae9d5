package jaeger

import (
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	jaegerclient "github.com/uber/jaeger-client-go"
	"github.com/uber/jaeger-lib/metrics"

	"github.com/polytrace/polytrace/internal/envconf"
	"github.com/polytrace/polytrace/tracer"
)

// The settings read by [OptionsFromConfig], under the names jaeger-client-go's
// config.FromEnv gives them.
const (
	envDisabled                 = "JAEGER_DISABLED"
	envRPCMetrics               = "JAEGER_RPC_METRICS"
	envTags                     = "JAEGER_TAGS"
	envTraceID128Bit            = "JAEGER_TRACEID_128BIT"
	envSamplerType              = "JAEGER_SAMPLER_TYPE"
	envSamplerParam             = "JAEGER_SAMPLER_PARAM"
	envSamplingEndpoint         = "JAEGER_SAMPLING_ENDPOINT"
	envSamplerManagerHostPort   = "JAEGER_SAMPLER_MANAGER_HOST_PORT" // deprecated by JAEGER_SAMPLING_ENDPOINT
	envSamplerMaxOperations     = "JAEGER_SAMPLER_MAX_OPERATIONS"
	envSamplerRefreshInterval   = "JAEGER_SAMPLER_REFRESH_INTERVAL"
	envReporterMaxQueueSize     = "JAEGER_REPORTER_MAX_QUEUE_SIZE"
	envReporterFlushInterval    = "JAEGER_REPORTER_FLUSH_INTERVAL"
	envReporterLogSpans         = "JAEGER_REPORTER_LOG_SPANS"
	envReconnectingDisabled     = "JAEGER_REPORTER_ATTEMPT_RECONNECTING_DISABLED"
	envReconnectInterval        = "JAEGER_REPORTER_ATTEMPT_RECONNECT_INTERVAL"
	envEndpoint                 = "JAEGER_ENDPOINT"
	envUser                     = "JAEGER_USER"
	envPassword                 = "JAEGER_PASSWORD"
	envAgentHost                = "JAEGER_AGENT_HOST"
	envAgentPort                = "JAEGER_AGENT_PORT"
	defaultAgentHost            = "localhost"
	defaultAgentPort            = 6831
	defaultSamplingPort         = 5778
	defaultRemoteInitialRate    = 0.001 // the client's defaultSamplingProbability
	defaultSamplerMaxOperations = 2000
	defaultSamplerRefresh       = time.Minute
	defaultQueueSize            = tracer.DefaultQueueSize
	maxQueueSize                = tracer.MaxQueueSize
	defaultFlushInterval        = time.Second
	defaultReconnectInterval    = 30 * time.Second
)

// The sampler types JAEGER_SAMPLER_TYPE accepts, lower case.
const (
	SamplerConst         = "const"
	SamplerProbabilistic = "probabilistic"
	SamplerRateLimiting  = "ratelimiting"
	SamplerRemote        = "remote"
)

var samplerTypes = []string{SamplerConst, SamplerProbabilistic, SamplerRateLimiting, SamplerRemote}

// Options are the Jaeger-specific settings. [OptionsFromConfig] reads them
// from the JAEGER_* variables named on each field and fills in every
// default, so a printed Options shows what the tracer will do. Programs
// that configure in code may build one directly and pass it to [New]; zero
// fields then take the same defaults.
//
// Printing an Options (fmt's %v, %+v, %#v, %s, or slog) redacts the
// password and any credentials or query string in the endpoint URLs.
type Options struct {
	// Disabled makes the tracer opentracing.NoopTracer (JAEGER_DISABLED).
	Disabled bool

	// RPCMetrics emits the client's per-endpoint RPC metrics to Metrics
	// (JAEGER_RPC_METRICS).
	RPCMetrics bool

	// Metrics receives the client's metrics (spans started, reported,
	// dropped; RPC metrics). Nil discards them. Set in code only.
	Metrics metrics.Factory

	// Tags are process tags (JAEGER_TAGS, with ${VAR:default} references
	// expanded). tracer.Config.Tags win over them key by key.
	Tags map[string]string

	// TraceID128Bit makes new traces use 128-bit ids (JAEGER_TRACEID_128BIT).
	TraceID128Bit bool

	// SamplerType is "" (not set), const, probabilistic, ratelimiting or
	// remote (JAEGER_SAMPLER_TYPE). It is used only when
	// tracer.Config.SampleRate is nil; when both are unset every trace is
	// sampled.
	SamplerType string

	// SamplerParam is the sampler's parameter (JAEGER_SAMPLER_PARAM): 0 or
	// 1 for const, a probability from 0 to 1 for probabilistic, traces per
	// second for ratelimiting, and the initial probability for remote.
	SamplerParam float64

	// SamplingEndpoint is the URL the remote sampler polls
	// (JAEGER_SAMPLING_ENDPOINT, or the deprecated
	// JAEGER_SAMPLER_MANAGER_HOST_PORT). Empty means
	// http://AgentHost:5778/sampling.
	SamplingEndpoint string

	// SamplerMaxOperations bounds the operations the remote sampler tracks
	// (JAEGER_SAMPLER_MAX_OPERATIONS). Zero means 2000.
	SamplerMaxOperations int

	// SamplerRefreshInterval is how often the remote sampler polls
	// (JAEGER_SAMPLER_REFRESH_INTERVAL). Zero means 1m.
	SamplerRefreshInterval time.Duration

	// QueueSize is how many finished spans wait for sending before new ones
	// are dropped (JAEGER_REPORTER_MAX_QUEUE_SIZE). Zero means
	// tracer.DefaultQueueSize (2048; the client's own default is 100).
	// tracer.Config.QueueSize (TRACER_QUEUE_SIZE) wins over it.
	QueueSize int

	// FlushInterval is how often buffered spans are sent even when a batch
	// is not full (JAEGER_REPORTER_FLUSH_INTERVAL). Zero means 1s.
	FlushInterval time.Duration

	// LogSpans also logs every reported span through the standard log
	// package (JAEGER_REPORTER_LOG_SPANS).
	LogSpans bool

	// AgentHost and AgentPort address the Jaeger agent that receives spans
	// as compact thrift over UDP, unless Endpoint is set (JAEGER_AGENT_HOST,
	// JAEGER_AGENT_PORT). Empty and zero mean localhost and 6831.
	AgentHost string
	AgentPort int

	// DisableAttemptReconnecting stops the UDP sender from re-resolving
	// AgentHost periodically (JAEGER_REPORTER_ATTEMPT_RECONNECTING_DISABLED).
	DisableAttemptReconnecting bool

	// AttemptReconnectInterval is how often AgentHost is re-resolved
	// (JAEGER_REPORTER_ATTEMPT_RECONNECT_INTERVAL). Zero means 30s.
	AttemptReconnectInterval time.Duration

	// Endpoint is the collector URL, such as
	// http://jaeger-collector:14268/api/traces. When set, spans go there
	// over HTTP (binary thrift) instead of to the agent (JAEGER_ENDPOINT).
	Endpoint string

	// User and Password are sent as HTTP basic auth to Endpoint
	// (JAEGER_USER, JAEGER_PASSWORD); set both or neither.
	User     string
	Password Secret

	// Sender, when set, receives the finished spans from the client's
	// reporter queue in place of the agent or collector, which are then not
	// used: for a custom transport, or an in-process sink such as the one
	// the benchmarks use so that no network is timed. Shutdown closes it.
	// Set in code only.
	Sender jaegerclient.Transport
}

// Secret is a string that never prints: fmt, slog and encoding/json show
// "[redacted]" instead of a non-empty value. Convert with string(s) to use
// the value.
type Secret string

const redacted = "[redacted]"

// String returns "[redacted]", or "" for an empty secret.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// Format prints [Secret.String] whatever the verb, so no verb reveals the
// value.
func (s Secret) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, s.String()) }

// MarshalText encodes the secret as [Secret.String].
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// LogValue implements slog.LogValuer.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// String describes o with secrets redacted.
func (o Options) String() string {
	type plain Options // the same fields without the methods
	p := plain(o)
	p.Endpoint = redactURL(p.Endpoint)
	p.SamplingEndpoint = redactURL(p.SamplingEndpoint)
	return fmt.Sprintf("jaeger.Options%+v", p)
}

// Format prints [Options.String] whatever the verb.
func (o Options) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, o.String()) }

// LogValue implements slog.LogValuer with [Options.String].
func (o Options) LogValue() slog.Value { return slog.StringValue(o.String()) }

func redactURL(s string) string {
	if s == "" {
		return ""
	}
	return envconf.Redact(s)
}

// OptionsFromConfig reads the JAEGER_* settings through cfg.Get. Unset
// settings take their defaults. An invalid setting gives an error naming
// it, its value (never a password's) and what is accepted, wrapping
// tracer.ErrInvalidConfig.
func OptionsFromConfig(cfg tracer.Config) (Options, error) {
	o, err := optionsFromConfig(cfg)
	if err != nil {
		return Options{}, fmt.Errorf("jaeger: %w", err)
	}
	return o, nil
}

func optionsFromConfig(cfg tracer.Config) (o Options, err error) {
	get := envconf.Getter(cfg.Get)

	if o.Disabled, err = envconf.Bool(get, envDisabled, false); err != nil {
		return o, err
	}
	if o.RPCMetrics, err = envconf.Bool(get, envRPCMetrics, false); err != nil {
		return o, err
	}
	if o.TraceID128Bit, err = envconf.Bool(get, envTraceID128Bit, false); err != nil {
		return o, err
	}
	if s, ok := get(envTags); ok {
		if o.Tags, err = parseTags(s, get); err != nil {
			return o, err
		}
	}

	if err = readSampler(cfg, get, &o); err != nil {
		return o, err
	}

	if o.QueueSize, err = envconf.Int(get, envReporterMaxQueueSize, defaultQueueSize, 1, maxQueueSize); err != nil {
		return o, err
	}
	if o.FlushInterval, err = envconf.Duration(get, envReporterFlushInterval, defaultFlushInterval); err != nil {
		return o, err
	}
	if o.LogSpans, err = envconf.Bool(get, envReporterLogSpans, false); err != nil {
		return o, err
	}

	// Checked even when JAEGER_ENDPOINT makes them unused: a typo should
	// not wait for the day the endpoint is removed to surface.
	o.AgentHost, _ = get(envAgentHost)
	if o.AgentPort, err = envconf.Int(get, envAgentPort, defaultAgentPort, 1, 65535); err != nil {
		return o, err
	}
	if o.DisableAttemptReconnecting, err = envconf.Bool(get, envReconnectingDisabled, false); err != nil {
		return o, err
	}
	if o.AttemptReconnectInterval, err = envconf.Duration(get, envReconnectInterval, defaultReconnectInterval); err != nil {
		return o, err
	}

	if o.Endpoint, err = envconf.URL(get, envEndpoint, ""); err != nil {
		return o, err
	}
	user, _ := get(envUser)
	password, _ := get(envPassword)
	o.User, o.Password = user, Secret(password)
	o = o.withDefaults()
	return o, o.validate()
}

// readSampler reads the JAEGER_SAMPLER_* settings into o.
func readSampler(cfg tracer.Config, get envconf.Getter, o *Options) (err error) {
	if o.SamplerType, err = envconf.OneOf(get, envSamplerType, "", samplerTypes...); err != nil {
		return err
	}
	if s, ok := get(envSamplerParam); ok {
		if o.SamplerType == "" && cfg.SampleRate == nil {
			// jaeger-client-go would start a remote sampler at this rate;
			// sampling everything instead would be a silent surprise.
			return envconf.Invalid(envSamplerType, "",
				"one of "+strings.Join(samplerTypes, ", ")+" whenever JAEGER_SAMPLER_PARAM is set")
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || !paramValid(o.SamplerType, v) {
			return envconf.Invalid(envSamplerParam, s, paramWant(o.SamplerType))
		}
		o.SamplerParam = v
	} else {
		switch o.SamplerType {
		case SamplerConst:
			o.SamplerParam = 1
		case SamplerRemote:
			o.SamplerParam = defaultRemoteInitialRate
		case SamplerProbabilistic, SamplerRateLimiting:
			return envconf.Invalid(envSamplerParam, "", paramWant(o.SamplerType)+" (required with JAEGER_SAMPLER_TYPE="+o.SamplerType+")")
		}
	}

	endpoint, err := envconf.URL(get, envSamplingEndpoint, "")
	if err != nil {
		return err
	}
	if endpoint == "" {
		if endpoint, err = envconf.URL(get, envSamplerManagerHostPort, ""); err != nil {
			return err
		}
	}
	o.SamplingEndpoint = endpoint
	if o.SamplerMaxOperations, err = envconf.Int(get, envSamplerMaxOperations, defaultSamplerMaxOperations, 1, math.MaxInt32); err != nil {
		return err
	}
	if o.SamplerRefreshInterval, err = envconf.Duration(get, envSamplerRefreshInterval, defaultSamplerRefresh); err != nil {
		return err
	}
	return nil
}

func paramValid(samplerType string, v float64) bool {
	switch samplerType {
	case SamplerConst:
		return v == 0 || v == 1
	case SamplerRateLimiting:
		return v > 0 && !math.IsInf(v, 0)
	default: // probabilistic, remote, and "" (unused)
		return v >= 0 && v <= 1
	}
}

func paramWant(samplerType string) string {
	switch samplerType {
	case SamplerConst:
		return "0 or 1 with JAEGER_SAMPLER_TYPE=const"
	case SamplerRateLimiting:
		return "a positive number of traces per second with JAEGER_SAMPLER_TYPE=ratelimiting"
	case SamplerRemote:
		return "an initial sampling probability from 0 to 1 with JAEGER_SAMPLER_TYPE=remote"
	default:
		return "a sampling probability from 0 to 1 with JAEGER_SAMPLER_TYPE=probabilistic"
	}
}

// parseTags parses JAEGER_TAGS: comma-separated key=value pairs whose
// value may be ${VAR} or ${VAR:default}, expanded through get. Blank
// entries (a trailing comma) are skipped. Unlike jaeger-client-go, which
// panics on an entry without "=", a malformed entry is an error.
func parseTags(value string, get envconf.Getter) (map[string]string, error) {
	const want = "comma-separated key=value pairs, each value literal or ${VAR:default}, such as env=prod,host=${HOSTNAME:unknown}"
	tags := map[string]string{}
	for _, entry := range strings.Split(value, ",") {
		if strings.TrimSpace(entry) == "" {
			continue
		}
		k, v, ok := strings.Cut(entry, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" {
			return nil, envconf.Invalid(envTags, value, want)
		}
		if strings.HasPrefix(v, "${") {
			if !strings.HasSuffix(v, "}") {
				return nil, envconf.Invalid(envTags, value, want)
			}
			name, def, _ := strings.Cut(v[2:len(v)-1], ":")
			name = strings.TrimSpace(name)
			if name == "" {
				return nil, envconf.Invalid(envTags, value, want)
			}
			if env, ok := get(name); ok {
				v = env
			} else {
				v = def
			}
		}
		tags[k] = v
	}
	return tags, nil
}

// validHost reports whether h is an IP address (bracketed or not) or a
// DNS name, with no port, scheme or path.
func validHost(h string) bool {
	if net.ParseIP(strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")) != nil {
		return true
	}
	if len(h) > 253 {
		return false
	}
	for _, r := range h {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '.', r == '_':
		default:
			return false
		}
	}
	return strings.Trim(h, ".") != ""
}

func defaultSamplingEndpoint(agentHost string) string {
	host := strings.TrimSuffix(strings.TrimPrefix(agentHost, "["), "]")
	return "http://" + net.JoinHostPort(host, strconv.Itoa(defaultSamplingPort)) + "/sampling"
}

// withDefaults fills the zero fields of o with their defaults.
func (o Options) withDefaults() Options {
	o.SamplerType = strings.ToLower(strings.TrimSpace(o.SamplerType))
	if o.AgentHost == "" {
		o.AgentHost = defaultAgentHost
	}
	if o.AgentPort == 0 {
		o.AgentPort = defaultAgentPort
	}
	if o.SamplingEndpoint == "" {
		o.SamplingEndpoint = defaultSamplingEndpoint(o.AgentHost)
	}
	if o.SamplerMaxOperations == 0 {
		o.SamplerMaxOperations = defaultSamplerMaxOperations
	}
	if o.SamplerRefreshInterval == 0 {
		o.SamplerRefreshInterval = defaultSamplerRefresh
	}
	if o.QueueSize == 0 {
		o.QueueSize = defaultQueueSize
	}
	if o.FlushInterval == 0 {
		o.FlushInterval = defaultFlushInterval
	}
	if o.AttemptReconnectInterval == 0 {
		o.AttemptReconnectInterval = defaultReconnectInterval
	}
	return o
}

// validate checks o, whose defaults are filled in. Errors name the
// variable each field stands for.
func (o Options) validate() error {
	num := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	switch {
	case o.SamplerType != "" && !contains(samplerTypes, o.SamplerType):
		return envconf.Invalid(envSamplerType, o.SamplerType, "one of "+strings.Join(samplerTypes, ", "))
	case o.SamplerType != "" && !paramValid(o.SamplerType, o.SamplerParam):
		return envconf.Invalid(envSamplerParam, num(o.SamplerParam), paramWant(o.SamplerType))
	case o.SamplerMaxOperations < 1 || o.SamplerMaxOperations > math.MaxInt32:
		return envconf.Invalid(envSamplerMaxOperations, strconv.Itoa(o.SamplerMaxOperations), fmt.Sprintf("an integer from 1 to %d", math.MaxInt32))
	case o.SamplerRefreshInterval < 0:
		return envconf.Invalid(envSamplerRefreshInterval, o.SamplerRefreshInterval.String(), "a positive Go duration such as 500ms, 5s or 1m")
	case o.QueueSize < 1 || o.QueueSize > maxQueueSize:
		return envconf.Invalid(envReporterMaxQueueSize, strconv.Itoa(o.QueueSize), fmt.Sprintf("an integer from 1 to %d", maxQueueSize))
	case o.FlushInterval < 0:
		return envconf.Invalid(envReporterFlushInterval, o.FlushInterval.String(), "a positive Go duration such as 500ms, 5s or 1m")
	case o.AttemptReconnectInterval < 0:
		return envconf.Invalid(envReconnectInterval, o.AttemptReconnectInterval.String(), "a positive Go duration such as 500ms, 5s or 1m")
	case !validHost(o.AgentHost):
		return envconf.Invalid(envAgentHost, o.AgentHost, "a host name or IP address, without a port")
	case o.AgentPort < 1 || o.AgentPort > 65535:
		return envconf.Invalid(envAgentPort, strconv.Itoa(o.AgentPort), "an integer from 1 to 65535")
	}
	if err := checkURL(envEndpoint, o.Endpoint); err != nil {
		return err
	}
	if o.SamplerType == SamplerRemote {
		if err := checkURL(envSamplingEndpoint, o.SamplingEndpoint); err != nil {
			return err
		}
	}
	if o.Endpoint != "" && (o.User == "") != (o.Password == "") {
		if o.User == "" {
			return envconf.Invalid(envUser, "", "a user name whenever JAEGER_PASSWORD and JAEGER_ENDPOINT are set")
		}
		return envconf.Invalid(envPassword, "", "a password whenever JAEGER_USER and JAEGER_ENDPOINT are set")
	}
	return nil
}

func checkURL(name, value string) error {
	if value == "" {
		return nil
	}
	_, err := envconf.URL(func(string) (string, bool) { return value, true }, name, "")
	return err
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// mergedTags returns jaegerTags overlaid with the portable tags (which win
// key by key), as key-sorted pairs.
func mergedTags(jaegerTags, portable map[string]string) [][2]string {
	all := make(map[string]string, len(jaegerTags)+len(portable))
	for k, v := range jaegerTags {
		all[k] = v
	}
	for k, v := range portable {
		all[k] = v
	}
	keys := make([]string, 0, len(all))
	for k := range all {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	pairs := make([][2]string, len(keys))
	for i, k := range keys {
		pairs[i] = [2]string{k, all[k]}
	}
	return pairs
}
