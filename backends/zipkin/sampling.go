package zipkin

import (
	"github.com/opentracing/opentracing-go"

	"github.com/polytrace/polytrace/internal/sampling"
)

func init() { sampling.Register(recorded) }

// recorded is this backend's sampling.Func: a span is recorded when its
// context is sampled, debug, or not decided yet.
func recorded(s opentracing.Span) (rec, known bool) {
	os, ok := s.(*otSpan)
	if !ok {
		return false, false
	}
	sc := os.ctx.Load().zipkin
	return sc.Debug || sc.Sampled == nil || *sc.Sampled, true
}
