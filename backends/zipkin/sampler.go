package zipkin

import (
	zipkingo "github.com/openzipkin/zipkin-go"
	"github.com/openzipkin/zipkin-go/model"

	"github.com/polytrace/polytrace/internal/lightspan"
	"github.com/polytrace/polytrace/internal/sampling"
)

// newSampler returns the sampler for rate: nil samples every trace, 0 none,
// 1 all, and a rate in between samples a trace when the low 63 bits of its
// trace id are below rate×2⁶³.
//
// zipkin-go's own NewBoundarySampler is not used: it converts the id to
// float64 and back to int64, which overflows for ids with the top bit set,
// so on amd64 it samples such traces regardless of the rate. Looking only
// at the low 63 bits, this sampler decides the same for ids from
// zipkin-go's generators (63-bit) and from ours (64-bit), like
// jaeger-client-go's probabilistic sampler, so services keep consistent
// decisions for a trace.
// rate is valid (tracer.Config.Validate).
func newSampler(rate *float64) zipkingo.Sampler {
	switch {
	case rate == nil || *rate == 1:
		return zipkingo.AlwaysSample
	case *rate == 0:
		return zipkingo.NeverSample
	}
	return sampling.ByTraceID(*rate)
}

// idGenerator makes 128-bit trace ids and 64-bit span ids, never zero,
// from math/rand/v2's per-goroutine generator (lightspan.NewID): no lock on the hot path,
// unlike zipkin-go's generators, which share one mutex.
type idGenerator struct{}

func (idGenerator) TraceID() model.TraceID {
	return model.TraceID{High: lightspan.NewID(), Low: lightspan.NewID()}
}

func (idGenerator) SpanID(model.TraceID) model.ID { return model.ID(lightspan.NewID()) }
