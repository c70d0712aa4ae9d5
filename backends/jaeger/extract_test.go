package jaeger_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/opentracing/opentracing-go"
	jaegerclient "github.com/uber/jaeger-client-go"

	"github.com/polytrace/polytrace/backends/jaeger"
	"github.com/polytrace/polytrace/tracer"
)

// TestExtractMatchesClient checks that the backend's HTTP headers
// extractor, which skips requests without Jaeger headers, extracts what
// jaeger-client-go's own does for every kind of header set.
func TestExtractMatchesClient(t *testing.T) {
	inst, err := jaeger.New(tracer.Config{ServiceName: "svc"}, jaeger.Options{Sender: &memSender{}})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = inst.Shutdown(context.Background()) }()
	stock, closer := jaegerclient.NewTracer("svc", jaegerclient.NewConstSampler(true), jaegerclient.NewNullReporter())
	defer closer.Close()

	tests := []struct {
		name string
		give http.Header
	}{
		{"none", http.Header{}},
		{"unrelated only", http.Header{"User-Agent": {"x"}, "Accept": {"*/*"}}},
		{"trace context", http.Header{"Uber-Trace-Id": {"abc:def:0:1"}, "User-Agent": {"x"}}},
		{"lower-case trace context", http.Header{"uber-trace-id": {"abc:def:0:0"}}},
		{"baggage only", http.Header{"Uberctx-Tenant": {"t1"}}},
		{"baggage list only", http.Header{"Jaeger-Baggage": {"k=v"}}},
		{"debug id only", http.Header{"Jaeger-Debug-Id": {"dbg"}}},
		{"corrupt", http.Header{"Uber-Trace-Id": {"nonsense"}}},
		{"empty value", http.Header{"Uber-Trace-Id": {""}}},
		{"zero trace id", http.Header{"Uber-Trace-Id": {"0:def:0:1"}}},
		{"url-encoded", http.Header{"Uber-Trace-Id": {"abc%3Adef%3A0%3A1"}}},
		{"bad escape kept", http.Header{"Uber-Trace-Id": {"abc:def:0:1%zz"}}},
		{"128-bit", http.Header{"Uber-Trace-Id": {"0123456789abcdef0123456789abcdef:def:abc:3"}}},
		{"two values", http.Header{"Uber-Trace-Id": {"abc:def:0:1", "abc:def:0:1"}}},
		{"trace context and baggage", http.Header{"Uber-Trace-Id": {"abc:def:0:1"}, "Uberctx-K": {"v%20w"}}},
		{"trace context and debug id", http.Header{"Uber-Trace-Id": {"abc:def:0:1"}, "Jaeger-Debug-Id": {"d"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, gotErr := inst.Tracer.Extract(opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(tt.give))
			want, wantErr := stock.Extract(opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(tt.give))
			if !sameErr(gotErr, wantErr) {
				t.Fatalf("error = %v, want %v", gotErr, wantErr)
			}
			if describeContext(got) != describeContext(want) {
				t.Errorf("context = %s, want %s", describeContext(got), describeContext(want))
			}
		})
	}
}

func sameErr(a, b error) bool {
	if a == nil || b == nil {
		return a == b
	}
	return errors.Is(a, b) || a.Error() == b.Error()
}

// describeContext prints a span context: ids, flags, debug state and baggage.
func describeContext(sc opentracing.SpanContext) string {
	if sc == nil {
		return "<nil>"
	}
	m := map[string]string{}
	sc.ForeachBaggageItem(func(k, v string) bool { m[k] = v; return true })
	if jc, ok := sc.(jaegerclient.SpanContext); ok && jc.IsValid() { // else no sampling state to ask
		return fmt.Sprintf("%v debug=%v sampled=%v final=%v baggage=%v", jc, jc.IsDebug(), jc.IsSampled(), jc.IsSamplingFinalized(), m)
	}
	return fmt.Sprintf("%T %v baggage=%v", sc, sc, m)
}

// FuzzExtractMatchesClient extracts random header sets with the backend
// and with the client's own propagator and wants the same outcome.
func FuzzExtractMatchesClient(f *testing.F) {
	f.Add("Uber-Trace-Id", "abc:def:0:1", "Accept", "*/*")
	f.Add("uber-trace-id", "abc%3Adef%3A0%3A1", "Uberctx-K", "v")
	f.Add("Jaeger-Debug-Id", "x", "Jaeger-Baggage", "k=v")
	f.Add("Uber-Trace-Id", "0:0:0:0", "User-Agent", "x")
	inst, err := jaeger.New(tracer.Config{ServiceName: "svc"}, jaeger.Options{Sender: &memSender{}})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = inst.Shutdown(context.Background()) })
	stock, closer := jaegerclient.NewTracer("svc", jaegerclient.NewConstSampler(true), jaegerclient.NewNullReporter())
	f.Cleanup(func() { closer.Close() })
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string) {
		h := opentracing.HTTPHeadersCarrier{k1: {v1}}
		if k2 != k1 {
			h[k2] = []string{v2}
		}
		got, gotErr := inst.Tracer.Extract(opentracing.HTTPHeaders, h)
		want, wantErr := stock.Extract(opentracing.HTTPHeaders, h)
		if !sameErr(gotErr, wantErr) {
			t.Fatalf("%v: error = %v, want %v", h, gotErr, wantErr)
		}
		if describeContext(got) != describeContext(want) {
			t.Errorf("%v: context = %s, want %s", h, describeContext(got), describeContext(want))
		}
	})
}

func TestExtractWithoutJaegerHeadersAllocatesNothing(t *testing.T) {
	inst, err := jaeger.New(tracer.Config{ServiceName: "svc"}, jaeger.Options{Sender: &memSender{}})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = inst.Shutdown(context.Background()) }()
	carrier := opentracing.HTTPHeadersCarrier{"User-Agent": {"x"}, "Accept": {"*/*"}, "Accept-Encoding": {"gzip"}}
	n := testing.AllocsPerRun(100, func() {
		if _, err := inst.Tracer.Extract(opentracing.HTTPHeaders, carrier); !errors.Is(err, opentracing.ErrSpanContextNotFound) {
			t.Fatalf("Extract error = %v, want ErrSpanContextNotFound", err)
		}
	})
	if n != 0 {
		t.Errorf("Extract allocates %v times per call, want 0", n)
	}
}
