package jaeger

import (
	"github.com/opentracing/opentracing-go"
	jaegerclient "github.com/uber/jaeger-client-go"

	"github.com/polytrace/polytrace/internal/sampling"
)

func init() { sampling.Register(recorded) }

// recorded is this backend's sampling.Func: a jaeger-client-go span is
// recorded when sampled, or while its sampling decision is not final (an
// adaptive sampler may still say yes). A span forced into sampling later
// (sampling.priority) reports true from then on.
func recorded(s opentracing.Span) (rec, known bool) {
	js, ok := s.(*jaegerclient.Span)
	if !ok {
		return false, false
	}
	sc := js.SpanContext()
	return sc.IsSampled() || !sc.IsSamplingFinalized(), true
}
