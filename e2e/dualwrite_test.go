package e2e

import (
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/polytrace/polytrace/internal/jaegertest"
	"github.com/polytrace/polytrace/internal/lightsteptest"
)

// TestDualWrite runs the example with two backends at once, each with a
// collector of its own: every span must be in both, with the same ids
// (trace ids to the 64 bits Lightstep keeps), and each collector must
// hold whole traces across both services.
func TestDualWrite(t *testing.T) {
	t.Run("jaeger,lightstep", func(t *testing.T) {
		j := jaegertest.Start(t)
		r := lightsteptest.Start(t, lightsteptest.GRPC)
		runExample(t, map[string]string{
			"TRACER_BACKEND":                "jaeger,lightstep",
			"TRACER_TAGS":                   "run=jaeger-lightstep",
			"JAEGER_ENDPOINT":               j.CollectorURL,
			"LIGHTSTEP_ACCESS_TOKEN":        "e2e-access-token",
			"LIGHTSTEP_COLLECTOR_HOST":      r.Host,
			"LIGHTSTEP_COLLECTOR_PORT":      strconv.Itoa(r.Port),
			"LIGHTSTEP_COLLECTOR_PLAINTEXT": "true",
			"LIGHTSTEP_TRANSPORT":           lightsteptest.GRPC,
		})
		inJaeger := waitJaeger(t, j, "jaeger-lightstep", 2*requests, 2*requests)
		inLightstep := lightstepSpans(r)
		checkTraces(t, inJaeger, "checkout", "inventory")
		checkTraces(t, inLightstep, "checkout", "inventory")
		sameSpans(t, "jaeger", inJaeger, "lightstep", inLightstep)
	})
	t.Run("otel,zipkin", func(t *testing.T) {
		// Two Jaegers: one receives OTLP, the other Zipkin's JSON.
		otlp, zipkin := jaegertest.Start(t), jaegertest.Start(t)
		runExample(t, map[string]string{
			"TRACER_BACKEND":              "otel,zipkin",
			"TRACER_TAGS":                 "run=otel-zipkin",
			"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
			"OTEL_EXPORTER_OTLP_ENDPOINT": otlp.OTLPHTTPURL,
			"ZIPKIN_ENDPOINT":             zipkin.ZipkinURL,
		})
		fromOTLP := waitJaeger(t, otlp, "otel-zipkin", 2*requests, 2*requests)
		fromZipkin := waitJaeger(t, zipkin, "otel-zipkin", 2*requests, 2*requests)
		checkTraces(t, fromOTLP, "checkout", "inventory")
		checkTraces(t, fromZipkin, "checkout", "inventory")
		sameSpans(t, "otel", fromOTLP, "zipkin", fromZipkin)
	})
}

// sameSpans checks that two collectors hold the same spans: the same
// trace, span and parent ids, service and operation (trace ids compared
// on the low 64 bits when one side keeps only those).
func sameSpans(t *testing.T, nameA string, a []span, nameB string, b []span) {
	t.Helper()
	key := func(s span) string {
		tid := s.TraceID
		if len(tid) > 16 {
			tid = tid[len(tid)-16:]
		}
		// Zipkin's client lower-cases span names.
		return tid + "/" + s.SpanID + "/" + s.ParentID + "/" + s.Service + "/" + strings.ToLower(s.Operation)
	}
	keys := func(spans []span) []string {
		out := make([]string, len(spans))
		for i, s := range spans {
			out[i] = key(s)
		}
		sort.Strings(out)
		return out
	}
	ka, kb := keys(a), keys(b)
	if len(ka) != len(kb) {
		t.Fatalf("%s holds %d spans, %s %d:\n%s\n%s", nameA, len(ka), nameB, len(kb), dump(a), dump(b))
	}
	for i := range ka {
		if ka[i] != kb[i] {
			t.Errorf("%s and %s differ: %s vs %s", nameA, nameB, ka[i], kb[i])
		}
	}
	full := 0
	for _, s := range a {
		for _, o := range b {
			if s.TraceID == o.TraceID && s.SpanID == o.SpanID {
				full++
			}
		}
	}
	t.Logf("%s and %s hold the same %d spans (%d with identical full trace ids)", nameA, nameB, len(ka), full)
}
