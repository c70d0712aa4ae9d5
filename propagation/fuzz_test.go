package propagation_test

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/opentracing/opentracing-go"

	"github.com/polytrace/polytrace/propagation"
)

// The fuzz targets feed each parser arbitrary header values. Their seed
// corpora live in testdata/fuzz/<target> and run with every go test; go
// test -fuzz=FuzzJaeger (say) explores further. Every target checks:
//
//   - no panic;
//   - an error is ErrSpanContextNotFound or wraps ErrSpanContextCorrupted;
//   - a context extracted is valid, and survives being injected in the
//     same format and extracted again unchanged but for the format's
//     documented losses (baggage: every item that comes back is
//     unchanged).

// checkExtract runs the checks on what fs extracts from carrier.
func checkExtract(t *testing.T, fs propagation.Formats, carrier opentracing.TextMapReader) {
	t.Helper()
	sc, err := fs.Extract(carrier)
	if err != nil {
		if err != opentracing.ErrSpanContextNotFound && !errors.Is(err, opentracing.ErrSpanContextCorrupted) {
			t.Fatalf("Extract error %v is neither not-found nor corrupted", err)
		}
		return
	}
	if !sc.IsValid() {
		t.Fatalf("Extract returned an invalid context %+v", sc)
	}
	h := http.Header{}
	if err := fs.Inject(sc, opentracing.HTTPHeadersCarrier(h)); err != nil {
		t.Fatalf("Inject(%+v): %v", sc, err)
	}
	again, err := fs.Extract(opentracing.HTTPHeadersCarrier(h))
	if err != nil {
		t.Fatalf("Extract of our own %v: %v", h, err)
	}
	gotBag, wantBag := again.Baggage, sc.Baggage
	again.Baggage, sc.Baggage = nil, nil
	if fs[0] == propagation.OTTrace {
		// Documented losses: ottrace writes the low 64 bits, and
		// "true" for an undecided context.
		sc.TraceID.High = 0
		if sc.Sampling == propagation.Undecided {
			sc.Sampling = propagation.Sampled
		}
	}
	if !reflect.DeepEqual(again, sc) {
		t.Fatalf("context changed through a second hop:\nfirst  %+v\nsecond %+v\nwire %v", sc, again, h)
	}
	for k, v := range gotBag {
		if w, ok := wantBag[strings.ToLower(k)]; ok && w == v {
			continue
		}
		if w, ok := wantBag[k]; !ok || w != v {
			t.Fatalf("baggage item %q=%q came back, want %q (first hop %v, wire %v)", k, v, w, wantBag, h)
		}
	}
}

// requireCorpus fails when a target's checked-in seed corpus is missing,
// so that a lost directory cannot turn the target into a no-op.
func requireCorpus(f *testing.F) {
	f.Helper()
	dir := filepath.Join("testdata", "fuzz", f.Name())
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) == 0 {
		f.Fatalf("seed corpus %s is missing or empty: %v", dir, err)
	}
}

func FuzzTraceContext(f *testing.F) {
	requireCorpus(f)
	f.Add("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "rojo=00f067aa0ba902b7")
	fs := propagation.Formats{propagation.TraceContext}
	f.Fuzz(func(t *testing.T, traceparent, tracestate string) {
		checkExtract(t, fs, opentracing.TextMapCarrier{"traceparent": traceparent, "tracestate": tracestate})
	})
}

func FuzzB3(f *testing.F) {
	requireCorpus(f)
	f.Add("0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-1-00f067aa0ba902b7")
	fs := propagation.Formats{propagation.B3}
	f.Fuzz(func(t *testing.T, b3 string) {
		checkExtract(t, fs, opentracing.TextMapCarrier{"b3": b3})
	})
}

func FuzzB3Multi(f *testing.F) {
	requireCorpus(f)
	f.Add("0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331", "00f067aa0ba902b7", "1", "")
	fs := propagation.Formats{propagation.B3Multi}
	f.Fuzz(func(t *testing.T, traceID, spanID, parentID, sampled, flags string) {
		checkExtract(t, fs, opentracing.TextMapCarrier{"X-B3-TraceId": traceID, "X-B3-SpanId": spanID,
			"X-B3-ParentSpanId": parentID, "X-B3-Sampled": sampled, "X-B3-Flags": flags})
	})
}

func FuzzJaeger(f *testing.F) {
	requireCorpus(f)
	f.Add("0af7651916cd43dd8448eb211c80319c:b7ad6b7169203331:0:1", "tenant", "acme")
	fs := propagation.Formats{propagation.Jaeger}
	f.Fuzz(func(t *testing.T, uber, key, value string) {
		checkExtract(t, fs, opentracing.TextMapCarrier{"uber-trace-id": uber, "uberctx-" + key: value})
	})
}

func FuzzOTTrace(f *testing.F) {
	requireCorpus(f)
	f.Add("8448eb211c80319c", "b7ad6b7169203331", "true", "tenant", "acme")
	fs := propagation.Formats{propagation.OTTrace}
	f.Fuzz(func(t *testing.T, traceID, spanID, sampled, key, value string) {
		checkExtract(t, fs, opentracing.TextMapCarrier{"ot-tracer-traceid": traceID, "ot-tracer-spanid": spanID,
			"ot-tracer-sampled": sampled, "ot-baggage-" + key: value})
	})
}

func FuzzBaggage(f *testing.F) {
	requireCorpus(f)
	f.Add("tenant=acme,Path=a%20b;prop=1")
	fs := propagation.Formats{propagation.TraceContext, propagation.Baggage}
	f.Fuzz(func(t *testing.T, header string) {
		checkExtract(t, fs, opentracing.TextMapCarrier{
			"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "baggage": header})
	})
}

// FuzzExtractAll reads "name: value" lines as a header block and extracts
// with every format listed, in an order the input picks.
func FuzzExtractAll(f *testing.F) {
	requireCorpus(f)
	f.Add(uint8(0), "traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\nuber-trace-id: 1:2:0:1\nbaggage: a=b")
	all := propagation.Formats{propagation.TraceContext, propagation.Baggage, propagation.B3,
		propagation.B3Multi, propagation.Jaeger, propagation.OTTrace}
	f.Fuzz(func(t *testing.T, rotate uint8, block string) {
		h := http.Header{}
		for line := range strings.SplitSeq(block, "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok {
				h.Add(strings.TrimSpace(k), strings.TrimSpace(v))
			}
		}
		n := int(rotate) % len(all)
		fs := append(append(propagation.Formats{}, all[n:]...), all[:n]...)
		sc, err := fs.Extract(opentracing.HTTPHeadersCarrier(h))
		if err != nil {
			if err != opentracing.ErrSpanContextNotFound && !errors.Is(err, opentracing.ErrSpanContextCorrupted) {
				t.Fatalf("Extract error %v is neither not-found nor corrupted", err)
			}
			return
		}
		if !sc.IsValid() {
			t.Fatalf("Extract returned an invalid context %+v", sc)
		}
		if err := fs.Inject(sc, opentracing.HTTPHeadersCarrier(http.Header{})); err != nil {
			t.Fatalf("Inject(%+v): %v", sc, err)
		}
	})
}
