package e2e

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/polytrace/polytrace/backends/ui"
	"github.com/polytrace/polytrace/internal/jaegertest"
	"github.com/polytrace/polytrace/tracer"
	"github.com/polytrace/polytrace/traceview"
)

// TestUI runs the README's first command, TRACER_BACKEND=ui: the example
// prints the viewer's address and keeps serving; the traces are read
// back through the viewer's JSON API with the code that reads Jaeger's,
// and checked as every other backend's are. An interrupt stops it
// cleanly.
func TestUI(t *testing.T) {
	addr := closedAddr(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// -every 1h: the three requests, then nothing until interrupted.
	cmd := exec.CommandContext(ctx, example(t), "-requests", strconv.Itoa(requests), "-every", "1h")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"),
		"TRACER_BACKEND=ui", "TRACER_UI_ADDR=" + addr, "TRACER_TAGS=run=ui"}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 100)
	var log strings.Builder
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	want := "http://" + addr + "/"
	var viewer string
	for viewer == "" {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("the example ended without printing the viewer's address:\n%s", log.String())
			}
			log.WriteString(l + "\n")
			if strings.Contains(l, "trace viewer: "+want) {
				viewer = want
			}
		case <-ctx.Done():
			t.Fatalf("no viewer address within the timeout:\n%s", log.String())
		}
	}
	if !strings.Contains(log.String(), "serving traces at "+want+" (loopback only)") {
		t.Errorf("no start line saying the viewer is on loopback only:\n%s", log.String())
	}
	var got []span
	jaegertest.NewQuery(viewer).WaitForTraces(t, "checkout", func(traces []jaegertest.Trace) bool {
		got = fromJaeger(traces, "ui")
		return len(got) == 4*requests
	}, time.Minute)
	checkTraces(t, got, "checkout", "inventory")
	t.Logf("ui: %d spans in %d traces across checkout and inventory, read back from the viewer's query API", len(got), requests)

	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	for l := range lines {
		log.WriteString(l + "\n")
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("example after an interrupt: %v\n%s", err, log.String())
	}
	if n := strings.Count(log.String(), ": 200 OK"); n != requests {
		t.Errorf("%d checkouts answered 200 OK, want %d:\n%s", n, requests, log.String())
	}
	if n := strings.Count(log.String(), "tracing stats: "); n != 2 || !strings.Contains(log.String(), `backend\":\"ui`) {
		t.Errorf("%d final stats lines, want one per service:\n%s", n, log.String())
	}
	if _, err := http.Get(viewer); err == nil {
		t.Error("the viewer still answers after the example stopped")
	}
}

// TestSecretsStayOutOfTheViewer sends requests carrying secrets through
// the ui backend and reads every page and API answer about them.
func TestSecretsStayOutOfTheViewer(t *testing.T) {
	logs := captureLog(t)
	store := traceview.NewStore(traceview.DefaultMaxBytes)
	inst, err := ui.New(tracer.Config{ServiceName: "secrets-ui"}, ui.Options{Store: store})
	if err != nil {
		t.Fatal(err)
	}
	sendSecrets(t, inst.Tracer)
	if err := shutdownWithin(traced{Shutdown: inst.Shutdown}, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(traceview.Handler(store, ""))
	defer srv.Close()
	fetch := func(path string) string {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %s", path, resp.Status)
		}
		return string(b)
	}
	api := fetch("/api/traces?service=secrets-ui")
	if !strings.Contains(api, "/login/alice") || !strings.Contains(api, "check-password") {
		t.Fatalf("the spans did not reach the viewer; it answers:\n%.2000s", api)
	}
	shown := api + fetch("/") + fetch("/search?service=secrets-ui")
	var traces []jaegertest.Trace
	jaegertest.NewQuery(srv.URL).WaitForTraces(t, "secrets-ui", func(tr []jaegertest.Trace) bool { traces = tr; return len(tr) == 2 }, 10*time.Second)
	for _, tr := range traces {
		shown += fetch("/trace/" + tr.TraceID)
	}
	checkNoSecret(t, "the viewer", shown)
	checkNoSecret(t, "the standard log", logs.String())
	t.Logf("viewer: %d traces, %d bytes of pages and API answers, no secret", len(traces), len(shown))
}
