package propagation_test

import (
	"errors"
	"maps"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/opentracing/opentracing-go"

	"github.com/polytrace/polytrace/propagation"
)

// A 128-bit and a 64-bit context used across the tests.
var (
	ctx128 = propagation.SpanContext{
		TraceID:  propagation.TraceID{High: 0x0af7651916cd43dd, Low: 0x8448eb211c80319c},
		SpanID:   0xb7ad6b7169203331,
		ParentID: 0x00f067aa0ba902b7,
		Sampling: propagation.Sampled,
		Baggage:  map[string]string{"tenant": "acme", "Path": "a b,c;d=%"},
	}
	ctx64 = propagation.SpanContext{
		TraceID:  propagation.TraceID{Low: 0x00000000000004d2},
		SpanID:   0x000000000000162e,
		Sampling: propagation.NotSampled,
	}
)

func with(sc propagation.SpanContext, f func(*propagation.SpanContext)) propagation.SpanContext {
	sc.Baggage = maps.Clone(sc.Baggage)
	f(&sc)
	return sc
}

func TestParse(t *testing.T) {
	tests := []struct {
		give    string
		want    propagation.Formats
		wantErr string
	}{
		{give: "", want: nil},
		{give: " , ,", want: nil},
		{give: "tracecontext", want: propagation.Formats{propagation.TraceContext}},
		{give: "TraceContext, Baggage ,B3,b3multi,JAEGER,ottrace,",
			want: propagation.Formats{propagation.TraceContext, propagation.Baggage, propagation.B3,
				propagation.B3Multi, propagation.Jaeger, propagation.OTTrace}},
		{give: "jaeger,tracecontext,jaeger", want: propagation.Formats{propagation.Jaeger, propagation.TraceContext}},
		{give: "w3c", wantErr: `propagation: unknown propagation format "w3c" (accepted: tracecontext, baggage, b3, b3multi, jaeger, ottrace)`},
		{give: "tracecontext,xray", wantErr: `"xray"`},
		{give: "b3 multi", wantErr: `"b3 multi"`},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			got, err := propagation.Parse(tt.give)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, propagation.ErrUnknownFormat) {
					t.Fatalf("Parse(%q) error = %v, want one containing %s and wrapping ErrUnknownFormat", tt.give, err, tt.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Parse(%q) = %v, %v; want %v", tt.give, got, err, tt.want)
			}
			if again, _ := propagation.Parse(got.String()); !reflect.DeepEqual(again, got) {
				t.Errorf("Parse(%q.String()) = %v, want %v", got, again, got)
			}
		})
	}
}

func TestFormatString(t *testing.T) {
	for i, name := range propagation.Names() {
		f := propagation.Format(i + 1)
		if f.String() != name {
			t.Errorf("Format(%d).String() = %q, want %q", i+1, f, name)
		}
	}
	if s := propagation.Format(99).String(); s != "Format(99)" {
		t.Errorf("unknown format prints %q", s)
	}
}

// TestInject checks the exact bytes each format writes.
func TestInject(t *testing.T) {
	debug := with(ctx128, func(sc *propagation.SpanContext) { sc.Sampling = propagation.Debug })
	undecided := with(ctx64, func(sc *propagation.SpanContext) { sc.Sampling = propagation.Undecided; sc.ParentID = 7 })
	state := with(ctx64, func(sc *propagation.SpanContext) { sc.TraceState = "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE" })
	tests := []struct {
		name   string
		format propagation.Format
		give   propagation.SpanContext
		want   map[string]string
	}{
		{"tracecontext/128", propagation.TraceContext, ctx128, map[string]string{
			"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}},
		{"tracecontext/64 not sampled", propagation.TraceContext, ctx64, map[string]string{
			"traceparent": "00-000000000000000000000000000004d2-000000000000162e-00"}},
		{"tracecontext/debug", propagation.TraceContext, debug, map[string]string{
			"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}},
		{"tracecontext/undecided", propagation.TraceContext, undecided, map[string]string{
			"traceparent": "00-000000000000000000000000000004d2-000000000000162e-00"}},
		{"tracecontext/tracestate", propagation.TraceContext, state, map[string]string{
			"traceparent": "00-000000000000000000000000000004d2-000000000000162e-00",
			"tracestate":  "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"}},
		{"baggage", propagation.Baggage, ctx128, map[string]string{
			"baggage": "Path=a%20b%2Cc%3Bd=%25,tenant=acme"}},
		{"baggage/none", propagation.Baggage, ctx64, map[string]string{}},
		{"b3/128", propagation.B3, ctx128, map[string]string{
			"b3":             "0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-1-00f067aa0ba902b7",
			"baggage-tenant": "acme", "baggage-Path": "a%20b%2Cc%3Bd=%25"}},
		{"b3/64", propagation.B3, ctx64, map[string]string{"b3": "00000000000004d2-000000000000162e-0"}},
		{"b3/debug", propagation.B3, debug, map[string]string{
			"b3":             "0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-d-00f067aa0ba902b7",
			"baggage-tenant": "acme", "baggage-Path": "a%20b%2Cc%3Bd=%25"}},
		{"b3/undecided", propagation.B3, undecided, map[string]string{"b3": "00000000000004d2-000000000000162e"}},
		{"b3multi/128", propagation.B3Multi, ctx128, map[string]string{
			"x-b3-traceid": "0af7651916cd43dd8448eb211c80319c", "x-b3-spanid": "b7ad6b7169203331",
			"x-b3-parentspanid": "00f067aa0ba902b7", "x-b3-sampled": "1",
			"baggage-tenant": "acme", "baggage-Path": "a%20b%2Cc%3Bd=%25"}},
		{"b3multi/64", propagation.B3Multi, ctx64, map[string]string{
			"x-b3-traceid": "00000000000004d2", "x-b3-spanid": "000000000000162e", "x-b3-sampled": "0"}},
		{"b3multi/debug", propagation.B3Multi, debug, map[string]string{
			"x-b3-traceid": "0af7651916cd43dd8448eb211c80319c", "x-b3-spanid": "b7ad6b7169203331",
			"x-b3-parentspanid": "00f067aa0ba902b7", "x-b3-flags": "1",
			"baggage-tenant": "acme", "baggage-Path": "a%20b%2Cc%3Bd=%25"}},
		{"b3multi/undecided", propagation.B3Multi, undecided, map[string]string{
			"x-b3-traceid": "00000000000004d2", "x-b3-spanid": "000000000000162e", "x-b3-parentspanid": "0000000000000007"}},
		{"jaeger/128", propagation.Jaeger, ctx128, map[string]string{
			"uber-trace-id":  "0af7651916cd43dd8448eb211c80319c:b7ad6b7169203331:00f067aa0ba902b7:1",
			"uberctx-tenant": "acme", "uberctx-Path": "a+b%2Cc%3Bd%3D%25"}},
		{"jaeger/64", propagation.Jaeger, ctx64, map[string]string{
			"uber-trace-id": "00000000000004d2:000000000000162e:0000000000000000:0"}},
		{"jaeger/debug", propagation.Jaeger, debug, map[string]string{
			"uber-trace-id":  "0af7651916cd43dd8448eb211c80319c:b7ad6b7169203331:00f067aa0ba902b7:3",
			"uberctx-tenant": "acme", "uberctx-Path": "a+b%2Cc%3Bd%3D%25"}},
		{"ottrace/128 keeps the low half", propagation.OTTrace, ctx128, map[string]string{
			"ot-tracer-traceid": "8448eb211c80319c", "ot-tracer-spanid": "b7ad6b7169203331", "ot-tracer-sampled": "true",
			"ot-baggage-tenant": "acme", "ot-baggage-Path": "a%20b%2Cc%3Bd=%25"}},
		{"ottrace/64", propagation.OTTrace, ctx64, map[string]string{
			"ot-tracer-traceid": "00000000000004d2", "ot-tracer-spanid": "000000000000162e", "ot-tracer-sampled": "false"}},
		{"ottrace/undecided", propagation.OTTrace, undecided, map[string]string{
			"ot-tracer-traceid": "00000000000004d2", "ot-tracer-spanid": "000000000000162e", "ot-tracer-sampled": "true"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := opentracing.TextMapCarrier{}
			if err := (propagation.Formats{tt.format}).Inject(tt.give, got); err != nil {
				t.Fatal(err)
			}
			if !maps.Equal(got, tt.want) {
				t.Errorf("wrote %v\nwant  %v", got, tt.want)
			}
		})
	}
}

func TestInjectAll(t *testing.T) {
	h := http.Header{}
	all, _ := propagation.Parse(strings.Join(propagation.Names(), ","))
	if err := all.Inject(ctx128, opentracing.HTTPHeadersCarrier(h)); err != nil {
		t.Fatal(err)
	}
	for _, k := range all.Fields() {
		if k == "tracestate" || k == "x-b3-flags" {
			continue // not written for this context
		}
		if h.Get(k) == "" {
			t.Errorf("no %s header among %v", k, h)
		}
	}
}

func TestInjectRefuses(t *testing.T) {
	fs := propagation.Formats{propagation.TraceContext}
	tests := []struct {
		name    string
		sc      propagation.SpanContext
		carrier opentracing.TextMapWriter
		want    error
	}{
		{"zero trace id", propagation.SpanContext{SpanID: 1}, opentracing.TextMapCarrier{}, opentracing.ErrInvalidSpanContext},
		{"zero span id", propagation.SpanContext{TraceID: propagation.TraceID{Low: 1}}, opentracing.TextMapCarrier{}, opentracing.ErrInvalidSpanContext},
		{"nil carrier", ctx64, nil, opentracing.ErrInvalidCarrier},
		{"nil header map", ctx64, opentracing.HTTPHeadersCarrier(nil), opentracing.ErrInvalidCarrier},
		{"nil text map", ctx64, opentracing.TextMapCarrier(nil), opentracing.ErrInvalidCarrier},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := fs.Inject(tt.sc, tt.carrier); err != tt.want {
				t.Fatalf("Inject = %v, want %v", err, tt.want)
			}
		})
	}
}

// TestExtract checks what each format accepts and refuses. Keys are given
// in the canonical form net/http gives them, to check case-insensitivity.
func TestExtract(t *testing.T) {
	const (
		notFound  = "not found"
		corrupted = "corrupted"
	)
	sc := func(hi, lo, span, parent uint64, s propagation.Sampling) propagation.SpanContext {
		return propagation.SpanContext{TraceID: propagation.TraceID{High: hi, Low: lo}, SpanID: span, ParentID: parent, Sampling: s}
	}
	const (
		tp = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
		hi = 0x0af7651916cd43dd
		lo = 0x8448eb211c80319c
		sp = 0xb7ad6b7169203331
		pa = 0x00f067aa0ba902b7
	)
	tests := []struct {
		name    string
		format  propagation.Format
		give    map[string]string
		want    propagation.SpanContext
		wantErr string
	}{
		{name: "tracecontext", format: propagation.TraceContext, give: map[string]string{"Traceparent": tp},
			want: sc(hi, lo, sp, 0, propagation.Sampled)},
		{name: "tracecontext/not sampled, other flags", format: propagation.TraceContext,
			give: map[string]string{"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-fe"},
			want: sc(hi, lo, sp, 0, propagation.NotSampled)},
		{name: "tracecontext/tracestate", format: propagation.TraceContext,
			give: map[string]string{"traceparent": tp, "Tracestate": " rojo=00f067aa0ba902b7 "},
			want: with(sc(hi, lo, sp, 0, propagation.Sampled), func(s *propagation.SpanContext) { s.TraceState = "rojo=00f067aa0ba902b7" })},
		{name: "tracecontext/future version with more fields", format: propagation.TraceContext,
			give: map[string]string{"traceparent": "cc" + tp[2:] + "-what-the-future-holds"}, want: sc(hi, lo, sp, 0, propagation.Sampled)},
		{name: "tracecontext/version 00 with more fields", format: propagation.TraceContext,
			give: map[string]string{"traceparent": tp + "-00"}, wantErr: corrupted},
		{name: "tracecontext/future version without dash", format: propagation.TraceContext,
			give: map[string]string{"traceparent": "cc" + tp[2:] + "x"}, wantErr: corrupted},
		{name: "tracecontext/version ff", format: propagation.TraceContext,
			give: map[string]string{"traceparent": "ff" + tp[2:]}, wantErr: corrupted},
		{name: "tracecontext/upper case", format: propagation.TraceContext,
			give: map[string]string{"traceparent": strings.ToUpper(tp)}, wantErr: corrupted},
		{name: "tracecontext/zero trace id", format: propagation.TraceContext,
			give: map[string]string{"traceparent": "00-00000000000000000000000000000000-b7ad6b7169203331-01"}, wantErr: corrupted},
		{name: "tracecontext/zero span id", format: propagation.TraceContext,
			give: map[string]string{"traceparent": "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01"}, wantErr: corrupted},
		{name: "tracecontext/short", format: propagation.TraceContext,
			give: map[string]string{"traceparent": tp[:54]}, wantErr: corrupted},
		{name: "tracecontext/bad separator", format: propagation.TraceContext,
			give: map[string]string{"traceparent": strings.Replace(tp, "-", "_", 1)}, wantErr: corrupted},
		{name: "tracecontext/absent", format: propagation.TraceContext, give: map[string]string{"b3": "1"}, wantErr: notFound},

		{name: "b3", format: propagation.B3, give: map[string]string{"B3": "0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-1-00f067aa0ba902b7"},
			want: sc(hi, lo, sp, pa, propagation.Sampled)},
		{name: "b3/64 debug", format: propagation.B3, give: map[string]string{"b3": "8448eb211c80319c-b7ad6b7169203331-d"},
			want: sc(0, lo, sp, 0, propagation.Debug)},
		{name: "b3/upper-case hex", format: propagation.B3, give: map[string]string{"b3": "8448EB211C80319C-B7AD6B7169203331-0"},
			want: sc(0, lo, sp, 0, propagation.NotSampled)},
		{name: "b3/undecided", format: propagation.B3, give: map[string]string{"b3": "8448eb211c80319c-b7ad6b7169203331"},
			want: sc(0, lo, sp, 0, propagation.Undecided)},
		{name: "b3/sampling only", format: propagation.B3, give: map[string]string{"b3": "0"}, wantErr: notFound},
		{name: "b3/bad sampling", format: propagation.B3, give: map[string]string{"b3": "8448eb211c80319c-b7ad6b7169203331-x"}, wantErr: corrupted},
		{name: "b3/short trace id", format: propagation.B3, give: map[string]string{"b3": "448eb211c80319c-b7ad6b7169203331-1"}, wantErr: corrupted},
		{name: "b3/zero ids", format: propagation.B3, give: map[string]string{"b3": "0000000000000000-0000000000000000-1"}, wantErr: corrupted},
		{name: "b3/parent without sampling", format: propagation.B3, give: map[string]string{"b3": "8448eb211c80319c-b7ad6b7169203331-00f067aa0ba902b7"}, wantErr: corrupted},
		{name: "b3/junk after parent", format: propagation.B3, give: map[string]string{"b3": "8448eb211c80319c-b7ad6b7169203331-1-00f067aa0ba902b7-1"}, wantErr: corrupted},

		{name: "b3multi", format: propagation.B3Multi, give: map[string]string{"X-B3-Traceid": "0af7651916cd43dd8448eb211c80319c",
			"X-B3-Spanid": "b7ad6b7169203331", "X-B3-Parentspanid": "00f067aa0ba902b7", "X-B3-Sampled": "1"},
			want: sc(hi, lo, sp, pa, propagation.Sampled)},
		{name: "b3multi/true", format: propagation.B3Multi, give: map[string]string{"x-b3-traceid": "8448eb211c80319c",
			"x-b3-spanid": "b7ad6b7169203331", "x-b3-sampled": "true"}, want: sc(0, lo, sp, 0, propagation.Sampled)},
		{name: "b3multi/flags", format: propagation.B3Multi, give: map[string]string{"x-b3-traceid": "8448eb211c80319c",
			"x-b3-spanid": "b7ad6b7169203331", "x-b3-flags": "1"}, want: sc(0, lo, sp, 0, propagation.Debug)},
		{name: "b3multi/undecided", format: propagation.B3Multi, give: map[string]string{"x-b3-traceid": "8448eb211c80319c",
			"x-b3-spanid": "b7ad6b7169203331"}, want: sc(0, lo, sp, 0, propagation.Undecided)},
		{name: "b3multi/sampled only", format: propagation.B3Multi, give: map[string]string{"x-b3-sampled": "0"}, wantErr: notFound},
		{name: "b3multi/span id alone", format: propagation.B3Multi, give: map[string]string{"x-b3-spanid": "b7ad6b7169203331"}, wantErr: corrupted},
		{name: "b3multi/bad sampled", format: propagation.B3Multi, give: map[string]string{"x-b3-traceid": "8448eb211c80319c",
			"x-b3-spanid": "b7ad6b7169203331", "x-b3-sampled": "yes"}, wantErr: corrupted},
		{name: "b3multi/bad parent", format: propagation.B3Multi, give: map[string]string{"x-b3-traceid": "8448eb211c80319c",
			"x-b3-spanid": "b7ad6b7169203331", "x-b3-parentspanid": "12"}, wantErr: corrupted},

		{name: "jaeger", format: propagation.Jaeger, give: map[string]string{
			"Uber-Trace-Id":  "0af7651916cd43dd8448eb211c80319c:b7ad6b7169203331:00f067aa0ba902b7:1",
			"Uberctx-Tenant": "acme", "uberctx-path": "a+b%2Cc"},
			want: with(sc(hi, lo, sp, pa, propagation.Sampled), func(s *propagation.SpanContext) {
				s.Baggage = map[string]string{"tenant": "acme", "path": "a b,c"}
			})},
		{name: "jaeger/unpadded, parent 0, debug", format: propagation.Jaeger, give: map[string]string{"uber-trace-id": "4d2:162e:0:3"},
			want: sc(0, 0x4d2, 0x162e, 0, propagation.Debug)},
		{name: "jaeger/url-encoded", format: propagation.Jaeger, give: map[string]string{"uber-trace-id": "4d2%3A162e%3A0%3A0"},
			want: sc(0, 0x4d2, 0x162e, 0, propagation.NotSampled)},
		{name: "jaeger/three fields", format: propagation.Jaeger, give: map[string]string{"uber-trace-id": "4d2:162e:1"}, wantErr: corrupted},
		{name: "jaeger/five fields", format: propagation.Jaeger, give: map[string]string{"uber-trace-id": "4d2:162e:0:1:1"}, wantErr: corrupted},
		{name: "jaeger/zero span", format: propagation.Jaeger, give: map[string]string{"uber-trace-id": "4d2:0:0:1"}, wantErr: corrupted},
		{name: "jaeger/long trace id", format: propagation.Jaeger, give: map[string]string{"uber-trace-id": strings.Repeat("1", 33) + ":1:0:1"}, wantErr: corrupted},
		{name: "jaeger/bad flags", format: propagation.Jaeger, give: map[string]string{"uber-trace-id": "4d2:162e:0:100"}, wantErr: corrupted},
		{name: "jaeger/bad escape", format: propagation.Jaeger, give: map[string]string{"uber-trace-id": "4d2%3:162e:0:1"}, wantErr: corrupted},
		{name: "jaeger/baggage alone", format: propagation.Jaeger, give: map[string]string{"uberctx-a": "b"}, wantErr: notFound},

		{name: "ottrace", format: propagation.OTTrace, give: map[string]string{"Ot-Tracer-Traceid": "8448eb211c80319c",
			"Ot-Tracer-Spanid": "b7ad6b7169203331", "Ot-Tracer-Sampled": "true", "Ot-Baggage-Tenant": "acme", "ot-baggage-path": "a%20b"},
			want: with(sc(0, lo, sp, 0, propagation.Sampled), func(s *propagation.SpanContext) {
				s.Baggage = map[string]string{"tenant": "acme", "path": "a b"}
			})},
		{name: "ottrace/unpadded as Lightstep writes", format: propagation.OTTrace, give: map[string]string{"ot-tracer-traceid": "4d2",
			"ot-tracer-spanid": "162e", "ot-tracer-sampled": "false"}, want: sc(0, 0x4d2, 0x162e, 0, propagation.NotSampled)},
		{name: "ottrace/128", format: propagation.OTTrace, give: map[string]string{"ot-tracer-traceid": "0af7651916cd43dd8448eb211c80319c",
			"ot-tracer-spanid": "b7ad6b7169203331"}, want: sc(hi, lo, sp, 0, propagation.Undecided)},
		{name: "ottrace/bad sampled", format: propagation.OTTrace, give: map[string]string{"ot-tracer-traceid": "4d2",
			"ot-tracer-spanid": "162e", "ot-tracer-sampled": "maybe"}, wantErr: corrupted},
		{name: "ottrace/not hex", format: propagation.OTTrace, give: map[string]string{"ot-tracer-traceid": "xyz",
			"ot-tracer-spanid": "162e"}, wantErr: corrupted},
		{name: "ottrace/trace id alone", format: propagation.OTTrace, give: map[string]string{"ot-tracer-traceid": "4d2"}, wantErr: corrupted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := (propagation.Formats{tt.format}).Extract(opentracing.TextMapCarrier(tt.give))
			switch tt.wantErr {
			case "":
				if err != nil {
					t.Fatalf("Extract: %v", err)
				}
				if !reflect.DeepEqual(got, tt.want) {
					t.Fatalf("Extract = %+v\nwant      %+v", got, tt.want)
				}
			case notFound:
				if err != opentracing.ErrSpanContextNotFound {
					t.Fatalf("Extract = %+v, %v; want ErrSpanContextNotFound", got, err)
				}
			case corrupted:
				if !errors.Is(err, opentracing.ErrSpanContextCorrupted) {
					t.Fatalf("Extract = %+v, %v; want ErrSpanContextCorrupted", got, err)
				}
				if !strings.Contains(err.Error(), tt.format.String()) {
					t.Errorf("error %q does not name the format %s", err, tt.format)
				}
			}
		})
	}
}

func TestExtractBaggageHeader(t *testing.T) {
	long := "k=" + strings.Repeat("v", 8192)
	var many []string
	for i := range 200 {
		many = append(many, "k"+strings.Repeat("x", i%7)+string(rune('a'+i%26))+strings.Repeat("y", i/26)+"=v")
	}
	tests := []struct {
		name string
		give []string // baggage header values
		want map[string]string
	}{
		{"simple", []string{"a=1,b=2"}, map[string]string{"a": "1", "b": "2"}},
		{"spaces and properties", []string{" a = 1 ;p=q;r , b=2"}, map[string]string{"a": "1", "b": "2"}},
		{"percent-encoded", []string{"Path=a%20b%2Cc%3Bd=%25"}, map[string]string{"Path": "a b,c;d=%"}},
		{"several headers", []string{"a=1", "b=2"}, map[string]string{"a": "1", "b": "2"}},
		{"invalid members skipped", []string{"a=1,no-equals,b c=2,=3,d=bad value,e=%zz,f=6"}, map[string]string{"a": "1", "f": "6"}},
		{"empty value", []string{"a="}, map[string]string{"a": ""}},
		{"over 8192 bytes ignored", []string{long}, nil},
		{"at most 180 members", []string{strings.Join(many, ",")}, nil}, // counted below
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{"Traceparent": {"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}, "Baggage": tt.give}
			sc, err := propagation.Formats{propagation.TraceContext, propagation.Baggage}.Extract(opentracing.HTTPHeadersCarrier(h))
			if err != nil {
				t.Fatal(err)
			}
			if tt.name == "at most 180 members" {
				if len(sc.Baggage) != 180 {
					t.Fatalf("%d baggage items, want 180", len(sc.Baggage))
				}
				return
			}
			if !maps.Equal(sc.Baggage, tt.want) {
				t.Fatalf("baggage %v, want %v", sc.Baggage, tt.want)
			}
		})
	}
}

// TestExtractOrder checks that the first listed format present and valid
// wins, whatever the others say.
func TestExtractOrder(t *testing.T) {
	carrier := opentracing.TextMapCarrier{
		"traceparent":   "00-00000000000000000000000000000001-0000000000000001-01",
		"uber-trace-id": "2:2:0:0",
		"b3":            "not-valid",
		"uberctx-k":     "from-jaeger",
		"uberctx-j":     "only-jaeger",
		"baggage":       "k=from-w3c,w=only-w3c",
	}
	tests := []struct {
		list        string
		wantTrace   uint64
		wantBaggage map[string]string
		wantErr     error
	}{
		{list: "tracecontext,jaeger", wantTrace: 1},
		{list: "jaeger,tracecontext", wantTrace: 2, wantBaggage: map[string]string{"k": "from-jaeger", "j": "only-jaeger"}},
		{list: "b3,jaeger", wantTrace: 2, wantBaggage: map[string]string{"k": "from-jaeger", "j": "only-jaeger"}},
		{list: "ottrace,tracecontext", wantTrace: 1},
		{list: "tracecontext,baggage", wantTrace: 1, wantBaggage: map[string]string{"k": "from-w3c", "w": "only-w3c"}},
		{list: "jaeger,baggage", wantTrace: 2, wantBaggage: map[string]string{"k": "from-jaeger", "j": "only-jaeger", "w": "only-w3c"}},
		{list: "baggage,jaeger", wantTrace: 2, wantBaggage: map[string]string{"k": "from-w3c", "j": "only-jaeger", "w": "only-w3c"}},
		{list: "b3", wantErr: opentracing.ErrSpanContextCorrupted},
		{list: "b3,ottrace", wantErr: opentracing.ErrSpanContextCorrupted},
		{list: "ottrace,b3multi", wantErr: opentracing.ErrSpanContextNotFound},
		{list: "baggage", wantErr: opentracing.ErrSpanContextNotFound},
		{list: "", wantErr: opentracing.ErrSpanContextNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.list, func(t *testing.T) {
			fs, err := propagation.Parse(tt.list)
			if err != nil {
				t.Fatal(err)
			}
			sc, err := fs.Extract(carrier)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Extract = %+v, %v; want %v", sc, err, tt.wantErr)
				}
				return
			}
			if err != nil || sc.TraceID.Low != tt.wantTrace {
				t.Fatalf("Extract = %+v, %v; want trace %d", sc, err, tt.wantTrace)
			}
			if !maps.Equal(sc.Baggage, tt.wantBaggage) {
				t.Errorf("baggage %v, want %v", sc.Baggage, tt.wantBaggage)
			}
		})
	}
}

func TestExtractDuplicateTraceparent(t *testing.T) {
	h := http.Header{"Traceparent": {
		"00-00000000000000000000000000000001-0000000000000001-01",
		"00-00000000000000000000000000000002-0000000000000002-01",
	}}
	_, err := propagation.Formats{propagation.TraceContext}.Extract(opentracing.HTTPHeadersCarrier(h))
	if !errors.Is(err, opentracing.ErrSpanContextCorrupted) {
		t.Fatalf("two traceparent headers: %v, want ErrSpanContextCorrupted", err)
	}
}

func TestExtractCarrierErrors(t *testing.T) {
	fs := propagation.Formats{propagation.TraceContext}
	if _, err := fs.Extract(nil); err != opentracing.ErrInvalidCarrier {
		t.Errorf("nil carrier: %v, want ErrInvalidCarrier", err)
	}
	boom := errors.New("boom")
	_, err := fs.Extract(failingReader{boom})
	if !errors.Is(err, opentracing.ErrSpanContextCorrupted) || !errors.Is(err, boom) {
		t.Errorf("failing carrier: %v, want ErrSpanContextCorrupted wrapping its error", err)
	}
	if _, err := fs.Extract(opentracing.HTTPHeadersCarrier(nil)); err != opentracing.ErrSpanContextNotFound {
		t.Errorf("nil header map: %v, want ErrSpanContextNotFound", err)
	}
}

type failingReader struct{ err error }

func (r failingReader) ForeachKey(func(k, v string) error) error { return r.err }

// TestRoundTrip injects contexts through HTTP headers and extracts them
// back, format by format, checking what each format keeps.
func TestRoundTrip(t *testing.T) {
	contexts := map[string]propagation.SpanContext{
		"128 sampled":    ctx128,
		"64 not sampled": ctx64,
		"debug":          with(ctx128, func(sc *propagation.SpanContext) { sc.Sampling = propagation.Debug }),
		"undecided":      with(ctx64, func(sc *propagation.SpanContext) { sc.Sampling = propagation.Undecided }),
		"odd baggage": with(ctx64, func(sc *propagation.SpanContext) {
			sc.Baggage = map[string]string{"k": "ünïcode + spaces, commas; = % \t", "empty": ""}
		}),
	}
	for _, f := range []propagation.Format{propagation.TraceContext, propagation.B3, propagation.B3Multi, propagation.Jaeger, propagation.OTTrace} {
		for name, give := range contexts {
			t.Run(f.String()+"/"+name, func(t *testing.T) {
				for _, fs := range []propagation.Formats{{f}, {f, propagation.Baggage}} {
					h := http.Header{}
					if err := fs.Inject(give, opentracing.HTTPHeadersCarrier(h)); err != nil {
						t.Fatal(err)
					}
					got, err := fs.Extract(opentracing.HTTPHeadersCarrier(h))
					if err != nil {
						t.Fatalf("%v: Extract from %v: %v", fs, h, err)
					}
					if want := expectAfterHop(give, fs); !reflect.DeepEqual(got, want) {
						t.Errorf("%v: got  %+v\nwant %+v\nwire %v", fs, got, want, h)
					}
				}
			})
		}
	}
}

// expectAfterHop is what a context becomes through fs, written from the
// formats' documented limits.
func expectAfterHop(sc propagation.SpanContext, fs propagation.Formats) propagation.SpanContext {
	want := sc
	want.Baggage = nil
	want.TraceState = ""
	withBaggage := false
	switch fs[0] {
	case propagation.TraceContext:
		want.ParentID = 0
		want.Sampling = map[propagation.Sampling]propagation.Sampling{
			propagation.Undecided: propagation.NotSampled, propagation.NotSampled: propagation.NotSampled,
			propagation.Sampled: propagation.Sampled, propagation.Debug: propagation.Sampled}[sc.Sampling]
	case propagation.Jaeger:
		if sc.Sampling == propagation.Undecided {
			want.Sampling = propagation.NotSampled
		}
		withBaggage = true
	case propagation.OTTrace:
		want.TraceID.High = 0
		want.ParentID = 0
		want.Sampling = map[propagation.Sampling]propagation.Sampling{
			propagation.Undecided: propagation.Sampled, propagation.NotSampled: propagation.NotSampled,
			propagation.Sampled: propagation.Sampled, propagation.Debug: propagation.Sampled}[sc.Sampling]
		withBaggage = true
	case propagation.B3:
		if sc.Sampling == propagation.Undecided {
			want.ParentID = 0 // a parent needs a sampling state before it
		}
		withBaggage = true
	case propagation.B3Multi:
		withBaggage = true
	}
	if len(fs) > 1 && fs[1] == propagation.Baggage {
		withBaggage = true
	}
	ownBaggage := fs[0] != propagation.TraceContext
	if withBaggage && len(sc.Baggage) > 0 {
		want.Baggage = map[string]string{}
		for k, v := range sc.Baggage {
			if ownBaggage {
				if len(fs) == 1 || fs[1] != propagation.Baggage {
					k = strings.ToLower(k) // header names lose their case
				}
			}
			want.Baggage[k] = v
		}
		if ownBaggage && len(fs) > 1 {
			// Both carry the item: the format listed first wins, under
			// its lower-cased key; the W3C header adds the original key.
			for k, v := range sc.Baggage {
				want.Baggage[strings.ToLower(k)] = v
			}
		}
	}
	return want
}
