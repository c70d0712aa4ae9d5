package polytrace_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	lsgo "github.com/lightstep/lightstep-tracer-go"
	"github.com/opentracing/opentracing-go"
	"github.com/openzipkin/zipkin-go/propagation/b3"
	jaegerclient "github.com/uber/jaeger-client-go"
	"go.opentelemetry.io/otel/trace"

	"github.com/polytrace/polytrace"
	"github.com/polytrace/polytrace/internal/lightsteptest"
	"github.com/polytrace/polytrace/propagation"
	"github.com/polytrace/polytrace/tracelog"
	"github.com/polytrace/polytrace/tracer"
	"github.com/polytrace/polytrace/tracer/tracertest"
)

// The mixed-propagation matrix: every backend, every format, inject and
// extract, and every pair of backends through every format. Expected wire
// bytes are written here with fmt from the ids each backend's own client
// reports (its span context type, or its native headers parsed by the
// vendor's library), independently of package propagation's code.

// mixedBackends are the backends under test; "jaeger128" is jaeger with
// JAEGER_TRACEID_128BIT. otel applies the formats through the
// OpenTelemetry propagator it gives the OpenTracing bridge; the others
// through the root package's wrapper and their converters.
var mixedBackends = []string{"jaeger", "jaeger128", "zipkin", "stdout", "ui", "lightstep", "otel"}

// contextFormats are the formats that carry a span context.
var contextFormats = []propagation.Format{propagation.TraceContext, propagation.B3, propagation.B3Multi, propagation.Jaeger, propagation.OTTrace}

const (
	bagKey   = "tenant"
	bagValue = "acme corp/€"
	// bagW3C is bagValue percent-encoded as W3C Baggage wants: bytes
	// outside printable ASCII, space, '"', ',', ';', '\\' and '%'.
	bagW3C = "acme%20corp/%E2%82%AC"
)

// openMixed builds backend through polytrace.New with fs, reporting to a
// local sink that accepts and discards everything (the stdout backend
// prints, so the tests finish no stdout span).
func openMixed(t *testing.T, backend string, fs propagation.Formats, rate *float64) *polytrace.Tracer {
	t.Helper()
	settings := map[string]string{}
	name := backend
	switch backend {
	case "jaeger", "jaeger128":
		name = "jaeger"
		settings["JAEGER_ENDPOINT"] = sink(t) + "/api/traces"
		if backend == "jaeger128" {
			settings["JAEGER_TRACEID_128BIT"] = "true"
		}
	case "zipkin":
		settings["ZIPKIN_ENDPOINT"] = sink(t) + "/api/v2/spans"
	case "ui":
		settings["TRACER_UI_ADDR"] = "off" // the spans stay in the process's store
	case "otel":
		settings["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf"
		settings["OTEL_EXPORTER_OTLP_ENDPOINT"] = sink(t)
	case "lightstep":
		r := lightsteptest.Start(t, lightsteptest.HTTP)
		settings["LIGHTSTEP_ACCESS_TOKEN"] = "test-token"
		settings["LIGHTSTEP_COLLECTOR_HOST"] = r.Host
		settings["LIGHTSTEP_COLLECTOR_PORT"] = strconv.Itoa(r.Port)
		settings["LIGHTSTEP_COLLECTOR_PLAINTEXT"] = "true"
	}
	tr, err := polytrace.New(name, tracer.Config{ServiceName: "mixed-" + backend, SampleRate: rate,
		Propagation: fs, Lookup: tracer.MapLookup(settings)})
	if err != nil {
		t.Fatalf("New(%s): %v", backend, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = tr.Shutdown(ctx)
	})
	return tr
}

// sink returns the URL of an HTTP server that answers every request with
// an empty 200, closed when t ends.
func sink(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// view is a span context as its backend's own client sees it.
type view struct {
	hi, lo, span, parent uint64
	sampled, debug       bool
	knowsParent          bool // the backend's span context holds the parent id
	knowsHigh            bool // the backend's spans keep a 128-bit trace id
}

func nativeView(t *testing.T, backend string, tr *polytrace.Tracer, sc opentracing.SpanContext) view {
	t.Helper()
	switch backend {
	case "jaeger", "jaeger128":
		c := sc.(jaegerclient.SpanContext)
		return view{hi: c.TraceID().High, lo: c.TraceID().Low, span: uint64(c.SpanID()), parent: uint64(c.ParentID()),
			sampled: c.IsSampled(), debug: c.IsDebug(), knowsParent: true, knowsHigh: true}
	case "zipkin", "stdout", "ui":
		// The backend's native B3, read by zipkin-go.
		m := opentracing.TextMapCarrier{}
		if err := tr.Unwrap().Inject(sc, opentracing.TextMap, m); err != nil {
			t.Fatal(err)
		}
		z, err := b3.ParseHeaders(m[b3.TraceID], m[b3.SpanID], m[b3.ParentSpanID], m[b3.Sampled], m[b3.Flags])
		if err != nil {
			t.Fatalf("native B3 %v: %v", m, err)
		}
		v := view{hi: z.TraceID.High, lo: z.TraceID.Low, span: uint64(z.ID), debug: z.Debug,
			sampled: z.Debug || (z.Sampled != nil && *z.Sampled), knowsParent: true, knowsHigh: true}
		if z.ParentID != nil {
			v.parent = uint64(*z.ParentID)
		}
		return v
	case "lightstep":
		c := sc.(lsgo.SpanContext)
		return view{hi: c.TraceIDUpper, lo: c.TraceID, span: c.SpanID, sampled: c.Sampled != "false"}
	case "otel":
		// The bridge's span context embeds OpenTelemetry's.
		c := sc.(interface {
			TraceID() trace.TraceID
			SpanID() trace.SpanID
			IsSampled() bool
		})
		tid, sid := c.TraceID(), c.SpanID()
		return view{hi: binary.BigEndian.Uint64(tid[:8]), lo: binary.BigEndian.Uint64(tid[8:]),
			span: binary.BigEndian.Uint64(sid[:]), sampled: c.IsSampled(), knowsHigh: true}
	}
	t.Fatalf("no view for backend %s", backend)
	return view{}
}

// wire is what format f should put on the wire for v, with baggage
// bagKey=bagValue when withBaggage, written from the formats'
// specifications.
func wire(f propagation.Format, v view, withBaggage bool) http.Header {
	tid := fmt.Sprintf("%016x", v.lo)
	if v.hi != 0 {
		tid = fmt.Sprintf("%016x%016x", v.hi, v.lo)
	}
	sampled := map[bool]string{true: "1", false: "0"}[v.sampled]
	h := http.Header{}
	switch f {
	case propagation.TraceContext:
		h.Set("traceparent", fmt.Sprintf("00-%016x%016x-%016x-0%s", v.hi, v.lo, v.span, sampled))
	case propagation.B3:
		state := sampled
		if v.debug {
			state = "d"
		}
		s := fmt.Sprintf("%s-%016x-%s", tid, v.span, state)
		if v.parent != 0 {
			s += fmt.Sprintf("-%016x", v.parent)
		}
		h.Set("b3", s)
		if withBaggage {
			h.Set("baggage-"+bagKey, url.PathEscape(bagValue))
		}
	case propagation.B3Multi:
		h.Set("x-b3-traceid", tid)
		h.Set("x-b3-spanid", fmt.Sprintf("%016x", v.span))
		if v.parent != 0 {
			h.Set("x-b3-parentspanid", fmt.Sprintf("%016x", v.parent))
		}
		if v.debug {
			h.Set("x-b3-flags", "1")
		} else {
			h.Set("x-b3-sampled", sampled)
		}
		if withBaggage {
			h.Set("baggage-"+bagKey, url.PathEscape(bagValue))
		}
	case propagation.Jaeger:
		flags := sampled
		if v.debug {
			flags = "3"
		}
		h.Set("uber-trace-id", fmt.Sprintf("%s:%016x:%016x:%s", tid, v.span, v.parent, flags))
		if withBaggage {
			h.Set("uberctx-"+bagKey, url.QueryEscape(bagValue))
		}
	case propagation.OTTrace:
		h.Set("ot-tracer-traceid", fmt.Sprintf("%016x", v.lo))
		h.Set("ot-tracer-spanid", fmt.Sprintf("%016x", v.span))
		h.Set("ot-tracer-sampled", strconv.FormatBool(v.sampled))
		if withBaggage {
			h.Set("ot-baggage-"+bagKey, url.PathEscape(bagValue))
		}
	case propagation.Baggage:
		if withBaggage {
			h.Set("baggage", bagKey+"="+bagW3C)
		}
	}
	return h
}

func merge(hs ...http.Header) http.Header {
	out := http.Header{}
	for _, h := range hs {
		for k, v := range h {
			out[k] = append(out[k], v...)
		}
	}
	return out
}

func sameHeaders(a, b http.Header) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if strings.Join(v, "|") != strings.Join(b[k], "|") {
			return false
		}
	}
	return true
}

// TestMixedInject: each backend writes each format (with W3C baggage)
// for a child span, sampled and not.
func TestMixedInject(t *testing.T) {
	for _, backend := range mixedBackends {
		for _, f := range contextFormats {
			for _, rate := range []float64{1, 0} {
				t.Run(fmt.Sprintf("%s/%s/rate=%g", backend, f, rate), func(t *testing.T) {
					fs := propagation.Formats{f, propagation.Baggage}
					tr := openMixed(t, backend, fs, tracer.Rate(rate))
					root := tr.StartSpan("root")
					span := tr.StartSpan("child", opentracing.ChildOf(root.Context()))
					span.SetBaggageItem(bagKey, bagValue)
					h := http.Header{}
					if err := tr.Inject(span.Context(), opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(h)); err != nil {
						t.Fatal(err)
					}
					v := nativeView(t, backend, tr, span.Context())
					if v.sampled != (rate == 1) {
						t.Fatalf("native context %+v: sampled %v at rate %g", v, v.sampled, rate)
					}
					if v.knowsParent && v.parent == 0 {
						t.Fatalf("native context %+v has no parent", v)
					}
					want := merge(wire(f, v, true), wire(propagation.Baggage, v, true))
					if !sameHeaders(h, want) {
						t.Fatalf("wrote %v\nwant  %v", h, want)
					}
				})
			}
		}
	}
}

// TestMixedExtract: each backend reads each format, 128-bit or 64-bit,
// sampled, not sampled or debug, and starts a child in the caller's trace.
func TestMixedExtract(t *testing.T) {
	inbound := map[string]view{
		"128 sampled": {hi: 0x0af7651916cd43dd, lo: 0x8448eb211c80319c, span: 0xb7ad6b7169203331, parent: 0x00f067aa0ba902b7, sampled: true},
		"64 sampled":  {lo: 0x8448eb211c80319c, span: 0xb7ad6b7169203331, sampled: true},
		"not sampled": {hi: 0x0af7651916cd43dd, lo: 0x8448eb211c80319c, span: 0xb7ad6b7169203331, sampled: false},
		"debug":       {lo: 0x8448eb211c80319c, span: 0xb7ad6b7169203331, sampled: true, debug: true},
	}
	for _, backend := range mixedBackends {
		for _, f := range contextFormats {
			for name, in := range inbound {
				if in.debug && f != propagation.B3 && f != propagation.B3Multi && f != propagation.Jaeger {
					continue // the others have no debug flag
				}
				knowsDebug := backend != "lightstep" && backend != "otel"
				t.Run(fmt.Sprintf("%s/%s/%s", backend, f, name), func(t *testing.T) {
					fs := propagation.Formats{f, propagation.Baggage}
					tr := openMixed(t, backend, fs, nil)
					h := merge(wire(f, in, false), wire(propagation.Baggage, in, true))
					sc, err := tr.Extract(opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(h))
					if err != nil {
						t.Fatalf("Extract from %v: %v", h, err)
					}
					child := tr.StartSpan("server", opentracing.ChildOf(sc))
					got := nativeView(t, backend, tr, child.Context())
					wantHi := in.hi
					if f == propagation.OTTrace || !got.knowsHigh {
						wantHi = 0 // ottrace carries 64 bits; Lightstep spans keep 64
					}
					if got.hi != wantHi || got.lo != in.lo {
						t.Errorf("child trace id %016x%016x, want %016x%016x", got.hi, got.lo, wantHi, in.lo)
					}
					if got.knowsParent && got.parent != in.span {
						t.Errorf("child parent %016x, want the caller's span %016x", got.parent, in.span)
					}
					if got.span == in.span || got.span == 0 {
						t.Errorf("child span id %016x, want a new one", got.span)
					}
					if got.sampled != in.sampled {
						t.Errorf("child sampled %v, want the caller's %v", got.sampled, in.sampled)
					}
					if in.debug && knowsDebug && !got.debug {
						t.Errorf("child lost the debug flag")
					}
					if b := child.BaggageItem(bagKey); b != bagValue {
						t.Errorf("child baggage %s=%q, want %q", bagKey, b, bagValue)
					}
				})
			}
		}
	}
}

// TestMixedPairs: a span of backend A, injected in one format and
// extracted by backend B, is the parent of B's span in the same trace,
// with A's sampling decision and baggage.
func TestMixedPairs(t *testing.T) {
	for _, a := range mixedBackends {
		for _, b := range mixedBackends {
			for _, f := range contextFormats {
				t.Run(fmt.Sprintf("%s-to-%s/%s", a, b, f), func(t *testing.T) {
					fs := propagation.Formats{f, propagation.Baggage}
					ta, tb := openMixed(t, a, fs, nil), openMixed(t, b, fs, nil)
					span := ta.StartSpan("client")
					span.SetBaggageItem(bagKey, bagValue)
					h := http.Header{}
					if err := ta.Inject(span.Context(), opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(h)); err != nil {
						t.Fatal(err)
					}
					sc, err := tb.Extract(opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(h))
					if err != nil {
						t.Fatalf("%s cannot read %s's %v: %v", b, a, h, err)
					}
					child := tb.StartSpan("server", opentracing.ChildOf(sc))
					va, vb := nativeView(t, a, ta, span.Context()), nativeView(t, b, tb, child.Context())
					wantHi := va.hi
					if f == propagation.OTTrace || !vb.knowsHigh {
						wantHi = 0
					}
					if vb.hi != wantHi || vb.lo != va.lo {
						t.Errorf("%s's span in trace %016x%016x, want %016x%016x (%s's)", b, vb.hi, vb.lo, wantHi, va.lo, a)
					}
					if vb.knowsParent && vb.parent != va.span {
						t.Errorf("%s's span has parent %016x, want %s's span %016x", b, vb.parent, a, va.span)
					}
					if !vb.sampled {
						t.Errorf("%s's span is not sampled", b)
					}
					if got := child.BaggageItem(bagKey); got != bagValue {
						t.Errorf("baggage %q, want %q", got, bagValue)
					}
				})
			}
		}
	}
}

// TestLightstepKeepsLow64Bits documents what a 64-bit backend does to a
// 128-bit trace: the spans it starts carry the low half only, and so does
// what it injects downstream.
func TestLightstepKeepsLow64Bits(t *testing.T) {
	tr := openMixed(t, "lightstep", propagation.Formats{propagation.TraceContext}, nil)
	in := http.Header{"Traceparent": {"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}}
	sc, err := tr.Extract(opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(in))
	if err != nil {
		t.Fatal(err)
	}
	if c := sc.(lsgo.SpanContext); c.TraceIDUpper != 0x0af7651916cd43dd || c.TraceID != 0x8448eb211c80319c {
		t.Fatalf("extracted %+v, want both halves", c)
	}
	child := tr.StartSpan("server", opentracing.ChildOf(sc))
	out := http.Header{}
	if err := tr.Inject(child.Context(), opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(out)); err != nil {
		t.Fatal(err)
	}
	if got := out.Get("traceparent"); !strings.HasPrefix(got, "00-00000000000000008448eb211c80319c-") {
		t.Fatalf("downstream of Lightstep: traceparent %q, want the low half with a zero high half", got)
	}
}

// TestLogIDs: tracelog gives each backend's ids in the backend's own
// string form.
func TestLogIDs(t *testing.T) {
	for _, backend := range mixedBackends {
		t.Run(backend, func(t *testing.T) {
			tr := openMixed(t, backend, nil, nil)
			span := tr.StartSpan("op")
			var wantTrace, wantSpan string
			switch backend {
			case "jaeger", "jaeger128":
				c := span.Context().(jaegerclient.SpanContext)
				wantTrace, wantSpan = c.TraceID().String(), c.SpanID().String()
			case "zipkin", "stdout", "ui":
				m := opentracing.TextMapCarrier{}
				if err := tr.Inject(span.Context(), opentracing.TextMap, m); err != nil {
					t.Fatal(err)
				}
				wantTrace, wantSpan = m[b3.TraceID], m[b3.SpanID]
			case "lightstep":
				c := span.Context().(lsgo.SpanContext)
				wantTrace, wantSpan = fmt.Sprintf("%016x", c.TraceID), fmt.Sprintf("%016x", c.SpanID)
			case "otel":
				v := nativeView(t, backend, tr, span.Context())
				wantTrace, wantSpan = fmt.Sprintf("%016x%016x", v.hi, v.lo), fmt.Sprintf("%016x", v.span)
			}
			traceID, spanID, ok := tracelog.IDs(opentracing.ContextWithSpan(context.Background(), span))
			if !ok || traceID != wantTrace || spanID != wantSpan {
				t.Fatalf("IDs = %q, %q, %v; want %q, %q", traceID, spanID, ok, wantTrace, wantSpan)
			}
			if wantLen := map[string]int{"jaeger": 16, "jaeger128": 32, "zipkin": 32, "stdout": 32, "ui": 32, "lightstep": 16, "otel": 32}[backend]; len(traceID) != wantLen {
				t.Errorf("trace id %q: %d hex digits, want %d", traceID, len(traceID), wantLen)
			}
		})
	}
}

// TestMixedConformance runs the conformance suite on each backend with
// every format listed, through polytrace.New: the wrapper and the otel
// propagator must keep the OpenTracing API's promises too.
func TestMixedConformance(t *testing.T) {
	all, err := propagation.Parse(strings.Join(propagation.Names(), ","))
	if err != nil {
		t.Fatal(err)
	}
	for _, backend := range mixedBackends {
		if backend == "stdout" || backend == "ui" {
			continue // zipkin's tracer and converter (the ui backend's suite runs in its package)
		}
		t.Run(backend, func(t *testing.T) {
			instance := func(tr *polytrace.Tracer) *tracer.Instance {
				return &tracer.Instance{Tracer: tr, Shutdown: tr.Shutdown, Stats: tr.Stats}
			}
			// Every format, unless the suite asks for some.
			formats := func(cfg tracer.Config) propagation.Formats {
				if len(cfg.Propagation) > 0 {
					return cfg.Propagation
				}
				return all
			}
			tracertest.Run(t, tracertest.Harness{
				Open: func(t *testing.T, cfg tracer.Config) *tracer.Instance {
					return instance(openMixed(t, backend, formats(cfg), cfg.SampleRate))
				},
				OpenUnreachable: func(t *testing.T, cfg tracer.Config) *tracer.Instance {
					return instance(openUnreachable(t, backend, formats(cfg), cfg.SampleRate))
				},
			})
		})
	}
}

// openUnreachable is openMixed with a collector address nothing listens on.
func openUnreachable(t *testing.T, backend string, fs propagation.Formats, rate *float64) *polytrace.Tracer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	host, port, _ := net.SplitHostPort(addr)
	settings := map[string]string{
		"JAEGER_ENDPOINT":          "http://" + addr + "/api/traces",
		"ZIPKIN_ENDPOINT":          "http://" + addr + "/api/v2/spans",
		"LIGHTSTEP_ACCESS_TOKEN":   "test-token",
		"LIGHTSTEP_COLLECTOR_HOST": host, "LIGHTSTEP_COLLECTOR_PORT": port, "LIGHTSTEP_COLLECTOR_PLAINTEXT": "true",
		"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://" + addr,
	}
	name := strings.TrimSuffix(backend, "128")
	tr, err := polytrace.New(name, tracer.Config{SampleRate: rate, Propagation: fs, Lookup: tracer.MapLookup(settings)})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}
