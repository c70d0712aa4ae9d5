package traceview

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"log"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/openzipkin/zipkin-go/model"
)

//go:embed assets
var assets embed.FS

// contentSecurityPolicy allows the pages only their own script, style
// sheet and API: no inline script or style, no other origin.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

// Handler returns the viewer of s (nil means [Default]): its pages and its
// JSON API (at the paths of Jaeger's UI and query API), for mounting on
// the application's own router, behind its own authentication. prefix is
// the path it is mounted under, such as "/debug/traces" ("" for the
// root); the handler strips it itself:
//
//	mux.Handle("/debug/traces/", traceview.Handler(traceview.Default(), "/debug/traces"))
//
// Every page is rendered on the server with every value escaped, and
// sent with a Content-Security-Policy that allows no inline script.
func Handler(s *Store, prefix string) http.Handler {
	if s == nil {
		s = Default()
	}
	prefix = "/" + strings.Trim(prefix, "/")
	if prefix == "/" {
		prefix = ""
	}
	h := &handler{store: s, base: prefix + "/", pages: pageTemplates()}
	mux := http.NewServeMux()
	static, _ := fs.Sub(assets, "assets")
	mux.Handle("GET "+prefix+"/static/", http.StripPrefix(prefix+"/static/", staticFiles(static)))
	mux.HandleFunc("GET "+prefix+"/{$}", h.index)
	mux.HandleFunc("GET "+prefix+"/search", h.search)
	mux.HandleFunc("GET "+prefix+"/trace/{traceID}", h.tracePage)
	mux.HandleFunc("GET "+prefix+"/api/services", h.apiServices)
	mux.HandleFunc("GET "+prefix+"/api/services/{service}/operations", h.apiOperations)
	mux.HandleFunc("GET "+prefix+"/api/traces", h.apiTraces)
	mux.HandleFunc("GET "+prefix+"/api/traces/{traceID}", h.apiTrace)
	if prefix != "" {
		mux.Handle("GET "+prefix, http.RedirectHandler(prefix+"/", http.StatusMovedPermanently))
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hdr := w.Header()
		hdr.Set("Content-Security-Policy", contentSecurityPolicy)
		hdr.Set("X-Content-Type-Options", "nosniff")
		hdr.Set("Referrer-Policy", "no-referrer")
		hdr.Set("Cache-Control", "no-store")
		mux.ServeHTTP(w, r)
	})
}

// staticFiles serves the embedded style sheet and script, and nothing
// else of the file system (no directory listing).
func staticFiles(files fs.FS) http.Handler {
	types := map[string]string{".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := r.URL.Path
		ct := types[path.Ext(name)]
		b, err := fs.ReadFile(files, name)
		if err != nil || ct == "" || strings.Contains(name, "/") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", ct)
		_, _ = w.Write(b)
	})
}

type handler struct {
	store *Store
	base  string
	pages map[string]*template.Template
}

// page is what the layout renders.
type page struct {
	Base, Title, Page string
	Live              bool
	Version           uint64
	Data              any
}

var funcs = template.FuncMap{"dur": formatDuration}

// pageTemplates parses the embedded templates, once per process.
var pageTemplates = sync.OnceValue(parsePages)

func parsePages() map[string]*template.Template {
	layout := template.Must(template.New("").Funcs(funcs).ParseFS(assets, "assets/layout.html"))
	pages := map[string]*template.Template{}
	for _, name := range []string{"index", "search", "trace", "notfound"} {
		pages[name] = template.Must(template.Must(layout.Clone()).ParseFS(assets, "assets/"+name+".html"))
	}
	return pages
}

func (h *handler) render(w http.ResponseWriter, status int, name string, p page) {
	p.Base, p.Page = h.base, name
	var buf bytes.Buffer
	if err := h.pages[name].ExecuteTemplate(&buf, "layout", p); err != nil {
		log.Printf("polytrace traceview: render %s: %v", name, err)
		http.Error(w, "could not render the page", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// histWidth is the width of an operation's histogram in the overview.
const histWidth = numBuckets * 24

type indexData struct {
	Rows              []indexRow
	Spans, Traces     int
	Bytes, MaxBytes   string
	Recent, HistWidth int
}

type indexRow struct {
	summary
	SearchURL, ErrorsURL string
	Buckets              []bucketView
}

type bucketView struct {
	Label, Short, Link string
	Count              int64
	X, TextX, Y, H     int
}

func (h *handler) index(w http.ResponseWriter, _ *http.Request) {
	version := h.store.version()
	sums := h.store.summaries()
	spans, traces, held, bound := h.store.size()
	data := indexData{Spans: spans, Traces: traces, Bytes: formatBytes(held), MaxBytes: formatBytes(bound),
		Recent: recentDurations, HistWidth: histWidth}
	for _, s := range sums {
		row := indexRow{summary: s}
		q := url.Values{"service": {s.Service}}
		if s.Operation != otherOperations {
			q.Set("operation", s.Operation)
		}
		row.SearchURL = "search?" + q.Encode()
		eq := cloneValues(q)
		eq.Set("status", "error")
		row.ErrorsURL = "search?" + eq.Encode()
		var most int64 = 1
		for _, c := range s.Buckets {
			most = max(most, c)
		}
		for b, c := range s.Buckets {
			bv := bucketView{Label: bucketLabel(b), Short: bucketShort(b), Count: c, X: b*24 + 4, TextX: b*24 + 11}
			bv.H = 1
			if c > 0 {
				bv.H = 2 + int(22*c/most)
			}
			bv.Y = 24 - bv.H
			if s.Samples[b] {
				bq := cloneValues(q)
				bq.Set("minDuration", latencyBuckets[b].String())
				if b+1 < numBuckets {
					bq.Set("maxDuration", (latencyBuckets[b+1] - time.Nanosecond).String())
				}
				bv.Link = "search?" + bq.Encode()
			}
			row.Buckets = append(row.Buckets, bv)
		}
		data.Rows = append(data.Rows, row)
	}
	h.render(w, http.StatusOK, "index", page{Title: "Operations", Live: true, Version: version, Data: data})
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}

func bucketLabel(b int) string {
	if b+1 < numBuckets {
		return fmt.Sprintf("%v to %v", latencyBuckets[b], latencyBuckets[b+1])
	}
	return fmt.Sprintf("%v and more", latencyBuckets[b])
}

func bucketShort(b int) string {
	return [...]string{"0", "10µ", "100µ", "1m", "10m", "100m", "1s", "10s", "100s"}[b]
}

type searchForm struct {
	Service, Operation, Status, MinDuration, MaxDuration, Tag, Limit string
}

type searchData struct {
	Form       searchForm
	Services   []string
	Operations []string
	Results    []traceRow
	Error      string
}

type traceRow struct {
	ID, Root, Started string
	Spans             int
	Services          []string
	Duration          time.Duration
	Error             bool
}

func (h *handler) search(w http.ResponseWriter, r *http.Request) {
	version := h.store.version()
	f := r.URL.Query()
	form := searchForm{Service: f.Get("service"), Operation: f.Get("operation"), Status: f.Get("status"),
		MinDuration: f.Get("minDuration"), MaxDuration: f.Get("maxDuration"), Tag: f.Get("tag"), Limit: f.Get("limit")}
	data := searchData{Form: form, Services: h.store.services()}
	if form.Service != "" {
		data.Operations = h.store.operations(form.Service)
	}
	// The form's tag field takes key=value; the API's tag parameter
	// takes key:value.
	if form.Tag != "" {
		k, v, ok := strings.Cut(form.Tag, "=")
		if !ok {
			data.Error = fmt.Sprintf("tag %q: want key=value, such as http.status_code=500", form.Tag)
		}
		f.Set("tag", strings.TrimSpace(k)+":"+strings.TrimSpace(v))
		r.URL.RawQuery = f.Encode()
	}
	if data.Error == "" {
		q, err := parseQuery(r, false)
		if err != nil {
			data.Error = err.Error()
		} else {
			if form.Limit == "" {
				q.Limit = 20
			}
			for _, spans := range h.store.find(q) {
				data.Results = append(data.Results, summarizeTrace(spans))
			}
		}
	}
	h.render(w, http.StatusOK, "search", page{Title: "Search", Live: true, Version: version, Data: data})
}

// summarizeTrace describes a trace (spans in start order) for a result
// row.
func summarizeTrace(spans []*span) traceRow {
	row := traceRow{ID: spans[0].TraceID.String(), Spans: len(spans)}
	start, end := spans[0].Start, spans[0].Start
	ids := map[model.ID]bool{}
	for _, sp := range spans {
		ids[sp.ID] = true
	}
	var root *span // the earliest span whose parent is not here
	for _, sp := range spans {
		if !slices.Contains(row.Services, sp.Service) {
			row.Services = append(row.Services, sp.Service)
		}
		if e := sp.Start.Add(sp.Duration); e.After(end) {
			end = e
		}
		if root == nil && (sp.ParentID == 0 || !ids[sp.ParentID]) {
			root = sp
		}
		row.Error = row.Error || sp.Error
	}
	if root == nil {
		root = spans[0]
	}
	row.Root = root.Service + ": " + root.Operation
	row.Started = start.Local().Format("15:04:05.000")
	row.Duration = end.Sub(start)
	return row
}

type traceData struct {
	ID, Root, Started string
	Services          []string
	Duration          time.Duration
	Rows              []spanRow
	Ticks             []tick
}

type spanRow struct {
	ID, ParentID, Service, Operation string
	Depth                            int
	StartUS, DurationUS              int64
	Duration                         time.Duration
	X, W                             int
	Error                            bool
	Tags                             []tag
	Logs                             []logRow
}

type logRow struct {
	Offset time.Duration
	Fields []tag
}

type tick struct {
	X     int
	Label string
}

func (h *handler) tracePage(w http.ResponseWriter, r *http.Request) {
	raw := r.PathValue("traceID")
	id, err := model.TraceIDFromHex(raw)
	if err != nil {
		h.render(w, http.StatusBadRequest, "notfound", page{Title: "Bad trace id", Data: fmt.Sprintf("%q is not a trace id: want 16 or 32 hexadecimal digits.", raw)})
		return
	}
	spans := h.store.trace(id)
	if len(spans) == 0 {
		h.render(w, http.StatusNotFound, "notfound", page{Title: "Trace not found", Data: fmt.Sprintf("Trace %s is not held: it may have been evicted, or not have reached this process.", id)})
		return
	}
	sum := summarizeTrace(spans)
	data := traceData{ID: sum.ID, Root: sum.Root, Services: sum.Services, Duration: sum.Duration,
		Started: spans[0].Start.Local().Format("2006-01-02 15:04:05.000")}
	start := spans[0].Start
	total := max(sum.Duration, time.Microsecond)
	for _, sp := range waterfallOrder(spans) {
		off := sp.span.Start.Sub(start)
		row := spanRow{ID: sp.span.ID.String(), Service: sp.span.Service, Operation: sp.span.Operation, Depth: min(sp.depth, 19),
			StartUS: sp.span.Start.UnixMicro(), DurationUS: sp.span.Duration.Microseconds(), Duration: sp.span.Duration,
			X: int(1000 * off / total), Error: sp.span.Error}
		row.W = max(int(1000*sp.span.Duration/total), 2)
		row.X = min(row.X, 998)
		if sp.span.ParentID != 0 {
			row.ParentID = sp.span.ParentID.String()
		}
		if k := sp.span.kind(); k != "" {
			row.Tags = append(row.Tags, tag{"span.kind", k})
		}
		row.Tags = append(row.Tags, sp.span.Tags...)
		for _, l := range sp.span.Logs {
			row.Logs = append(row.Logs, logRow{Offset: l.Time.Sub(start), Fields: l.Fields})
		}
		data.Rows = append(data.Rows, row)
	}
	for i := 0; i <= 4; i++ {
		data.Ticks = append(data.Ticks, tick{X: i * 250, Label: formatDuration(total * time.Duration(i) / 4)})
	}
	h.render(w, http.StatusOK, "trace", page{Title: data.Root, Version: h.store.version(), Data: data})
}

type placed struct {
	span  *span
	depth int
}

// waterfallOrder returns spans (in start order) depth first: each span
// followed by its children in start order. Spans whose parent is not in
// the trace are roots.
func waterfallOrder(spans []*span) []placed {
	ids := map[model.ID]bool{}
	children := map[model.ID][]*span{}
	for _, sp := range spans {
		ids[sp.ID] = true
	}
	var roots []*span
	for _, sp := range spans {
		if sp.ParentID == 0 || !ids[sp.ParentID] || sp.ParentID == sp.ID {
			roots = append(roots, sp)
			continue
		}
		children[sp.ParentID] = append(children[sp.ParentID], sp)
	}
	out := make([]placed, 0, len(spans))
	seen := map[*span]bool{}
	var walk func(sp *span, depth int)
	walk = func(sp *span, depth int) {
		if seen[sp] {
			return // a cycle of parents
		}
		seen[sp] = true
		out = append(out, placed{sp, depth})
		for _, c := range children[sp.ID] {
			walk(c, depth+1)
		}
	}
	for _, r := range roots {
		walk(r, 0)
	}
	for _, sp := range spans { // spans on a cycle of parents, unreachable from a root
		if !seen[sp] {
			walk(sp, 0)
		}
	}
	return out
}

// formatDuration prints d to about three significant digits: 850µs,
// 12.3ms, 1.25s.
func formatDuration(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return strconv.FormatInt(d.Microseconds(), 10) + "µs"
	case d < time.Second:
		return threeDigits(float64(d)/float64(time.Millisecond)) + "ms"
	default:
		return threeDigits(d.Seconds()) + "s"
	}
}

func threeDigits(v float64) string {
	switch {
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

func formatBytes(n int64) string {
	switch {
	case n >= 1<<20:
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB"
	case n >= 1<<10:
		return strconv.FormatFloat(float64(n)/(1<<10), 'f', 1, 64) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " B"
}
