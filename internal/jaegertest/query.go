package jaegertest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Trace is one trace as Jaeger's query API returns it.
type Trace struct {
	TraceID string `json:"traceID"`
	Spans   []Span `json:"spans"`
	// Processes maps a span's ProcessID to the process (service) that
	// reported it.
	Processes map[string]Process `json:"processes"`
	Warnings  []string           `json:"warnings"`
}

// Span is one span of a [Trace]. IDs are lower-case hex: 16 digits for span
// IDs and for trace IDs whose high 64 bits are zero, 32 digits otherwise.
type Span struct {
	TraceID       string      `json:"traceID"`
	SpanID        string      `json:"spanID"`
	Flags         uint32      `json:"flags"`
	OperationName string      `json:"operationName"`
	References    []Reference `json:"references"`
	// StartTime is in microseconds since the Unix epoch; Duration in
	// microseconds.
	StartTime uint64     `json:"startTime"`
	Duration  uint64     `json:"duration"`
	Tags      []KeyValue `json:"tags"`
	Logs      []Log      `json:"logs"`
	ProcessID string     `json:"processID"`
	Warnings  []string   `json:"warnings"`
}

// Reference links a span to another: RefType is "CHILD_OF" or
// "FOLLOWS_FROM".
type Reference struct {
	RefType string `json:"refType"`
	TraceID string `json:"traceID"`
	SpanID  string `json:"spanID"`
}

// Process is the service that reported spans, with its process tags.
type Process struct {
	ServiceName string     `json:"serviceName"`
	Tags        []KeyValue `json:"tags"`
}

// Log is a timestamped (microseconds since the Unix epoch) set of fields.
type Log struct {
	Timestamp uint64     `json:"timestamp"`
	Fields    []KeyValue `json:"fields"`
}

// KeyValue is a tag or log field. Value holds a Go value matching Type:
// string for "string", bool for "bool", int64 for "int64", float64 for
// "float64" and []byte for "binary".
type KeyValue struct {
	Key   string `json:"key"`
	Type  string `json:"type"`
	Value any    `json:"value"`
}

// UnmarshalJSON decodes the value by its type, so int64 tags keep their
// precision (Jaeger sends those beyond 2^53 as strings).
func (kv *KeyValue) UnmarshalJSON(b []byte) error {
	var raw struct {
		Key   string          `json:"key"`
		Type  string          `json:"type"`
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	kv.Key, kv.Type = raw.Key, raw.Type
	v, err := decodeValue(raw.Type, raw.Value)
	if err != nil {
		return fmt.Errorf("jaegertest: tag %q of type %q: %w", raw.Key, raw.Type, err)
	}
	kv.Value = v
	return nil
}

func decodeValue(typ string, raw json.RawMessage) (any, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	switch typ {
	case "int64":
		var n json.Number
		if err := json.Unmarshal(raw, &n); err != nil {
			// Beyond JavaScript's safe integers Jaeger sends a string.
			var s string
			if json.Unmarshal(raw, &s) != nil {
				return nil, err
			}
			n = json.Number(s)
		}
		return strconv.ParseInt(n.String(), 10, 64)
	case "float64":
		var f float64
		err := json.Unmarshal(raw, &f)
		return f, err
	case "bool":
		var v bool
		err := json.Unmarshal(raw, &v)
		return v, err
	case "binary":
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
		return base64.StdEncoding.DecodeString(s)
	default: // "string" and anything newer
		var v any
		err := json.Unmarshal(raw, &v)
		return v, err
	}
}

// SpanByOperation returns the first span named name, or nil.
func (tr Trace) SpanByOperation(name string) *Span {
	for i := range tr.Spans {
		if tr.Spans[i].OperationName == name {
			return &tr.Spans[i]
		}
	}
	return nil
}

// ServiceOf returns the service name of the process that reported s, or ""
// if the trace has no such process.
func (tr Trace) ServiceOf(s Span) string {
	return tr.Processes[s.ProcessID].ServiceName
}

// Tag returns the value of the span tag key (see [KeyValue] for its Go
// type) and whether the span has it.
func (s Span) Tag(key string) (any, bool) {
	for _, kv := range s.Tags {
		if kv.Key == key {
			return kv.Value, true
		}
	}
	return nil, false
}

// ParentSpanID returns the span ID of s's CHILD_OF reference, or "" for a
// root span.
func (s Span) ParentSpanID() string {
	for _, r := range s.References {
		if r.RefType == "CHILD_OF" {
			return r.SpanID
		}
	}
	return ""
}

// Query reads a query API in Jaeger's shapes: Jaeger's own, or another
// that answers at its paths (the ui backend's viewer does), so that one
// test reads either.
type Query struct {
	// URL is the API's base URL, such as http://127.0.0.1:16686.
	URL    string
	client *http.Client
}

// NewQuery returns a reader of the query API at url.
func NewQuery(url string) *Query {
	return &Query{URL: strings.TrimSuffix(url, "/"), client: &http.Client{Timeout: 10 * time.Second}}
}

// queryResponse is the envelope of every query API answer.
type queryResponse struct {
	Data   json.RawMessage `json:"data"`
	Errors []struct {
		Code int    `json:"code"`
		Msg  string `json:"msg"`
	} `json:"errors"`
}

// Services returns the names of the services the API has spans from, sorted.
func (j *Query) Services(t testing.TB) []string {
	t.Helper()
	s, err := j.services()
	if err != nil {
		t.Fatalf("jaegertest: %v", err)
	}
	return s
}

func (j *Query) services() ([]string, error) {
	var s []string
	if err := j.get("/api/services", &s); err != nil {
		return nil, err
	}
	slices.Sort(s)
	return s, nil
}

// Traces returns up to 1000 traces of service from the last day.
func (j *Query) Traces(t testing.TB, service string) []Trace {
	t.Helper()
	tr, err := j.traces(service)
	if err != nil {
		t.Fatalf("jaegertest: %v", err)
	}
	return tr
}

func (j *Query) traces(service string) ([]Trace, error) {
	now := time.Now()
	q := url.Values{
		"service": {service},
		"limit":   {"1000"},
		// A wide window: spans may carry any recent timestamp, and clocks
		// of hand-made spans may run slightly ahead.
		"start": {strconv.FormatInt(now.Add(-24*time.Hour).UnixMicro(), 10)},
		"end":   {strconv.FormatInt(now.Add(time.Hour).UnixMicro(), 10)},
	}
	var tr []Trace
	if err := j.get("/api/traces?"+q.Encode(), &tr); err != nil {
		return nil, err
	}
	return tr, nil
}

// WaitForTraces polls the traces of service until cond holds for them and
// returns them. Jaeger stores spans a moment after receiving them, and
// clients send in batches, so tests should wait rather than query once. On
// timeout it fails t, showing the services and traces it last saw.
func (j *Query) WaitForTraces(t testing.TB, service string, cond func([]Trace) bool, timeout time.Duration) []Trace {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var (
		last    []Trace
		lastErr error
	)
	for {
		tr, err := j.traces(service)
		if err == nil {
			last, lastErr = tr, nil
			if cond(tr) {
				return tr
			}
		} else {
			lastErr = err
		}
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "jaegertest: traces of service %q did not satisfy the condition within %s", service, timeout)
	if lastErr != nil {
		fmt.Fprintf(&b, "\nlast query error: %v", lastErr)
	}
	if s, err := j.services(); err == nil {
		fmt.Fprintf(&b, "\nservices: %q", s)
	}
	fmt.Fprintf(&b, "\nlast seen: %s", Summary(last))
	t.Fatal(b.String())
	return nil
}

// Summary describes traces in a compact form for failure messages: each
// trace's ID, then each span's service, operation, span ID, parent and tags.
func Summary(traces []Trace) string {
	if len(traces) == 0 {
		return "no traces"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d trace(s)", len(traces))
	for _, tr := range traces {
		fmt.Fprintf(&b, "\n  trace %s", tr.TraceID)
		for _, s := range tr.Spans {
			fmt.Fprintf(&b, "\n    %s %q span=%s parent=%s tags=[", tr.ServiceOf(s), s.OperationName, s.SpanID, s.ParentSpanID())
			for i, kv := range s.Tags {
				if i > 0 {
					b.WriteString(" ")
				}
				fmt.Fprintf(&b, "%s=%v", kv.Key, kv.Value)
			}
			b.WriteString("]")
		}
	}
	return b.String()
}

// Get decodes the data of the answer at path (such as
// "/api/traces?service=x") into dst, or returns why it could not.
func (j *Query) Get(path string, dst any) error { return j.get(path, dst) }

// get decodes the data of a query API answer at path into dst.
func (j *Query) get(path string, dst any) error {
	resp, err := j.client.Get(j.URL + path)
	if err != nil {
		return fmt.Errorf("query %s: %w", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("query %s: read body: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("query %s: %s: %s", path, resp.Status, bytes.TrimSpace(body))
	}
	var env queryResponse
	if err := json.Unmarshal(body, &env); err != nil {
		return fmt.Errorf("query %s: decode: %w", path, err)
	}
	if len(env.Errors) > 0 {
		return fmt.Errorf("query %s: %d: %s", path, env.Errors[0].Code, env.Errors[0].Msg)
	}
	if len(env.Data) == 0 || string(env.Data) == "null" {
		return nil
	}
	if err := json.Unmarshal(env.Data, dst); err != nil {
		return fmt.Errorf("query %s: decode data: %w", path, err)
	}
	return nil
}

// pageLimit is how many traces one query of SpanCounts asks for.
const pageLimit = 1000

// SpanCounts counts the spans Jaeger stored in the traces that have a span
// of service starting between start and end: the result maps each service
// found in those traces to its number of distinct spans. It splits the
// time range until no query hits the query API's trace limit, so it counts
// any number of traces.
func (j *Query) SpanCounts(service string, start, end time.Time) (map[string]int, error) {
	seen := map[string]bool{} // trace id + span id
	counts := map[string]int{}
	var walk func(from, to time.Time, depth int) error
	walk = func(from, to time.Time, depth int) error {
		q := url.Values{
			"service": {service},
			"limit":   {strconv.Itoa(pageLimit)},
			"start":   {strconv.FormatInt(from.UnixMicro(), 10)},
			"end":     {strconv.FormatInt(to.UnixMicro(), 10)},
		}
		var traces []Trace
		if err := j.get("/api/traces?"+q.Encode(), &traces); err != nil {
			return err
		}
		if len(traces) >= pageLimit && to.Sub(from) > time.Microsecond && depth < 40 {
			// The query takes microseconds and spans start to the
			// nanosecond: the halves share their boundary microsecond,
			// so that a span started within it is in one of them (seen
			// counts it once).
			mid := from.Add(to.Sub(from) / 2).Truncate(time.Microsecond)
			if err := walk(from, mid, depth+1); err != nil {
				return err
			}
			return walk(mid, to, depth+1)
		}
		for _, tr := range traces {
			for _, s := range tr.Spans {
				key := s.TraceID + "/" + s.SpanID
				if !seen[key] {
					seen[key] = true
					counts[tr.ServiceOf(s)]++
				}
			}
		}
		return nil
	}
	if err := walk(start, end, 0); err != nil {
		return nil, fmt.Errorf("jaegertest: count spans of %q: %w", service, err)
	}
	return counts, nil
}
