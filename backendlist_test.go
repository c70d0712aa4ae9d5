package polytrace

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"

	"github.com/polytrace/polytrace/ginmw"
	"github.com/polytrace/polytrace/httpclient"
	"github.com/polytrace/polytrace/internal/lightsteptest"
	"github.com/polytrace/polytrace/internal/sampling"
	"github.com/polytrace/polytrace/tracelog"
	"github.com/polytrace/polytrace/tracer"
)

func TestBackendListErrors(t *testing.T) {
	for _, tt := range []struct {
		value, problem string
	}{
		{"jaeger,,otel", "the list has an empty name"},
		{"jaeger,", "the list has an empty name"},
		{"jaeger,jeager", `"jeager" is not a backend`},
		{"otel,OTEL", "otel is listed twice"},
		{"jaeger,noop", "noop cannot be listed with other backends"},
		{"noop,noop", "noop cannot be listed with other backends"},
	} {
		t.Run(tt.value, func(t *testing.T) {
			_, _, err := configFromEnv(tracer.MapLookup(map[string]string{"TRACER_BACKEND": tt.value}))
			if err == nil {
				t.Fatalf("TRACER_BACKEND=%q: no error", tt.value)
			}
			for _, want := range []string{`TRACER_BACKEND="` + tt.value + `"`, tt.problem, "jaeger, lightstep, noop, otel, stdout, ui, zipkin", "comma-separated list"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
			if !errors.Is(err, tracer.ErrUnknownBackend) {
				t.Errorf("error %v does not wrap ErrUnknownBackend", err)
			}
			tr, err := New(tt.value, tracer.Config{})
			if err == nil || !strings.Contains(err.Error(), tt.problem) || tr == nil || tr.Backend() != "noop" {
				t.Errorf("New(%q) = %v, %v; want a no-op tracer and an error saying %q", tt.value, tr, err, tt.problem)
			}
		})
	}
	for _, ok := range []string{"jaeger", " Zipkin , lightstep ", "stdout,ui,otel"} {
		backend, _, err := configFromEnv(tracer.MapLookup(map[string]string{"TRACER_BACKEND": ok}))
		want := strings.ReplaceAll(strings.ToLower(ok), " ", "")
		if err != nil || backend != want {
			t.Errorf("TRACER_BACKEND=%q: backend %q, error %v; want %q", ok, backend, err, want)
		}
	}
}

// zipkinReceiver is a Zipkin v2 JSON endpoint keeping the spans posted.
type zipkinReceiver struct {
	*httptest.Server
	mu    sync.Mutex
	spans []zipkinSpan
}

type zipkinSpan struct {
	TraceID   string            `json:"traceId"`
	ID        string            `json:"id"`
	ParentID  string            `json:"parentId"`
	Name      string            `json:"name"`
	Kind      string            `json:"kind"`
	Timestamp int64             `json:"timestamp"`
	Duration  int64             `json:"duration"`
	Tags      map[string]string `json:"tags"`
}

func startZipkin(t *testing.T) *zipkinReceiver {
	r := &zipkinReceiver{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var spans []zipkinSpan
		if err := json.NewDecoder(req.Body).Decode(&spans); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		r.spans = append(r.spans, spans...)
		r.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(r.Close)
	return r
}

// recorded is a span as either receiver got it: ids in hex (trace ids
// 64-bit, as Lightstep keeps them), microsecond times and tags.
type recorded struct {
	name, trace, span, parent string
	start, finish             int64
	tags                      string
}

func (r *zipkinReceiver) recorded() []recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []recorded
	for _, s := range r.spans {
		tags := map[string]string{}
		for k, v := range s.Tags {
			tags[k] = v
		}
		if s.Kind != "" {
			tags["span.kind"] = strings.ToLower(s.Kind)
		}
		out = append(out, recorded{s.Name, s.TraceID[len(s.TraceID)-16:], s.ID, s.ParentID, s.Timestamp, s.Timestamp + s.Duration, tagText(tags)})
	}
	return sorted(out)
}

func fromLightstep(r *lightsteptest.Receiver) []recorded {
	var out []recorded
	for _, s := range r.Spans() {
		parent := ""
		if s.ParentSpanID != 0 {
			parent = fmt.Sprintf("%016x", s.ParentSpanID)
		}
		start := s.Start.UnixMicro()
		out = append(out, recorded{s.Operation, fmt.Sprintf("%016x", s.TraceID), fmt.Sprintf("%016x", s.SpanID), parent,
			start, start + s.Duration.Microseconds(), tagText(s.Tags)})
	}
	return sorted(out)
}

// tagText is the tags both backends keep alike, as sorted k=v text: the
// span's own tags, without the clients' additions (Lightstep's guid and
// component tags, Zipkin's none).
func tagText(tags map[string]string) string {
	var kv []string
	for k, v := range tags {
		if !strings.HasPrefix(k, "lightstep.") {
			kv = append(kv, k+"="+v)
		}
	}
	sort.Strings(kv)
	return strings.Join(kv, ",")
}

func sorted(rs []recorded) []recorded {
	sort.Slice(rs, func(i, j int) bool { return rs[i].name < rs[j].name })
	return rs
}

// openPair opens TRACER_BACKEND=backend over a Lightstep receiver and a
// Zipkin one.
func openPair(t *testing.T, backend string, rate float64, ls *lightsteptest.Receiver, zipkinURL string) *Tracer {
	t.Helper()
	tr, err := New(backend, tracer.Config{ServiceName: "list", SampleRate: tracer.Rate(rate), Lookup: tracer.MapLookup(map[string]string{
		"LIGHTSTEP_ACCESS_TOKEN": "token", "LIGHTSTEP_COLLECTOR_HOST": ls.Host, "LIGHTSTEP_COLLECTOR_PORT": strconv.Itoa(ls.Port),
		"LIGHTSTEP_COLLECTOR_PLAINTEXT": "true", "LIGHTSTEP_TRANSPORT": ls.Transport,
		"ZIPKIN_ENDPOINT": zipkinURL, "ZIPKIN_BATCH_INTERVAL": "20ms",
	})})
	if err != nil {
		t.Fatalf("New(%q): %v", backend, err)
	}
	return tr
}

// exercise starts four spans: a root, a client child, a server span
// extracted from the client's headers (a simulated process boundary)
// and a span started through the OpenTelemetry API, with tags, baggage
// and a log.
func exercise(t *testing.T, tr *Tracer) (headers http.Header) {
	t.Helper()
	root := tr.StartSpan("root", opentracing.Tag{Key: "k", Value: "v"})
	root.SetBaggageItem("tenant", "t1")
	client := tr.StartSpan("client", opentracing.ChildOf(root.Context()), ext.SpanKindRPCClient)
	headers = http.Header{}
	if err := tr.Inject(client.Context(), opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(headers)); err != nil {
		t.Fatalf("Inject: %v", err)
	}
	remote, err := tr.Extract(opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(headers))
	if err != nil {
		t.Fatalf("Extract(%v): %v", headers, err)
	}
	server := tr.StartSpan("server", ext.RPCServerOption(remote))
	if got := server.BaggageItem("tenant"); got != "t1" {
		t.Errorf("server's baggage tenant = %q, want t1", got)
	}
	ctx := opentracing.ContextWithSpan(context.Background(), server)
	_, otel := tr.TracerProvider().Tracer("test").Start(ctx, "otel-child")
	otel.End()
	server.LogKV("event", "served")
	server.Finish()
	client.SetTag("http.status_code", 200)
	client.Finish()
	root.Finish()
	return headers
}

func TestBackendListRecordsEachSpanInEveryBackend(t *testing.T) {
	for _, tt := range []struct {
		backend string
		header  string // the first backend's native format
		other   string // the other's
	}{
		{"lightstep,zipkin", "Ot-Tracer-", "X-B3-"},
		{"zipkin,lightstep", "X-B3-", "Ot-Tracer-"},
	} {
		t.Run(tt.backend, func(t *testing.T) {
			ls := lightsteptest.Start(t, lightsteptest.HTTP)
			zk := startZipkin(t)
			tr := openPair(t, tt.backend, 1, ls, zk.URL+"/api/v2/spans")
			if tr.Backend() != tt.backend {
				t.Errorf("Backend() = %q, want %q", tr.Backend(), tt.backend)
			}
			headers := exercise(t, tr)
			var first, other int
			for k := range headers {
				first += strings.Count(k, tt.header)
				other += strings.Count(k, tt.other)
			}
			if first == 0 || other > 0 {
				t.Errorf("injected %v, want the first backend's format only (%s*)", headers, tt.header)
			}
			if err := tr.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			fromLS, fromZK := fromLightstep(ls), zk.recorded()
			if len(fromLS) != 4 || len(fromZK) != 4 {
				t.Fatalf("lightstep got %d spans, zipkin %d; want 4 each:\n%v\n%v", len(fromLS), len(fromZK), fromLS, fromZK)
			}
			byName := map[string]recorded{}
			for i := range fromLS {
				if fromLS[i] != fromZK[i] {
					t.Errorf("lightstep and zipkin differ:\n  %+v\n  %+v", fromLS[i], fromZK[i])
				}
				byName[fromLS[i].name] = fromLS[i]
			}
			for child, parent := range map[string]string{"client": "root", "server": "client", "otel-child": "server"} {
				if byName[child].parent != byName[parent].span || byName[child].trace != byName["root"].trace {
					t.Errorf("%s: trace %s parent %s, want trace %s parent %s (%s)", child, byName[child].trace,
						byName[child].parent, byName["root"].trace, byName[parent].span, parent)
				}
			}
			for name, tag := range map[string]string{"root": "k=v", "client": "http.status_code=200", "server": "span.kind=server", "otel-child": "otel.scope.name=test"} {
				if !strings.Contains(byName[name].tags, tag) {
					t.Errorf("%s: tags %s lack %s", name, byName[name].tags, tag)
				}
			}
			s := tr.Stats()
			if s.SpansFinished != 4 || s.SpansExported != 4 || s.SpansDropped != 0 {
				t.Errorf("Stats = %+v, want 4 spans finished and exported", s)
			}
			each := tr.StatsByBackend()
			for _, name := range strings.Split(tt.backend, ",") {
				if got := each[name]; got.SpansExported != 4 {
					t.Errorf("StatsByBackend()[%s] = %+v, want 4 spans exported", name, got)
				}
			}
		})
	}
}

func TestBackendListUnsampled(t *testing.T) {
	ls := lightsteptest.Start(t, lightsteptest.HTTP)
	zk := startZipkin(t)
	tr := openPair(t, "zipkin,lightstep", 0, ls, zk.URL+"/api/v2/spans")
	span := tr.StartSpan("unsampled")
	if span.Tracer() != tr.Unwrap() || sampling.Recorded(span) {
		t.Errorf("an unsampled span of %T (recorded %v), want the first backend's light span", span.Tracer(), sampling.Recorded(span))
	}
	exercise(t, tr)
	span.Finish()
	if err := tr.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if got, gotZ := fromLightstep(ls), zk.recorded(); len(got)+len(gotZ) != 0 {
		t.Errorf("unsampled spans reached the collectors: %v %v", got, gotZ)
	}
}

// TestBackendListIsolatesFaults black-holes one backend's collector:
// spans still reach the other, nothing blocks, and Shutdown returns by
// its deadline with the other's spans delivered.
func TestBackendListIsolatesFaults(t *testing.T) {
	zk := startZipkin(t)
	host, port := lightsteptest.BlackHole(t)
	hole := &lightsteptest.Receiver{Host: host, Port: port, Transport: lightsteptest.HTTP}
	tr := openPair(t, "lightstep,zipkin", 1, hole, zk.URL+"/api/v2/spans")
	const n = 200
	start := time.Now()
	for i := 0; i < n; i++ {
		tr.StartSpan("op-" + strconv.Itoa(i)).Finish()
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("starting and finishing %d spans took %v", n, d)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	start = time.Now()
	err := tr.Shutdown(ctx)
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("Shutdown took %v past a 2s deadline", took)
	}
	if err == nil || !strings.Contains(err.Error(), "lightstep") {
		t.Errorf("Shutdown = %v, want the black-holed lightstep backend's error", err)
	}
	if got := len(zk.recorded()); got != n {
		t.Errorf("zipkin got %d of %d spans", got, n)
	}
	each := tr.StatsByBackend()
	if z := each["zipkin"]; z.SpansExported != n || z.SpansDropped != 0 {
		t.Errorf("zipkin's stats %+v, want %d exported", z, n)
	}
	if l := each["lightstep"]; l.SpansExported != 0 || l.SpansDropped != n {
		t.Errorf("lightstep's stats %+v, want %d dropped", l, n)
	}
	if s := tr.Stats(); s.SpansExported != 0 || s.SpansDropped != n || s.SpansFinished != n {
		t.Errorf("Stats = %+v, want %d finished, all dropped (by lightstep)", s, n)
	}
}

func TestBackendListUnwrap(t *testing.T) {
	ls := lightsteptest.Start(t, lightsteptest.HTTP)
	zk := startZipkin(t)
	tr := openPair(t, "zipkin,lightstep", 1, ls, zk.URL+"/api/v2/spans")
	defer tr.Close()
	if tr.Unwrap() == nil || tr.Unwrap() == tr.ot {
		t.Errorf("Unwrap() = %T, want the first backend's tracer", tr.Unwrap())
	}
	if span := tr.StartSpan("x"); span.Tracer() == tr.Unwrap() {
		t.Errorf("a sampled span of a list is the first backend's alone")
	}
}

// TestBackendListThroughGinHTTPClientAndLogs serves a request through
// ginmw on a list, whose handler calls out through httpclient and logs
// the ids tracelog finds: both collectors hold the server and client
// spans, with the ids of the log line.
func TestBackendListThroughGinHTTPClientAndLogs(t *testing.T) {
	ls := lightsteptest.Start(t, lightsteptest.HTTP)
	zk := startZipkin(t)
	tr := openPair(t, "zipkin,lightstep", 1, ls, zk.URL+"/api/v2/spans")
	var inbound http.Header
	downstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { inbound = r.Header.Clone() }))
	defer downstream.Close()
	client := httpclient.Client(nil, httpclient.WithTracer(tr))
	var logged [2]string
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	e.Use(ginmw.Middleware(tr))
	e.GET("/users/:id", func(c *gin.Context) {
		logged[0], logged[1], _ = tracelog.IDs(c.Request.Context())
		req, _ := http.NewRequestWithContext(c.Request.Context(), http.MethodGet, downstream.URL, nil)
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
		}
		c.String(http.StatusOK, "user")
	})
	w := httptest.NewRecorder()
	e.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/users/42?token=secret", nil))
	if w.Code != http.StatusOK {
		t.Fatalf("status %d", w.Code)
	}
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	fromLS, fromZK := fromLightstep(ls), zk.recorded()
	if len(fromLS) != 2 || len(fromZK) != 2 {
		t.Fatalf("lightstep got %v, zipkin %v; want the server and client spans in each", fromLS, fromZK)
	}
	for i := range fromLS {
		// Zipkin's client lower-cases names and keeps peer.* as the
		// remote endpoint: compare what both keep.
		l, z := fromLS[i], fromZK[i]
		l.name, l.tags, z.tags = strings.ToLower(l.name), "", ""
		if l != z {
			t.Errorf("lightstep and zipkin differ:\n  %+v\n  %+v", fromLS[i], fromZK[i])
		}
		if !strings.Contains(fromLS[i].tags, "http.status_code=200") || !strings.Contains(fromZK[i].tags, "http.status_code=200") {
			t.Errorf("%s: tags %s and %s, want http.status_code=200 in both", l.name, fromLS[i].tags, fromZK[i].tags)
		}
		if strings.Contains(fromLS[i].tags+fromZK[i].tags, "secret") {
			t.Errorf("a span holds the query string: %s", fromLS[i].tags)
		}
	}
	server := fromZK[0] // "get /users/:id" sorts before "http get"
	if !strings.HasSuffix(logged[0], server.trace) || logged[1] != server.span {
		t.Errorf("tracelog gave trace %s span %s, want the server span's %s/%s", logged[0], logged[1], server.trace, server.span)
	}
	if !strings.HasSuffix(inbound.Get("X-B3-Traceid"), server.trace) || inbound.Get("X-B3-Spanid") != fromZK[1].span {
		t.Errorf("downstream got %v, want B3 headers of the client span %+v", inbound, fromZK[1])
	}
}

func TestBackendListStrict(t *testing.T) {
	ls := lightsteptest.Start(t, lightsteptest.HTTP)
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	_, err := New("lightstep,zipkin", tracer.Config{ServiceName: "list", Strict: true, FlushTimeout: time.Second,
		Lookup: tracer.MapLookup(map[string]string{
			"LIGHTSTEP_ACCESS_TOKEN": "token", "LIGHTSTEP_COLLECTOR_HOST": ls.Host, "LIGHTSTEP_COLLECTOR_PORT": strconv.Itoa(ls.Port),
			"LIGHTSTEP_COLLECTOR_PLAINTEXT": "true", "ZIPKIN_ENDPOINT": closed.URL + "/api/v2/spans",
		})})
	if err == nil || !errors.Is(err, tracer.ErrCollectorUnreachable) || !strings.Contains(err.Error(), "TRACER_STRICT") ||
		!strings.Contains(err.Error(), "zipkin") {
		t.Errorf("New with zipkin's collector closed and TRACER_STRICT = %v, want an error naming TRACER_STRICT and zipkin", err)
	}
}
