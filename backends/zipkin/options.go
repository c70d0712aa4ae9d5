package zipkin

import (
	"fmt"
	"io"
	"log"
	"log/slog"
	"time"

	"github.com/polytrace/polytrace/internal/envconf"
	"github.com/polytrace/polytrace/tracer"
)

// The settings this backend reads through tracer.Config.Get.
const (
	// EnvEndpoint is the collector's span endpoint, an http or https URL
	// taking Zipkin's JSON v2 format. Default [DefaultEndpoint].
	EnvEndpoint = "ZIPKIN_ENDPOINT"
	// EnvTimeout bounds each request to the collector: a Go duration.
	// Default [DefaultTimeout].
	EnvTimeout = "ZIPKIN_TIMEOUT"
	// EnvBatchInterval is the longest a finished span waits before it is
	// sent: a Go duration. Default [DefaultBatchInterval].
	EnvBatchInterval = "ZIPKIN_BATCH_INTERVAL"
	// EnvEncoding selects how spans are encoded: json (the default) or
	// proto3.
	EnvEncoding = "ZIPKIN_ENCODING"
)

// The span encodings of Zipkin's v2 API, as ZIPKIN_ENCODING names them.
const (
	// EncodingJSON is JSON v2 (Content-Type application/json), which
	// every Zipkin-compatible collector takes.
	EncodingJSON = "json"
	// EncodingProto3 is Zipkin's proto3 ListOfSpans (Content-Type
	// application/x-protobuf), taken by Zipkin 2.8 and later, Jaeger's
	// Zipkin receiver and the OpenTelemetry Collector's: cheaper to encode
	// and to decode.
	EncodingProto3 = "proto3"
)

// Defaults for the zero values of [Options].
const (
	DefaultEndpoint      = "http://localhost:9411/api/v2/spans"
	DefaultTimeout       = 5 * time.Second
	DefaultBatchInterval = time.Second
)

// Options configure the backend. The zero value reports to
// [DefaultEndpoint] with the default timeout and batch interval.
type Options struct {
	// Endpoint is the collector's span endpoint (JSON v2 over HTTP), such
	// as http://zipkin:9411/api/v2/spans. User information in it is sent
	// as basic authentication. Empty means [DefaultEndpoint].
	Endpoint string

	// Timeout bounds each request to the collector. Zero means
	// [DefaultTimeout].
	Timeout time.Duration

	// BatchInterval is the longest a finished span waits before it is
	// sent; a batch of 100 spans is sent at once. Zero means
	// [DefaultBatchInterval].
	BatchInterval time.Duration

	// Encoding is [EncodingJSON] or [EncodingProto3]. Empty means JSON.
	Encoding string

	// Logger receives the reporter's complaints: failed requests and spans
	// dropped because more than 1000 were waiting. Nil means standard
	// error. The endpoint's user information and query string never
	// appear in them.
	Logger *log.Logger
}

// OptionsFromConfig reads the ZIPKIN_* settings from cfg. An invalid
// setting gives an error naming it, its value (with any user information
// and query string left out) and what is accepted; it wraps
// tracer.ErrInvalidConfig.
func OptionsFromConfig(cfg tracer.Config) (Options, error) {
	var (
		opts Options
		err  error
	)
	if opts.Endpoint, err = envconf.URL(cfg.Get, EnvEndpoint, DefaultEndpoint); err != nil {
		return Options{}, err
	}
	if opts.Timeout, err = envconf.Duration(cfg.Get, EnvTimeout, DefaultTimeout); err != nil {
		return Options{}, err
	}
	if opts.BatchInterval, err = envconf.Duration(cfg.Get, EnvBatchInterval, DefaultBatchInterval); err != nil {
		return Options{}, err
	}
	if opts.Encoding, err = envconf.OneOf(cfg.Get, EnvEncoding, EncodingJSON, EncodingJSON, EncodingProto3); err != nil {
		return Options{}, err
	}
	return opts, nil
}

// String describes o with the endpoint's user information and query
// string redacted: they may hold credentials.
func (o Options) String() string {
	endpoint := o.Endpoint
	if endpoint != "" {
		endpoint = envconf.Redact(endpoint)
	}
	logger := "<nil>"
	if o.Logger != nil {
		logger = "set"
	}
	return fmt.Sprintf("zipkin.Options{Endpoint:%q Timeout:%s BatchInterval:%s Logger:%s}", endpoint, o.Timeout, o.BatchInterval, logger)
}

// Format prints [Options.String] whatever the verb, so that no verb
// reveals a credential.
func (o Options) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, o.String()) }

// LogValue implements slog.LogValuer with [Options.String].
func (o Options) LogValue() slog.Value { return slog.StringValue(o.String()) }
