// Package sampling tells the Gin middleware whether a span is recorded,
// without the middleware importing any vendor client: each backend
// registers, from init, a function that recognises its own spans. The
// middleware skips the per-request tags (URL, peer, status) of a span the
// backend will not report, which a vendor client would drop anyway.
package sampling

import "github.com/opentracing/opentracing-go"

// Func reports whether span, if it belongs to the backend that registered
// the function, is recorded: sampled, or with its sampling not decided
// yet. known is false for spans of other tracers.
type Func func(span opentracing.Span) (recorded, known bool)

// funcs is written by Register during package initialization only, and
// read afterwards without a lock.
var funcs []Func

// Register adds f to the functions Recorded asks. Call it from init only.
func Register(f Func) {
	if f != nil {
		funcs = append(funcs, f)
	}
}

// Recorded reports whether span's tags may reach a collector: false only
// when a registered function knows the span and knows it is not sampled,
// for good. Spans no function knows count as recorded.
func Recorded(span opentracing.Span) bool {
	for _, f := range funcs {
		if recorded, known := f(span); known {
			return recorded
		}
	}
	return true
}
