package propagation_test

import (
	"net/http"
	"testing"

	"github.com/opentracing/opentracing-go"

	"github.com/polytrace/polytrace/propagation"
)

// Benchmarks of one format each, through HTTP headers as servers see them.
func BenchmarkExtract(b *testing.B) {
	for _, f := range []propagation.Format{propagation.TraceContext, propagation.B3, propagation.B3Multi, propagation.Jaeger, propagation.OTTrace} {
		b.Run(f.String(), func(b *testing.B) {
			h := http.Header{}
			sc := ctx128
			sc.Baggage = nil
			fs := propagation.Formats{f}
			if err := fs.Inject(sc, opentracing.HTTPHeadersCarrier(h)); err != nil {
				b.Fatal(err)
			}
			h.Set("User-Agent", "bench")
			h.Set("Accept", "*/*")
			carrier := opentracing.HTTPHeadersCarrier(h)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := fs.Extract(carrier); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkInject(b *testing.B) {
	for _, f := range []propagation.Format{propagation.TraceContext, propagation.B3, propagation.B3Multi, propagation.Jaeger, propagation.OTTrace} {
		b.Run(f.String(), func(b *testing.B) {
			sc := ctx128
			sc.Baggage = nil
			fs := propagation.Formats{f}
			carrier := opentracing.TextMapCarrier{}
			b.ReportAllocs()
			for b.Loop() {
				if err := fs.Inject(sc, carrier); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
