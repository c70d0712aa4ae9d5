// Package sampling holds what the backends share about sampling: the
// decision for a new trace at a rate ([ByTraceID]), and whether a span is
// recorded ([Recorded]), which tells the Gin middleware without it
// importing any vendor client: each backend registers, from init, a
// function that recognises its own spans. The middleware skips the
// per-request tags (URL, peer, status) of a span the backend will not
// report, which a vendor client would drop anyway.
package sampling

import (
	"math"

	"github.com/opentracing/opentracing-go"
)

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

// ByTraceID returns the decision for a new trace at rate (0 to 1) that
// every backend makes: a trace is sampled when the low 63 bits of its
// trace id (of the low 64 bits, for 128-bit ids) are below rate×2⁶³, as
// jaeger-client-go's probabilistic sampler decides. Deciding by the id
// rather than by a draw, services at the same rate agree on a trace
// whichever of them decides.
func ByTraceID(rate float64) func(traceIDLow uint64) bool {
	switch {
	case !(rate > 0):
		return func(uint64) bool { return false }
	case rate >= 1:
		return func(uint64) bool { return true }
	}
	boundary := uint64(rate * (1 << 63))
	return func(id uint64) bool { return id&math.MaxInt64 < boundary }
}
