package tracer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/mocktracer"

	"github.com/polytrace/polytrace/internal/lightspan"
	"github.com/polytrace/polytrace/internal/mockconv"
	"github.com/polytrace/polytrace/propagation"
)

// mockMember is a member on opentracing-go's mocktracer, whose
// StartWithIDs records the ids it is given; stats are its Stats.
func mockMember(name string, stats Stats, shutdown func(context.Context) error) (Member, *[]propagation.SpanContext) {
	mt := mocktracer.New()
	var given []propagation.SpanContext
	return Member{Name: name, Instance: &Instance{
		Tracer:    mt,
		Converter: mockconv.Converter{},
		Shutdown:  shutdown,
		Stats:     func() Stats { return stats },
		StartWithIDs: func(name string, ids propagation.SpanContext, opts ...opentracing.StartSpanOption) opentracing.Span {
			given = append(given, ids)
			return mt.StartSpan(name, opts...)
		},
	}}, &given
}

func TestCombineStartsTheSameSpanInEveryMember(t *testing.T) {
	first, _ := mockMember("a", Stats{}, nil)
	second, given := mockMember("b", Stats{}, nil)
	inst, err := Combine(Config{}, first, second)
	if err != nil {
		t.Fatal(err)
	}
	root := inst.Tracer.StartSpan("root", opentracing.Tag{Key: "k", Value: "v"})
	child := inst.Tracer.StartSpan("child", opentracing.FollowsFrom(root.Context()))
	child.Finish()
	root.Finish()
	a := first.Tracer.(*mocktracer.MockTracer).FinishedSpans()
	b := second.Tracer.(*mocktracer.MockTracer).FinishedSpans()
	if len(a) != 2 || len(b) != 2 || len(*given) != 2 {
		t.Fatalf("members finished %d and %d spans, %d started with ids; want 2 each", len(a), len(b), len(*given))
	}
	rootCtx := a[1].Context().(mocktracer.MockSpanContext)
	childIDs := (*given)[1]
	// mocktracer's contexts do not hold their parent: Combine finds it
	// in the references, as every backend chooses it.
	if childIDs.SpanID != uint64(a[0].SpanContext.SpanID) || childIDs.ParentID != uint64(rootCtx.SpanID) ||
		childIDs.TraceID.Low != uint64(rootCtx.TraceID) {
		t.Errorf("child started with %+v, want span %d parent %d trace %d", childIDs, a[0].SpanContext.SpanID, rootCtx.SpanID, rootCtx.TraceID)
	}
	for i := range a {
		if !a[i].StartTime.Equal(b[i].StartTime) || !a[i].FinishTime.Equal(b[i].FinishTime) || a[i].StartTime.Nanosecond()%1000 != 0 {
			t.Errorf("%s: times %v-%v and %v-%v, want the same whole microseconds", a[i].OperationName,
				a[i].StartTime, a[i].FinishTime, b[i].StartTime, b[i].FinishTime)
		}
	}
	if b[1].Tag("k") != "v" {
		t.Errorf("the second member's root lacks the start tag: %v", b[1].Tags())
	}
}

func TestCombineRefusesMembersItCannotUse(t *testing.T) {
	ok, _ := mockMember("ok", Stats{}, nil)
	noConv, _ := mockMember("otel", Stats{}, nil)
	noConv.Converter = nil
	noIDs, _ := mockMember("custom", Stats{}, nil)
	noIDs.StartWithIDs = nil
	for _, tt := range []struct {
		members []Member
		want    string
	}{
		{nil, "no backend"},
		{[]Member{noConv, ok}, "otel: its span contexts cannot be read"},
		{[]Member{ok, noIDs}, "custom: it cannot record spans another backend starts"},
	} {
		if _, err := Combine(Config{}, tt.members...); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Combine(%d members) = %v, want an error saying %q", len(tt.members), err, tt.want)
		}
	}
}

func TestCombineShutsDownInParallel(t *testing.T) {
	// Each of a and b returns only once the other has begun: in turn,
	// they would wait for the deadline.
	began := map[string]chan struct{}{"a": make(chan struct{}), "b": make(chan struct{})}
	other := map[string]string{"a": "b", "b": "a"}
	member := func(name string) Member {
		m, _ := mockMember(name, Stats{}, func(ctx context.Context) error {
			close(began[name])
			select {
			case <-began[other[name]]:
				return errors.New(name + " failed")
			case <-ctx.Done():
				return ctx.Err()
			}
		})
		return m
	}
	c, _ := mockMember("c", Stats{}, func(context.Context) error { return nil })
	inst, err := Combine(Config{}, member("a"), member("b"), c)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = inst.Shutdown(ctx)
	if err == nil || !strings.Contains(err.Error(), "a: a failed") || !strings.Contains(err.Error(), "b: b failed") {
		t.Errorf("Shutdown = %v, want both members' errors, by name", err)
	}
}

func TestCombineStats(t *testing.T) {
	t0, t1 := time.Unix(100, 0), time.Unix(200, 0)
	for _, tt := range []struct {
		name   string
		each   []Stats
		closed bool
		want   Stats
	}{
		{"all exported", []Stats{{SpansStarted: 5, SpansFinished: 5, SpansExported: 5}, {SpansStarted: 5, SpansFinished: 5, SpansExported: 5}},
			true, Stats{SpansStarted: 5, SpansFinished: 5, SpansExported: 5}},
		{"one collector down", []Stats{
			{SpansFinished: 10, SpansExported: 10, LastExportTime: t1},
			{SpansFinished: 10, SpansExported: 6, SpansDropped: 4, ExportErrors: 2, LastExportError: "refused", LastExportTime: t0}},
			false, Stats{SpansFinished: 10, SpansExported: 6, SpansDropped: 4, ExportErrors: 2, LastExportError: "b: refused", LastExportTime: t1}},
		{"pending until closed", []Stats{{SpansFinished: 10, SpansExported: 10}, {SpansFinished: 10, SpansExported: 7}},
			false, Stats{SpansFinished: 10, SpansExported: 7}},
		{"closed: the rest is dropped", []Stats{{SpansFinished: 10, SpansExported: 10}, {SpansFinished: 10, SpansExported: 7, SpansDropped: 1}},
			true, Stats{SpansFinished: 10, SpansExported: 7, SpansDropped: 3}},
		{"errors add up, named", []Stats{{ExportErrors: 1, LastExportError: "x"}, {ExportErrors: 2, LastExportError: "y"}},
			false, Stats{ExportErrors: 3, LastExportError: "a: x; b: y"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var members []Member
			for i, s := range tt.each {
				m, _ := mockMember(string(rune('a'+i)), s, nil)
				members = append(members, m)
			}
			if got := combineStats(members, tt.closed); got != tt.want {
				t.Errorf("combineStats = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestPlainTags(t *testing.T) {
	route := opentracing.Tags{"component": "gin"}
	for _, tt := range []struct {
		name string
		opts []opentracing.StartSpanOption
		want opentracing.Tags
	}{
		{"none", nil, nil},
		{"a lone Tags", []opentracing.StartSpanOption{route, opentracing.StartTime(time.Unix(5, 0))}, route},
		{"Tags then Tag", []opentracing.StartSpanOption{route, opentracing.Tag{Key: "k", Value: 1}},
			opentracing.Tags{"component": "gin", "k": 1}},
		{"later wins", []opentracing.StartSpanOption{opentracing.Tag{Key: "component", Value: "x"}, route},
			opentracing.Tags{"component": "gin"}},
		{"a reference is skipped", []opentracing.StartSpanOption{opentracing.ChildOf(nil), route}, route},
		{"handed-over tags", []opentracing.StartSpanOption{lightspan.Tags{"otel.scope.name": "lib"}}, opentracing.Tags{"otel.scope.name": "lib"}},
		{"handed-over tags after Tags", []opentracing.StartSpanOption{route, lightspan.Tags{"k": 2}},
			opentracing.Tags{"component": "gin", "k": 2}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := plainTags(tt.opts); fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("plainTags = %v, want %v", got, tt.want)
			}
			if len(route) != 1 || route["component"] != "gin" {
				t.Fatalf("the caller's Tags changed: %v", route)
			}
		})
	}
}
