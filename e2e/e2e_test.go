package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/polytrace/polytrace/internal/jaegertest"
	"github.com/polytrace/polytrace/internal/lightsteptest"
)

// requests is how many checkout requests the example sends (-requests).
const requests = 3

// span is a span from any collector, reduced to what the checks need.
type span struct {
	TraceID, SpanID, ParentID string
	Service, Operation        string
	Tags                      map[string]string // span tags, plus process or reporter tags
}

func (s span) String() string {
	return fmt.Sprintf("%s %q trace=%s span=%s parent=%s tags=%v", s.Service, s.Operation, s.TraceID, s.SpanID, s.ParentID, s.Tags)
}

var (
	buildOnce  sync.Once
	exampleBin string
	buildErr   error
)

// example builds examples/twoservice once for the whole package.
func example(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "polytrace-e2e-")
		if err != nil {
			buildErr = err
			return
		}
		exampleBin = filepath.Join(dir, "twoservice")
		out, err := exec.Command("go", "build", "-o", exampleBin, "../examples/twoservice").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build ../examples/twoservice: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return exampleBin
}

// runExample runs the example binary with env added to a clean environment
// (only PATH and HOME of ours) and returns its standard output.
func runExample(t *testing.T, env map[string]string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, example(t), "-requests", strconv.Itoa(requests))
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("example with %v: %v\nstderr:\n%s", env, err, stderr.String())
	}
	t.Logf("example stderr:\n%s", stderr.String())
	if got := strings.Count(stderr.String(), ": 200 OK"); got != requests {
		t.Fatalf("example served %d of %d checkout requests with 200 OK", got, requests)
	}
	return stdout.String()
}

// checkTraces asserts that spans hold, for each of the example's
// requests, one trace across both services with the expected shape:
//
//	checkout  GET /checkout/:sku   (server, root)
//	checkout  GET /inventory/:sku  (client, child of the above)
//	inventory GET /inventory/:sku  (server, child of the client span)
//	inventory lookup-stock         (child of the inventory server span)
func checkTraces(t *testing.T, spans []span, frontend, backend string) {
	t.Helper()
	byTrace := map[string][]span{}
	for _, s := range spans {
		byTrace[s.TraceID] = append(byTrace[s.TraceID], s)
	}
	if len(byTrace) != requests {
		t.Fatalf("got %d traces, want %d (one per request):\n%s", len(byTrace), requests, dump(spans))
	}
	skus := map[string]bool{}
	for id, tr := range byTrace {
		if len(tr) != 4 {
			t.Errorf("trace %s has %d spans, want 4:\n%s", id, len(tr), dump(tr))
			continue
		}
		find := func(service, op, kind string) span {
			for _, s := range tr {
				if s.Service == service && strings.EqualFold(s.Operation, op) && (kind == "" || s.Tags["span.kind"] == kind) {
					return s
				}
			}
			t.Fatalf("trace %s has no %s span %q (kind %q):\n%s", id, service, op, kind, dump(tr))
			return span{}
		}
		fs := find(frontend, "GET /checkout/:sku", "server")
		fc := find(frontend, "GET /inventory/:sku", "client")
		bs := find(backend, "GET /inventory/:sku", "server")
		bl := find(backend, "lookup-stock", "")

		links := []struct {
			child, parent span
		}{{fc, fs}, {bs, fc}, {bl, bs}}
		if fs.ParentID != "" {
			t.Errorf("frontend server span has parent %s, want a root:\n%s", fs.ParentID, dump(tr))
		}
		for _, l := range links {
			if l.child.ParentID != l.parent.SpanID {
				t.Errorf("%s %q: parent %s, want %s (%s %q)\n%s", l.child.Service, l.child.Operation,
					l.child.ParentID, l.parent.SpanID, l.parent.Service, l.parent.Operation, dump(tr))
			}
		}
		wantTags := []struct {
			s    span
			tags map[string]string
		}{
			{fs, map[string]string{"component": "gin", "http.method": "GET", "http.route": "/checkout/:sku", "http.status_code": "200"}},
			{fc, map[string]string{"http.method": "GET", "http.status_code": "200"}},
			{bs, map[string]string{"component": "gin", "http.method": "GET", "http.route": "/inventory/:sku", "http.status_code": "200"}},
		}
		for _, w := range wantTags {
			for k, v := range w.tags {
				if w.s.Tags[k] != v {
					t.Errorf("%s %q: tag %s = %q, want %q", w.s.Service, w.s.Operation, k, w.s.Tags[k], v)
				}
			}
		}
		if u := fs.Tags["http.url"]; !strings.HasPrefix(u, "/checkout/sku-") {
			t.Errorf("frontend http.url = %q, want the request path", u)
		}
		skus[bl.Tags["sku"]] = true
		for _, s := range tr {
			if s.Tags["run"] == "" {
				t.Errorf("%s %q lacks the TRACER_TAGS tag run", s.Service, s.Operation)
			}
		}
	}
	if len(skus) != requests {
		t.Errorf("lookup-stock sku tags %v, want %d different ones", skus, requests)
	}
}

func dump(spans []span) string {
	lines := make([]string, len(spans))
	for i, s := range spans {
		lines[i] = "  " + s.String()
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// fromJaeger flattens Jaeger query results, keeping the spans whose
// process or span tags carry run=runID.
func fromJaeger(traces []jaegertest.Trace, runID string) []span {
	var out []span
	for _, tr := range traces {
		for _, js := range tr.Spans {
			s := span{TraceID: js.TraceID, SpanID: js.SpanID, ParentID: js.ParentSpanID(),
				Service: tr.ServiceOf(js), Operation: js.OperationName, Tags: map[string]string{}}
			for _, kv := range tr.Processes[js.ProcessID].Tags {
				s.Tags[kv.Key] = fmt.Sprint(kv.Value)
			}
			for _, kv := range js.Tags {
				s.Tags[kv.Key] = fmt.Sprint(kv.Value)
			}
			if s.Tags["run"] == runID {
				out = append(out, s)
			}
		}
	}
	return out
}

// TestJaegerCollector runs the example against one real Jaeger v2, once per
// way into it: the jaeger backend over the UDP agent port and over the HTTP
// collector, and the zipkin backend into Jaeger's Zipkin receiver, in JSON
// and in proto3.
func TestJaegerCollector(t *testing.T) {
	j := jaegertest.Start(t)
	tests := []struct {
		name string
		env  map[string]string
	}{
		{"jaeger-udp-agent", map[string]string{"TRACER_BACKEND": "jaeger",
			"JAEGER_AGENT_HOST": j.AgentHost, "JAEGER_AGENT_PORT": strconv.Itoa(j.AgentPort)}},
		{"jaeger-http-collector", map[string]string{"TRACER_BACKEND": "jaeger", "JAEGER_ENDPOINT": j.CollectorURL,
			"JAEGER_TRACEID_128BIT": "true"}},
		{"zipkin", map[string]string{"TRACER_BACKEND": "zipkin", "ZIPKIN_ENDPOINT": j.ZipkinURL}},
		{"zipkin-proto3", map[string]string{"TRACER_BACKEND": "zipkin", "ZIPKIN_ENDPOINT": j.ZipkinURL, "ZIPKIN_ENCODING": "proto3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.env["TRACER_TAGS"] = "run=" + tt.name
			runExample(t, tt.env)
			var got []span
			j.WaitForTraces(t, "checkout", func(traces []jaegertest.Trace) bool {
				// Jaeger assembles a trace from spans sent by both
				// processes' reporters: wait until all are in.
				got = fromJaeger(traces, tt.name)
				if len(got) < 4*requests {
					return false
				}
				n := 0
				for _, s := range got {
					if s.Service == "inventory" {
						n++
					}
				}
				return n == 2*requests
			}, time.Minute)
			checkTraces(t, got, "checkout", "inventory")
			t.Logf("%s: %d spans in %d traces across checkout and inventory, read back from Jaeger's query API", tt.name, len(got), requests)
			for _, s := range got {
				if s.Service == "checkout" && strings.EqualFold(s.Operation, "GET /checkout/:sku") {
					t.Logf("  e.g. %s", s)
					break
				}
			}
		})
	}
}

// TestLightstepReceiver runs the example against a receiver that decodes
// Lightstep's protobuf protocol, over both of the client's transports.
func TestLightstepReceiver(t *testing.T) {
	for _, transport := range []string{lightsteptest.HTTP, lightsteptest.GRPC} {
		t.Run(transport, func(t *testing.T) {
			r := lightsteptest.Start(t, transport)
			const token = "e2e-access-token"
			runExample(t, map[string]string{
				"TRACER_BACKEND":                "lightstep",
				"TRACER_TAGS":                   "run=" + transport,
				"LIGHTSTEP_ACCESS_TOKEN":        token,
				"LIGHTSTEP_COLLECTOR_HOST":      r.Host,
				"LIGHTSTEP_COLLECTOR_PORT":      strconv.Itoa(r.Port),
				"LIGHTSTEP_COLLECTOR_PLAINTEXT": "true",
				"LIGHTSTEP_TRANSPORT":           transport,
			})
			// The example shut its tracers down before exiting, which
			// flushes: every span must be here already.
			got := lightstepSpans(r)
			checkTraces(t, got, "checkout", "inventory")
			reports := r.Reports()
			for _, rep := range reports {
				if rep.HeaderToken != token && rep.AuthToken != token {
					t.Errorf("report over %s carried tokens %q/%q, want %q", rep.Transport, rep.HeaderToken, rep.AuthToken, token)
				}
			}
			t.Logf("lightstep over %s: %d spans in %d reports, %d traces across checkout and inventory", transport, len(got), len(reports), requests)
		})
	}
}

// lightstepSpans is what the receiver holds.
func lightstepSpans(r *lightsteptest.Receiver) []span {
	var got []span
	for _, ls := range r.Spans() {
		got = append(got, fromLightstep(ls))
	}
	return got
}

// TestStdout runs the README's first command, TRACER_BACKEND=stdout, and
// reads the trace from the JSON lines it prints.
func TestStdout(t *testing.T) {
	out := runExample(t, map[string]string{"TRACER_BACKEND": "stdout", "TRACER_TAGS": "run=stdout"})
	var got []span
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var line struct {
			TraceID   string         `json:"trace_id"`
			SpanID    string         `json:"span_id"`
			ParentID  string         `json:"parent_id"`
			Service   string         `json:"service"`
			Operation string         `json:"operation"`
			Kind      string         `json:"kind"`
			Tags      map[string]any `json:"tags"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("stdout line is not JSON: %v\n%s", err, sc.Text())
		}
		s := span{TraceID: line.TraceID, SpanID: line.SpanID, ParentID: line.ParentID,
			Service: line.Service, Operation: line.Operation, Tags: map[string]string{}}
		for k, v := range line.Tags {
			s.Tags[k] = fmt.Sprint(v)
		}
		if line.Kind != "" { // Zipkin's model: span.kind is a field
			s.Tags["span.kind"] = strings.ToLower(line.Kind)
		}
		got = append(got, s)
	}
	checkTraces(t, got, "checkout", "inventory")
	t.Logf("stdout: %d JSON lines, %d traces across checkout and inventory", len(got), requests)
}

// TestNoop runs the example with TRACER_BACKEND unset: it serves every
// request and prints no span.
func TestNoop(t *testing.T) {
	if out := runExample(t, nil); out != "" {
		t.Fatalf("tracing off printed %q", out)
	}
}
