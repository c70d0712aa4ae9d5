package browser

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/polytrace/polytrace/internal/jaegertest"
)

// markup is a path segment a hostile client sends: it must show on the
// trace page as text.
const markup = `<img src=x onerror=alert(1)><b>bold`

// example is the two-service example, run with TRACER_BACKEND=ui.
type example struct {
	viewer, frontend string // base URLs
	cmd              *exec.Cmd
	mu               sync.Mutex
	log              strings.Builder
}

var (
	frontendLine = regexp.MustCompile(`frontend on (127\.0\.0\.1:\d+)`)
	viewerLine   = regexp.MustCompile(`trace viewer: (http://\S+/)`)
)

// startExample builds and runs the example, sending a checkout every
// 50ms (a slow and a failing one among each twenty), and returns once the
// viewer's address is printed. The example is interrupted at the end of
// the test, and must then exit cleanly.
func startExample(t *testing.T) *example {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "twoservice")
	build := exec.Command("go", "build", "-o", bin, "./examples/twoservice")
	build.Dir = "../.."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the example: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	e := &example{cmd: exec.Command(bin, "-requests", "3", "-every", "50ms")}
	e.cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "TRACER_BACKEND=ui", "TRACER_UI_ADDR=" + addr}
	stderr, err := e.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := e.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan struct{})
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			l := sc.Text()
			e.mu.Lock()
			e.log.WriteString(l + "\n")
			if m := frontendLine.FindStringSubmatch(l); m != nil {
				e.frontend = "http://" + m[1]
			}
			if m := viewerLine.FindStringSubmatch(l); m != nil && e.viewer == "" {
				e.viewer = m[1]
				close(ready)
			}
			e.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = e.cmd.Process.Signal(syscall.SIGINT)
		<-ended
		if err := e.cmd.Wait(); err != nil {
			t.Errorf("the example after an interrupt: %v\n%s", err, e.output())
		}
	})
	select {
	case <-ready:
	case <-ended:
		t.Fatalf("the example ended before printing the viewer's address:\n%s", e.output())
	case <-time.After(time.Minute):
		t.Fatalf("no viewer address within a minute:\n%s", e.output())
	}
	if e.viewer != "http://"+addr+"/" || e.frontend == "" {
		t.Fatalf("viewer %q (want http://%s/), frontend %q:\n%s", e.viewer, addr, e.frontend, e.output())
	}
	return e
}

func (e *example) output() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.log.String()
}

// checkout sends one checkout request for sku to the example's frontend.
func (e *example) checkout(t *testing.T, sku string) {
	t.Helper()
	resp, err := http.Get(e.frontend + "/checkout/" + url.PathEscape(sku))
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

// browser starts headless Chromium; it fails the test when Chromium is
// missing.
func browser(t *testing.T) context.Context {
	t.Helper()
	bin := os.Getenv("POLYTRACE_CHROMIUM")
	if bin == "" {
		bin = "/usr/bin/chromium"
	}
	if _, err := exec.LookPath(bin); err != nil {
		t.Fatalf("Chromium not found at %s (install Debian's chromium package, or set POLYTRACE_CHROMIUM): %v", bin, err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 800),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	// The browser lives as long as the context of its first run: that one
	// has no deadline; each step has its own (see do and eval).
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium %s: %v", bin, err)
	}
	return ctx
}

// stepTimeout bounds each step in the browser.
const stepTimeout = 30 * time.Second

// do runs steps in the browser, failing t with what on error.
func do(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// screenshot saves the page as name.png in POLYTRACE_SCREENSHOTS (or the
// test's temporary directory).
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("POLYTRACE_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	sctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	png, err := chromedp.Run(sctx, chromedp.FullScreenshot(100 /* PNG */))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	if len(png) < 1000 || string(png[1:4]) != "PNG" {
		t.Fatalf("screenshot %s: %d bytes, not a PNG", name, len(png))
	}
	t.Logf("screenshot %s (%d bytes)", path, len(png))
}

// waterfallRow is what the checks read of a span's row.
type waterfallRow struct {
	ID        string  `json:"id"`
	Parent    string  `json:"parent"`
	Text      string  `json:"text"`
	Depth     int     `json:"depth"`
	Start     int64   `json:"start"` // µs since the epoch
	X         float64 `json:"x"`     // the bar's left edge, 0 to 1000
	Error     bool    `json:"error"`
	ErrorMark bool    `json:"errorMark"`
}

const readWaterfall = `Array.from(document.querySelectorAll("table.waterfall tr.span")).map(r => ({
  id: r.dataset.spanId, parent: r.dataset.parentId, depth: Number(r.dataset.depth),
  start: Number(r.dataset.startUs), x: Number(r.querySelector("svg.bar rect").getAttribute("x")),
  error: r.classList.contains("error"), errorMark: r.querySelector(".error-mark") !== null,
  text: r.querySelector("td.name").textContent }))`

// checkWaterfall checks the rows of a trace page: spans in parent order
// (each after its parent, one level deeper), and bars placed in the order
// of the spans' start times.
func checkWaterfall(t *testing.T, rows []waterfallRow, spans int) {
	t.Helper()
	if len(rows) != spans {
		t.Fatalf("waterfall has %d rows, want %d: %+v", len(rows), spans, rows)
	}
	seen := map[string]waterfallRow{}
	for i, r := range rows {
		if i == 0 {
			if r.Parent != "" || r.Depth != 0 {
				t.Errorf("first row %+v: want the root at depth 0", r)
			}
		} else {
			p, ok := seen[r.Parent]
			if !ok || r.Depth != p.Depth+1 {
				t.Errorf("row %d %q: parent %q seen=%v depth %d; want after its parent, one level deeper", i, r.Text, r.Parent, ok, r.Depth)
			}
		}
		seen[r.ID] = r
		for _, o := range rows[:i] {
			if (o.Start < r.Start && o.X > r.X) || (o.Start > r.Start && o.X < r.X) {
				t.Errorf("bars out of time order: %q starts at %d, x=%v; %q at %d, x=%v", o.Text, o.Start, o.X, r.Text, r.Start, r.X)
			}
		}
	}
}

// TestViewer drives the viewer as a person would: the overview, a
// histogram bucket to a trace, the waterfall, a failing trace, the search
// form, live refresh, and a request carrying markup.
func TestViewer(t *testing.T) {
	e := startExample(t)
	e.checkout(t, markup)
	q := jaegertest.NewQuery(e.viewer)
	// Wait for a slow and a failing checkout among the periodic ones.
	q.WaitForTraces(t, "inventory", func(traces []jaegertest.Trace) bool {
		var slow, failed bool
		for _, tr := range traces {
			for _, s := range tr.Spans {
				v, _ := s.Tag("sku")
				slow = slow || v == "slow"
				failed = failed || v == "broken"
			}
		}
		return slow && failed
	}, time.Minute)
	ctx := browser(t)

	// The overview: a row per service and operation, with counts.
	do(t, ctx, "load the overview",
		chromedp.Navigate(e.viewer),
		chromedp.WaitVisible(chromedp.CSS(`tr.op[data-operation="GET /checkout/:sku"]`)))
	ops := eval[[]string](t, ctx, `Array.from(document.querySelectorAll("tr.op")).map(r => r.dataset.service + " " + r.dataset.operation)`)
	want := []string{"checkout GET /checkout/:sku", "checkout GET /inventory/:sku", "inventory GET /inventory/:sku", "inventory lookup-stock"}
	if strings.Join(ops, "|") != strings.Join(want, "|") {
		t.Errorf("overview rows %q, want %q", ops, want)
	}
	screenshot(t, ctx, "ui-overview")

	// Live: new requests show without a reload (a value set on the page
	// survives, so the page was not loaded again).
	const count = `document.querySelector('tr.op[data-operation="lookup-stock"] td:nth-child(3)').textContent`
	eval[bool](t, ctx, `window.notReloaded = true`)
	before := eval[string](t, ctx, count)
	after := before
	for deadline := time.Now().Add(20 * time.Second); after == before && time.Now().Before(deadline); {
		time.Sleep(500 * time.Millisecond)
		after = eval[string](t, ctx, count)
	}
	if same := eval[bool](t, ctx, `window.notReloaded === true`); after == before || !same {
		t.Errorf("live refresh: lookup-stock count %s then %s, page kept: %v; want a new count in the same page", before, after, same)
	}

	// A histogram bucket opens the traces kept for it: the slow lookup's
	// bucket (100ms to 1s) of the checkout's root span.
	do(t, ctx, "follow the slow bucket",
		chromedp.Click(chromedp.CSS(`tr.op[data-operation="GET /checkout/:sku"] g.bucket[data-bucket="100ms to 1s"] a rect.hit`)),
		chromedp.WaitVisible(chromedp.CSS(`tr.result a`)))
	title := eval[string](t, ctx, `document.title`)
	durations := eval[[]string](t, ctx, `Array.from(document.querySelectorAll("tr.result td:last-child")).map(c => c.textContent)`)
	if !strings.HasPrefix(title, "Search") || len(durations) == 0 {
		t.Fatalf("the bucket's link led to %q with %d results", title, len(durations))
	}
	for _, d := range durations {
		ms, ok := strings.CutSuffix(d, "ms")
		if n, err := strconv.ParseFloat(ms, 64); !ok || err != nil || n < 100 {
			t.Errorf("the slow bucket lists a trace of %s, want 100ms to 1s", d)
		}
	}
	do(t, ctx, "open the slow trace",
		chromedp.Click(chromedp.CSS(`tr.result a`)),
		chromedp.WaitVisible(chromedp.CSS(`table.waterfall`)))
	rows := eval[[]waterfallRow](t, ctx, readWaterfall)
	checkWaterfall(t, rows, 4)
	if len(rows) == 4 && !strings.Contains(rows[3].Text, "lookup-stock") {
		t.Errorf("deepest row %q, want lookup-stock", rows[3].Text)
	}
	do(t, ctx, "open a span's tags",
		chromedp.Click(chromedp.CSS(`tr.details summary`)),
		chromedp.WaitVisible(chromedp.CSS(`tr.details details[open] table.tags`)))
	if n := eval[int](t, ctx, `document.querySelectorAll("tr.details details[open] table.tags tr").length`); n < 5 {
		t.Errorf("the root span's tags list %d rows, want its tags (component, http.method, …)", n)
	}
	screenshot(t, ctx, "ui-waterfall")

	// The search form: failing traces of the inventory service.
	do(t, ctx, "search for errors",
		chromedp.Navigate(e.viewer+"search"),
		chromedp.WaitVisible(chromedp.CSS(`form.search`)),
		chromedp.SetValue(chromedp.CSS(`select[name="service"]`), "inventory"),
		chromedp.SetValue(chromedp.CSS(`select[name="status"]`), "error"),
		chromedp.Submit(chromedp.CSS(`form.search`)),
		chromedp.WaitVisible(chromedp.CSS(`tr.result`)))
	if u := eval[string](t, ctx, `location.search`); !strings.Contains(u, "status=error") || !strings.Contains(u, "service=inventory") {
		t.Errorf("the form searched %q", u)
	}
	results := eval[[]bool](t, ctx, `Array.from(document.querySelectorAll("tr.result")).map(r => r.classList.contains("error"))`)
	if len(results) == 0 {
		t.Fatal("no failing trace found")
	}
	for i, failed := range results {
		if !failed {
			t.Errorf("result %d of status=error is not marked as an error", i)
		}
	}
	do(t, ctx, "open a failing trace",
		chromedp.Click(chromedp.CSS(`tr.result a`)),
		chromedp.WaitVisible(chromedp.CSS(`table.waterfall`)))
	rows = eval[[]waterfallRow](t, ctx, readWaterfall)
	checkWaterfall(t, rows, 4)
	marked := 0
	for _, r := range rows {
		if r.Error && r.ErrorMark {
			marked++
		}
	}
	if marked == 0 {
		t.Errorf("failing trace: no row marked as an error: %+v", rows)
	}

	// The request that carried markup in its path: the inventory's
	// lookup-stock span has it, unescaped, in its sku tag (the http.url
	// tags have the escaped path); its trace page shows it as text.
	var id string
	q.WaitForTraces(t, "inventory", func(traces []jaegertest.Trace) bool {
		for _, tr := range traces {
			for _, s := range tr.Spans {
				if v, _ := s.Tag("sku"); v == markup {
					id = tr.TraceID
					return true
				}
			}
		}
		return false
	}, 30*time.Second)
	do(t, ctx, "open the trace of the markup request",
		chromedp.Navigate(e.viewer+"trace/"+id),
		chromedp.WaitVisible(chromedp.CSS(`table.waterfall`)))
	images := eval[int](t, ctx, `document.querySelectorAll("main img").length`)
	bolds := eval[int](t, ctx, `document.querySelectorAll("main b:not(.field b)").length`)
	if images != 0 || bolds != 0 {
		t.Errorf("the request's markup became %d img and %d b elements", images, bolds)
	}
	if text := eval[string](t, ctx, `document.querySelector("main").textContent`); !strings.Contains(text, markup) {
		t.Errorf("the page does not show the request's path %q as text", markup)
	}
}
