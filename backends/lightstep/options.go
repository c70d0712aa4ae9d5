package lightstep

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	lsgo "github.com/lightstep/lightstep-tracer-go"

	"github.com/polytrace/polytrace/internal/envconf"
	"github.com/polytrace/polytrace/tracer"
)

// The settings this backend reads through [tracer.Config.Get].
const (
	// EnvAccessToken is the Lightstep project's access token. Required;
	// its value never appears in an error, a log line or printed Options.
	EnvAccessToken = "LIGHTSTEP_ACCESS_TOKEN"
	// EnvCollectorHost is the collector's (or satellite's) host name or IP
	// address, without scheme, port or path. Default [DefaultCollectorHost].
	EnvCollectorHost = "LIGHTSTEP_COLLECTOR_HOST"
	// EnvCollectorPort is the collector's port. Default 443.
	EnvCollectorPort = "LIGHTSTEP_COLLECTOR_PORT"
	// EnvCollectorPlaintext, when true, talks to the collector without TLS
	// (http:// or insecure gRPC). Default false.
	EnvCollectorPlaintext = "LIGHTSTEP_COLLECTOR_PLAINTEXT"
	// EnvTransport is http or grpc. Default http.
	EnvTransport = "LIGHTSTEP_TRANSPORT"
)

// The transports, as EnvTransport takes them.
const (
	// TransportHTTP posts protobuf reports to /api/v2/reports.
	TransportHTTP = "http"
	// TransportGRPC calls lightstep.collector.CollectorService/Report.
	TransportGRPC = "grpc"
)

// Defaults. lightstep-tracer-go v0.26.0 sends both transports to the same
// default host, collector-grpc.lightstep.com:443; so does this backend.
const (
	DefaultCollectorHost = lsgo.DefaultGRPCCollectorHost
	DefaultCollectorPort = 443
	DefaultTransport     = TransportHTTP
)

// Options are the Lightstep-specific settings. The zero value of every
// field but AccessToken means its default. Printing Options with any fmt
// verb shows the access token as [redacted], and JSON leaves it out.
type Options struct {
	// AccessToken authenticates reports (LIGHTSTEP_ACCESS_TOKEN). Required.
	AccessToken string `json:"-"`
	// CollectorHost is where reports go (LIGHTSTEP_COLLECTOR_HOST). A host
	// name or an IP address (IPv6 with or without brackets).
	CollectorHost string
	// CollectorPort is the collector's port (LIGHTSTEP_COLLECTOR_PORT).
	CollectorPort int
	// Plaintext turns TLS off (LIGHTSTEP_COLLECTOR_PLAINTEXT).
	Plaintext bool
	// Transport is TransportHTTP or TransportGRPC (LIGHTSTEP_TRANSPORT).
	Transport string
	// Collector, when set, receives the reports in process in place of the
	// network collector (CollectorHost, CollectorPort, Plaintext and
	// Transport are then not used), through the client's CustomCollector:
	// for a custom transport, or an in-process sink such as the one the
	// benchmarks use so that no network is timed. Set in code only.
	Collector lsgo.Collector `json:"-"`
}

// OptionsFromConfig reads the LIGHTSTEP_* settings through cfg.Get, fills
// in the defaults and checks the result. An invalid or missing setting
// gives an error naming it, its value (never the token's) and what is
// accepted; it wraps [tracer.ErrInvalidConfig].
func OptionsFromConfig(cfg tracer.Config) (Options, error) {
	get := cfg.Get
	var (
		o   Options
		err error
	)
	o.AccessToken, _ = get(EnvAccessToken)
	o.CollectorHost, _ = get(EnvCollectorHost)
	if o.CollectorPort, err = envconf.Int(get, EnvCollectorPort, DefaultCollectorPort, 1, 65535); err != nil {
		return Options{}, fmt.Errorf("lightstep: %w", err)
	}
	if o.Plaintext, err = envconf.Bool(get, EnvCollectorPlaintext, false); err != nil {
		return Options{}, fmt.Errorf("lightstep: %w", err)
	}
	if o.Transport, err = envconf.OneOf(get, EnvTransport, DefaultTransport, TransportHTTP, TransportGRPC); err != nil {
		return Options{}, fmt.Errorf("lightstep: %w", err)
	}
	o = o.withDefaults()
	if err := o.validate(); err != nil {
		return Options{}, err
	}
	return o, nil
}

// withDefaults returns o with its zero fields set to their defaults.
func (o Options) withDefaults() Options {
	o.AccessToken = strings.TrimSpace(o.AccessToken)
	o.CollectorHost = strings.TrimSpace(o.CollectorHost)
	if o.CollectorHost == "" {
		o.CollectorHost = DefaultCollectorHost
	}
	if o.CollectorPort == 0 {
		o.CollectorPort = DefaultCollectorPort
	}
	o.Transport = strings.ToLower(strings.TrimSpace(o.Transport))
	if o.Transport == "" {
		o.Transport = DefaultTransport
	}
	return o
}

// validate checks o, whose defaults are already filled in.
func (o Options) validate() error {
	if o.AccessToken == "" {
		return fmt.Errorf("lightstep: %w", envconf.Invalid(EnvAccessToken, "",
			"the access token of your Lightstep project (required)"))
	}
	if strings.IndexFunc(o.AccessToken, func(r rune) bool { return r <= ' ' || r == 0x7f }) >= 0 {
		return fmt.Errorf("lightstep: %w", &envconf.Error{Name: EnvAccessToken, Secret: true,
			Want: "an access token without spaces or control characters"})
	}
	if _, ok := plainHost(o.CollectorHost); !ok {
		return fmt.Errorf("lightstep: %w", envconf.Invalid(EnvCollectorHost, envconf.Redact(o.CollectorHost),
			"a host name or IP address without scheme, port or path, such as collector.example.com (the port goes in "+EnvCollectorPort+")"))
	}
	if o.CollectorPort < 1 || o.CollectorPort > 65535 {
		return fmt.Errorf("lightstep: %w", envconf.Invalid(EnvCollectorPort, strconv.Itoa(o.CollectorPort),
			"an integer from 1 to 65535"))
	}
	if o.Transport != TransportHTTP && o.Transport != TransportGRPC {
		return fmt.Errorf("lightstep: %w", envconf.Invalid(EnvTransport, o.Transport,
			"one of "+TransportHTTP+", "+TransportGRPC))
	}
	return nil
}

// plainHost returns host without IPv6 brackets, and whether it is a
// usable host: a name or IP address with no scheme, user, port, path or
// space.
func plainHost(host string) (string, bool) {
	h := host
	if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") {
		h = h[1 : len(h)-1]
		addr, err := netip.ParseAddr(h)
		return h, err == nil && addr.Is6()
	}
	if h == "" || strings.ContainsAny(h, "/@?#[] \t\r\n") {
		return h, false
	}
	if strings.Contains(h, ":") {
		addr, err := netip.ParseAddr(h)
		return h, err == nil && addr.Is6()
	}
	return h, true
}

// Format prints o for every fmt verb with the access token redacted.
func (o Options) Format(f fmt.State, verb rune) {
	token := `""`
	if o.AccessToken != "" {
		token = "[redacted]"
	}
	fmt.Fprintf(f, "lightstep.Options{AccessToken:%s CollectorHost:%q CollectorPort:%d Plaintext:%t Transport:%q}",
		token, o.CollectorHost, o.CollectorPort, o.Plaintext, o.Transport)
}
