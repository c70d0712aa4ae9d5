package lightspan

import (
	"maps"
	"testing"
	"time"

	"github.com/opentracing/opentracing-go"
)

type ctx struct {
	name string
	bag  map[string]string
}

func (c ctx) ForeachBaggageItem(h func(k, v string) bool) {
	for k, v := range c.bag {
		if !h(k, v) {
			return
		}
	}
}

type other struct{}

func (other) ForeachBaggageItem(func(k, v string) bool) {}

type vendorOption struct{}

func (vendorOption) Apply(*opentracing.StartSpanOptions) {}

func TestParent(t *testing.T) {
	a, b := ctx{name: "a"}, ctx{name: "b"}
	at := time.Unix(100, 0)
	tests := []struct {
		name   string
		opts   []opentracing.StartSpanOption
		parent string
		plain  bool
		start  time.Time
		first  bool
	}{
		{"none", nil, "", true, time.Time{}, false},
		{"child of", []opentracing.StartSpanOption{opentracing.ChildOf(a)}, "a", true, time.Time{}, true},
		{"child of wins over an earlier follows from", []opentracing.StartSpanOption{opentracing.FollowsFrom(a), opentracing.ChildOf(b)}, "b", true, time.Time{}, false},
		{"first child of", []opentracing.StartSpanOption{opentracing.ChildOf(a), opentracing.ChildOf(b)}, "a", true, time.Time{}, true},
		{"first follows from", []opentracing.StartSpanOption{opentracing.FollowsFrom(b), opentracing.FollowsFrom(a)}, "b", true, time.Time{}, true},
		{"nil contexts ignored", []opentracing.StartSpanOption{opentracing.ChildOf(nil), opentracing.ChildOf(a)}, "a", true, time.Time{}, true},
		{"other tracers' contexts ignored", []opentracing.StartSpanOption{opentracing.ChildOf(other{}), opentracing.FollowsFrom(a)}, "a", true, time.Time{}, false},
		{"tags and start time", []opentracing.StartSpanOption{opentracing.Tag{Key: "k", Value: 1}, opentracing.Tags{"x": 2}, opentracing.StartTime(at)}, "", true, at, false},
		{"handed-over tags", []opentracing.StartSpanOption{Tags{"x": 2}, opentracing.ChildOf(a)}, "a", true, time.Time{}, true},
		{"vendor option", []opentracing.StartSpanOption{vendorOption{}, opentracing.ChildOf(a)}, "a", false, time.Time{}, true},
		{"unknown reference type", []opentracing.StartSpanOption{opentracing.SpanReference{Type: 9, ReferencedContext: a}}, "", false, time.Time{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := Parent[ctx](tt.opts)
			if st.Parent.name != tt.parent || st.HasParent != (tt.parent != "") || st.Plain != tt.plain || !st.Time.Equal(tt.start) || st.First != tt.first {
				t.Errorf("Parent = %+v, want parent %q, plain %v, start %v, first %v", st, tt.parent, tt.plain, tt.start, tt.first)
			}
		})
	}
}

func TestSpanBaggage(t *testing.T) {
	b := &Backend[ctx]{WithBaggageItem: func(c ctx, k, v string) ctx {
		bag := maps.Clone(c.bag)
		if bag == nil {
			bag = map[string]string{}
		}
		bag[k] = v
		return ctx{name: c.name, bag: bag}
	}}
	s := New(b, ctx{name: "s", bag: map[string]string{"a": "1"}}, "", nil, time.Time{})
	before := s.SpanContext()
	s.SetBaggageItem("b", "2")
	if s.BaggageItem("a") != "1" || s.BaggageItem("b") != "2" || s.BaggageItem("c") != "" {
		t.Errorf("baggage %v", s.SpanContext().bag)
	}
	if _, ok := before.bag["b"]; ok {
		t.Error("SetBaggageItem changed a context taken before it")
	}
	s.SetTag("sampling.priority", uint16(1)) // no Record: ignored
	if s.to() != nothing {
		t.Error("recorded without Backend.Record")
	}
}

func TestSpanRecordsLate(t *testing.T) {
	var got []string
	rec := &fakeSpan{log: &got}
	b := &Backend[ctx]{
		WithBaggageItem: func(c ctx, k, v string) ctx { return ctx{name: c.name, bag: map[string]string{k: v}} },
		Record: func(name string, _ []opentracing.StartSpanOption, _ time.Time) opentracing.Span {
			got = append(got, "start "+name)
			return rec
		},
	}
	s := New(b, ctx{name: "s"}, "op", nil, time.Time{})
	s.SetTag("before", 1) // dropped
	s.SetBaggageItem("k", "v")
	s.SetTag("sampling.priority", uint16(1))
	s.SetTag("after", 2)
	s.Finish()
	want := []string{"start op", "baggage k=v", "tag sampling.priority", "tag after", "finish"}
	if !slicesEqual(got, want) {
		t.Errorf("recorded span got %q, want %q", got, want)
	}
}

func slicesEqual(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

type fakeSpan struct {
	opentracing.Span
	log *[]string
	bag map[string]string
}

func (f *fakeSpan) SetTag(k string, _ interface{}) opentracing.Span {
	*f.log = append(*f.log, "tag "+k)
	return f
}

func (f *fakeSpan) SetBaggageItem(k, v string) opentracing.Span {
	*f.log = append(*f.log, "baggage "+k+"="+v)
	if f.bag == nil {
		f.bag = map[string]string{}
	}
	f.bag[k] = v
	return f
}

func (f *fakeSpan) BaggageItem(k string) string { return f.bag[k] }
func (f *fakeSpan) Finish()                     { *f.log = append(*f.log, "finish") }

func TestReference(t *testing.T) {
	a, b := ctx{name: "a"}, ctx{name: "b"}
	tests := []struct {
		name string
		refs []opentracing.SpanReference
		want int
	}{
		{"none", nil, -1},
		{"child of after follows from", []opentracing.SpanReference{
			{Type: opentracing.FollowsFromRef, ReferencedContext: a}, {Type: opentracing.ChildOfRef, ReferencedContext: b}}, 1},
		{"first follows from", []opentracing.SpanReference{
			{Type: opentracing.FollowsFromRef, ReferencedContext: a}, {Type: opentracing.FollowsFromRef, ReferencedContext: b}}, 0},
		{"other tracers' contexts ignored", []opentracing.SpanReference{
			{Type: opentracing.ChildOfRef, ReferencedContext: other{}}, {Type: opentracing.ChildOfRef, ReferencedContext: b}}, 1},
	}
	for _, tt := range tests {
		if got := Reference[ctx](tt.refs); got != tt.want {
			t.Errorf("%s: Reference = %d, want %d", tt.name, got, tt.want)
		}
		// The same parent as Parent finds in the options.
		opts := make([]opentracing.StartSpanOption, len(tt.refs))
		for i, r := range tt.refs {
			opts[i] = r
		}
		st := Parent[ctx](opts)
		if st.HasParent != (tt.want >= 0) || (tt.want >= 0 && st.Parent.name != tt.refs[tt.want].ReferencedContext.(ctx).name) {
			t.Errorf("%s: Parent = %+v, Reference = %d", tt.name, st, tt.want)
		}
	}
}

func TestBaggageAndApplied(t *testing.T) {
	if got := Baggage(ctx{}); got != nil {
		t.Errorf("Baggage of none = %v, want nil", got)
	}
	src := map[string]string{"k": "v"}
	got := Baggage(ctx{bag: src})
	got["x"] = "y"
	if !maps.Equal(src, map[string]string{"k": "v"}) || got["k"] != "v" {
		t.Errorf("Baggage = %v, source now %v: want a copy", got, src)
	}
	so := opentracing.StartSpanOptions{StartTime: time.Unix(5, 0), Tags: map[string]interface{}{"a": 1}}
	var applied opentracing.StartSpanOptions
	Applied(so).Apply(&applied)
	if !applied.StartTime.Equal(so.StartTime) || applied.Tags["a"] != 1 {
		t.Errorf("Applied gave %+v, want %+v", applied, so)
	}
}

// embedded is a backend's span type embedding a Span with its context.
type embedded struct {
	Span[ctx]
	storage int
}

func TestInitReturnsTheEmbeddingSpan(t *testing.T) {
	e := &embedded{}
	e.Init(e, &Backend[ctx]{WithBaggageItem: func(c ctx, k, v string) ctx { return c }}, ctx{name: "a"}, "", nil, time.Time{})
	for name, got := range map[string]opentracing.Span{
		"SetTag":           e.SetTag("k", 1),
		"SetBaggageItem":   e.SetBaggageItem("k", "v"),
		"SetOperationName": e.SetOperationName("x"),
	} {
		if got != opentracing.Span(e) {
			t.Errorf("%s returned %T, want the embedding span", name, got)
		}
	}
	if c := e.Context().(ctx); c.name != "a" {
		t.Errorf("Context = %+v", c)
	}
}

func TestParentCountsReferences(t *testing.T) {
	a, b := ctx{name: "a"}, ctx{name: "b"}
	tests := []struct {
		name    string
		opts    []opentracing.StartSpanOption
		refs    int
		childOf bool
	}{
		{"none", nil, 0, false},
		{"child of", []opentracing.StartSpanOption{opentracing.ChildOf(a)}, 1, true},
		{"follows from", []opentracing.StartSpanOption{opentracing.FollowsFrom(a)}, 1, false},
		{"foreign and ours", []opentracing.StartSpanOption{opentracing.ChildOf(other{}), opentracing.FollowsFrom(b)}, 2, false},
		{"nil context", []opentracing.StartSpanOption{opentracing.ChildOf(nil)}, 0, false},
	}
	for _, tt := range tests {
		st := Parent[ctx](tt.opts)
		if st.Refs != tt.refs || st.ChildOf != tt.childOf {
			t.Errorf("%s: Refs %d, ChildOf %v; want %d, %v", tt.name, st.Refs, st.ChildOf, tt.refs, tt.childOf)
		}
	}
}

func TestTagsApply(t *testing.T) {
	own := Tags{"a": 1}
	var so opentracing.StartSpanOptions
	own.Apply(&so)
	so.Tags["b"] = 2 // the options hold the map itself, not a copy
	if len(own) != 2 {
		t.Errorf("options without tags: Tags = %v, want the map handed over", so.Tags)
	}
	so = opentracing.StartSpanOptions{}
	opentracing.Tags{"c": 3}.Apply(&so)
	Tags{"d": 4}.Apply(&so)
	if len(so.Tags) != 2 || so.Tags["c"] != 3 || so.Tags["d"] != 4 {
		t.Errorf("options with tags: Tags = %v, want c=3 and d=4", so.Tags)
	}
}
