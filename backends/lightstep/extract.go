package lightstep

import (
	lsgo "github.com/lightstep/lightstep-tracer-go"
	"github.com/opentracing/opentracing-go"

	"github.com/polytrace/polytrace/internal/hdrscan"
)

// headerPropagator is the tracer's propagator for the HTTPHeaders format:
// lightstep.LightStepPropagator, except that a request carrying none of
// its headers is answered opentracing.ErrSpanContextNotFound at once,
// without the copy of every header's name that the client's propagator
// makes, twice, to find that out.
type headerPropagator struct{}

var _ lsgo.Propagator = headerPropagator{}

// otFields are the headers without which the client finds no context
// (baggage alone is none).
var otFields = hdrscan.Fields{Prefixes: []string{"ot-tracer-"}}

// Inject implements lightstep.Propagator.
func (headerPropagator) Inject(sc opentracing.SpanContext, carrier interface{}) error {
	return lsgo.LightStepPropagator.Inject(sc, carrier)
}

// Extract implements lightstep.Propagator.
func (headerPropagator) Extract(carrier interface{}) (opentracing.SpanContext, error) {
	if h, ok := carrier.(opentracing.HTTPHeadersCarrier); ok && otFields.Absent(h) {
		return nil, opentracing.ErrSpanContextNotFound
	}
	return lsgo.LightStepPropagator.Extract(carrier)
}
