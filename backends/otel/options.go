package otel

import (
	"crypto/tls"
	"fmt"
	"log"
	"math"
	"net/url"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/polytrace/polytrace/internal/envconf"
	"github.com/polytrace/polytrace/tracer"
)

// The settings this backend reads through tracer.Config.Get: the standard
// OpenTelemetry SDK variables. Where a variable exists in a general and a
// TRACES_ form, the TRACES_ one wins.
const (
	// EnvEndpoint is the collector's base URL. With http/protobuf or
	// http/json, /v1/traces is appended to its path; with grpc it is used
	// as is.
	EnvEndpoint = "OTEL_EXPORTER_OTLP_ENDPOINT"
	// EnvTracesEndpoint is the collector's URL for traces, used as is (an
	// empty path means "/").
	EnvTracesEndpoint = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
	// EnvProtocol is grpc, http/protobuf or http/json. Default
	// http/protobuf.
	EnvProtocol = "OTEL_EXPORTER_OTLP_PROTOCOL"
	// EnvTracesProtocol overrides EnvProtocol.
	EnvTracesProtocol = "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"
	// EnvHeaders lists headers sent with every export, as
	// key=value,key2=value2 with percent-encoded values. Values are
	// treated as secrets: never printed.
	EnvHeaders = "OTEL_EXPORTER_OTLP_HEADERS"
	// EnvTracesHeaders overrides EnvHeaders (as a whole, not key by key).
	EnvTracesHeaders = "OTEL_EXPORTER_OTLP_TRACES_HEADERS"
	// EnvInsecure, when true, turns TLS off for a grpc endpoint given
	// without a scheme (host:port). An endpoint's http:// or https://
	// scheme always decides.
	EnvInsecure = "OTEL_EXPORTER_OTLP_INSECURE"
	// EnvTracesInsecure overrides EnvInsecure.
	EnvTracesInsecure = "OTEL_EXPORTER_OTLP_TRACES_INSECURE"
	// EnvTimeout bounds each export request, in milliseconds. Default
	// 10000.
	EnvTimeout = "OTEL_EXPORTER_OTLP_TIMEOUT"
	// EnvTracesTimeout overrides EnvTimeout.
	EnvTracesTimeout = "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT"
	// EnvCompression is gzip or none. Default none.
	EnvCompression = "OTEL_EXPORTER_OTLP_COMPRESSION"
	// EnvTracesCompression overrides EnvCompression.
	EnvTracesCompression = "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION"

	// EnvServiceName names the service when tracer.Config.ServiceName
	// (TRACER_SERVICE_NAME) is empty.
	EnvServiceName = "OTEL_SERVICE_NAME"
	// EnvResourceAttributes lists resource attributes as
	// key=value,key2=value2 with percent-encoded values.
	EnvResourceAttributes = "OTEL_RESOURCE_ATTRIBUTES"

	// EnvSampler is always_on, always_off, traceidratio,
	// parentbased_always_on (the default), parentbased_always_off or
	// parentbased_traceidratio. TRACER_SAMPLE_RATE, when set, wins.
	EnvSampler = "OTEL_TRACES_SAMPLER"
	// EnvSamplerArg is the ratio of the traceidratio samplers, from 0 to
	// 1. Default 1.
	EnvSamplerArg = "OTEL_TRACES_SAMPLER_ARG"

	// EnvBSPScheduleDelay is the longest a finished span waits before its
	// batch is sent, in milliseconds. Default 5000.
	EnvBSPScheduleDelay = "OTEL_BSP_SCHEDULE_DELAY"
	// EnvBSPExportTimeout bounds one batch export with its retries, in
	// milliseconds. Default 30000.
	EnvBSPExportTimeout = "OTEL_BSP_EXPORT_TIMEOUT"
	// EnvBSPMaxQueueSize is how many finished spans may wait; more are
	// dropped. Default 2048.
	EnvBSPMaxQueueSize = "OTEL_BSP_MAX_QUEUE_SIZE"
	// EnvBSPMaxExportBatchSize is the most spans sent in one request, at
	// most the queue size. Default 512.
	EnvBSPMaxExportBatchSize = "OTEL_BSP_MAX_EXPORT_BATCH_SIZE"
)

// The protocols, as EnvProtocol takes them.
const (
	ProtocolGRPC         = "grpc"
	ProtocolHTTPProtobuf = "http/protobuf"
	ProtocolHTTPJSON     = "http/json"
)

// The compressions, as EnvCompression takes them.
const (
	CompressionGzip = "gzip"
	CompressionNone = "none"
)

// The sampler names, as EnvSampler takes them.
const (
	SamplerAlwaysOn                = "always_on"
	SamplerAlwaysOff               = "always_off"
	SamplerTraceIDRatio            = "traceidratio"
	SamplerParentBasedAlwaysOn     = "parentbased_always_on"
	SamplerParentBasedAlwaysOff    = "parentbased_always_off"
	SamplerParentBasedTraceIDRatio = "parentbased_traceidratio"
)

// Defaults for the zero values of [Options], those of the OpenTelemetry
// specification.
const (
	DefaultProtocol           = ProtocolHTTPProtobuf
	DefaultHTTPEndpoint       = "http://localhost:4318/v1/traces"
	DefaultGRPCEndpoint       = "http://localhost:4317"
	DefaultTimeout            = 10 * time.Second
	DefaultScheduleDelay      = 5 * time.Second
	DefaultExportTimeout      = 30 * time.Second
	DefaultMaxQueueSize       = 2048
	DefaultMaxExportBatchSize = 512
)

// tracesPath is appended to EnvEndpoint's path for the HTTP protocols.
const tracesPath = "v1/traces"

// maxMillis caps the millisecond settings (a day).
const maxMillis = 24 * 60 * 60 * 1000

// Options configure the backend. The zero value of every field means its
// default: OTLP over http/protobuf to [DefaultHTTPEndpoint], no headers, no
// compression, the parentbased_always_on sampler, the specification's
// batching, and W3C trace context plus baggage propagation.
//
// Printing Options with any fmt verb shows the header names but not their
// values, and JSON leaves the headers out.
type Options struct {
	// Protocol is ProtocolGRPC, ProtocolHTTPProtobuf or ProtocolHTTPJSON.
	Protocol string

	// Endpoint is where spans go. With the HTTP protocols, the full URL of
	// the traces endpoint (http://collector:4318/v1/traces); a URL with no
	// path at all gets /v1/traces, one with path "/" is used as is. With
	// grpc, http://host:port (plaintext), https://host:port (TLS) or
	// host:port (TLS unless Insecure). User information, query strings and
	// fragments are refused: credentials go in Headers.
	Endpoint string

	// Insecure turns TLS off for a grpc Endpoint given as host:port. A
	// scheme in Endpoint always decides.
	Insecure bool

	// Headers are sent with every export (HTTP headers or gRPC metadata),
	// typically credentials. Never printed.
	Headers map[string]string `json:"-"`

	// Timeout bounds each export request. Zero means [DefaultTimeout].
	Timeout time.Duration

	// Compression is CompressionGzip or CompressionNone ("" is none).
	Compression string

	// TLSConfig is used for https and TLS gRPC endpoints, for example to
	// trust a private certificate authority. Nil means the system's roots.
	TLSConfig *tls.Config `json:"-"`

	// ServiceName names the service when tracer.Config.ServiceName is
	// empty (OTEL_SERVICE_NAME).
	ServiceName string

	// ResourceAttributes describe the process (OTEL_RESOURCE_ATTRIBUTES).
	// tracer.Config.Tags are merged over them, key by key.
	ResourceAttributes map[string]string

	// Sampler decides which new traces are recorded. Nil means
	// parentbased_always_on. A tracer.Config.SampleRate, when set,
	// replaces it with parentbased_traceidratio at that rate.
	Sampler sdktrace.Sampler `json:"-"`

	// ScheduleDelay is the longest a finished span waits before its batch
	// is sent. Zero means [DefaultScheduleDelay].
	ScheduleDelay time.Duration
	// ExportTimeout bounds one batch export with its retries. Zero means
	// [DefaultExportTimeout].
	ExportTimeout time.Duration
	// MaxQueueSize is how many finished spans may wait; more are dropped.
	// Zero means [DefaultMaxQueueSize].
	MaxQueueSize int
	// MaxExportBatchSize is the most spans sent in one request. Zero
	// means [DefaultMaxExportBatchSize], or the queue size if smaller.
	MaxExportBatchSize int

	// Exporter, when set, receives the finished spans in place of the
	// OTLP exporter that Protocol, Endpoint and the other transport
	// fields describe (they are then unused), behind the same batching,
	// counting and shutdown: for a transport of one's own, or a benchmark
	// that keeps the network out. Stats count what it accepts.
	Exporter sdktrace.SpanExporter `json:"-"`

	// Propagator reads and writes span contexts for Inject and Extract
	// with the TextMap, HTTPHeaders and Binary formats. Nil means the
	// formats of tracer.Config.Propagation (TRACER_PROPAGATION) when set,
	// else W3C trace context and baggage (traceparent, tracestate,
	// baggage).
	Propagator propagation.TextMapPropagator `json:"-"`

	// Logger receives failed exports (at most one line a minute, with the
	// header values removed) and the OpenTracing bridge's warnings. Nil
	// means standard error.
	Logger *log.Logger `json:"-"`
}

// OptionsFromConfig reads the OTEL_* settings from cfg (through cfg.Get,
// never from the process environment). An invalid setting gives an error
// naming it, its value (never a header value, nor a URL's user information
// or query string) and what is accepted; it wraps tracer.ErrInvalidConfig.
// Propagator and Logger are left nil.
func OptionsFromConfig(cfg tracer.Config) (Options, error) {
	o, err := optionsFromConfig(cfg.Get)
	if err != nil {
		return Options{}, fmt.Errorf("otel: %w", err)
	}
	return o, nil
}

func optionsFromConfig(get envconf.Getter) (Options, error) {
	var (
		o   Options
		err error
	)
	protoVar := pick(get, EnvTracesProtocol, EnvProtocol)
	if o.Protocol, err = envconf.OneOf(get, protoVar, DefaultProtocol,
		ProtocolGRPC, ProtocolHTTPProtobuf, ProtocolHTTPJSON); err != nil {
		return Options{}, err
	}
	if o.Endpoint, err = endpointFromConfig(get, o.Protocol); err != nil {
		return Options{}, err
	}
	if o.Insecure, err = envconf.Bool(get, pick(get, EnvTracesInsecure, EnvInsecure), false); err != nil {
		return Options{}, err
	}
	if name := pick(get, EnvTracesHeaders, EnvHeaders); name != "" {
		s, _ := get(name)
		if o.Headers, err = parseHeaders(name, s); err != nil {
			return Options{}, err
		}
	}
	if o.Timeout, err = millis(get, pick(get, EnvTracesTimeout, EnvTimeout), DefaultTimeout); err != nil {
		return Options{}, err
	}
	if o.Compression, err = envconf.OneOf(get, pick(get, EnvTracesCompression, EnvCompression), CompressionNone,
		CompressionGzip, CompressionNone); err != nil {
		return Options{}, err
	}
	o.ServiceName, _ = get(EnvServiceName)
	if s, ok := get(EnvResourceAttributes); ok {
		if o.ResourceAttributes, err = parseAttributes(EnvResourceAttributes, s); err != nil {
			return Options{}, err
		}
	}
	if o.Sampler, err = samplerFromConfig(get); err != nil {
		return Options{}, err
	}
	if o.ScheduleDelay, err = millis(get, EnvBSPScheduleDelay, DefaultScheduleDelay); err != nil {
		return Options{}, err
	}
	if o.ExportTimeout, err = millis(get, EnvBSPExportTimeout, DefaultExportTimeout); err != nil {
		return Options{}, err
	}
	if o.MaxQueueSize, err = envconf.Int(get, EnvBSPMaxQueueSize, DefaultMaxQueueSize, 1, math.MaxInt32); err != nil {
		return Options{}, err
	}
	batchDefault := min(DefaultMaxExportBatchSize, o.MaxQueueSize)
	if o.MaxExportBatchSize, err = envconf.Int(get, EnvBSPMaxExportBatchSize, batchDefault, 1, o.MaxQueueSize); err != nil {
		return Options{}, err
	}
	return o, nil
}

// pick returns traces when it is set, else general when it is set, else
// "" (a name no Getter has set, so parsers return their default).
func pick(get envconf.Getter, traces, general string) string {
	if _, ok := get(traces); ok {
		return traces
	}
	if _, ok := get(general); ok {
		return general
	}
	return ""
}

// millis parses a positive whole number of milliseconds. An empty name
// (nothing set) gives def.
func millis(get envconf.Getter, name string, def time.Duration) (time.Duration, error) {
	s, ok := get(name)
	if name == "" || !ok {
		return def, nil
	}
	ms, err := strconv.Atoi(s)
	if err != nil || ms < 1 || ms > maxMillis {
		return def, envconf.Invalid(name, s, fmt.Sprintf("a whole number of milliseconds from 1 to %d", maxMillis))
	}
	return time.Duration(ms) * time.Millisecond, nil
}

// endpointFromConfig resolves the traces endpoint of protocol from the
// TRACES_ and general endpoint settings, as the specification says.
func endpointFromConfig(get envconf.Getter, protocol string) (string, error) {
	if s, ok := get(EnvTracesEndpoint); ok {
		e, err := parseEndpoint(EnvTracesEndpoint, s, protocol)
		if err != nil {
			return "", err
		}
		if protocol != ProtocolGRPC {
			if u, _ := url.Parse(e); u.Path == "" {
				e += "/" // the specification's root path; New would append /v1/traces
			}
		}
		return e, nil
	}
	if s, ok := get(EnvEndpoint); ok {
		e, err := parseEndpoint(EnvEndpoint, s, protocol)
		if err != nil || protocol == ProtocolGRPC {
			return e, err
		}
		u, _ := url.Parse(e)
		u.Path = path.Join("/", u.Path, tracesPath)
		u.RawPath = ""
		return u.String(), nil
	}
	if protocol == ProtocolGRPC {
		return DefaultGRPCEndpoint, nil
	}
	return DefaultHTTPEndpoint, nil
}

// parseEndpoint checks an endpoint for protocol and returns it trimmed.
// Errors name the setting and show the value without user information or
// query string.
func parseEndpoint(name, s, protocol string) (string, error) {
	s = strings.TrimSpace(s)
	want := "an absolute http:// or https:// URL without user information, query or fragment"
	if protocol == ProtocolGRPC {
		want = "http://host:port, https://host:port or host:port, without user information, path, query or fragment"
		if isHostPort(s) {
			return s, nil
		}
	}
	bad := &envconf.Error{Name: name, Value: envconf.Redact(s), Want: want}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Hostname() == "" ||
		u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || u.Opaque != "" {
		return "", bad
	}
	if protocol == ProtocolGRPC && u.Path != "" && u.Path != "/" {
		return "", bad
	}
	return s, nil
}

// isHostPort reports whether s is host:port with a numeric port and
// nothing else (no scheme, path or user information).
func isHostPort(s string) bool {
	if strings.ContainsAny(s, "/@?#") {
		return false
	}
	u, err := url.Parse("//" + s)
	if err != nil || u.Host != s || u.Hostname() == "" || u.Port() == "" {
		return false
	}
	p, err := strconv.Atoi(u.Port())
	return err == nil && p >= 1 && p <= 65535
}

// parseHeaders parses a headers setting: comma-separated key=value pairs,
// keys being HTTP header names, values percent-decoded. Errors never show
// the setting's value, only which entry is wrong and why.
func parseHeaders(name, value string) (map[string]string, error) {
	h := map[string]string{}
	for i, pair := range strings.Split(value, ",") {
		if strings.TrimSpace(pair) == "" {
			continue
		}
		bad := func(why string) error {
			return &envconf.Error{Name: name, Value: value, Secret: true,
				Want: fmt.Sprintf("comma-separated key=value pairs with percent-encoded values (entry %d %s)", i+1, why)}
		}
		k, v, ok := strings.Cut(pair, "=")
		k = strings.TrimSpace(k)
		if !ok {
			return nil, bad("has no '='")
		}
		if !validHeaderName(k) {
			return nil, bad("has no valid header name")
		}
		dv, err := url.PathUnescape(strings.TrimSpace(v))
		if err != nil {
			return nil, bad("has a malformed percent-encoding")
		}
		if strings.ContainsAny(dv, "\r\n\x00") {
			return nil, bad("has a line break or NUL in its value")
		}
		h[k] = dv
	}
	return h, nil
}

// validHeaderName reports whether k is an HTTP token (RFC 9110).
func validHeaderName(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// parseAttributes parses OTEL_RESOURCE_ATTRIBUTES: comma-separated
// key=value pairs with percent-encoded values.
func parseAttributes(name, value string) (map[string]string, error) {
	attrs := map[string]string{}
	for _, pair := range strings.Split(value, ",") {
		if strings.TrimSpace(pair) == "" {
			continue
		}
		k, v, ok := strings.Cut(pair, "=")
		k = strings.TrimSpace(k)
		dv, err := url.PathUnescape(strings.TrimSpace(v))
		if !ok || k == "" || err != nil {
			return nil, envconf.Invalid(name, value, "comma-separated key=value pairs with percent-encoded values, such as deployment.environment=prod,team=payments")
		}
		attrs[k] = dv
	}
	return attrs, nil
}

// samplerFromConfig reads OTEL_TRACES_SAMPLER and its argument.
func samplerFromConfig(get envconf.Getter) (sdktrace.Sampler, error) {
	name, err := envconf.OneOf(get, EnvSampler, SamplerParentBasedAlwaysOn,
		SamplerAlwaysOn, SamplerAlwaysOff, SamplerTraceIDRatio,
		SamplerParentBasedAlwaysOn, SamplerParentBasedAlwaysOff, SamplerParentBasedTraceIDRatio)
	if err != nil {
		return nil, err
	}
	ratio := 1.0
	if name == SamplerTraceIDRatio || name == SamplerParentBasedTraceIDRatio {
		if ratio, _, err = envconf.Float(get, EnvSamplerArg, 1, 0, 1); err != nil {
			return nil, err
		}
	}
	return namedSampler(name, ratio), nil
}

func namedSampler(name string, ratio float64) sdktrace.Sampler {
	switch name {
	case SamplerAlwaysOn:
		return sdktrace.AlwaysSample()
	case SamplerAlwaysOff:
		return sdktrace.NeverSample()
	case SamplerTraceIDRatio:
		return sdktrace.TraceIDRatioBased(ratio)
	case SamplerParentBasedAlwaysOff:
		return sdktrace.ParentBased(sdktrace.NeverSample())
	case SamplerParentBasedTraceIDRatio:
		return sdktrace.ParentBased(sdktrace.TraceIDRatioBased(ratio))
	default:
		return sdktrace.ParentBased(sdktrace.AlwaysSample())
	}
}

// settings are Options with defaults filled in and checked, as New uses
// them.
type settings struct {
	Options
	grpcTarget string // host:port, for grpc
	plaintext  bool   // no TLS
	httpURL    string // full traces URL, for the HTTP protocols
}

// resolve fills in o's defaults and checks it. Errors name the field
// (otel.Options.Endpoint) and never show a secret.
func (o Options) resolve() (settings, error) {
	s := settings{Options: o}
	s.Protocol = strings.ToLower(strings.TrimSpace(o.Protocol))
	switch s.Protocol {
	case "":
		s.Protocol = DefaultProtocol
	case ProtocolGRPC, ProtocolHTTPProtobuf, ProtocolHTTPJSON:
	default:
		return settings{}, envconf.Invalid("otel.Options.Protocol", o.Protocol,
			"one of "+ProtocolGRPC+", "+ProtocolHTTPProtobuf+", "+ProtocolHTTPJSON)
	}
	endpoint := strings.TrimSpace(o.Endpoint)
	if endpoint == "" {
		endpoint = DefaultHTTPEndpoint
		if s.Protocol == ProtocolGRPC {
			endpoint = DefaultGRPCEndpoint
		}
	}
	endpoint, err := parseEndpoint("otel.Options.Endpoint", endpoint, s.Protocol)
	if err != nil {
		return settings{}, err
	}
	if s.Protocol == ProtocolGRPC {
		if isHostPort(endpoint) {
			s.grpcTarget, s.plaintext = endpoint, o.Insecure
		} else {
			u, _ := url.Parse(endpoint)
			s.grpcTarget, s.plaintext = u.Host, u.Scheme == "http"
		}
	} else {
		u, _ := url.Parse(endpoint)
		if u.Path == "" {
			u.Path = "/" + tracesPath
		}
		s.httpURL, s.plaintext = u.String(), u.Scheme == "http"
	}
	s.Endpoint = endpoint

	for k, v := range o.Headers {
		if !validHeaderName(k) || strings.ContainsAny(v, "\r\n\x00") {
			return settings{}, &envconf.Error{Name: "otel.Options.Headers", Secret: true,
				Want: "HTTP header names with values free of line breaks and NUL"}
		}
	}
	if s.Timeout, err = envconf.OrDefault("otel.Options.Timeout", o.Timeout, DefaultTimeout); err != nil {
		return settings{}, err
	}
	switch c := strings.ToLower(strings.TrimSpace(o.Compression)); c {
	case "", CompressionNone:
		s.Compression = CompressionNone
	case CompressionGzip:
		s.Compression = c
	default:
		return settings{}, envconf.Invalid("otel.Options.Compression", o.Compression,
			"one of "+CompressionGzip+", "+CompressionNone)
	}
	for k := range o.ResourceAttributes {
		if strings.TrimSpace(k) == "" {
			return settings{}, envconf.Invalid("otel.Options.ResourceAttributes", "", "attribute keys that are not empty")
		}
	}
	if s.ScheduleDelay, err = envconf.OrDefault("otel.Options.ScheduleDelay", o.ScheduleDelay, DefaultScheduleDelay); err != nil {
		return settings{}, err
	}
	if s.ExportTimeout, err = envconf.OrDefault("otel.Options.ExportTimeout", o.ExportTimeout, DefaultExportTimeout); err != nil {
		return settings{}, err
	}
	switch {
	case o.MaxQueueSize < 0:
		return settings{}, envconf.Invalid("otel.Options.MaxQueueSize", strconv.Itoa(o.MaxQueueSize), "a positive number, or zero for the default")
	case o.MaxQueueSize == 0:
		s.MaxQueueSize = DefaultMaxQueueSize
	}
	switch {
	case o.MaxExportBatchSize < 0 || o.MaxExportBatchSize > s.MaxQueueSize:
		return settings{}, envconf.Invalid("otel.Options.MaxExportBatchSize", strconv.Itoa(o.MaxExportBatchSize),
			fmt.Sprintf("a number from 1 to the queue size (%d), or zero for the default", s.MaxQueueSize))
	case o.MaxExportBatchSize == 0:
		s.MaxExportBatchSize = min(DefaultMaxExportBatchSize, s.MaxQueueSize)
	}
	return s, nil
}

// Format prints o for every fmt verb with header values redacted.
func (o Options) Format(f fmt.State, verb rune) {
	keys := make([]string, 0, len(o.Headers))
	for k := range o.Headers {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	headers := make([]string, len(keys))
	for i, k := range keys {
		headers[i] = k + ":[redacted]"
	}
	sampler := "<nil>"
	if o.Sampler != nil {
		sampler = o.Sampler.Description()
	}
	fmt.Fprintf(f, "otel.Options{Protocol:%q Endpoint:%q Insecure:%t Headers:map[%s] Timeout:%s Compression:%q "+
		"ServiceName:%q ResourceAttributes:%v Sampler:%s ScheduleDelay:%s ExportTimeout:%s MaxQueueSize:%d MaxExportBatchSize:%d}",
		o.Protocol, envconf.Redact(o.Endpoint), o.Insecure, strings.Join(headers, " "), o.Timeout, o.Compression,
		o.ServiceName, o.ResourceAttributes, sampler, o.ScheduleDelay, o.ExportTimeout, o.MaxQueueSize, o.MaxExportBatchSize)
}
