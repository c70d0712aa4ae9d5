package traceview

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/openzipkin/zipkin-go/model"
)

// The JSON API answers at Jaeger's query API paths, in its shapes, so
// that scripts and tools written for Jaeger read this store unchanged:
//
//	GET /api/services                      service names
//	GET /api/services/{service}/operations operation names
//	GET /api/traces?service=&operation=&tags=&minDuration=&maxDuration=&start=&end=&lookback=&limit=
//	GET /api/traces/{traceID}
//
// Every answer is {"data": …, "total": n, "limit": 0, "offset": 0,
// "errors": null}, with errors [{"code": 400, "msg": "…"}] instead of
// data when the request is wrong, and 404 for an unknown trace.

type apiResponse struct {
	Data   any        `json:"data"`
	Total  int        `json:"total"`
	Limit  int        `json:"limit"`
	Offset int        `json:"offset"`
	Errors []apiError `json:"errors"`
}

type apiError struct {
	Code int    `json:"code,omitempty"`
	Msg  string `json:"msg"`
}

type apiTrace struct {
	TraceID   string                `json:"traceID"`
	Spans     []apiSpan             `json:"spans"`
	Processes map[string]apiProcess `json:"processes"`
	Warnings  []string              `json:"warnings"`
}

type apiSpan struct {
	TraceID       string         `json:"traceID"`
	SpanID        string         `json:"spanID"`
	Flags         uint32         `json:"flags"`
	OperationName string         `json:"operationName"`
	References    []apiReference `json:"references"`
	StartTime     int64          `json:"startTime"` // microseconds since the epoch
	Duration      int64          `json:"duration"`  // microseconds
	Tags          []apiKeyValue  `json:"tags"`
	Logs          []apiLog       `json:"logs"`
	ProcessID     string         `json:"processID"`
	Warnings      []string       `json:"warnings"`
}

type apiReference struct {
	RefType string `json:"refType"`
	TraceID string `json:"traceID"`
	SpanID  string `json:"spanID"`
}

type apiProcess struct {
	ServiceName string        `json:"serviceName"`
	Tags        []apiKeyValue `json:"tags"`
}

type apiLog struct {
	Timestamp int64         `json:"timestamp"`
	Fields    []apiKeyValue `json:"fields"`
}

type apiKeyValue struct {
	Key   string `json:"key"`
	Type  string `json:"type"`
	Value string `json:"value"`
}

func writeJSON(w http.ResponseWriter, status int, r apiResponse) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	_ = enc.Encode(r)
}

func writeAPIError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, apiResponse{Errors: []apiError{{Code: status, Msg: msg}}})
}

func (h *handler) apiServices(w http.ResponseWriter, _ *http.Request) {
	s := h.store.services()
	writeJSON(w, http.StatusOK, apiResponse{Data: s, Total: len(s)})
}

func (h *handler) apiOperations(w http.ResponseWriter, r *http.Request) {
	ops := h.store.operations(r.PathValue("service"))
	if ops == nil {
		ops = []string{}
	}
	writeJSON(w, http.StatusOK, apiResponse{Data: ops, Total: len(ops)})
}

func (h *handler) apiTraces(w http.ResponseWriter, r *http.Request) {
	q, err := parseQuery(r, true)
	if err != nil {
		writeAPIError(w, http.StatusBadRequest, err.Error())
		return
	}
	found := h.store.find(q)
	out := make([]apiTrace, len(found))
	for i, spans := range found {
		out[i] = toAPITrace(spans)
	}
	writeJSON(w, http.StatusOK, apiResponse{Data: out, Total: len(out)})
}

func (h *handler) apiTrace(w http.ResponseWriter, r *http.Request) {
	id, err := model.TraceIDFromHex(r.PathValue("traceID"))
	if err != nil {
		writeAPIError(w, http.StatusBadRequest, fmt.Sprintf("trace id %q: want 16 or 32 hexadecimal digits", r.PathValue("traceID")))
		return
	}
	spans := h.store.trace(id)
	if len(spans) == 0 {
		writeAPIError(w, http.StatusNotFound, "trace not found")
		return
	}
	writeJSON(w, http.StatusOK, apiResponse{Data: []apiTrace{toAPITrace(spans)}, Total: 1})
}

// defaultLimit is how many traces a search returns when limit is unset,
// as Jaeger's query API.
const defaultLimit = 100

// parseQuery reads a search from Jaeger's query parameters; the pages
// add status (error or ok). requireService makes service mandatory, as
// Jaeger's API has it.
func parseQuery(r *http.Request, requireService bool) (query, error) {
	f := r.URL.Query()
	q := query{Service: f.Get("service"), Operation: f.Get("operation"), Limit: defaultLimit, Tags: map[string]string{}}
	if requireService && q.Service == "" {
		return q, fmt.Errorf("parameter 'service' is required")
	}
	if v := f.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return q, fmt.Errorf("limit=%q: want a whole number", v)
		}
		q.Limit = n
	}
	for _, p := range []struct {
		name string
		dst  *time.Duration
	}{{"minDuration", &q.MinDuration}, {"maxDuration", &q.MaxDuration}} {
		if v := f.Get(p.name); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil || d < 0 {
				return q, fmt.Errorf("%s=%q: want a duration such as 100ms or 1.5s", p.name, v)
			}
			*p.dst = d
		}
	}
	if q.MaxDuration > 0 && q.MaxDuration < q.MinDuration {
		return q, fmt.Errorf("'maxDuration' should be greater than 'minDuration'")
	}
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"start", &q.Start}, {"end", &q.End}} {
		if v := f.Get(p.name); v != "" {
			us, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return q, fmt.Errorf("%s=%q: want microseconds since the Unix epoch", p.name, v)
			}
			*p.dst = time.UnixMicro(us)
		}
	}
	if v := f.Get("lookback"); v != "" && v != "custom" && q.Start.IsZero() {
		d, err := parseLookback(v)
		if err != nil {
			return q, fmt.Errorf("lookback=%q: want a duration such as 1h or 2d", v)
		}
		end := q.End
		if end.IsZero() {
			end = time.Now()
		}
		q.Start = end.Add(-d)
	}
	for _, v := range f["tag"] {
		if v == "" {
			continue // an empty form field
		}
		k, val, ok := strings.Cut(v, ":")
		if !ok {
			return q, fmt.Errorf("malformed 'tag' parameter, expecting key:value, received: %s", v)
		}
		q.Tags[k] = val
	}
	for _, v := range f["tags"] {
		if v == "" {
			continue
		}
		var m map[string]string
		if err := json.Unmarshal([]byte(v), &m); err != nil {
			return q, fmt.Errorf("malformed 'tags' parameter, cannot unmarshal JSON: %v", err)
		}
		for k, val := range m {
			q.Tags[k] = val
		}
	}
	switch status := f.Get("status"); status {
	case "", "any":
	case "error":
		q.Errors = true
	case "ok":
		q.NoErrors = true
	default:
		return q, fmt.Errorf("status=%q: want error, ok or any", status)
	}
	return q, nil
}

// parseLookback reads Jaeger UI's lookback values (1h, 2d) and Go
// durations.
func parseLookback(v string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(v, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days < 0 {
			return 0, fmt.Errorf("bad lookback")
		}
		return time.Duration(days) * 24 * time.Hour, nil
	}
	return time.ParseDuration(v)
}

// toAPITrace converts a trace's spans (in start order) to Jaeger's shape,
// with one process per service.
func toAPITrace(spans []*span) apiTrace {
	t := apiTrace{Processes: map[string]apiProcess{}, Spans: make([]apiSpan, 0, len(spans))}
	pids := map[string]string{}
	for _, sp := range spans {
		pid, ok := pids[sp.Service]
		if !ok {
			pid = "p" + strconv.Itoa(len(pids)+1)
			pids[sp.Service] = pid
			t.Processes[pid] = apiProcess{ServiceName: sp.Service, Tags: []apiKeyValue{}}
		}
		t.TraceID = sp.TraceID.String()
		as := apiSpan{
			TraceID:       t.TraceID,
			SpanID:        sp.ID.String(),
			Flags:         1, // sampled
			OperationName: sp.Operation,
			References:    []apiReference{},
			StartTime:     sp.Start.UnixMicro(),
			Duration:      sp.Duration.Microseconds(),
			Tags:          make([]apiKeyValue, 0, len(sp.Tags)+1),
			Logs:          make([]apiLog, 0, len(sp.Logs)),
			ProcessID:     pid,
		}
		if sp.ParentID != 0 {
			as.References = append(as.References, apiReference{RefType: "CHILD_OF", TraceID: t.TraceID, SpanID: sp.ParentID.String()})
		}
		if k := sp.kind(); k != "" {
			as.Tags = append(as.Tags, apiKeyValue{"span.kind", "string", k})
		}
		for _, tg := range sp.Tags {
			as.Tags = append(as.Tags, apiKeyValue{tg.Key, "string", tg.Value})
		}
		for _, l := range sp.Logs {
			al := apiLog{Timestamp: l.Time.UnixMicro(), Fields: make([]apiKeyValue, len(l.Fields))}
			for i, f := range l.Fields {
				al.Fields[i] = apiKeyValue{f.Key, "string", f.Value}
			}
			as.Logs = append(as.Logs, al)
		}
		t.Spans = append(t.Spans, as)
	}
	return t
}
