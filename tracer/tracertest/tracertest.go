// Package tracertest is the conformance suite every polytrace backend
// passes. A backend's test supplies a [Harness] and calls [Run]:
//
//	func TestConformance(t *testing.T) {
//		tracertest.Run(t, tracertest.Harness{
//			Open:            func(t *testing.T, cfg tracer.Config) *tracer.Instance { ... },
//			OpenUnreachable: func(t *testing.T, cfg tracer.Config) *tracer.Instance { ... },
//		})
//	}
//
// Run runs every check twice, with tracers built at sample rate 1
// ("sampled": every span recorded) and at 0 ("unsampled": the backend's
// light spans, which still propagate), from the cfg it passes to Open.
//
// The suite runs opentracing-go's harness.RunAPIChecks, then polytrace's
// own checks: a tracer is always returned, a span context survives a round
// trip through HTTP headers (in the native formats, and in those of
// Config.Propagation when set), missing or malformed headers are refused
// without panicking, Shutdown is idempotent and returns by its deadline
// when the collector is unreachable, even with spans buffered, and Stats
// holds its invariants (counters only grow, every export error is
// described, after Shutdown every finished span is exported or dropped,
// and spans finished after Shutdown are counted as dropped).
package tracertest

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/harness"

	"github.com/polytrace/polytrace/propagation"
	"github.com/polytrace/polytrace/tracer"
)

// Harness is what a backend supplies to the suite.
type Harness struct {
	// Open builds, from cfg (its service name and sample rate, to which
	// the backend adds its own settings), a tracer whose spans go
	// somewhere that accepts them (a local receiver or a discarding
	// reporter). Required.
	Open func(t *testing.T, cfg tracer.Config) *tracer.Instance

	// OpenUnreachable builds, from cfg, a tracer whose collector cannot
	// be reached: nothing listens at its address, or it accepts
	// connections and never answers. Required for backends that report
	// over the network.
	OpenUnreachable func(t *testing.T, cfg tracer.Config) *tracer.Instance

	// Probe, when set, lets the API checks compare trace and span
	// identities through the backend's own span context type.
	Probe harness.APICheckProbe

	// OpenRecorded, when set, builds from cfg a tracer whose receiver the
	// suite can read: exported returns, once the instance is shut down,
	// every span it received. The suite checks with it how OpenTelemetry
	// spans map onto the backend's.
	OpenRecorded RecordedOpen

	// ShutdownDeadline is the deadline given to Shutdown in the
	// unreachable-collector check. Zero means 500ms.
	ShutdownDeadline time.Duration
}

// Run runs the whole suite as subtests of t, once sampled and once
// unsampled.
func Run(t *testing.T, h Harness) {
	t.Helper()
	if h.Open == nil {
		t.Fatal("tracertest: Harness.Open is required")
	}
	for _, rate := range []struct {
		name string
		rate float64
	}{{"sampled", 1}, {"unsampled", 0}} {
		cfg := tracer.Config{ServiceName: "conformance", SampleRate: tracer.Rate(rate.rate)}
		t.Run(rate.name, func(t *testing.T) { run(t, bound{h, cfg}) })
	}
}

// bound is a harness with the configuration of one run of the suite.
type bound struct {
	h   Harness
	cfg tracer.Config
}

func (b bound) Open(t *testing.T) *tracer.Instance { return b.h.Open(t, b.cfg) }

func (b bound) OpenUnreachable(t *testing.T) *tracer.Instance {
	return b.h.OpenUnreachable(t, b.cfg)
}

func run(t *testing.T, h bound) {
	t.Run("OpenTracingAPI", func(t *testing.T) { runAPIChecks(t, h) })
	t.Run("TracerNotNil", func(t *testing.T) { testNotNil(t, h) })
	t.Run("HTTPHeadersRoundTrip", func(t *testing.T) { testHTTPRoundTrip(t, h) })
	t.Run("PropagationSetting", func(t *testing.T) { testPropagationSetting(t, h) })
	t.Run("LightSpans", func(t *testing.T) { testLightSpans(t, h) })
	t.Run("OpenTelemetryAPI", func(t *testing.T) { testOpenTelemetryAPI(t, h) })
	t.Run("OpenTelemetryMapping", func(t *testing.T) { testOpenTelemetryMapping(t, h) })
	t.Run("StartWithIDs", func(t *testing.T) { testStartWithIDs(t, h) })
	t.Run("ExtractWithoutContext", func(t *testing.T) { testExtractEmpty(t, h) })
	t.Run("ExtractMalformedHeaders", func(t *testing.T) { testExtractMalformed(t, h) })
	t.Run("ShutdownIdempotent", func(t *testing.T) { testShutdownIdempotent(t, h) })
	t.Run("SpansAfterShutdownDoNotBlock", func(t *testing.T) { testAfterShutdown(t, h) })
	t.Run("ShutdownBoundedWhenUnreachable", func(t *testing.T) { testShutdownUnreachable(t, h) })
	t.Run("StatsAccountForEverySpan", func(t *testing.T) { testStatsAccount(t, h) })
	t.Run("StatsAfterShutdownCountDrops", func(t *testing.T) { testStatsAfterShutdown(t, h) })
}

func open(t *testing.T, h bound) *tracer.Instance {
	t.Helper()
	inst := h.Open(t)
	if inst == nil || inst.Tracer == nil {
		t.Fatal("Harness.Open returned no tracer")
	}
	t.Cleanup(func() { shutdown(t, inst, 10*time.Second) })
	return inst
}

func shutdown(t testing.TB, inst *tracer.Instance, d time.Duration) error {
	t.Helper()
	if inst.Shutdown == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return inst.Shutdown(ctx)
}

func runAPIChecks(t *testing.T, h bound) {
	opts := []harness.APICheckOption{harness.CheckEverything()}
	if h.h.Probe != nil {
		opts = append(opts, harness.UseProbe(h.h.Probe))
	}
	harness.RunAPIChecks(t, func() (opentracing.Tracer, func()) {
		inst := h.Open(t)
		return inst.Tracer, func() { _ = shutdown(t, inst, 10*time.Second) }
	}, opts...)
}

func testNotNil(t *testing.T, h bound) {
	inst := open(t, h)
	span := inst.Tracer.StartSpan("not-nil")
	if span == nil {
		t.Fatal("StartSpan returned nil")
	}
	if span.Context() == nil {
		t.Fatal("span has a nil context")
	}
	span.Finish()
}

func testHTTPRoundTrip(t *testing.T, h bound) { roundTrip(t, h) }

// testPropagationSetting: a tracer built with Config.Propagation
// (TRACER_PROPAGATION) writes those formats and nothing else, and reads
// them back, whatever the backend's native format.
func testPropagationSetting(t *testing.T, h bound) {
	// No backend's native format is the single b3 header.
	h.cfg.Propagation = propagation.Formats{propagation.B3}
	sent := roundTrip(t, h)
	for k := range sent {
		if k != "B3" && k != "Baggage-Tenant" {
			t.Errorf("with propagation %v, Inject wrote %s (all: %v)", h.cfg.Propagation, k, sent)
		}
	}
	if sent.Get("b3") == "" || sent.Get("baggage-tenant") != "acme" {
		t.Errorf("with propagation %v, Inject wrote %v; want b3 and baggage-tenant: acme", h.cfg.Propagation, sent)
	}
}

// roundTrip injects a span context with baggage into HTTP headers,
// extracts it back and checks that nothing was lost; it returns the
// headers.
func roundTrip(t *testing.T, h bound) http.Header {
	inst := open(t, h)
	tr := inst.Tracer
	parent := tr.StartSpan("parent")
	parent.SetBaggageItem("tenant", "acme")
	defer parent.Finish()

	sent := http.Header{}
	if err := tr.Inject(parent.Context(), opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(sent)); err != nil {
		t.Fatalf("Inject: %v", err)
	}
	if len(sent) == 0 {
		t.Fatal("Inject wrote no header")
	}
	got, err := tr.Extract(opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(sent))
	if err != nil {
		t.Fatalf("Extract of headers %v: %v", sent, err)
	}
	// Injecting the extracted context again must give the same headers:
	// trace id, span id, sampling flag and baggage all survived.
	again := http.Header{}
	if err := tr.Inject(got, opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(again)); err != nil {
		t.Fatalf("Inject of extracted context: %v", err)
	}
	if !reflect.DeepEqual(sent, again) {
		t.Errorf("headers changed in a round trip:\n sent  %v\n again %v", sent, again)
	}
	baggage := map[string]string{}
	got.ForeachBaggageItem(func(k, v string) bool { baggage[k] = v; return true })
	if baggage["tenant"] != "acme" {
		t.Errorf("baggage after extract = %v, want tenant=acme", baggage)
	}
	child := tr.StartSpan("child", opentracing.ChildOf(got))
	defer child.Finish()
	if h.h.Probe != nil && !h.h.Probe.SameTrace(parent, child) {
		t.Error("a child of the extracted context is not in the parent's trace")
	}
	return sent
}

func testExtractEmpty(t *testing.T, h bound) {
	inst := open(t, h)
	sc, err := inst.Tracer.Extract(opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(http.Header{}))
	if err == nil {
		t.Fatalf("Extract from no headers = %v, nil; want an error", sc)
	}
	if !errors.Is(err, opentracing.ErrSpanContextNotFound) {
		t.Logf("Extract from no headers: %v (not ErrSpanContextNotFound)", err)
	}
}

// MalformedHeaders are inbound headers of every propagation format the
// backends read, each broken in a way seen in the wild. Extract must refuse
// or ignore them, never panic.
var MalformedHeaders = []http.Header{
	{"Uber-Trace-Id": {"not-a-trace-id"}},
	{"Uber-Trace-Id": {"zzzz:1:0:1"}},
	{"Uber-Trace-Id": {"::::"}},
	{"Uber-Trace-Id": {"0:0:0:0"}},
	{"Uberctx-K": {"%zz"}},
	{"X-B3-Traceid": {"xyz"}, "X-B3-Spanid": {"1"}},
	{"X-B3-Traceid": {"0000000000000001"}},
	{"X-B3-Traceid": {"0000000000000001"}, "X-B3-Spanid": {"nothex"}, "X-B3-Sampled": {"maybe"}},
	{"B3": {"-"}},
	{"B3": {"a-b-c-d-e"}},
	{"Ot-Tracer-Traceid": {"qq"}, "Ot-Tracer-Spanid": {"qq"}},
	{"Ot-Tracer-Traceid": {"1"}},
	{"Ot-Tracer-Sampled": {"true"}},
	{"Traceparent": {"00-zz-zz-01"}},
	{"Traceparent": {"ff-00000000000000000000000000000000-0000000000000000-00"}},
}

func testExtractMalformed(t *testing.T, h bound) {
	inst := open(t, h)
	for _, hdr := range MalformedHeaders {
		sc, err := inst.Tracer.Extract(opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(hdr))
		if err != nil {
			continue
		}
		// Accepted: starting a span from it must still work.
		span := inst.Tracer.StartSpan("after-malformed", opentracing.ChildOf(sc))
		span.Finish()
	}
}

func testShutdownIdempotent(t *testing.T, h bound) {
	inst := h.Open(t)
	if inst.Shutdown == nil {
		return
	}
	inst.Tracer.StartSpan("before-shutdown").Finish()
	if err := shutdown(t, inst, 10*time.Second); err != nil {
		t.Fatalf("first Shutdown: %v", err)
	}
	if err := shutdown(t, inst, 10*time.Second); err != nil {
		t.Fatalf("second Shutdown: %v", err)
	}
}

func testAfterShutdown(t *testing.T, h bound) {
	inst := h.Open(t)
	_ = shutdown(t, inst, 10*time.Second)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 1000; i++ {
			inst.Tracer.StartSpan("after-shutdown").Finish()
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("finishing spans after Shutdown blocked")
	}
}

func testShutdownUnreachable(t *testing.T, h bound) {
	if h.h.OpenUnreachable == nil {
		t.Fatal("tracertest: Harness.OpenUnreachable is required for backends that report over the network")
	}
	inst := h.OpenUnreachable(t)
	if inst == nil || inst.Tracer == nil {
		t.Fatal("OpenUnreachable returned no tracer")
	}
	for i := 0; i < 500; i++ {
		inst.Tracer.StartSpan("buffered").Finish()
	}
	deadline := h.h.ShutdownDeadline
	if deadline == 0 {
		deadline = 500 * time.Millisecond
	}
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	returned := make(chan error, 1)
	go func() { returned <- inst.Shutdown(ctx) }()
	// Generous slack: this checks that Shutdown honours its deadline at
	// all, not how fast it is.
	select {
	case err := <-returned:
		t.Logf("Shutdown with an unreachable collector returned: %v", err)
	case <-time.After(deadline + 5*time.Second):
		t.Fatalf("Shutdown ignored its %v deadline with the collector unreachable", deadline)
	}
}

// settle waits (up to 10s) after Shutdown for every finished span to be
// exported or dropped, and returns the Stats then.
func settle(t *testing.T, inst *tracer.Instance) tracer.Stats {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st := inst.Stats()
		if st.Pending() == 0 || time.Now().After(deadline) {
			return st
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// checkGrew fails t when a counter of now is below the one of before:
// counters only grow.
func checkGrew(t *testing.T, before, now tracer.Stats) {
	t.Helper()
	for _, c := range []struct {
		name    string
		was, is int64
	}{
		{"SpansStarted", before.SpansStarted, now.SpansStarted},
		{"SpansFinished", before.SpansFinished, now.SpansFinished},
		{"SpansExported", before.SpansExported, now.SpansExported},
		{"SpansDropped", before.SpansDropped, now.SpansDropped},
		{"ExportErrors", before.ExportErrors, now.ExportErrors},
	} {
		if c.is < c.was {
			t.Errorf("Stats.%s went from %d down to %d: counters only grow", c.name, c.was, c.is)
		}
	}
}

// checkDescribed fails t when st counts an export error without
// describing one.
func checkDescribed(t *testing.T, st tracer.Stats) {
	t.Helper()
	if st.ExportErrors > 0 && st.LastExportError == "" {
		t.Errorf("Stats counts %d export errors but describes none: %s", st.ExportErrors, st)
	}
}

// testStatsAccount: while spans are finished from several goroutines,
// counters only grow, never show more exported or dropped than finished,
// and describe every export error; after Shutdown, every finished span is
// exported or dropped. The spans of a sampled tracer are counted; an
// unsampled one counts none.
func testStatsAccount(t *testing.T, h bound) {
	inst := h.Open(t)
	if inst.Stats == nil {
		return // the backend keeps no statistics (noop)
	}
	const goroutines, each = 4, 100
	done := make(chan struct{})
	go func() {
		defer close(done)
		var wg sync.WaitGroup
		for range goroutines {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range each {
					parent := inst.Tracer.StartSpan("stats-parent")
					inst.Tracer.StartSpan("stats-child", opentracing.ChildOf(parent.Context())).Finish()
					parent.Finish()
				}
			}()
		}
		wg.Wait()
	}()
	prev := inst.Stats()
	for running := true; running; {
		select {
		case <-done:
			running = false
		case <-time.After(time.Millisecond):
		}
		st := inst.Stats()
		checkGrew(t, prev, st)
		checkDescribed(t, st)
		if st.SpansExported+st.SpansDropped > st.SpansFinished || st.SpansFinished > st.SpansStarted {
			t.Fatalf("Stats shows more spans exported and dropped than finished, or finished than started: %s", st)
		}
		prev = st
	}
	if err := shutdown(t, inst, 10*time.Second); err != nil {
		t.Logf("Shutdown: %v", err)
	}
	st := settle(t, inst)
	checkGrew(t, prev, st)
	checkDescribed(t, st)
	if st.SpansExported+st.SpansDropped != st.SpansFinished {
		t.Errorf("after Shutdown: exported %d + dropped %d != finished %d", st.SpansExported, st.SpansDropped, st.SpansFinished)
	}
	if n := int64(2 * goroutines * each); st.SpansFinished != 0 && st.SpansFinished < n {
		t.Errorf("SpansFinished = %d: a sampled tracer counts all %d spans", st.SpansFinished, n)
	}
}

// testStatsAfterShutdown: spans finished after Shutdown are dropped and
// counted as such (when the tracer samples them), never exported.
func testStatsAfterShutdown(t *testing.T, h bound) {
	inst := h.Open(t)
	if inst.Stats == nil {
		return
	}
	inst.Tracer.StartSpan("before").Finish()
	if err := shutdown(t, inst, 10*time.Second); err != nil {
		t.Logf("Shutdown: %v", err)
	}
	before := settle(t, inst)
	for range 100 {
		inst.Tracer.StartSpan("after-shutdown").Finish()
	}
	after := inst.Stats()
	checkGrew(t, before, after)
	if after.SpansExported != before.SpansExported {
		t.Errorf("spans finished after Shutdown were exported: %s, then %s", before, after)
	}
	if finished := after.SpansFinished - before.SpansFinished; after.SpansDropped-before.SpansDropped != finished {
		t.Errorf("%d spans finished after Shutdown, %d counted as dropped: %s, then %s",
			finished, after.SpansDropped-before.SpansDropped, before, after)
	}
}

// ConverterProbe returns a Probe that compares span contexts by the ids
// conv (a backend's [tracer.Instance.Converter]) reads from them, for
// backends without a probe of their own.
func ConverterProbe(conv propagation.Converter) harness.APICheckProbe {
	return converterProbe{conv}
}

type converterProbe struct{ conv propagation.Converter }

func (p converterProbe) SameTrace(a, b opentracing.Span) bool {
	x, ok1 := p.conv.ToNeutral(a.Context())
	y, ok2 := p.conv.ToNeutral(b.Context())
	return ok1 && ok2 && x.TraceID.IsValid() && x.TraceID == y.TraceID
}

func (p converterProbe) SameSpanContext(s opentracing.Span, sc opentracing.SpanContext) bool {
	if sc == nil {
		return false
	}
	x, ok1 := p.conv.ToNeutral(s.Context())
	y, ok2 := p.conv.ToNeutral(sc)
	return ok1 && ok2 && x.TraceID.IsValid() && x.TraceID == y.TraceID && x.SpanID == y.SpanID
}

// CheckExtract is the body of every backend's header fuzz test: it
// extracts from h and, if that succeeds, exercises the context: a child
// span, then two inject/extract rounds, which must write the trace header
// named traceHeader (the backend's native one) and agree on it. Whatever h
// holds, nothing may panic.
func CheckExtract(t testing.TB, tr opentracing.Tracer, h http.Header, traceHeader string) {
	t.Helper()
	sc, err := tr.Extract(opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(h))
	if err != nil {
		return
	}
	child := tr.StartSpan("child", opentracing.ChildOf(sc))
	defer child.Finish()
	first := http.Header{}
	if err := tr.Inject(child.Context(), opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(first)); err != nil {
		t.Fatalf("Inject of a child of an accepted context: %v", err)
	}
	again, err := tr.Extract(opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(first))
	if err != nil {
		t.Fatalf("Extract of our own headers %v: %v", first, err)
	}
	second := http.Header{}
	if err := tr.Inject(again, opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(second)); err != nil {
		t.Fatalf("Inject after a round trip: %v", err)
	}
	if a, b := first.Get(traceHeader), second.Get(traceHeader); a == "" || a != b {
		t.Fatalf("%s %q, then %q after a round trip (inbound %v)", traceHeader, a, b, h)
	}
}
