package lightstep_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	lsgo "github.com/lightstep/lightstep-tracer-go"
	"github.com/opentracing/opentracing-go"
	"go.uber.org/goleak"

	"github.com/polytrace/polytrace/backends/lightstep"
	"github.com/polytrace/polytrace/internal/envconf"
	"github.com/polytrace/polytrace/internal/lightsteptest"
	"github.com/polytrace/polytrace/internal/syncbuf"
	"github.com/polytrace/polytrace/propagation"
	"github.com/polytrace/polytrace/tracer"
	"github.com/polytrace/polytrace/tracer/tracertest"
)

// token is the access token of every test; no error, log line or printed
// Options may contain it.
const token = "s3cr3t-T0KEN-do-not-print"

var transports = []string{lightstep.TransportHTTP, lightstep.TransportGRPC}

// settings returns the LIGHTSTEP_* settings that point at host:port in
// plaintext over transport, with extra added.
func settings(host string, port int, transport string, extra map[string]string) map[string]string {
	m := map[string]string{
		lightstep.EnvAccessToken:        token,
		lightstep.EnvCollectorHost:      host,
		lightstep.EnvCollectorPort:      strconv.Itoa(port),
		lightstep.EnvCollectorPlaintext: "true",
		lightstep.EnvTransport:          transport,
	}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

func open(t *testing.T, cfg tracer.Config) *tracer.Instance {
	t.Helper()
	inst, err := lightstep.Open(cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if inst == nil || inst.Tracer == nil || inst.Shutdown == nil {
		t.Fatalf("Open returned %+v without an error", inst)
	}
	return inst
}

func shutdown(t *testing.T, inst *tracer.Instance, d time.Duration) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return inst.Shutdown(ctx)
}

// probe compares identities through lightstep.SpanContext.
type probe struct{}

func ids(sc opentracing.SpanContext) (lsgo.SpanContext, bool) {
	c, ok := sc.(lsgo.SpanContext)
	return c, ok
}

func (probe) SameTrace(a, b opentracing.Span) bool {
	ca, ok1 := ids(a.Context())
	cb, ok2 := ids(b.Context())
	return ok1 && ok2 && ca.TraceID == cb.TraceID
}

func (probe) SameSpanContext(s opentracing.Span, sc opentracing.SpanContext) bool {
	ca, ok1 := ids(s.Context())
	cb, ok2 := ids(sc)
	return ok1 && ok2 && ca.TraceID == cb.TraceID && ca.SpanID == cb.SpanID
}

func TestConformance(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			r := lightsteptest.Start(t, tr)
			tracertest.Run(t, tracertest.Harness{
				Open: func(t *testing.T, cfg tracer.Config) *tracer.Instance {
					cfg.Lookup = tracer.MapLookup(settings(r.Host, r.Port, tr, nil))
					return open(t, cfg)
				},
				OpenUnreachable: func(t *testing.T, cfg tracer.Config) *tracer.Instance {
					host, port := lightsteptest.BlackHole(t)
					cfg.Lookup = tracer.MapLookup(settings(host, port, tr, nil))
					return open(t, cfg)
				},
				OpenRecorded: func(t *testing.T, cfg tracer.Config) (*tracer.Instance, func() []tracertest.Exported) {
					rec := lightsteptest.Start(t, tr)
					cfg.Lookup = tracer.MapLookup(settings(rec.Host, rec.Port, tr, nil))
					return open(t, cfg), func() []tracertest.Exported {
						var out []tracertest.Exported
						for _, s := range rec.Spans() {
							e := tracertest.Exported{Operation: s.Operation, Tags: s.Tags,
								TraceID: propagation.TraceID{Low: s.TraceID}, SpanID: s.SpanID, ParentID: s.ParentSpanID,
								Start: s.Start, Finish: s.Start.Add(s.Duration)}
							for _, l := range s.Logs {
								e.Logs = append(e.Logs, l.Fields)
							}
							out = append(out, e)
						}
						return out
					}
				},
				Probe: probe{},
			})
		})
	}
}

func TestRegistered(t *testing.T) {
	_, err := tracer.Open("LightStep", tracer.Config{})
	if err == nil || !strings.Contains(err.Error(), lightstep.EnvAccessToken) {
		t.Fatalf("tracer.Open(LightStep) without a token = %v; want the backend's missing-token error", err)
	}
}

func TestSpansReachCollector(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			r := lightsteptest.Start(t, tr)
			inst := open(t, tracer.Config{
				ServiceName: "checkout",
				Tags:        map[string]string{"env": "test"},
				Lookup:      tracer.MapLookup(settings(r.Host, r.Port, tr, nil)),
			})
			ot := inst.Tracer
			parent := ot.StartSpan("GET /orders/:id")
			parent.SetTag("http.status_code", 200)
			parent.SetBaggageItem("tenant", "acme")
			child := ot.StartSpan("SELECT orders", opentracing.ChildOf(parent.Context()))
			child.SetTag("db.type", "sql").SetTag("cached", false)
			child.LogKV("event", "retry", "attempt", 2)
			child.Finish()
			parent.Finish()
			pc, _ := ids(parent.Context())
			cc, _ := ids(child.Context())

			if err := shutdown(t, inst, 10*time.Second); err != nil {
				t.Fatalf("Shutdown: %v", err)
			}
			spans := r.Spans()
			if len(spans) != 2 {
				t.Fatalf("collector got %d spans, want 2: %+v", len(spans), spans)
			}
			byOp := map[string]lightsteptest.Span{}
			for _, s := range spans {
				byOp[s.Operation] = s
			}
			gp, gc := byOp["GET /orders/:id"], byOp["SELECT orders"]

			if gp.TraceID != pc.TraceID || gp.SpanID != pc.SpanID || gp.ParentSpanID != 0 {
				t.Errorf("parent ids = trace %x span %x parent %x, want %x %x 0", gp.TraceID, gp.SpanID, gp.ParentSpanID, pc.TraceID, pc.SpanID)
			}
			if gc.TraceID != pc.TraceID || gc.SpanID != cc.SpanID || gc.ParentSpanID != pc.SpanID || gc.Relationship != "CHILD_OF" {
				t.Errorf("child ids = trace %x span %x parent %x (%s), want %x %x %x CHILD_OF",
					gc.TraceID, gc.SpanID, gc.ParentSpanID, gc.Relationship, pc.TraceID, cc.SpanID, pc.SpanID)
			}
			if want := map[string]string{"http.status_code": "200"}; !reflect.DeepEqual(gp.Tags, want) {
				t.Errorf("parent tags = %v, want %v", gp.Tags, want)
			}
			if want := map[string]string{"db.type": "sql", "cached": "false"}; !reflect.DeepEqual(gc.Tags, want) {
				t.Errorf("child tags = %v, want %v", gc.Tags, want)
			}
			if gc.Baggage["tenant"] != "acme" {
				t.Errorf("child baggage = %v, want tenant=acme", gc.Baggage)
			}
			if len(gc.Logs) != 1 || !reflect.DeepEqual(gc.Logs[0].Fields, map[string]string{"event": "retry", "attempt": "2"}) {
				t.Errorf("child logs = %+v, want one with event=retry attempt=2", gc.Logs)
			}
			for _, s := range spans {
				if s.Component != "checkout" {
					t.Errorf("%s: component = %q, want the service name", s.Operation, s.Component)
				}
				if s.ReporterTags["env"] != "test" {
					t.Errorf("%s: reporter tags = %v, want env=test", s.Operation, s.ReporterTags)
				}
				if got, want := s.ReporterTags[lsgo.CommandLineKey], filepath.Base(os.Args[0]); got != want {
					t.Errorf("%s: %s = %q, want the executable's name %q only", s.Operation, lsgo.CommandLineKey, got, want)
				}
			}
			for _, rep := range r.Reports() {
				if rep.HeaderToken != token || rep.AuthToken != token {
					t.Errorf("report tokens: header %q, auth %q; want the configured token in both", rep.HeaderToken, rep.AuthToken)
				}
			}
			if got := r.AccessTokens(); !reflect.DeepEqual(got, []string{token}) {
				t.Errorf("AccessTokens = %q, want only the configured one", got)
			}
		})
	}
}

func TestReportsInBackground(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			r := lightsteptest.Start(t, tr)
			inst := open(t, tracer.Config{Lookup: tracer.MapLookup(settings(r.Host, r.Port, tr, nil))})
			t.Cleanup(func() { _ = shutdown(t, inst, 10*time.Second) })
			inst.Tracer.StartSpan("periodic").Finish()
			// No Flush, no Shutdown: the client's report loop sends it
			// within its 2.5s reporting period.
			if spans := r.WaitForSpans(t, 1, 15*time.Second); spans[0].Operation != "periodic" {
				t.Errorf("got %+v", spans)
			}
		})
	}
}

// TestFinishNeverBlocksWhenCollectorIsDown finishes many spans while a
// report is stuck on a collector that never answers or refuses
// connections, then shuts down by a short deadline.
func TestFinishNeverBlocksWhenCollectorIsDown(t *testing.T) {
	collectors := []struct {
		name string
		addr func(t testing.TB) (string, int)
	}{
		{"hangs", lightsteptest.BlackHole},
		{"refuses", func(t testing.TB) (string, int) {
			r := lightsteptest.Start(t, lightsteptest.HTTP)
			r.Close()
			return r.Host, r.Port
		}},
	}
	for _, c := range collectors {
		for _, tr := range transports {
			t.Run(c.name+"/"+tr, func(t *testing.T) {
				host, port := c.addr(t)
				inst := open(t, tracer.Config{Lookup: tracer.MapLookup(settings(host, port, tr, nil))})
				inst.Tracer.StartSpan("first").Finish()
				time.Sleep(time.Second) // the report loop's first flush is under way

				done := make(chan struct{})
				go func() {
					defer close(done)
					for i := 0; i < 5000; i++ {
						inst.Tracer.StartSpan("while-down").Finish()
					}
				}()
				select {
				case <-done:
				case <-time.After(10 * time.Second):
					t.Fatal("finishing spans blocked while the collector was down")
				}
				returned := make(chan error, 1)
				go func() { returned <- shutdown(t, inst, 300*time.Millisecond) }()
				select {
				case err := <-returned:
					t.Logf("Shutdown: %v", err)
				case <-time.After(10 * time.Second):
					t.Fatal("Shutdown ignored its deadline")
				}
			})
		}
	}
}

// TestShutdownReleasesGRPCConnection checks that a Shutdown cut short by
// its deadline, with a report stuck on a collector that never answers,
// still closes the gRPC connection and ends every goroutine it started.
func TestShutdownReleasesGRPCConnection(t *testing.T) {
	host, port := lightsteptest.BlackHole(t)
	before := goleak.IgnoreCurrent()
	inst := open(t, tracer.Config{Lookup: tracer.MapLookup(settings(host, port, lightstep.TransportGRPC, nil))})
	inst.Tracer.StartSpan("stuck").Finish()
	time.Sleep(time.Second) // the report loop's first flush is under way
	if err := shutdown(t, inst, 200*time.Millisecond); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown = %v, want the deadline to pass with the report stuck", err)
	}
	if err := goleak.Find(before); err != nil {
		t.Fatalf("goroutines left after Shutdown: %v", err)
	}
}

func TestMissingAccessToken(t *testing.T) {
	for _, lookup := range []map[string]string{
		nil,
		{lightstep.EnvAccessToken: ""},
		{lightstep.EnvAccessToken: "  \t "},
		{lightstep.EnvCollectorHost: "localhost"},
	} {
		inst, err := lightstep.Open(tracer.Config{Lookup: tracer.MapLookup(lookup)})
		if err == nil {
			t.Fatalf("Open(%v) = %v, nil; want an error", lookup, inst)
		}
		var ee *envconf.Error
		if !errors.As(err, &ee) || ee.Name != lightstep.EnvAccessToken || !errors.Is(err, tracer.ErrInvalidConfig) {
			t.Errorf("Open(%v) error = %v; want an envconf.Error naming %s wrapping ErrInvalidConfig", lookup, err, lightstep.EnvAccessToken)
		}
		if !strings.Contains(err.Error(), "required") {
			t.Errorf("error %q does not say the token is required", err)
		}
	}
}

func TestOptionsFromConfig(t *testing.T) {
	defaults := lightstep.Options{
		AccessToken:   token,
		CollectorHost: "collector-grpc.lightstep.com",
		CollectorPort: 443,
		Transport:     "http",
	}
	with := func(f func(*lightstep.Options)) lightstep.Options { o := defaults; f(&o); return o }
	tests := []struct {
		name string
		give map[string]string
		want lightstep.Options
	}{
		{"defaults", nil, defaults},
		{"all set", map[string]string{
			lightstep.EnvCollectorHost:      "satellite.internal",
			lightstep.EnvCollectorPort:      "8360",
			lightstep.EnvCollectorPlaintext: "true",
			lightstep.EnvTransport:          "GRPC",
		}, lightstep.Options{AccessToken: token, CollectorHost: "satellite.internal", CollectorPort: 8360, Plaintext: true, Transport: "grpc"}},
		{"http explicit", map[string]string{lightstep.EnvTransport: "http"}, defaults},
		{"plaintext false", map[string]string{lightstep.EnvCollectorPlaintext: "0"}, defaults},
		{"plaintext keeps port 443", map[string]string{lightstep.EnvCollectorPlaintext: "1"}, with(func(o *lightstep.Options) { o.Plaintext = true })},
		{"IPv4", map[string]string{lightstep.EnvCollectorHost: "10.0.0.7"}, with(func(o *lightstep.Options) { o.CollectorHost = "10.0.0.7" })},
		{"IPv6", map[string]string{lightstep.EnvCollectorHost: "::1"}, with(func(o *lightstep.Options) { o.CollectorHost = "::1" })},
		{"IPv6 bracketed", map[string]string{lightstep.EnvCollectorHost: "[::1]"}, with(func(o *lightstep.Options) { o.CollectorHost = "[::1]" })},
		{"spaces trimmed", map[string]string{lightstep.EnvCollectorHost: " h.example ", lightstep.EnvTransport: " grpc "},
			with(func(o *lightstep.Options) { o.CollectorHost, o.Transport = "h.example", "grpc" })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := map[string]string{lightstep.EnvAccessToken: token}
			for k, v := range tt.give {
				m[k] = v
			}
			got, err := lightstep.OptionsFromConfig(tracer.Config{Lookup: tracer.MapLookup(m)})
			if err != nil {
				t.Fatalf("OptionsFromConfig: %v", err)
			}
			if got != tt.want {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestOptionsFromConfigErrors(t *testing.T) {
	tests := []struct {
		give    map[string]string
		setting string
		want    string // in the message
	}{
		{map[string]string{lightstep.EnvCollectorPort: "0"}, lightstep.EnvCollectorPort, `"0": want an integer from 1 to 65535`},
		{map[string]string{lightstep.EnvCollectorPort: "65536"}, lightstep.EnvCollectorPort, `"65536"`},
		{map[string]string{lightstep.EnvCollectorPort: "https"}, lightstep.EnvCollectorPort, `"https"`},
		{map[string]string{lightstep.EnvCollectorPlaintext: "maybe"}, lightstep.EnvCollectorPlaintext, `"maybe": want a boolean`},
		{map[string]string{lightstep.EnvTransport: "thrift"}, lightstep.EnvTransport, `"thrift": want one of http, grpc`},
		{map[string]string{lightstep.EnvCollectorHost: "https://ingest.lightstep.com"}, lightstep.EnvCollectorHost, "without scheme"},
		{map[string]string{lightstep.EnvCollectorHost: "collector:8443"}, lightstep.EnvCollectorHost, lightstep.EnvCollectorPort},
		{map[string]string{lightstep.EnvCollectorHost: "collector/path"}, lightstep.EnvCollectorHost, `"collector/path"`},
		{map[string]string{lightstep.EnvCollectorHost: "[10.0.0.1]"}, lightstep.EnvCollectorHost, "host name or IP address"},
		{map[string]string{lightstep.EnvCollectorHost: "http://user:hunter2@collector?key=hunter2"}, lightstep.EnvCollectorHost, "REDACTED"},
		{map[string]string{lightstep.EnvAccessToken: "two " + token}, lightstep.EnvAccessToken, "[redacted]: want an access token without spaces"},
		{map[string]string{lightstep.EnvAccessToken: token + "\x00"}, lightstep.EnvAccessToken, "[redacted]"},
	}
	for _, tt := range tests {
		t.Run(tt.setting+"="+tt.give[tt.setting], func(t *testing.T) {
			m := map[string]string{lightstep.EnvAccessToken: token}
			for k, v := range tt.give {
				m[k] = v
			}
			for name, call := range map[string]func() error{
				"OptionsFromConfig": func() error {
					_, err := lightstep.OptionsFromConfig(tracer.Config{Lookup: tracer.MapLookup(m)})
					return err
				},
				"Open": func() error {
					inst, err := lightstep.Open(tracer.Config{Lookup: tracer.MapLookup(m)})
					if err == nil {
						_ = shutdown(t, inst, time.Second)
					}
					return err
				},
			} {
				err := call()
				if err == nil {
					t.Fatalf("%s: no error", name)
				}
				msg := err.Error()
				var ee *envconf.Error
				if !errors.As(err, &ee) || ee.Name != tt.setting || !errors.Is(err, tracer.ErrInvalidConfig) {
					t.Errorf("%s: %q is not an envconf.Error naming %s wrapping ErrInvalidConfig", name, msg, tt.setting)
				}
				if !strings.HasPrefix(msg, "lightstep: "+tt.setting+"=") || !strings.Contains(msg, tt.want) {
					t.Errorf("%s: error %q, want it to start with lightstep: %s= and contain %q", name, msg, tt.setting, tt.want)
				}
				if strings.Contains(msg, token) || strings.Contains(msg, "hunter2") {
					t.Errorf("%s: error %q leaks a secret", name, msg)
				}
			}
		})
	}
}

func TestNew(t *testing.T) {
	r := lightsteptest.Start(t, lightsteptest.GRPC)
	inst, err := lightstep.New(tracer.Config{ServiceName: "in-code"}, lightstep.Options{
		AccessToken: token, CollectorHost: r.Host, CollectorPort: r.Port, Plaintext: true, Transport: "gRPC",
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	inst.Tracer.StartSpan("from-code").Finish()
	if err := shutdown(t, inst, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	spans := r.Spans()
	if len(spans) != 1 || spans[0].Operation != "from-code" || spans[0].Component != "in-code" {
		t.Errorf("spans = %+v, want from-code from component in-code", spans)
	}
}

func TestNewErrors(t *testing.T) {
	good := lightstep.Options{AccessToken: token}
	tests := []struct {
		name    string
		cfg     tracer.Config
		opts    lightstep.Options
		setting string
		want    string
	}{
		{"no token", tracer.Config{}, lightstep.Options{}, lightstep.EnvAccessToken, "required"},
		{"transport", tracer.Config{}, lightstep.Options{AccessToken: token, Transport: "udp"}, lightstep.EnvTransport, `"udp"`},
		{"negative port", tracer.Config{}, lightstep.Options{AccessToken: token, CollectorPort: -1}, lightstep.EnvCollectorPort, `"-1"`},
		{"rate above 1", tracer.Config{SampleRate: tracer.Rate(1.5)}, good, "TRACER_SAMPLE_RATE", `"1.5": want a number from 0 to 1`},
		{"rate below 0", tracer.Config{SampleRate: tracer.Rate(-0.1)}, good, "TRACER_SAMPLE_RATE", `"-0.1"`},
		{"rate NaN", tracer.Config{SampleRate: tracer.Rate(math.NaN())}, good, "TRACER_SAMPLE_RATE", `"NaN"`},
		{"reserved tag", tracer.Config{Tags: map[string]string{"lightstep.guid": "7"}}, good, "TRACER_TAGS", `"lightstep.guid=7"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inst, err := lightstep.New(tt.cfg, tt.opts)
			if err == nil {
				_ = shutdown(t, inst, time.Second)
				t.Fatal("no error")
			}
			var ee *envconf.Error
			if !errors.As(err, &ee) || ee.Name != tt.setting || !errors.Is(err, tracer.ErrInvalidConfig) {
				t.Errorf("error %q is not an envconf.Error naming %s", err, tt.setting)
			}
			if !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), token) {
				t.Errorf("error %q: want it to contain %q and not the token", err, tt.want)
			}
		})
	}
}

func TestSampleRateAccepted(t *testing.T) {
	for _, rate := range []*float64{nil, tracer.Rate(0), tracer.Rate(0.5), tracer.Rate(1)} {
		inst, err := lightstep.New(tracer.Config{SampleRate: rate}, lightstep.Options{AccessToken: token, CollectorHost: "127.0.0.1", CollectorPort: 9, Plaintext: true})
		if err != nil {
			t.Errorf("SampleRate %v: %v", rate, err)
			continue
		}
		_ = shutdown(t, inst, time.Second)
	}
}

// TestSampleRateZero sends nothing of new traces but keeps the caller's
// decision for continued ones.
func TestSampleRateZero(t *testing.T) {
	r := lightsteptest.Start(t, lightsteptest.HTTP)
	inst := open(t, tracer.Config{SampleRate: tracer.Rate(0), Lookup: tracer.MapLookup(settings(r.Host, r.Port, "http", nil))})
	ot := inst.Tracer

	root := ot.StartSpan("new-trace")
	ot.StartSpan("new-trace-child", opentracing.ChildOf(root.Context())).Finish()
	hdr := http.Header{}
	if err := ot.Inject(root.Context(), opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(hdr)); err != nil {
		t.Fatal(err)
	}
	if got := hdr.Get("Ot-Tracer-Sampled"); got != "false" {
		t.Errorf("unsampled root propagates ot-tracer-sampled=%q, want false", got)
	}
	root.Finish()

	for _, sampled := range []string{"true", "false"} {
		in := http.Header{"Ot-Tracer-Traceid": {"abc"}, "Ot-Tracer-Spanid": {"def"}, "Ot-Tracer-Sampled": {sampled}}
		sc, err := ot.Extract(opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(in))
		if err != nil {
			t.Fatal(err)
		}
		ot.StartSpan("continued-"+sampled, opentracing.ChildOf(sc)).Finish()
	}
	if err := shutdown(t, inst, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	var ops []string
	for _, s := range r.Spans() {
		ops = append(ops, s.Operation)
	}
	if !reflect.DeepEqual(ops, []string{"continued-true"}) {
		t.Errorf("collector got %q, want only the span continuing a sampled caller", ops)
	}
}

func TestOptionsNeverPrintToken(t *testing.T) {
	o := lightstep.Options{AccessToken: token, CollectorHost: "h", CollectorPort: 1, Transport: "http"}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d", "%T %v"} {
		got := fmt.Sprintf(verb, o)
		if strings.Contains(got, token) || strings.Contains(got, fmt.Sprintf("%x", token)) {
			t.Errorf("Sprintf(%q) = %s: leaks the token", verb, got)
		}
		if !strings.Contains(got, "[redacted]") && verb != "%T %v" {
			t.Errorf("Sprintf(%q) = %s: want [redacted] in place of the token", verb, got)
		}
	}
	if got := fmt.Sprint(&o); strings.Contains(got, token) {
		t.Errorf("Sprint(&o) = %s: leaks the token", got)
	}
	b, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), token) {
		t.Errorf("JSON %s leaks the token", b)
	}
	if got := fmt.Sprint(lightstep.Options{}); !strings.Contains(got, `AccessToken:""`) {
		t.Errorf("empty token printed as %s, want AccessToken:\"\"", got)
	}
}

// TestTLSUnlessPlaintext points both transports, without
// LIGHTSTEP_COLLECTOR_PLAINTEXT, at a TLS server whose certificate no
// system root trusts: the server sees a TLS handshake that the client
// aborts, proving reports go over TLS and check the certificate.
func TestTLSUnlessPlaintext(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			logs := &syncbuf.Buffer{}
			srv := httptest.NewUnstartedServer(http.NotFoundHandler())
			srv.Config.ErrorLog = log.New(logs, "", 0)
			srv.EnableHTTP2 = true // gRPC insists on ALPN h2
			srv.StartTLS()
			t.Cleanup(srv.Close)
			addr := srv.Listener.Addr().(*net.TCPAddr)

			m := settings(addr.IP.String(), addr.Port, tr, nil)
			delete(m, lightstep.EnvCollectorPlaintext)
			inst := open(t, tracer.Config{Lookup: tracer.MapLookup(m)})
			inst.Tracer.StartSpan("over-tls").Finish()
			_ = shutdown(t, inst, 5*time.Second)

			deadline := time.Now().Add(10 * time.Second)
			for !strings.Contains(logs.String(), "TLS handshake error") || !strings.Contains(logs.String(), "remote error: tls") {
				if time.Now().After(deadline) {
					t.Fatalf("no TLS handshake rejected by the client reached the server; its log: %q", logs.String())
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
}

func TestReporterTags(t *testing.T) {
	exe := filepath.Base(os.Args[0])
	tests := []struct {
		name          string
		service       string
		tags          map[string]string
		wantComponent string
		wantCmdLine   string
	}{
		{"service name", "checkout", nil, "checkout", exe},
		{"service name wins over tag", "checkout", map[string]string{lsgo.ComponentNameKey: "other"}, "checkout", exe},
		{"default service name", "", nil, tracer.DefaultServiceName(), exe},
		{"command line from tag", "checkout", map[string]string{lsgo.CommandLineKey: "server --port 80"}, "checkout", "server --port 80"},
	}
	r := lightsteptest.Start(t, lightsteptest.HTTP)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inst := open(t, tracer.Config{ServiceName: tt.service, Tags: tt.tags,
				Lookup: tracer.MapLookup(settings(r.Host, r.Port, "http", nil))})
			inst.Tracer.StartSpan(tt.name).Finish()
			if err := shutdown(t, inst, 10*time.Second); err != nil {
				t.Fatal(err)
			}
			var got *lightsteptest.Span
			for _, s := range r.Spans() {
				if s.Operation == tt.name {
					got = &s
				}
			}
			if got == nil {
				t.Fatalf("span %q not received", tt.name)
			}
			if got.Component != tt.wantComponent || got.ReporterTags[lsgo.CommandLineKey] != tt.wantCmdLine {
				t.Errorf("component %q, command line %q; want %q, %q",
					got.Component, got.ReporterTags[lsgo.CommandLineKey], tt.wantComponent, tt.wantCmdLine)
			}
		})
	}
}
