package zipkin

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/opentracing/opentracing-go"
)

func TestB3FieldsLowerCase(t *testing.T) {
	if !b3Fields.Lower() {
		t.Errorf("b3Fields %v are not all lower-case ASCII", b3Fields)
	}
}

func TestExtractWithoutB3AllocatesNothing(t *testing.T) {
	carrier := opentracing.HTTPHeadersCarrier{"User-Agent": {"x"}, "Accept": {"*/*"}, "Baggage-Tenant": {"t"}}
	n := testing.AllocsPerRun(100, func() {
		if _, err := extract(opentracing.HTTPHeaders, carrier); !errors.Is(err, opentracing.ErrSpanContextNotFound) {
			t.Fatalf("extract error = %v, want ErrSpanContextNotFound", err)
		}
	})
	if n != 0 {
		t.Errorf("extract allocates %v times per call, want 0", n)
	}
}

// FuzzExtractHeadersMatchesGeneralPath extracts random headers through
// the HTTP headers fast path and, as a text map (which the general path
// reads), and wants the same outcome.
func FuzzExtractHeadersMatchesGeneralPath(f *testing.F) {
	f.Add("X-B3-Traceid", "463ac35c9f6413ad48485a3953bb6124", "X-B3-Spanid", "a2fb4a1d1a96d312", "X-B3-Sampled", "1")
	f.Add("b3", "463ac35c9f6413ad-a2fb4a1d1a96d312-0", "Accept", "*/*", "X-B3-Flags", "1")
	f.Add("X-B3-Sampled", "0", "Baggage-K", "v", "b3", "garbage")
	f.Add("x-b3-traceid", "1", "x-b3-spanid", "0", "x-b3-parentspanid", "zz")
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2, k3, v3 string) {
		h := opentracing.HTTPHeadersCarrier{}
		m := opentracing.TextMapCarrier{}
		lower := map[string]bool{}
		for _, kv := range [][2]string{{k1, v1}, {k2, v2}, {k3, v3}} {
			if lower[strings.ToLower(kv[0])] {
				return // one name twice: the general path's result depends on map order
			}
			lower[strings.ToLower(kv[0])] = true
			h[kv[0]], m[kv[0]] = []string{kv[1]}, kv[1]
		}
		got, gotErr := extract(opentracing.HTTPHeaders, h)
		want, wantErr := extract(opentracing.HTTPHeaders, m)
		if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
			t.Fatalf("%v: error = %v, want %v", h, gotErr, wantErr)
		}
		if describeContext(got) != describeContext(want) {
			t.Errorf("%v: context = %s, want %s", h, describeContext(got), describeContext(want))
		}
	})
}

func describeContext(sc opentracing.SpanContext) string {
	c, ok := sc.(*spanContext)
	if !ok || c == nil {
		return fmt.Sprintf("%T %v", sc, sc)
	}
	z := c.zipkin
	parent, sampled := "nil", "nil"
	if z.ParentID != nil {
		parent = z.ParentID.String()
	}
	if z.Sampled != nil {
		sampled = fmt.Sprint(*z.Sampled)
	}
	return fmt.Sprintf("trace %v span %v parent %s sampled %s debug %v baggage %v", z.TraceID, z.ID, parent, sampled, z.Debug, c.baggage)
}

func TestExtractB3HeadersAllocations(t *testing.T) {
	h := opentracing.HTTPHeadersCarrier{
		"User-Agent": {"x"}, "Accept": {"*/*"}, "Accept-Encoding": {"gzip"},
		"X-B3-Traceid": {"463ac35c9f6413ad48485a3953bb6124"}, "X-B3-Spanid": {"a2fb4a1d1a96d312"}, "X-B3-Sampled": {"1"},
	}
	var n float64
	n = testing.AllocsPerRun(100, func() {
		if _, err := extract(opentracing.HTTPHeaders, h); err != nil {
			t.Fatal(err)
		}
	})
	// b3.ParseHeaders' own (the context, the sampled flag), and ours.
	if n > 3 {
		t.Errorf("extract allocates %v times per call, want at most 3", n)
	}
}
