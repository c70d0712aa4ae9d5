package propagation_test

import (
	"bytes"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/mocktracer"

	"github.com/polytrace/polytrace/internal/mockconv"
	"github.com/polytrace/polytrace/propagation"
)

func TestWrapInjectExtract(t *testing.T) {
	mt := mocktracer.New()
	fs := propagation.Formats{propagation.TraceContext, propagation.Baggage, propagation.Jaeger}
	tr := propagation.Wrap(mt, mockconv.Converter{}, fs)

	parent := tr.StartSpan("parent")
	parent.SetBaggageItem("tenant", "acme")
	for _, format := range []interface{}{opentracing.HTTPHeaders, opentracing.TextMap} {
		h := http.Header{}
		if err := tr.Inject(parent.Context(), format, opentracing.HTTPHeadersCarrier(h)); err != nil {
			t.Fatal(err)
		}
		m := parent.Context().(mocktracer.MockSpanContext)
		want := http.Header{
			"Traceparent":    {"00-" + hex32(m.TraceID) + "-" + hex16(m.SpanID) + "-01"},
			"Baggage":        {"tenant=acme"},
			"Uber-Trace-Id":  {hex16(m.TraceID) + ":" + hex16(m.SpanID) + ":0000000000000000:1"},
			"Uberctx-Tenant": {"acme"},
		}
		if !equalHeaders(h, want) {
			t.Fatalf("%v: wrote %v, want %v", format, h, want)
		}
		sc, err := tr.Extract(format, opentracing.HTTPHeadersCarrier(h))
		if err != nil {
			t.Fatal(err)
		}
		child := tr.StartSpan("child", opentracing.ChildOf(sc)).(*mocktracer.MockSpan)
		if child.ParentID != m.SpanID || child.SpanContext.TraceID != m.TraceID || child.BaggageItem("tenant") != "acme" {
			t.Fatalf("%v: child %+v of extracted %+v, want parent %d in trace %d with baggage", format, child.SpanContext, sc, m.SpanID, m.TraceID)
		}
	}
}

func hex16(v int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, 16)
	for i := 15; i >= 0; i-- {
		b[i] = digits[v&0xf]
		v >>= 4
	}
	return string(b)
}

func hex32(v int) string { return "0000000000000000" + hex16(v) }

func equalHeaders(a, b http.Header) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if len(b[k]) != len(v) || (len(v) > 0 && b[k][0] != v[0]) {
			return false
		}
	}
	return true
}

// recorder is a tracer that records the formats it is asked to handle.
type recorder struct {
	opentracing.NoopTracer
	injected, extracted []interface{}
}

func (r *recorder) Inject(_ opentracing.SpanContext, format, _ interface{}) error {
	r.injected = append(r.injected, format)
	return nil
}

func (r *recorder) Extract(format, _ interface{}) (opentracing.SpanContext, error) {
	r.extracted = append(r.extracted, format)
	return nil, opentracing.ErrSpanContextNotFound
}

func TestWrapDelegates(t *testing.T) {
	rec := &recorder{}
	tr := propagation.Wrap(rec, mockconv.Converter{}, propagation.Formats{propagation.B3})
	sc := mocktracer.MockSpanContext{TraceID: 1, SpanID: 2}
	_ = tr.Inject(sc, opentracing.Binary, &bytes.Buffer{})
	_, _ = tr.Extract(opentracing.Binary, &bytes.Buffer{})
	_ = tr.Inject(sc, "custom", nil)
	if len(rec.injected) != 2 || rec.injected[0] != opentracing.Binary || rec.injected[1] != "custom" || len(rec.extracted) != 1 {
		t.Fatalf("the wrapped tracer saw Inject %v and Extract %v, want Binary and custom, and Binary", rec.injected, rec.extracted)
	}
	_ = tr.Inject(sc, opentracing.TextMap, opentracing.TextMapCarrier{})
	if len(rec.injected) != 2 {
		t.Fatalf("TextMap went to the wrapped tracer")
	}
	if u, ok := tr.(interface{ Unwrap() opentracing.Tracer }); !ok || u.Unwrap() != rec {
		t.Fatalf("Unwrap does not return the wrapped tracer")
	}
}

func TestWrapUnchanged(t *testing.T) {
	mt := mocktracer.New()
	if tr := propagation.Wrap(mt, nil, propagation.Formats{propagation.B3}); tr != mt {
		t.Errorf("Wrap with no converter = %T, want the tracer itself", tr)
	}
	if tr := propagation.Wrap(mt, mockconv.Converter{}, nil); tr != mt {
		t.Errorf("Wrap with no formats = %T, want the tracer itself", tr)
	}
	if tr := propagation.Wrap(nil, mockconv.Converter{}, propagation.Formats{propagation.B3}); tr != nil {
		t.Errorf("Wrap(nil) = %T, want nil", tr)
	}
}

func TestWrapErrors(t *testing.T) {
	boom := errors.New("boom")
	fs := propagation.Formats{propagation.B3}
	tr := propagation.Wrap(mocktracer.New(), mockconv.Converter{}, fs)
	good := mocktracer.MockSpanContext{TraceID: 1, SpanID: 2}
	valid := opentracing.TextMapCarrier{"b3": "0000000000000001-0000000000000002-1"}
	tests := []struct {
		name string
		run  func() error
		want error
	}{
		{"inject foreign context", func() error {
			return tr.Inject(opentracing.NoopTracer{}.StartSpan("x").Context(), opentracing.TextMap, opentracing.TextMapCarrier{})
		}, opentracing.ErrInvalidSpanContext},
		{"inject zero ids", func() error {
			return tr.Inject(mocktracer.MockSpanContext{}, opentracing.TextMap, opentracing.TextMapCarrier{})
		}, opentracing.ErrInvalidSpanContext},
		{"inject into a reader", func() error { return tr.Inject(good, opentracing.TextMap, &bytes.Buffer{}) }, opentracing.ErrInvalidCarrier},
		{"inject into a nil header map", func() error {
			return tr.Inject(good, opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(nil))
		}, opentracing.ErrInvalidCarrier},
		{"extract from a writer", func() error { _, err := tr.Extract(opentracing.TextMap, &bytes.Buffer{}); return err }, opentracing.ErrInvalidCarrier},
		{"extract nothing", func() error {
			_, err := tr.Extract(opentracing.TextMap, opentracing.TextMapCarrier{"x": "y"})
			return err
		}, opentracing.ErrSpanContextNotFound},
		{"extract garbage", func() error {
			_, err := tr.Extract(opentracing.TextMap, opentracing.TextMapCarrier{"b3": "garbage"})
			return err
		}, opentracing.ErrSpanContextCorrupted},
		{"converter fails", func() error {
			_, err := propagation.Wrap(mocktracer.New(), mockconv.Converter{FromErr: boom}, fs).Extract(opentracing.TextMap, valid)
			return err
		}, boom},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.run(); !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}
}

// TestNative: Inject writes the inject formats only, Extract reads the
// extract ones, Binary carries the text entries as JSON, and other
// formats are refused without reaching the tracer.
func TestNative(t *testing.T) {
	rec := &mockRecorder{MockTracer: mocktracer.New()}
	tr := propagation.Native(rec, mockconv.Converter{}, propagation.Formats{propagation.B3Multi},
		propagation.Formats{propagation.B3, propagation.B3Multi})
	span := tr.StartSpan("s")
	span.SetBaggageItem("tenant", "acme")
	h := http.Header{}
	if err := tr.Inject(span.Context(), opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(h)); err != nil {
		t.Fatal(err)
	}
	if h.Get("b3") != "" || h.Get("x-b3-traceid") == "" || h.Get("baggage-tenant") != "acme" {
		t.Errorf("Inject wrote %v, want B3 multi headers with baggage only", h)
	}
	single := http.Header{"B3": {"0000000000000001-0000000000000002-1"}}
	if sc, err := tr.Extract(opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(single)); err != nil || sc.(mocktracer.MockSpanContext).SpanID != 2 {
		t.Errorf("Extract of the single header = %v, %v", sc, err)
	}

	var buf bytes.Buffer
	if err := tr.Inject(span.Context(), opentracing.Binary, &buf); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(buf.String(), "{") {
		t.Errorf("Binary wrote %q, want a JSON object", buf.String())
	}
	sc, err := tr.Extract(opentracing.Binary, &buf)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := sc.(mocktracer.MockSpanContext), span.Context().(mocktracer.MockSpanContext); got.SpanID != want.SpanID || got.Baggage["tenant"] != "acme" {
		t.Errorf("Binary round trip gave %+v, want %+v", got, want)
	}
	for _, tt := range []struct {
		name string
		give string
		want error
	}{
		{"empty", "", opentracing.ErrSpanContextNotFound},
		{"not JSON", "{", opentracing.ErrSpanContextCorrupted},
	} {
		if _, err := tr.Extract(opentracing.Binary, strings.NewReader(tt.give)); !errors.Is(err, tt.want) {
			t.Errorf("Binary %s: %v, want %v", tt.name, err, tt.want)
		}
	}
	if err := tr.Inject(span.Context(), "custom", nil); err != opentracing.ErrUnsupportedFormat {
		t.Errorf("Inject of a custom format: %v", err)
	}
	if _, err := tr.Extract("custom", nil); err != opentracing.ErrUnsupportedFormat {
		t.Errorf("Extract of a custom format: %v", err)
	}
	if len(rec.injected) != 0 || len(rec.extracted) != 0 {
		t.Errorf("the tracer saw Inject %v, Extract %v", rec.injected, rec.extracted)
	}
}

// mockRecorder is mocktracer, recording the formats it is asked to handle.
type mockRecorder struct {
	*mocktracer.MockTracer
	injected, extracted []interface{}
}

func (r *mockRecorder) Inject(sc opentracing.SpanContext, format, carrier interface{}) error {
	r.injected = append(r.injected, format)
	return r.MockTracer.Inject(sc, format, carrier)
}

func (r *mockRecorder) Extract(format, carrier interface{}) (opentracing.SpanContext, error) {
	r.extracted = append(r.extracted, format)
	return r.MockTracer.Extract(format, carrier)
}
