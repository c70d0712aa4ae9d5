package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/polytrace/polytrace/backends/lightstep"
	"github.com/polytrace/polytrace/internal/jaegertest"
	"github.com/polytrace/polytrace/internal/lightsteptest"
)

const requests = 3

// span is what every collector tells of a span, in one shape.
type span struct {
	Service, Operation, TraceID, SpanID, ParentID string
	Tags                                          map[string]string
	Logs                                          []string // every log field's value
}

// TestOneTracePerRequest runs the example against real collectors (Jaeger
// v2 for the jaeger, zipkin and otel backends; the Lightstep receiver; the
// stdout backend's lines) and checks that each request is one trace across
// both services, with the parent chain intact across both APIs:
//
//	checkout  GET /checkout/:sku   (ginmw, root)
//	checkout  price                (OpenTelemetry)
//	checkout  reserve              (OpenTracing)
//	checkout  otelhttp client span (OpenTelemetry instrumentation)
//	inventory GET /stock/:sku      (ginmw, through the propagator)
//	inventory lookup               (OpenTelemetry)
//	inventory db-query             (OpenTracing)
func TestMain(m *testing.M) {
	gin.SetMode(gin.ReleaseMode)
	os.Exit(m.Run())
}

func TestOneTracePerRequest(t *testing.T) {
	j := jaegertest.Start(t)
	for _, tt := range []struct {
		name string
		env  map[string]string
	}{
		{"jaeger", map[string]string{"TRACER_BACKEND": "jaeger", "JAEGER_ENDPOINT": j.CollectorURL}},
		{"zipkin", map[string]string{"TRACER_BACKEND": "zipkin", "ZIPKIN_ENDPOINT": j.ZipkinURL}},
		{"otel", map[string]string{"TRACER_BACKEND": "otel", "OTEL_EXPORTER_OTLP_ENDPOINT": j.OTLPHTTPURL}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tag := "run=" + tt.name
			tt.env["TRACER_TAGS"] = tag
			runIn(t, tt.env)
			var got []span
			j.WaitForTraces(t, "checkout", func(traces []jaegertest.Trace) bool {
				got = fromJaeger(traces, tt.name)
				return len(got) >= 7*requests
			}, time.Minute)
			check(t, got)
		})
	}
	t.Run("lightstep", func(t *testing.T) {
		r := lightsteptest.Start(t, lightsteptest.HTTP)
		runIn(t, map[string]string{"TRACER_BACKEND": "lightstep", lightstep.EnvAccessToken: "t",
			lightstep.EnvCollectorHost: r.Host, lightstep.EnvCollectorPort: fmt.Sprint(r.Port),
			lightstep.EnvCollectorPlaintext: "true", lightstep.EnvTransport: lightsteptest.HTTP})
		var got []span
		for _, s := range r.WaitForSpans(t, 7*requests, time.Minute) {
			p := ""
			if s.ParentSpanID != 0 {
				p = fmt.Sprintf("%016x", s.ParentSpanID)
			}
			var logs []string
			for _, l := range s.Logs {
				for _, v := range l.Fields {
					logs = append(logs, v)
				}
			}
			got = append(got, span{s.Component, s.Operation, fmt.Sprintf("%016x", s.TraceID), fmt.Sprintf("%016x", s.SpanID), p, s.Tags, logs})
		}
		check(t, got)
	})
	t.Run("stdout", func(t *testing.T) {
		rd, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		stdout := os.Stdout
		os.Stdout = w
		lines := make(chan []span)
		go func() { lines <- readLines(rd) }()
		runIn(t, map[string]string{"TRACER_BACKEND": "stdout"})
		os.Stdout = stdout
		w.Close()
		check(t, <-lines)
	})
}

// runIn runs the example with env, failing t unless every request got 200.
func runIn(t *testing.T, env map[string]string) {
	t.Helper()
	for k, v := range env {
		t.Setenv(k, v)
	}
	var log strings.Builder
	if err := run(&log, requests); err != nil {
		t.Fatalf("example: %v\n%s", err, log.String())
	}
	if n := strings.Count(log.String(), ": 200 OK"); n != requests {
		t.Fatalf("%d of %d requests answered 200:\n%s", n, requests, log.String())
	}
}

func fromJaeger(traces []jaegertest.Trace, run string) []span {
	var out []span
	for _, tr := range traces {
		mine := false
		for _, s := range tr.Spans {
			if v, ok := s.Tag("run"); ok && v == run {
				mine = true
			}
			for _, p := range tr.Processes {
				for _, kv := range p.Tags {
					if kv.Key == "run" && kv.Value == run {
						mine = true
					}
				}
			}
		}
		if !mine {
			continue
		}
		for _, s := range tr.Spans {
			tags := map[string]string{}
			for _, kv := range s.Tags {
				tags[kv.Key] = fmt.Sprint(kv.Value)
			}
			var logs []string
			for _, l := range s.Logs {
				for _, kv := range l.Fields {
					logs = append(logs, fmt.Sprint(kv.Value))
				}
			}
			out = append(out, span{tr.ServiceOf(s), s.OperationName, s.TraceID, s.SpanID, s.ParentSpanID(), tags, logs})
		}
	}
	return out
}

func readLines(r io.Reader) []span {
	var out []span
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var l struct {
			TraceID   string            `json:"trace_id"`
			SpanID    string            `json:"span_id"`
			ParentID  string            `json:"parent_id"`
			Service   string            `json:"service"`
			Operation string            `json:"operation"`
			Kind      string            `json:"kind"`
			Tags      map[string]string `json:"tags"`
			Logs      []struct {
				Fields map[string]string `json:"fields"`
			} `json:"logs"`
		}
		if json.Unmarshal(sc.Bytes(), &l) == nil && l.SpanID != "" {
			if l.Kind != "" { // Zipkin's kind, as the other collectors' span.kind tag
				l.Tags["span.kind"] = strings.ToLower(l.Kind)
			}
			var logs []string
			for _, r := range l.Logs {
				for _, v := range r.Fields {
					logs = append(logs, v)
				}
			}
			out = append(out, span{l.Service, l.Operation, l.TraceID, l.SpanID, l.ParentID, l.Tags, logs})
		}
	}
	return out
}

// check asserts the shape above for every request's trace.
func check(t *testing.T, spans []span) {
	t.Helper()
	byTrace := map[string][]span{}
	for _, s := range spans {
		byTrace[s.TraceID] = append(byTrace[s.TraceID], s)
	}
	if len(byTrace) != requests {
		t.Fatalf("%d traces, want %d (one per request): %v", len(byTrace), requests, spans)
	}
	for id, tr := range byTrace {
		byID := map[string]span{}
		find := func(service, op string) span {
			for _, s := range tr {
				if strings.EqualFold(s.Service, service) && strings.EqualFold(s.Operation, op) {
					return s
				}
			}
			return span{}
		}
		for _, s := range tr {
			byID[s.SpanID] = s
		}
		root := find("checkout", "GET /checkout/:sku")
		price, reserve := find("checkout", "price"), find("checkout", "reserve")
		server, lookup, db := find("inventory", "GET /stock/:sku"), find("inventory", "lookup"), find("inventory", "db-query")
		client := byID[server.ParentID]
		chain := []struct {
			name        string
			s, parent   span
			wantService string
		}{
			{"price (OpenTelemetry) under the middleware's span", price, root, "checkout"},
			{"reserve (OpenTracing) under price", reserve, price, "checkout"},
			{"otelhttp's client span under reserve", client, reserve, "checkout"},
			{"the inventory's server span under otelhttp's client span", server, client, "inventory"},
			{"lookup (OpenTelemetry) under the server span", lookup, server, "inventory"},
			{"db-query (OpenTracing) under lookup", db, lookup, "inventory"},
		}
		if root.SpanID == "" || root.ParentID != "" {
			t.Errorf("trace %s: no root GET /checkout/:sku span: %v", id, tr)
		}
		for _, c := range chain {
			if c.s.SpanID == "" || c.parent.SpanID == "" || c.s.ParentID != c.parent.SpanID || !strings.EqualFold(c.s.Service, c.wantService) {
				t.Errorf("trace %s: %s: got %+v with parent %+v", id, c.name, c.s, c.parent)
			}
		}
		// The OpenTelemetry side's attributes, kind and scope, as the
		// backend stored them.
		for _, c := range []struct {
			s         span
			key, want string
		}{
			{price, "otel.scope.name", "otelmix/checkout"},
			{price, "sku", ""}, // any value: sku-N
			{price, "quantity", "2"},
			{price, "unit_price", "9.5"},
			{price, "gift", "true"},
			{price, "coupons", `["WELCOME","FREESHIP"]`},
			{client, "span.kind", "client"},
			{lookup, "otel.scope.name", "otelmix/inventory"},
			{db, "db.system", "sqlite"},
		} {
			v, ok := c.s.Tags[c.key]
			if !ok || (c.want != "" && v != c.want) {
				t.Errorf("trace %s: span %s has %s=%q (present %v), want %q; tags %v", id, c.s.Operation, c.key, v, ok, c.want, c.s.Tags)
			}
		}
		// Events, and the failing lookup's error and status.
		if !logged(lookup, "cache miss") {
			t.Errorf("trace %s: lookup has no cache miss event: %v", id, lookup.Logs)
		}
		if sku := price.Tags["sku"]; sku == outOfStock {
			if lookup.Tags["error"] != "true" || lookup.Tags["otel.status_description"] != "out of stock" || !logged(lookup, outOfStock+" is out of stock") {
				t.Errorf("trace %s: the failing lookup has tags %v and logs %v; want error=true, its status description and the error logged",
					id, lookup.Tags, lookup.Logs)
			}
		} else if _, ok := lookup.Tags["error"]; ok {
			t.Errorf("trace %s: lookup of %s tagged error", id, sku)
		}
		if len(tr) != 7 {
			t.Errorf("trace %s has %d spans, want 7: %v", id, len(tr), tr)
		}
	}
}

// logged reports whether one of s's log fields holds text (Zipkin keeps
// a field as the annotation "key:value").
func logged(s span, text string) bool {
	for _, v := range s.Logs {
		if strings.Contains(v, text) {
			return true
		}
	}
	return false
}
