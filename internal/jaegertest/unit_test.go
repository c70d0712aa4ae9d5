package jaegertest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/polytrace/polytrace/internal/faultnet"
)

// fatalRecorder is a testing.TB whose Fatal records the message and ends
// the goroutine, as testing.T's does, without failing the real test.
type fatalRecorder struct {
	testing.TB
	mu  sync.Mutex
	msg string
}

func (r *fatalRecorder) Helper() {}

func (r *fatalRecorder) Fatalf(format string, args ...any) {
	r.Fatal(fmt.Sprintf(format, args...))
}

func (r *fatalRecorder) Fatal(args ...any) {
	r.mu.Lock()
	r.msg = fmt.Sprint(args...)
	r.mu.Unlock()
	runtime.Goexit()
}

// runFatal calls f with a recorder in its own goroutine and returns the
// fatal message, or "" if f returned normally.
func runFatal(t *testing.T, f func(testing.TB)) string {
	r := &fatalRecorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.msg
}

func TestBinaryFromEnv(t *testing.T) {
	dir := t.TempDir()
	notExec := filepath.Join(dir, "not-executable")
	if err := os.WriteFile(notExec, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	execFile := filepath.Join(dir, "jaeger")
	if err := os.WriteFile(execFile, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name     string
		give     string
		wantPath string
		wantErr  string // substring of the fatal message; "" for none
	}{
		{name: "executable", give: execFile, wantPath: execFile},
		{name: "not executable", give: notExec, wantErr: "not executable"},
		{name: "missing", give: filepath.Join(dir, "missing"), wantErr: "no such file"},
		{name: "directory", give: dir, wantErr: "not a regular file"},
		{name: "empty", give: "", wantErr: "empty path"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(BinaryEnv, tc.give)
			var got string
			msg := runFatal(t, func(tb testing.TB) { got = Binary(tb) })
			if tc.wantErr == "" {
				if msg != "" || got != tc.wantPath {
					t.Fatalf("Binary = %q, fatal %q; want %q", got, msg, tc.wantPath)
				}
				return
			}
			for _, want := range []string{tc.wantErr, BinaryEnv, strconv.Quote(tc.give)} {
				if !strings.Contains(msg, want) {
					t.Fatalf("fatal message %q does not contain %q", msg, want)
				}
			}
		})
	}
}

func TestJaegerVersion(t *testing.T) {
	for _, tc := range []struct {
		name    string
		give    string
		want    string
		wantErr bool
	}{
		{
			name: "require block",
			give: "module m\n\nrequire (\n\tgithub.com/jaegertracing/jaeger-idl v0.6.0 // indirect\n\tgithub.com/jaegertracing/jaeger v1.76.0 // indirect\n)\n",
			want: "v1.76.0",
		},
		{name: "single require", give: "module m\nrequire github.com/jaegertracing/jaeger v1.77.0\n", want: "v1.77.0"},
		{name: "absent", give: "module m\nrequire github.com/jaegertracing/jaeger-idl v0.6.0\n", wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "go.mod")
			if err := os.WriteFile(path, []byte(tc.give), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := jaegerVersion(path)
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Fatalf("jaegerVersion = %q, %v; want %q, error %v", got, err, tc.want, tc.wantErr)
			}
		})
	}
}

// TestToolModuleDir proves the build finds the real tools/jaeger module,
// whose go.mod names the jaeger version used for the cache.
func TestToolModuleDir(t *testing.T) {
	dir, err := toolModuleDir()
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(dir) != "jaeger" || filepath.Base(filepath.Dir(dir)) != "tools" {
		t.Errorf("toolModuleDir = %q, want .../tools/jaeger", dir)
	}
	if _, err := jaegerVersion(filepath.Join(dir, "go.mod")); err != nil {
		t.Error(err)
	}
}

func TestTail(t *testing.T) {
	for _, tc := range []struct {
		name string
		give string
		n    int
		max  int
		want string
	}{
		{name: "short", give: "a\nb\n", n: 5, max: 100, want: "a\nb"},
		{name: "lines cut", give: "a\nb\nc\nd\n", n: 2, max: 100, want: "[...]\nc\nd"},
		{name: "bytes cut", give: "aaaa\nbbbb\n", n: 5, max: 6, want: "[...]\na\nbbbb"},
		{name: "empty", give: "", n: 5, max: 100, want: ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tail([]byte(tc.give), tc.n, tc.max); got != tc.want {
				t.Errorf("tail = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestPickPortsDistinct(t *testing.T) {
	p, err := pickPorts()
	if err != nil {
		t.Fatal(err)
	}
	tcp := []int{p.otlpGRPC, p.otlpHTTP, p.thriftHTTP, p.zipkin, p.queryHTTP, p.queryGRPC, p.health}
	seen := map[int]bool{}
	for _, port := range tcp {
		if port <= 0 || seen[port] {
			t.Fatalf("TCP ports %v: want distinct positive ports", tcp)
		}
		seen[port] = true
	}
	if p.thriftCompact <= 0 {
		t.Fatalf("UDP port %d", p.thriftCompact)
	}
	cfg := configYAML(p)
	for _, port := range append(tcp, p.thriftCompact) {
		if !strings.Contains(cfg, "127.0.0.1:"+strconv.Itoa(port)+"\n") {
			t.Errorf("config does not listen on port %d:\n%s", port, cfg)
		}
	}
}

func TestKeyValueUnmarshal(t *testing.T) {
	for _, tc := range []struct {
		give    string
		want    any
		wantErr bool
	}{
		{give: `{"key":"k","type":"string","value":"v"}`, want: "v"},
		{give: `{"key":"k","type":"bool","value":true}`, want: true},
		{give: `{"key":"k","type":"int64","value":42}`, want: int64(42)},
		{give: `{"key":"k","type":"int64","value":"9007199254740993"}`, want: int64(9007199254740993)},
		{give: `{"key":"k","type":"float64","value":0.25}`, want: 0.25},
		{give: `{"key":"k","type":"binary","value":"AAEC"}`, want: []byte{0, 1, 2}},
		{give: `{"key":"k","type":"int64","value":"x"}`, wantErr: true},
		{give: `{"key":"k","type":"bool","value":"yes"}`, wantErr: true},
	} {
		t.Run(tc.give, func(t *testing.T) {
			var kv KeyValue
			err := json.Unmarshal([]byte(tc.give), &kv)
			if tc.wantErr {
				if err == nil || !strings.Contains(err.Error(), `tag "k"`) {
					t.Fatalf("err = %v, want an error naming tag \"k\"", err)
				}
				return
			}
			if err != nil || kv.Key != "k" || !reflect.DeepEqual(kv.Value, tc.want) {
				t.Fatalf("got %#v, %v; want value %#v", kv, err, tc.want)
			}
		})
	}
}

func TestParentSpanID(t *testing.T) {
	for _, tc := range []struct {
		name string
		give []Reference
		want string
	}{
		{name: "root", give: nil, want: ""},
		{name: "child of", give: []Reference{{RefType: "CHILD_OF", SpanID: "aa"}}, want: "aa"},
		{name: "follows from only", give: []Reference{{RefType: "FOLLOWS_FROM", SpanID: "bb"}}, want: ""},
		{name: "child of after follows from", give: []Reference{{RefType: "FOLLOWS_FROM", SpanID: "bb"}, {RefType: "CHILD_OF", SpanID: "cc"}}, want: "cc"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := (Span{References: tc.give}).ParentSpanID(); got != tc.want {
				t.Errorf("ParentSpanID = %q, want %q", got, tc.want)
			}
		})
	}
}

// fakeQuery serves the query API with the given answers to /api/traces, in
// turn (the last one repeating), and no services.
func fakeQuery(t *testing.T, answers ...func(w http.ResponseWriter)) (*Jaeger, *atomic.Int32) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/services":
			fmt.Fprint(w, `{"data":["svc"]}`)
		case "/api/traces":
			if r.URL.Query().Get("service") != "svc" {
				http.Error(w, "bad service", http.StatusBadRequest)
				return
			}
			i := int(calls.Add(1)) - 1
			answers[min(i, len(answers)-1)](w)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return &Jaeger{QueryURL: srv.URL, Query: &Query{URL: srv.URL, client: srv.Client()}}, &calls
}

const oneTrace = `{"data":[{"traceID":"t1","spans":[{"traceID":"t1","spanID":"s1","operationName":"op","processID":"p1",
  "tags":[{"key":"http.status_code","type":"int64","value":200}]}],"processes":{"p1":{"serviceName":"svc"}}}]}`

func TestWaitForTracesPollsPastErrors(t *testing.T) {
	j, calls := fakeQuery(t,
		func(w http.ResponseWriter) { http.Error(w, "not yet", http.StatusInternalServerError) },
		func(w http.ResponseWriter) { fmt.Fprint(w, `{"data":[]}`) },
		func(w http.ResponseWriter) { fmt.Fprint(w, oneTrace) },
	)
	got := j.WaitForTraces(t, "svc", func(tr []Trace) bool { return len(tr) == 1 }, 10*time.Second)
	if len(got) != 1 || got[0].TraceID != "t1" || calls.Load() != 3 {
		t.Fatalf("got %s after %d calls, want trace t1 after 3", Summary(got), calls.Load())
	}
	if v, ok := got[0].Spans[0].Tag("http.status_code"); !ok || v != int64(200) {
		t.Errorf("Tag = %#v, %v", v, ok)
	}
	if s := got[0].ServiceOf(got[0].Spans[0]); s != "svc" {
		t.Errorf("ServiceOf = %q", s)
	}
}

func TestWaitForTracesTimeoutShowsWhatItSaw(t *testing.T) {
	j, _ := fakeQuery(t, func(w http.ResponseWriter) { fmt.Fprint(w, oneTrace) })
	msg := runFatal(t, func(tb testing.TB) {
		j.WaitForTraces(tb, "svc", func([]Trace) bool { return false }, 300*time.Millisecond)
	})
	for _, want := range []string{`service "svc"`, "300ms", `services: ["svc"]`, "trace t1", `svc "op" span=s1`, "http.status_code=200"} {
		if !strings.Contains(msg, want) {
			t.Errorf("fatal message does not contain %q:\n%s", want, msg)
		}
	}
}

func TestQueryErrorsFail(t *testing.T) {
	for _, tc := range []struct {
		name   string
		answer func(w http.ResponseWriter)
		want   string
	}{
		{name: "status", answer: func(w http.ResponseWriter) { http.Error(w, "boom", http.StatusInternalServerError) }, want: "500"},
		{name: "api error", answer: func(w http.ResponseWriter) { fmt.Fprint(w, `{"data":null,"errors":[{"code":400,"msg":"bad"}]}`) }, want: "400: bad"},
		{name: "not json", answer: func(w http.ResponseWriter) { fmt.Fprint(w, `<html>`) }, want: "decode"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j, _ := fakeQuery(t, tc.answer)
			msg := runFatal(t, func(tb testing.TB) { j.Traces(tb, "svc") })
			if !strings.Contains(msg, tc.want) || !strings.Contains(msg, "/api/traces") {
				t.Errorf("fatal message %q: want it to contain %q and the path", msg, tc.want)
			}
		})
	}
}

// fakeJaeger writes a shell script standing in for jaeger that records each
// run in a file, prints msg to stderr and exits with status 3.
func fakeJaeger(t *testing.T, msg string) (bin, runs string) {
	dir := t.TempDir()
	bin, runs = filepath.Join(dir, "jaeger"), filepath.Join(dir, "runs")
	script := fmt.Sprintf("#!/bin/sh\necho run >> %q\necho %q >&2\nexit 3\n", runs, msg)
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return bin, runs
}

func TestStartFailsWithLogTail(t *testing.T) {
	for _, tc := range []struct {
		name     string
		give     string // what the fake jaeger prints before exiting
		wantRuns int
	}{
		{name: "bad config", give: "error decoding 'extensions': unknown type", wantRuns: 1},
		{name: "port taken every time", give: "listen tcp 127.0.0.1:1: bind: address already in use", wantRuns: startAttempts},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bin, runs := fakeJaeger(t, tc.give)
			t.Setenv(BinaryEnv, bin)
			msg := runFatal(t, func(tb testing.TB) { Start(tb) })
			for _, want := range []string{"jaeger exited", tc.give} {
				if !strings.Contains(msg, want) {
					t.Errorf("fatal message does not contain %q:\n%s", want, msg)
				}
			}
			data, err := os.ReadFile(runs)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Count(string(data), "run\n"); got != tc.wantRuns {
				t.Errorf("jaeger ran %d times, want %d", got, tc.wantRuns)
			}
		})
	}
}

// TestCheckReceiveBufferLimit: a kernel limit below the buffer the UDP
// receiver asks for (faultnet.UDPReceiveBuffer) is refused with the value
// and the sysctl that fixes it; a missing limit file (not Linux) is
// accepted.
func TestCheckReceiveBufferLimit(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, content string // content "" means no file
		wantErr       string
	}{
		{name: "no file"},
		{name: "enough", content: strconv.Itoa(faultnet.UDPReceiveBuffer) + "\n"},
		{name: "more", content: "16777216\n"},
		{name: "linux default", content: "212992\n", wantErr: "net.core.rmem_max is 212992 bytes; Jaeger's UDP receiver needs 4194304"},
		{name: "garbage", content: "lots\n", wantErr: `"lots\n" is not a number`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-"))
			if tc.content != "" {
				if err := os.WriteFile(path, []byte(tc.content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			err := checkReceiveBufferLimit(path)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("checkReceiveBufferLimit = %v, want nil", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("checkReceiveBufferLimit = %v, want an error containing %q", err, tc.wantErr)
			}
		})
	}
}
