package zipkin

import (
	"errors"
	"fmt"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	"github.com/opentracing/opentracing-go/log"
	zipkinot "github.com/openzipkin-contrib/zipkin-go-opentracing"
	zipkingo "github.com/openzipkin/zipkin-go"
	"github.com/openzipkin/zipkin-go/model"
	"github.com/openzipkin/zipkin-go/reporter/recorder"

	"github.com/polytrace/polytrace/tracer"
)

// custom is a start option neither fast path reads: the span takes the
// general path.
type custom struct{}

func (custom) Apply(*opentracing.StartSpanOptions) {}

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// spanScenarios drive a tracer through the OpenTracing API; each must
// reach the collector the same through this backend as through
// zipkin-go-opentracing on the same zipkin-go configuration.
var spanScenarios = []struct {
	name string
	run  func(tr opentracing.Tracer)
}{
	{"middleware server span", func(tr opentracing.Tracer) {
		s := tr.StartSpan("GET /users/:id", ext.SpanKindRPCServer, opentracing.Tag{Key: "component", Value: "gin"},
			opentracing.Tag{Key: "http.method", Value: "GET"}, opentracing.Tag{Key: "http.route", Value: "/users/:id"},
			opentracing.StartTime(t0))
		ext.HTTPUrl.Set(s, "/users/42")
		ext.PeerHostIPv4.SetString(s, "10.0.0.1") // ignored after the start
		ext.HTTPStatusCode.Set(s, 503)
		ext.Error.Set(s, true)
		s.FinishWithOptions(opentracing.FinishOptions{FinishTime: t0.Add(3 * time.Millisecond)})
	}},
	{"client span with a remote endpoint", func(tr opentracing.Tracer) {
		s := tr.StartSpan("call", opentracing.Tag{Key: "span.kind", Value: "CLIENT"},
			opentracing.Tags{"peer.service": "inventory", "peer.ipv4": "192.0.2.7", "peer.ipv6": "2001:db8::1", "peer.port": uint16(8080)},
			opentracing.StartTime(t0))
		s.SetTag("span.kind", "server") // ignored after the start
		s.SetTag("sampling.priority", 1)
		s.FinishWithOptions(opentracing.FinishOptions{FinishTime: t0.Add(time.Second)})
	}},
	{"other kinds", func(tr opentracing.Tracer) {
		for i, k := range []interface{}{ext.SpanKindProducerEnum, "consumer", "batch", "", 7} {
			s := tr.StartSpan(fmt.Sprint("kind-", i), opentracing.Tag{Key: "span.kind", Value: k}, opentracing.StartTime(t0))
			s.FinishWithOptions(opentracing.FinishOptions{FinishTime: t0.Add(time.Millisecond)})
		}
	}},
	{"tag values and repeats", func(tr opentracing.Tracer) {
		s := tr.StartSpan("values",
			opentracing.Tags{"int": 1, "int64": int64(-2), "int32": int32(3), "uint32": uint32(4), "uint64": uint64(5),
				"float": 1.5, "big": 1e21, "bool": false, "nil": nil, "err": errors.New("boom"), "struct": struct{ A int }{1},
				"bytes": []byte("b")},
			opentracing.Tag{Key: "dup", Value: 1}, opentracing.Tag{Key: "dup", Value: 2},
			opentracing.Tag{Key: "error", Value: false}, opentracing.Tag{Key: "error", Value: true},
			opentracing.StartTime(t0))
		s.SetTag("later", uint8(9))
		s.SetTag("dup", 3)
		s.SetOperationName("renamed")
		s.FinishWithOptions(opentracing.FinishOptions{FinishTime: t0.Add(time.Millisecond)})
	}},
	{"logs", func(tr opentracing.Tracer) {
		s := tr.StartSpan("logs", opentracing.StartTime(t0))
		s.FinishWithOptions(opentracing.FinishOptions{
			FinishTime: t0.Add(2 * time.Millisecond),
			LogRecords: []opentracing.LogRecord{
				{Timestamp: t0.Add(time.Millisecond), Fields: []log.Field{log.String("event", "retry"), log.Int("attempt", 2)}},
			},
		})
	}},
	{"parent and children", func(tr opentracing.Tracer) {
		p := tr.StartSpan("parent", opentracing.StartTime(t0))
		c := tr.StartSpan("child", opentracing.ChildOf(p.Context()), opentracing.StartTime(t0.Add(time.Microsecond)))
		f := tr.StartSpan("follower", opentracing.FollowsFrom(c.Context()), opentracing.StartTime(t0.Add(2*time.Microsecond)))
		for _, s := range []opentracing.Span{f, c, p} {
			s.FinishWithOptions(opentracing.FinishOptions{FinishTime: t0.Add(time.Millisecond)})
		}
	}},
	{"general path", func(tr opentracing.Tracer) {
		p := tr.StartSpan("parent", custom{}, ext.SpanKindRPCClient, opentracing.Tag{Key: "peer.service", Value: "db"}, opentracing.StartTime(t0))
		c := tr.StartSpan("child", custom{}, opentracing.ChildOf(p.Context()), opentracing.Tag{Key: "n", Value: 1}, opentracing.StartTime(t0))
		c.FinishWithOptions(opentracing.FinishOptions{FinishTime: t0.Add(time.Millisecond)})
		p.FinishWithOptions(opentracing.FinishOptions{FinishTime: t0.Add(time.Millisecond)})
	}},
}

// reported runs scenario on tr and returns what rec received, with ids
// replaced by the names of the spans they stand for.
func reported(t *testing.T, rec *recorder.ReporterRecorder, run func(opentracing.Tracer), tr opentracing.Tracer) []string {
	t.Helper()
	run(tr)
	spans := rec.Flush()
	names := map[model.ID]string{}
	for _, s := range spans {
		names[s.ID] = s.Name
	}
	var out []string
	for _, s := range spans {
		parent := "none"
		if s.ParentID != nil {
			parent = names[*s.ParentID]
		}
		sameTrace := s.TraceID == spans[0].TraceID
		tags := make([]string, 0, len(s.Tags))
		for k, v := range s.Tags {
			tags = append(tags, k+"="+v)
		}
		sort.Strings(tags)
		out = append(out, fmt.Sprintf("%s kind=%q parent=%s sameTrace=%v start=%v duration=%v remote=%+v tags=%v annotations=%v shared=%v",
			s.Name, s.Kind, parent, sameTrace, s.Timestamp.Sub(t0), s.Duration, s.RemoteEndpoint, tags, s.Annotations, s.Shared))
	}
	sort.Strings(out)
	return out
}

func TestSpansMatchZipkinGoOpenTracing(t *testing.T) {
	cfg := tracer.Config{ServiceName: "svc", Tags: map[string]string{"env": "test"}}
	for _, sc := range spanScenarios {
		t.Run(sc.name, func(t *testing.T) {
			ours := recorder.NewReporter()
			inst, err := NewWithReporter(cfg, ours)
			if err != nil {
				t.Fatal(err)
			}
			// The reference: zipkin-go-opentracing on a zipkin-go tracer
			// configured as build configures it.
			theirs := recorder.NewReporter()
			ztr, err := zipkingo.NewTracer(theirs,
				zipkingo.WithLocalEndpoint(&model.Endpoint{ServiceName: "svc"}),
				zipkingo.WithTags(cfg.Tags),
				zipkingo.WithIDGenerator(idGenerator{}),
				zipkingo.WithSharedSpans(false),
				zipkingo.WithNoopSpan(true))
			if err != nil {
				t.Fatal(err)
			}
			got := reported(t, ours, sc.run, inst.Tracer)
			want := reported(t, theirs, sc.run, zipkinot.Wrap(ztr))
			if len(got) == 0 {
				t.Fatal("no span reported")
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("reported\n%s\nwant (zipkin-go-opentracing)\n%s", join(got), join(want))
			}
		})
	}
}

func join(lines []string) string {
	out := ""
	for _, l := range lines {
		out += "  " + l + "\n"
	}
	return out
}

func TestTagValueMatchesSprint(t *testing.T) {
	for _, v := range []interface{}{"s", "", true, false, 0, -1, 1 << 40, int64(-1 << 62), int32(-5), uint16(65535), uint16(0), uint16(200), uint16(404), uint16(599), uint16(600),
		uint32(7), uint64(1 << 63), 1.5, float32(0.1), nil, []int{1}, errors.New("e"), ext.SpanKindRPCServerEnum} {
		if got, want := tagValue(v), fmt.Sprint(v); got != want {
			t.Errorf("tagValue(%#v) = %q, fmt.Sprint gives %q", v, got, want)
		}
	}
}

func TestSampledServerSpanAllocations(t *testing.T) {
	// The middleware's start options on a sampled new trace: the span, its
	// zipkin-go span and tags map, the wrapper, and nothing per tag.
	inst, err := NewWithReporter(tracer.Config{ServiceName: "svc", SampleRate: tracer.Rate(1)}, recorder.NewReporter())
	if err != nil {
		t.Fatal(err)
	}
	opts := []opentracing.StartSpanOption{ext.SpanKindRPCServer, opentracing.Tag{Key: "component", Value: "gin"},
		opentracing.Tag{Key: "http.method", Value: "GET"}, opentracing.Tag{Key: "http.route", Value: "/users/:id"}}
	allocs := testing.AllocsPerRun(200, func() {
		inst.Tracer.StartSpan("GET /users/:id", opts...).Finish()
	})
	// zipkin-go-opentracing took 15 more for the same span.
	if allocs > 8 {
		t.Errorf("a sampled server span costs %v allocations, want at most 8", allocs)
	}
}
