package tracer

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/polytrace/polytrace/internal/envconf"
	"github.com/polytrace/polytrace/propagation"
)

// DefaultFlushTimeout bounds how long closing a tracer waits for buffered
// spans to reach the collector when [Config.FlushTimeout] is zero.
const DefaultFlushTimeout = 5 * time.Second

// ErrInvalidConfig is wrapped by every error that reports an invalid
// configuration value, so callers can tell configuration mistakes from
// other failures with errors.Is.
var ErrInvalidConfig = envconf.ErrInvalid

// Config is the backend-independent configuration every backend honours.
// The zero value is valid: service named after the executable, every trace
// sampled, no extra tags, no backend-specific settings.
type Config struct {
	// ServiceName names the process in every span it reports. Empty means
	// the executable's base name (see [DefaultServiceName]).
	ServiceName string

	// SampleRate is the fraction of new traces to sample, from 0 to 1. Nil
	// means "not set": sample everything, unless a backend-specific sampler
	// setting (such as JAEGER_SAMPLER_TYPE) says otherwise. Use [Rate] to
	// set it from a literal.
	SampleRate *float64

	// Tags are added to every span, or to the process or resource where the
	// backend has one.
	Tags map[string]string

	// FlushTimeout bounds the final flush when the tracer is closed. Zero
	// means [DefaultFlushTimeout].
	FlushTimeout time.Duration

	// Lookup returns backend-specific settings by their environment
	// variable names (for example JAEGER_ENDPOINT). Nil means none is set.
	Lookup LookupFunc

	// QueueSize bounds how many finished spans wait to be sent; more are
	// dropped and counted (see [Stats]). Each backend maps it onto its
	// client's own setting. Zero means "not set": the backend's own
	// setting if any (JAEGER_REPORTER_MAX_QUEUE_SIZE), else
	// [DefaultQueueSize].
	QueueSize int

	// Strict makes opening the tracer fail when the collector cannot be
	// reached (see [Instance.Ping]). By default an unreachable collector
	// never stops a service from starting: spans wait in the queue, and
	// the client retries in the background.
	Strict bool

	// Propagation lists the wire formats used to inject and extract span
	// contexts in text maps and HTTP headers (TRACER_PROPAGATION). Empty
	// means the backend's native format. Backends that have a
	// [Instance.Converter] leave it to [Ready], which wraps their tracer;
	// others (otel) apply it themselves.
	Propagation propagation.Formats
}

// Validate reports the first invalid field of c, naming the variable
// that sets it (TRACER_SAMPLE_RATE, TRACER_QUEUE_SIZE,
// TRACER_FLUSH_TIMEOUT, TRACER_TAGS), its value and what is accepted; the
// error wraps [ErrInvalidConfig]. [Registry.Open] and every backend's
// New call it, so a backend's OpenFunc is only ever given a valid
// configuration.
func (c Config) Validate() error {
	if r := c.SampleRate; r != nil && !(*r >= 0 && *r <= 1) { // NaN too
		return envconf.Invalid(envconf.EnvSampleRate, strconv.FormatFloat(*r, 'g', -1, 64), "a number from 0 to 1")
	}
	if q := c.QueueSize; q < 0 || q > MaxQueueSize {
		return envconf.Invalid(envconf.EnvQueueSize, strconv.Itoa(q), fmt.Sprintf("an integer from 1 to %d", MaxQueueSize))
	}
	if c.FlushTimeout < 0 {
		return envconf.Invalid(envconf.EnvFlushTimeout, c.FlushTimeout.String(), "a positive Go duration such as 5s")
	}
	for k := range c.Tags {
		if strings.TrimSpace(k) == "" {
			return envconf.Invalid(envconf.EnvTags, "="+c.Tags[k], "tags with non-empty keys")
		}
	}
	return nil
}

// Queue returns the queue bound a backend uses: QueueSize when it is
// positive, else own (the backend's own setting, such as
// JAEGER_REPORTER_MAX_QUEUE_SIZE; zero if it has none), else
// [DefaultQueueSize].
func (c Config) Queue(own int) int {
	switch {
	case c.QueueSize > 0:
		return c.QueueSize
	case own > 0:
		return own
	}
	return DefaultQueueSize
}

// LookupFunc returns the value of a named setting and whether it is set.
// os.LookupEnv is one.
type LookupFunc func(name string) (value string, ok bool)

// MapLookup returns a LookupFunc that reads settings from m, for programs
// that configure backends in code rather than through the environment.
func MapLookup(m map[string]string) LookupFunc {
	return func(name string) (string, bool) {
		v, ok := m[name]
		return v, ok
	}
}

// Rate returns a pointer to r, for setting [Config.SampleRate] in a literal.
func Rate(r float64) *float64 { return &r }

// Get returns the backend-specific setting name, trimmed of surrounding
// space, and whether it is set to a non-empty value.
func (c Config) Get(name string) (string, bool) {
	if c.Lookup == nil {
		return "", false
	}
	v, ok := c.Lookup(name)
	v = strings.TrimSpace(v)
	return v, ok && v != ""
}

// Service returns ServiceName, or [DefaultServiceName] when it is empty.
func (c Config) Service() string {
	if c.ServiceName != "" {
		return c.ServiceName
	}
	return DefaultServiceName()
}

// Flush returns FlushTimeout, or [DefaultFlushTimeout] when it is zero or
// negative.
func (c Config) Flush() time.Duration {
	if c.FlushTimeout > 0 {
		return c.FlushTimeout
	}
	return DefaultFlushTimeout
}

// DefaultServiceName is the service name used when none is configured: the
// base name of the running executable, or "unknown_service" when that cannot
// be determined (the OpenTelemetry convention).
func DefaultServiceName() string {
	exe, err := os.Executable()
	if err != nil || exe == "" {
		return "unknown_service"
	}
	name := strings.TrimSuffix(filepath.Base(exe), filepath.Ext(exe))
	if name == "" || name == "." || name == string(filepath.Separator) {
		return "unknown_service"
	}
	return name
}
