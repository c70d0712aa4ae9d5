package polytrace

import (
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/opentracing/opentracing-go"

	"github.com/polytrace/polytrace/propagation"
	"github.com/polytrace/polytrace/tracer"
)

func TestConfigFromEnvPropagation(t *testing.T) {
	tests := []struct {
		give    string
		want    propagation.Formats
		wantErr string
	}{
		{give: "", want: nil},
		{give: "tracecontext,baggage", want: propagation.Formats{propagation.TraceContext, propagation.Baggage}},
		{give: " B3 , jaeger ", want: propagation.Formats{propagation.B3, propagation.Jaeger}},
		{give: "w3c", wantErr: `polytrace: TRACER_PROPAGATION="w3c": want a comma-separated list of tracecontext, baggage, b3, b3multi, jaeger, ottrace`},
		{give: "tracecontext,zipkin", wantErr: `TRACER_PROPAGATION="tracecontext,zipkin": want a comma-separated list of`},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			_, cfg, err := configFromEnv(tracer.MapLookup(map[string]string{EnvPropagation: tt.give}))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, tracer.ErrInvalidConfig) {
					t.Fatalf("error = %v, want one containing %q and wrapping ErrInvalidConfig", err, tt.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(cfg.Propagation, tt.want) {
				t.Fatalf("Propagation = %v, %v; want %v", cfg.Propagation, err, tt.want)
			}
		})
	}
}

// TestNewPropagation checks the root wiring: with Config.Propagation the
// Tracer speaks the listed formats, its Unwrap the backend's native one;
// without, nothing changes.
func TestNewPropagation(t *testing.T) {
	lookup := tracer.MapLookup(map[string]string{"JAEGER_ENDPOINT": "http://127.0.0.1:9/api/traces"})
	mixed, err := New("jaeger", tracer.Config{Propagation: propagation.Formats{propagation.TraceContext}, Lookup: lookup})
	if err != nil {
		t.Fatal(err)
	}
	defer mixed.Close()
	native, err := New("jaeger", tracer.Config{Lookup: lookup})
	if err != nil {
		t.Fatal(err)
	}
	defer native.Close()

	span := mixed.StartSpan("op")
	headers := func(tr opentracing.Tracer) http.Header {
		h := http.Header{}
		if err := tr.Inject(span.Context(), opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(h)); err != nil {
			t.Fatal(err)
		}
		return h
	}
	if h := headers(mixed); h.Get("traceparent") == "" || h.Get("uber-trace-id") != "" {
		t.Errorf("with TRACER_PROPAGATION=tracecontext: wrote %v, want traceparent only", h)
	}
	for name, tr := range map[string]opentracing.Tracer{"Unwrap": mixed.Unwrap(), "unset": native} {
		if h := headers(tr); h.Get("uber-trace-id") == "" || h.Get("traceparent") != "" {
			t.Errorf("%s: wrote %v, want Jaeger's native uber-trace-id only", name, h)
		}
	}

	tp := http.Header{"Traceparent": {"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}}
	if _, err := mixed.Extract(opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(tp)); err != nil {
		t.Errorf("Extract traceparent: %v", err)
	}
	if _, err := native.Extract(opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(tp)); err == nil {
		t.Errorf("without TRACER_PROPAGATION, jaeger read a traceparent")
	}
}

// TestNoopIgnoresPropagation: noop has no converter; it stays a no-op.
func TestNoopIgnoresPropagation(t *testing.T) {
	tr, err := New("noop", tracer.Config{Propagation: propagation.Formats{propagation.TraceContext}})
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	if err := tr.Inject(tr.StartSpan("x").Context(), opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(h)); err != nil || len(h) != 0 {
		t.Fatalf("noop Inject wrote %v, %v", h, err)
	}
	if _, ok := tr.Unwrap().(opentracing.NoopTracer); !ok {
		t.Fatalf("Unwrap = %T, want the NoopTracer", tr.Unwrap())
	}
}
