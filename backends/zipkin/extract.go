package zipkin

import (
	"github.com/opentracing/opentracing-go"

	"github.com/polytrace/polytrace/internal/hdrscan"
)

// b3Fields are the headers extract needs at least one of to find a span
// context: without any, it answers opentracing.ErrSpanContextNotFound
// (baggage headers alone do not make a context).
var b3Fields = hdrscan.Fields{Names: b3Keys[:]}

// extractB3Headers is extract for HTTP headers that carry B3 fields and no
// baggage, without the map of every header (its name lower-cased, that is
// copied) that the general path builds: ok is false, and the general path
// must run, when a baggage header is present or a B3 field is given under
// two spellings. Values are taken as the general path takes them (the
// last value of a repeated header).
func extractB3Headers(h opentracing.HTTPHeadersCarrier) (sc opentracing.SpanContext, ok bool, err error) {
	var (
		vals [len(b3Keys)]string
		seen [len(b3Keys)]bool
	)
	for k, vs := range h {
		if hdrscan.HasPrefix(k, baggagePrefix) {
			return nil, false, nil
		}
		for i, name := range b3Keys {
			if !hdrscan.Is(k, name) {
				continue
			}
			if seen[i] {
				return nil, false, nil
			}
			seen[i] = true
			if len(vs) > 0 {
				vals[i] = vs[len(vs)-1]
			}
			break
		}
	}
	zsc, err := parseB3(func(k string) string {
		for i, name := range b3Keys {
			if name == k {
				return vals[i]
			}
		}
		return ""
	})
	if err != nil {
		return nil, true, err
	}
	return &spanContext{zipkin: zsc}, true, nil
}
