package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/polytrace/polytrace"
	"github.com/polytrace/polytrace/examples/twoservice/shop"
	"github.com/polytrace/polytrace/internal/jaegertest"
	"github.com/polytrace/polytrace/internal/lightsteptest"
	"github.com/polytrace/polytrace/internal/syncbuf"
	"github.com/polytrace/polytrace/propagation"
	"github.com/polytrace/polytrace/tracelog"
	"github.com/polytrace/polytrace/tracer"
)

// The mixed tests run the example's two services in this process, each on
// a different backend: the checkout frontend on one, the inventory backend
// on another, with TRACER_PROPAGATION (Config.Propagation) set so that
// they understand each other. The spans of both, read back from the
// collectors, must form one trace per request, and the services' log
// lines must carry the ids of those traces.

// service is one side of a mixed run: a backend and its settings.
type service struct {
	backend     string
	settings    map[string]string
	propagation string // TRACER_PROPAGATION; empty is the backend's native format
}

// mixedRun starts inventory on b and checkout on f, sends the example's
// requests through checkout, shuts both tracers down (flushing them) and
// returns the JSON log records the services wrote through slog.
func mixedRun(t *testing.T, runID string, f, b service) []map[string]any {
	t.Helper()
	logs := captureSlog(t)
	gin.SetMode(gin.ReleaseMode)
	open := func(name string, s service) *polytrace.Tracer {
		fs, err := propagation.Parse(s.propagation)
		if err != nil {
			t.Fatal(err)
		}
		tr, err := polytrace.New(s.backend, tracer.Config{ServiceName: name, Tags: map[string]string{"run": runID},
			Propagation: fs, Lookup: tracer.MapLookup(s.settings)})
		if err != nil {
			t.Fatalf("%s on %s: %v", name, s.backend, err)
		}
		return tr
	}
	inventory, checkout := open("inventory", b), open("checkout", f)
	backendSrv := httptest.NewServer(shop.Backend(inventory))
	frontendSrv := httptest.NewServer(shop.Frontend(checkout, backendSrv.URL, nil))
	for i := range requests {
		resp, err := http.Get(fmt.Sprintf("%s/checkout/sku-%d", frontendSrv.URL, i))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /checkout/sku-%d: %s %s", i, resp.Status, body)
		}
	}
	frontendSrv.Close()
	backendSrv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := errors.Join(checkout.Shutdown(ctx), inventory.Shutdown(ctx)); err != nil {
		t.Fatalf("shut down: %v", err)
	}
	var records []map[string]any
	for line := range strings.SplitSeq(strings.TrimSpace(string(logs.Bytes())), "\n") {
		var r map[string]any
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("log line is not JSON: %v: %s", err, line)
		}
		records = append(records, r)
	}
	return records
}

// captureSlog sends slog's default logger, which the shop package logs
// through, to a buffer of JSON lines via tracelog's handler, as the
// example's main does, and puts everything back when t ends.
func captureSlog(t *testing.T) *syncbuf.Buffer {
	buf := &syncbuf.Buffer{}
	prev, out, flags := slog.Default(), log.Writer(), log.Flags()
	slog.SetDefault(slog.New(tracelog.NewHandler(slog.NewJSONHandler(buf, nil))))
	t.Cleanup(func() {
		slog.SetDefault(prev)
		log.SetOutput(out)
		log.SetFlags(flags)
	})
	return buf
}

// checkLogs asserts that the services logged one "looking up stock" line
// (inventory, in its lookup-stock span) and one "checked out" line
// (checkout, in its server span) per request, each carrying the trace and
// span ids of that span as collected. Ids compare by value: collectors
// and clients pad them differently.
func checkLogs(t *testing.T, records []map[string]any, spans []span) {
	t.Helper()
	want := map[string]string{"looking up stock": "lookup-stock", "checked out": "GET /checkout/:sku"}
	seen := map[string]int{}
	for _, r := range records {
		msg, _ := r["msg"].(string)
		op, ok := want[msg]
		if !ok {
			continue
		}
		seen[msg]++
		traceID, _ := r[tracelog.TraceIDKey].(string)
		spanID, _ := r[tracelog.SpanIDKey].(string)
		found := false
		for _, s := range spans {
			if strings.EqualFold(s.Operation, op) && sameID(s.TraceID, traceID) && sameID(s.SpanID, spanID) {
				found = true
			}
		}
		if !found {
			t.Errorf("log line %v: no collected %q span with trace_id %q and span_id %q:\n%s", r, op, traceID, spanID, dump(spans))
		}
	}
	for msg := range want {
		if seen[msg] != requests {
			t.Errorf("%d %q log lines, want %d", seen[msg], msg, requests)
		}
	}
}

// sameID compares hex ids by value, ignoring leading zeros.
func sameID(a, b string) bool {
	a, b = strings.TrimLeft(strings.ToLower(a), "0"), strings.TrimLeft(strings.ToLower(b), "0")
	return a != "" && a == b
}

// waitJaeger waits until Jaeger holds the run's spans: nFront of checkout
// and nBack of inventory (by the services' names).
func waitJaeger(t *testing.T, j *jaegertest.Jaeger, runID string, nFront, nBack int) []span {
	var got []span
	j.WaitForTraces(t, "checkout", func(traces []jaegertest.Trace) bool {
		got = fromJaeger(traces, runID)
		n := map[string]int{}
		for _, s := range got {
			n[s.Service]++
		}
		return n["checkout"] == nFront && n["inventory"] == nBack
	}, time.Minute)
	return got
}

// TestMixedJaegerToZipkin: checkout on the jaeger backend (128-bit trace
// ids, over the HTTP collector), inventory on the zipkin backend (into
// Jaeger's Zipkin receiver), both speaking W3C trace context only. One
// Jaeger holds both sides; each request must be one trace with its 128-bit
// id intact across the hop.
func TestMixedJaegerToZipkin(t *testing.T) {
	j := jaegertest.Start(t)
	const runID = "mixed-jaeger-zipkin"
	logs := mixedRun(t, runID,
		service{"jaeger", map[string]string{"JAEGER_ENDPOINT": j.CollectorURL, "JAEGER_TRACEID_128BIT": "true"}, "tracecontext"},
		service{"zipkin", map[string]string{"ZIPKIN_ENDPOINT": j.ZipkinURL}, "tracecontext"})
	got := waitJaeger(t, j, runID, 2*requests, 2*requests)
	checkTraces(t, got, "checkout", "inventory")
	checkReporters(t, got, map[string]string{"checkout": "jaeger", "inventory": "zipkin"})
	for _, s := range got {
		if len(strings.TrimLeft(s.TraceID, "0")) <= 16 {
			t.Errorf("%s: want a 128-bit trace id", s)
		}
	}
	checkLogs(t, logs, got)
	t.Logf("jaeger -> zipkin via tracecontext: %d spans in %d traces in one Jaeger, %d log lines correlated", len(got), requests, 2*requests)
	t.Logf("  e.g. %s", got[0])
}

// TestMixedZipkinToLightstep: checkout on the zipkin backend (into
// Jaeger), inventory on the lightstep backend (into the Lightstep
// receiver), via W3C trace context. Lightstep keeps the low 64 bits of
// Zipkin's 128-bit trace ids: the two collectors' spans join on them.
func TestMixedZipkinToLightstep(t *testing.T) {
	j := jaegertest.Start(t)
	r := lightsteptest.Start(t, lightsteptest.HTTP)
	const runID = "mixed-zipkin-lightstep"
	logs := mixedRun(t, runID,
		service{"zipkin", map[string]string{"ZIPKIN_ENDPOINT": j.ZipkinURL}, "tracecontext"},
		service{"lightstep", map[string]string{"LIGHTSTEP_ACCESS_TOKEN": "e2e-token", "LIGHTSTEP_COLLECTOR_HOST": r.Host,
			"LIGHTSTEP_COLLECTOR_PORT": strconv.Itoa(r.Port), "LIGHTSTEP_COLLECTOR_PLAINTEXT": "true"}, "tracecontext"})
	front := waitJaeger(t, j, runID, 2*requests, 0)
	checkReporters(t, front, map[string]string{"checkout": "zipkin"})
	full := map[string]string{} // low 64 bits -> Zipkin's 128-bit id
	var all []span
	for _, s := range front {
		if len(strings.TrimLeft(s.TraceID, "0")) <= 16 {
			t.Errorf("%s: want Zipkin's 128-bit trace id", s)
		}
		low := s.TraceID[len(s.TraceID)-16:]
		full[low] = s.TraceID
		s.TraceID = low
		all = append(all, s)
	}
	back := r.WaitForSpans(t, 2*requests, time.Minute)
	for _, ls := range back {
		all = append(all, fromLightstep(ls))
	}
	checkTraces(t, all, "checkout", "inventory")
	for i := range all {
		if all[i].Service == "checkout" {
			all[i].TraceID = full[all[i].TraceID] // checkout logs Zipkin's 128-bit id
		}
	}
	checkLogs(t, logs, all)
	t.Logf("zipkin -> lightstep via tracecontext: %d spans in Jaeger and %d in the Lightstep receiver, %d traces joined on the low 64 bits of the trace id",
		len(front), len(back), requests)
	t.Logf("  e.g. %s", all[len(all)-1])
}

// TestMixedJaegerToOTel: checkout on the jaeger backend speaking its
// native uber-trace-id (no TRACER_PROPAGATION: a service left as it was),
// inventory on the otel backend with TRACER_PROPAGATION=jaeger, both into
// one Jaeger (OTLP over HTTP for otel).
func TestMixedJaegerToOTel(t *testing.T) {
	j := jaegertest.Start(t)
	const runID = "mixed-jaeger-otel"
	logs := mixedRun(t, runID,
		service{"jaeger", map[string]string{"JAEGER_ENDPOINT": j.CollectorURL}, ""},
		service{"otel", map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf", "OTEL_EXPORTER_OTLP_ENDPOINT": j.OTLPHTTPURL}, "jaeger"})
	got := waitJaeger(t, j, runID, 2*requests, 2*requests)
	checkTraces(t, got, "checkout", "inventory")
	checkReporters(t, got, map[string]string{"checkout": "jaeger", "inventory": "otel"})
	checkLogs(t, logs, got)
	t.Logf("jaeger (native) -> otel (TRACER_PROPAGATION=jaeger): %d spans in %d traces in one Jaeger, %d log lines correlated", len(got), requests, 2*requests)
	t.Logf("  e.g. %s", got[0])
}

// fromLightstep is a span the Lightstep receiver decoded, with 16-digit
// ids as Lightstep shows them.
func fromLightstep(ls lightsteptest.Span) span {
	s := span{TraceID: fmt.Sprintf("%016x", ls.TraceID), SpanID: fmt.Sprintf("%016x", ls.SpanID),
		Service: ls.Component, Operation: ls.Operation, Tags: map[string]string{}}
	if ls.ParentSpanID != 0 {
		s.ParentID = fmt.Sprintf("%016x", ls.ParentSpanID)
	}
	for k, v := range ls.ReporterTags {
		s.Tags[k] = v
	}
	for k, v := range ls.Tags {
		s.Tags[k] = v
	}
	return s
}

// checkReporters asserts which client reported each service's spans to
// Jaeger, from the tags each adds: jaeger-client-go its version,
// OpenTelemetry's SDK its resource, Zipkin neither.
func checkReporters(t *testing.T, spans []span, want map[string]string) {
	t.Helper()
	for _, s := range spans {
		got := "zipkin"
		switch {
		case strings.HasPrefix(s.Tags["opencensus.exporterversion"], "Jaeger-Go"):
			got = "jaeger"
		case s.Tags["telemetry.sdk.language"] == "go":
			got = "otel"
		}
		if w, ok := want[s.Service]; ok && got != w {
			t.Errorf("%s: reported by %s, want %s", s, got, w)
		}
	}
}
