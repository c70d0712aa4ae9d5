package otel

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/polytrace/polytrace/tracer"
)

// defaults is what OptionsFromConfig gives with nothing set, the sampler
// aside.
var defaults = Options{
	Protocol: ProtocolHTTPProtobuf, Endpoint: DefaultHTTPEndpoint, Timeout: DefaultTimeout, Compression: CompressionNone,
	ScheduleDelay: DefaultScheduleDelay, ExportTimeout: DefaultExportTimeout,
	MaxQueueSize: DefaultMaxQueueSize, MaxExportBatchSize: DefaultMaxExportBatchSize,
}

// with returns defaults changed by f.
func with(f func(o *Options)) Options {
	o := defaults
	f(&o)
	return o
}

func TestOptionsFromConfig(t *testing.T) {
	const pbAlwaysOn = "ParentBased{root:AlwaysOnSampler,remoteParentSampled:AlwaysOnSampler,remoteParentNotSampled:AlwaysOffSampler,localParentSampled:AlwaysOnSampler,localParentNotSampled:AlwaysOffSampler}"
	tests := []struct {
		name        string
		give        map[string]string
		want        Options
		wantSampler string // Description; "" means parentbased_always_on
	}{
		{name: "defaults", want: defaults},
		{name: "grpc default endpoint", give: map[string]string{EnvProtocol: "GRPC"},
			want: with(func(o *Options) { o.Protocol, o.Endpoint = ProtocolGRPC, DefaultGRPCEndpoint })},
		{name: "traces protocol wins", give: map[string]string{EnvProtocol: "grpc", EnvTracesProtocol: "http/json"},
			want: with(func(o *Options) { o.Protocol = ProtocolHTTPJSON })},
		{name: "base endpoint gets /v1/traces", give: map[string]string{EnvEndpoint: "https://collector:4318"},
			want: with(func(o *Options) { o.Endpoint = "https://collector:4318/v1/traces" })},
		{name: "base endpoint with path", give: map[string]string{EnvEndpoint: "http://gw/otlp/"},
			want: with(func(o *Options) { o.Endpoint = "http://gw/otlp/v1/traces" })},
		{name: "traces endpoint as is", give: map[string]string{EnvEndpoint: "http://other:4318", EnvTracesEndpoint: " http://c:4318/custom/path "},
			want: with(func(o *Options) { o.Endpoint = "http://c:4318/custom/path" })},
		{name: "traces endpoint without path is root", give: map[string]string{EnvTracesEndpoint: "http://c:4318"},
			want: with(func(o *Options) { o.Endpoint = "http://c:4318/" })},
		{name: "grpc endpoint as is", give: map[string]string{EnvProtocol: "grpc", EnvEndpoint: "https://c:4317"},
			want: with(func(o *Options) { o.Protocol, o.Endpoint = ProtocolGRPC, "https://c:4317" })},
		{name: "grpc host:port insecure", give: map[string]string{EnvProtocol: "grpc", EnvTracesEndpoint: "c:4317", EnvInsecure: "true"},
			want: with(func(o *Options) { o.Protocol, o.Endpoint, o.Insecure = ProtocolGRPC, "c:4317", true })},
		{name: "traces insecure wins", give: map[string]string{EnvInsecure: "true", EnvTracesInsecure: "false"},
			want: defaults},
		{name: "headers", give: map[string]string{EnvHeaders: "api-key=abc%20def%2C, x-tenant = acme ,,"},
			want: with(func(o *Options) { o.Headers = map[string]string{"api-key": "abc def,", "x-tenant": "acme"} })},
		{name: "traces headers replace", give: map[string]string{EnvHeaders: "a=1,b=2", EnvTracesHeaders: "c=3"},
			want: with(func(o *Options) { o.Headers = map[string]string{"c": "3"} })},
		{name: "timeouts and compression", give: map[string]string{EnvTimeout: "2500", EnvTracesTimeout: "1500", EnvCompression: "GZIP"},
			want: with(func(o *Options) { o.Timeout, o.Compression = 1500*time.Millisecond, CompressionGzip })},
		{name: "traces compression wins", give: map[string]string{EnvCompression: "gzip", EnvTracesCompression: "none"},
			want: defaults},
		{name: "service and resource", give: map[string]string{EnvServiceName: " shop ", EnvResourceAttributes: "team=pay%2Fments, region = eu ,x="},
			want: with(func(o *Options) {
				o.ServiceName, o.ResourceAttributes = "shop", map[string]string{"team": "pay/ments", "region": "eu", "x": ""}
			})},
		{name: "always_off", give: map[string]string{EnvSampler: "always_off", EnvSamplerArg: "ignored"},
			want: defaults, wantSampler: "AlwaysOffSampler"},
		{name: "always_on", give: map[string]string{EnvSampler: "always_on"}, want: defaults, wantSampler: "AlwaysOnSampler"},
		{name: "traceidratio", give: map[string]string{EnvSampler: "traceidratio", EnvSamplerArg: "0.25"},
			want: defaults, wantSampler: "TraceIDRatioBased{0.25}"},
		{name: "traceidratio default arg", give: map[string]string{EnvSampler: "traceidratio"},
			want: defaults, wantSampler: "TraceIDRatioBased{1}"},
		{name: "parentbased_traceidratio", give: map[string]string{EnvSampler: "ParentBased_TraceIDRatio", EnvSamplerArg: "0"},
			want: defaults, wantSampler: "ParentBased{root:TraceIDRatioBased{0},"},
		{name: "parentbased_always_off", give: map[string]string{EnvSampler: "parentbased_always_off"},
			want: defaults, wantSampler: "ParentBased{root:AlwaysOffSampler,"},
		{name: "batching", give: map[string]string{EnvBSPScheduleDelay: "250", EnvBSPExportTimeout: "1000", EnvBSPMaxQueueSize: "100", EnvBSPMaxExportBatchSize: "100"},
			want: with(func(o *Options) {
				o.ScheduleDelay, o.ExportTimeout, o.MaxQueueSize, o.MaxExportBatchSize = 250*time.Millisecond, time.Second, 100, 100
			})},
		{name: "small queue caps the default batch", give: map[string]string{EnvBSPMaxQueueSize: "10"},
			want: with(func(o *Options) { o.MaxQueueSize, o.MaxExportBatchSize = 10, 10 })},
		{name: "empty is unset", give: map[string]string{EnvEndpoint: " ", EnvProtocol: "", EnvHeaders: "  "}, want: defaults},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := OptionsFromConfig(tracer.Config{Lookup: tracer.MapLookup(tt.give)})
			if err != nil {
				t.Fatalf("OptionsFromConfig: %v", err)
			}
			if got.Sampler == nil {
				t.Fatal("no sampler")
			}
			desc := got.Sampler.Description()
			wantSampler := tt.wantSampler
			if wantSampler == "" {
				wantSampler = pbAlwaysOn
			}
			if !strings.HasPrefix(desc, wantSampler) {
				t.Errorf("sampler %s, want %s", desc, wantSampler)
			}
			got.Sampler = nil
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("OptionsFromConfig =\n %+v, want\n %+v (headers %v)", got, tt.want, got.Headers)
			}
			if _, err := got.resolve(); err != nil {
				t.Errorf("New would refuse these options: %v", err)
			}
		})
	}
}

func TestOptionsFromConfigErrors(t *testing.T) {
	tests := []struct {
		name    string
		give    map[string]string
		wantErr string   // substring naming the setting
		secrets []string // must not appear in the error
	}{
		{name: "protocol", give: map[string]string{EnvProtocol: "http"},
			wantErr: `otel: OTEL_EXPORTER_OTLP_PROTOCOL="http": want one of grpc, http/protobuf, http/json`},
		{name: "traces protocol", give: map[string]string{EnvTracesProtocol: "thrift"}, wantErr: `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL="thrift"`},
		{name: "endpoint scheme", give: map[string]string{EnvEndpoint: "ftp://c"}, wantErr: `OTEL_EXPORTER_OTLP_ENDPOINT="ftp://c": want an absolute http:// or https:// URL`},
		{name: "http endpoint without scheme", give: map[string]string{EnvTracesEndpoint: "c:4318"}, wantErr: "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"},
		{name: "endpoint credentials", give: map[string]string{EnvEndpoint: "https://bob:pa55word@c:4318"},
			wantErr: "OTEL_EXPORTER_OTLP_ENDPOINT", secrets: []string{"pa55word"}},
		{name: "endpoint query", give: map[string]string{EnvTracesEndpoint: "https://c/v1/traces?token=hunter2"},
			wantErr: "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", secrets: []string{"hunter2"}},
		{name: "grpc endpoint path", give: map[string]string{EnvProtocol: "grpc", EnvEndpoint: "http://c:4317/v1/traces"},
			wantErr: `OTEL_EXPORTER_OTLP_ENDPOINT="http://c:4317/v1/traces": want http://host:port, https://host:port or host:port`},
		{name: "grpc bad port", give: map[string]string{EnvProtocol: "grpc", EnvEndpoint: "c:99999"}, wantErr: "OTEL_EXPORTER_OTLP_ENDPOINT"},
		{name: "header without =", give: map[string]string{EnvHeaders: "api-key=ok,s3cretvalue"},
			wantErr: "OTEL_EXPORTER_OTLP_HEADERS=[redacted]: want comma-separated key=value pairs with percent-encoded values (entry 2 has no '=')",
			secrets: []string{"s3cretvalue", "ok"}},
		{name: "header bad name", give: map[string]string{EnvTracesHeaders: "bad key=s3cretvalue"},
			wantErr: "OTEL_EXPORTER_OTLP_TRACES_HEADERS=[redacted]", secrets: []string{"s3cretvalue"}},
		{name: "header bad escape", give: map[string]string{EnvHeaders: "k=s3cret%zz"},
			wantErr: "malformed percent-encoding", secrets: []string{"s3cret"}},
		{name: "header line break", give: map[string]string{EnvHeaders: "k=s3cret%0d%0aX-Evil: 1"},
			wantErr: "line break", secrets: []string{"s3cret"}},
		{name: "insecure", give: map[string]string{EnvInsecure: "maybe"}, wantErr: `OTEL_EXPORTER_OTLP_INSECURE="maybe": want a boolean`},
		{name: "timeout unit", give: map[string]string{EnvTimeout: "5s"},
			wantErr: `OTEL_EXPORTER_OTLP_TIMEOUT="5s": want a whole number of milliseconds from 1 to 86400000`},
		{name: "timeout zero", give: map[string]string{EnvTracesTimeout: "0"}, wantErr: `OTEL_EXPORTER_OTLP_TRACES_TIMEOUT="0"`},
		{name: "compression", give: map[string]string{EnvCompression: "br"}, wantErr: `OTEL_EXPORTER_OTLP_COMPRESSION="br": want one of gzip, none`},
		{name: "resource attribute", give: map[string]string{EnvResourceAttributes: "team=pay,novalue"}, wantErr: `OTEL_RESOURCE_ATTRIBUTES="team=pay,novalue"`},
		{name: "resource empty key", give: map[string]string{EnvResourceAttributes: "=x"}, wantErr: "OTEL_RESOURCE_ATTRIBUTES"},
		{name: "sampler", give: map[string]string{EnvSampler: "jaeger_remote"}, wantErr: `OTEL_TRACES_SAMPLER="jaeger_remote": want one of always_on, always_off, traceidratio`},
		{name: "sampler arg range", give: map[string]string{EnvSampler: "traceidratio", EnvSamplerArg: "1.5"}, wantErr: `OTEL_TRACES_SAMPLER_ARG="1.5": want a number from 0 to 1`},
		{name: "sampler arg", give: map[string]string{EnvSampler: "parentbased_traceidratio", EnvSamplerArg: "half"}, wantErr: "OTEL_TRACES_SAMPLER_ARG"},
		{name: "schedule delay", give: map[string]string{EnvBSPScheduleDelay: "-1"}, wantErr: `OTEL_BSP_SCHEDULE_DELAY="-1"`},
		{name: "export timeout", give: map[string]string{EnvBSPExportTimeout: "1m"}, wantErr: "OTEL_BSP_EXPORT_TIMEOUT"},
		{name: "queue size", give: map[string]string{EnvBSPMaxQueueSize: "0"}, wantErr: `OTEL_BSP_MAX_QUEUE_SIZE="0": want an integer from 1`},
		{name: "batch over queue", give: map[string]string{EnvBSPMaxQueueSize: "100", EnvBSPMaxExportBatchSize: "512"},
			wantErr: `OTEL_BSP_MAX_EXPORT_BATCH_SIZE="512": want an integer from 1 to 100`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tracer.Config{Lookup: tracer.MapLookup(tt.give)}
			got, err := OptionsFromConfig(cfg)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, tracer.ErrInvalidConfig) {
				t.Fatalf("OptionsFromConfig = %v, %v; want an error containing %q wrapping ErrInvalidConfig", got, err, tt.wantErr)
			}
			for _, s := range tt.secrets {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error %q shows the secret %q", err, s)
				}
			}
			inst, openErr := Open(cfg)
			if inst != nil || openErr == nil || openErr.Error() != err.Error() {
				t.Errorf("Open = %v, %v; want nil and the same error", inst, openErr)
			}
		})
	}
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		name    string
		cfg     tracer.Config
		give    Options
		want    string
		secrets []string
	}{
		{name: "protocol", give: Options{Protocol: "thrift"}, want: `otel: otel.Options.Protocol="thrift": want one of grpc, http/protobuf, http/json`},
		{name: "endpoint", give: Options{Endpoint: "collector:4318"}, want: `otel.Options.Endpoint="collector:4318"`},
		{name: "endpoint secret", give: Options{Endpoint: "https://u:s3cret@c/v1/traces?key=hunter2"}, want: "otel.Options.Endpoint", secrets: []string{"s3cret", "hunter2"}},
		{name: "grpc endpoint", give: Options{Protocol: ProtocolGRPC, Endpoint: "c"}, want: "otel.Options.Endpoint"},
		{name: "header name", give: Options{Headers: map[string]string{"bad name": "s3cret"}}, want: "otel.Options.Headers=[redacted]", secrets: []string{"s3cret"}},
		{name: "header value", give: Options{Headers: map[string]string{"k": "s3cret\r\nX-Evil: 1"}}, want: "otel.Options.Headers", secrets: []string{"s3cret"}},
		{name: "timeout", give: Options{Timeout: -time.Second}, want: `otel.Options.Timeout="-1s"`},
		{name: "compression", give: Options{Compression: "zstd"}, want: `otel.Options.Compression="zstd"`},
		{name: "resource key", give: Options{ResourceAttributes: map[string]string{" ": "x"}}, want: "otel.Options.ResourceAttributes"},
		{name: "schedule delay", give: Options{ScheduleDelay: -1}, want: "otel.Options.ScheduleDelay"},
		{name: "export timeout", give: Options{ExportTimeout: -1}, want: "otel.Options.ExportTimeout"},
		{name: "queue", give: Options{MaxQueueSize: -1}, want: `otel.Options.MaxQueueSize="-1"`},
		{name: "batch over queue", give: Options{MaxQueueSize: 10, MaxExportBatchSize: 11}, want: `otel.Options.MaxExportBatchSize="11": want a number from 1 to the queue size (10)`},
		{name: "batch over default queue", give: Options{MaxExportBatchSize: 4096}, want: "otel.Options.MaxExportBatchSize"},
		{name: "sample rate", cfg: tracer.Config{SampleRate: tracer.Rate(1.5)}, want: `otel: TRACER_SAMPLE_RATE="1.5": want a number from 0 to 1`},
		{name: "sample rate NaN", cfg: tracer.Config{SampleRate: tracer.Rate(math.NaN())}, want: `TRACER_SAMPLE_RATE="NaN"`},
		{name: "empty tag key", cfg: tracer.Config{Tags: map[string]string{"": "v"}}, want: `otel: TRACER_TAGS="=v"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inst, err := New(tt.cfg, tt.give)
			if inst != nil || err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, tracer.ErrInvalidConfig) {
				t.Fatalf("New = %v, %v; want an error containing %q wrapping ErrInvalidConfig", inst, err, tt.want)
			}
			for _, s := range tt.secrets {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error %q shows the secret %q", err, s)
				}
			}
		})
	}
}

func TestResolve(t *testing.T) {
	tests := []struct {
		give          Options
		wantTarget    string
		wantURL       string
		wantPlaintext bool
		wantBatch     int
	}{
		{give: Options{}, wantURL: "http://localhost:4318/v1/traces", wantPlaintext: true, wantBatch: 512},
		{give: Options{Protocol: ProtocolGRPC}, wantTarget: "localhost:4317", wantPlaintext: true, wantBatch: 512},
		{give: Options{Protocol: ProtocolGRPC, Endpoint: "https://c:4317/"}, wantTarget: "c:4317", wantBatch: 512},
		{give: Options{Protocol: ProtocolGRPC, Endpoint: "c:4317"}, wantTarget: "c:4317", wantBatch: 512},
		{give: Options{Protocol: ProtocolGRPC, Endpoint: "[::1]:4317", Insecure: true}, wantTarget: "[::1]:4317", wantPlaintext: true, wantBatch: 512},
		{give: Options{Protocol: ProtocolGRPC, Endpoint: "https://c:4317", Insecure: true}, wantTarget: "c:4317", wantBatch: 512},
		{give: Options{Endpoint: "https://c"}, wantURL: "https://c/v1/traces", wantBatch: 512},
		{give: Options{Endpoint: "http://c:4318/"}, wantURL: "http://c:4318/", wantPlaintext: true, wantBatch: 512},
		{give: Options{Protocol: "HTTP/JSON", Endpoint: "http://c/x", MaxQueueSize: 100}, wantURL: "http://c/x", wantPlaintext: true, wantBatch: 100},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s %s", tt.give.Protocol, tt.give.Endpoint), func(t *testing.T) {
			s, err := tt.give.resolve()
			if err != nil {
				t.Fatal(err)
			}
			if s.grpcTarget != tt.wantTarget || s.httpURL != tt.wantURL || s.plaintext != tt.wantPlaintext || s.MaxExportBatchSize != tt.wantBatch {
				t.Errorf("resolve = target %q url %q plaintext %t batch %d; want %q %q %t %d",
					s.grpcTarget, s.httpURL, s.plaintext, s.MaxExportBatchSize, tt.wantTarget, tt.wantURL, tt.wantPlaintext, tt.wantBatch)
			}
		})
	}
}

func TestOptionsHideHeaders(t *testing.T) {
	o := Options{Endpoint: "https://u:pw@c/v1/traces", Headers: map[string]string{"Authorization": "Bearer s3cret", "X-A": "s3cret2"}}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
		out := fmt.Sprintf(verb, o)
		if strings.Contains(out, "s3cret") || strings.Contains(out, "pw") || !strings.Contains(out, "Authorization:[redacted]") {
			t.Errorf("%s printed %s", verb, out)
		}
	}
	js, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(js), "s3cret") {
		t.Errorf("JSON %s shows a header value", js)
	}
}
