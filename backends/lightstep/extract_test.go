package lightstep_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lightstep/lightstep-tracer-common/golang/gogo/collectorpb"
	lsgo "github.com/lightstep/lightstep-tracer-go"
	"github.com/opentracing/opentracing-go"

	"github.com/polytrace/polytrace/backends/lightstep"
	"github.com/polytrace/polytrace/tracer"
)

// memCollector is a lightstep.Collector keeping the operation names it
// received.
type memCollector struct {
	mu    sync.Mutex
	names []string
}

func (c *memCollector) Report(_ context.Context, req *collectorpb.ReportRequest) (*collectorpb.ReportResponse, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range req.Spans {
		c.names = append(c.names, s.OperationName)
	}
	return &collectorpb.ReportResponse{}, nil
}

func newInMemory(t testing.TB, c lsgo.Collector) *tracer.Instance {
	t.Helper()
	inst, err := lightstep.New(tracer.Config{ServiceName: "svc"}, lightstep.Options{AccessToken: "tok", Collector: c})
	if err != nil {
		t.Fatal(err)
	}
	return inst
}

func TestCollectorOptionReceivesSpans(t *testing.T) {
	c := &memCollector{}
	inst := newInMemory(t, c)
	inst.Tracer.StartSpan("one").Finish()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := inst.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.names) != 1 || c.names[0] != "one" {
		t.Errorf("collector got spans %q, want [one]", c.names)
	}
}

// TestExtractMatchesClient checks that the backend's HTTP headers
// propagator, which skips requests without Lightstep headers, extracts
// what the client's LightStepPropagator does.
func TestExtractMatchesClient(t *testing.T) {
	inst := newInMemory(t, &memCollector{})
	defer func() { _ = inst.Shutdown(context.Background()) }()
	tests := []struct {
		name string
		give http.Header
	}{
		{"none", http.Header{}},
		{"unrelated only", http.Header{"User-Agent": {"x"}, "Accept": {"*/*"}}},
		{"baggage only", http.Header{"Ot-Baggage-Tenant": {"t1"}}},
		{"full context", http.Header{"Ot-Tracer-Traceid": {"abc"}, "Ot-Tracer-Spanid": {"def"}, "Ot-Tracer-Sampled": {"true"}, "Ot-Baggage-K": {"v"}}},
		{"lower-case names", http.Header{"ot-tracer-traceid": {"abc"}, "ot-tracer-spanid": {"def"}, "ot-tracer-sampled": {"false"}}},
		{"incomplete", http.Header{"Ot-Tracer-Traceid": {"abc"}}},
		{"corrupt", http.Header{"Ot-Tracer-Traceid": {"xyz"}, "Ot-Tracer-Spanid": {"def"}, "Ot-Tracer-Sampled": {"true"}}},
		{"corrupt span id", http.Header{"Ot-Tracer-Traceid": {"abc"}, "Ot-Tracer-Spanid": {"-1"}, "Ot-Tracer-Sampled": {"true"}}},
		{"repeated field counts twice", http.Header{"Ot-Tracer-Traceid": {"abc"}, "Ot-Tracer-Sampled": {"true", "false"}}},
		{"baggage name lower-cased", http.Header{"Ot-Tracer-Traceid": {"abc"}, "Ot-Tracer-Spanid": {"def"}, "Ot-Tracer-Sampled": {"true"}, "OT-BAGGAGE-Tenant-ID": {"T"}}},
		{"empty sampled", http.Header{"Ot-Tracer-Traceid": {"abc"}, "Ot-Tracer-Spanid": {"def"}, "Ot-Tracer-Sampled": {""}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, gotErr := inst.Tracer.Extract(opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(tt.give))
			want, wantErr := lsgo.LightStepPropagator.Extract(opentracing.HTTPHeadersCarrier(tt.give))
			if !errors.Is(gotErr, wantErr) && fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
				t.Fatalf("error = %v, want %v", gotErr, wantErr)
			}
			if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
				t.Errorf("context = %+v, want %+v", got, want)
			}
		})
	}
}

func TestExtractWithoutLightstepHeadersAllocatesNothing(t *testing.T) {
	inst := newInMemory(t, &memCollector{})
	defer func() { _ = inst.Shutdown(context.Background()) }()
	carrier := opentracing.HTTPHeadersCarrier{"User-Agent": {"x"}, "Accept": {"*/*"}, "Ot-Baggage-K": {"v"}}
	n := testing.AllocsPerRun(100, func() {
		if _, err := inst.Tracer.Extract(opentracing.HTTPHeaders, carrier); !errors.Is(err, opentracing.ErrSpanContextNotFound) {
			t.Fatalf("Extract error = %v, want ErrSpanContextNotFound", err)
		}
	})
	if n != 0 {
		t.Errorf("Extract allocates %v times per call, want 0", n)
	}
}

// FuzzExtractMatchesClient extracts random header sets with the backend
// and with the client's LightStepPropagator and wants the same outcome.
func FuzzExtractMatchesClient(f *testing.F) {
	f.Add("Ot-Tracer-Traceid", "abc", "Ot-Tracer-Spanid", "def", "Ot-Tracer-Sampled", "true")
	f.Add("ot-tracer-traceid", "abc", "Ot-Baggage-K", "v", "Accept", "*/*")
	f.Add("Ot-Tracer-Traceid", "zz", "Ot-Tracer-Spanid", "def", "Ot-Tracer-Sampled", "true")
	inst := newInMemory(f, &memCollector{})
	f.Cleanup(func() { _ = inst.Shutdown(context.Background()) })
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2, k3, v3 string) {
		h := opentracing.HTTPHeadersCarrier{}
		for _, kv := range [][2]string{{k1, v1}, {k2, v2}, {k3, v3}} {
			if strings.ToLower(kv[0]) != kv[0] && h[strings.ToLower(kv[0])] != nil {
				return // two spellings of one name: the client's result depends on map order
			}
			h[kv[0]] = append(h[kv[0]], kv[1])
		}
		lower := map[string]bool{}
		for k := range h {
			if lower[strings.ToLower(k)] {
				return // as above
			}
			lower[strings.ToLower(k)] = true
		}
		got, gotErr := inst.Tracer.Extract(opentracing.HTTPHeaders, h)
		want, wantErr := lsgo.LightStepPropagator.Extract(h)
		if !errors.Is(gotErr, wantErr) && fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
			t.Fatalf("%v: error = %v, want %v", h, gotErr, wantErr)
		}
		if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
			t.Errorf("%v: context = %+v, want %+v", h, got, want)
		}
	})
}
