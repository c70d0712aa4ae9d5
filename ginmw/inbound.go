package ginmw

import (
	"net/http"
	"sort"
	"strings"

	"github.com/opentracing/opentracing-go"
)

// Inbound baggage limits: a request carrying more baggage than this has
// the excess removed before the span context is extracted, so that one
// client cannot make every downstream call carry megabytes. The values
// are the minimums the W3C Baggage specification asks platforms to
// propagate.
const (
	// DefaultMaxBaggageItems is how many baggage items a request may
	// bring.
	DefaultMaxBaggageItems = 64
	// DefaultMaxBaggageBytes is how many bytes of baggage (names and
	// values) a request may bring.
	DefaultMaxBaggageBytes = 8192
)

// The header names, lower case, that carry baggage in the formats the
// backends read: one item per header for the prefixes, a comma-separated
// list of items for the others.
var (
	baggagePrefixes = [...]string{
		"uberctx-",    // Jaeger
		"ot-baggage-", // Lightstep, OpenTracing basictracer
		"baggage-",    // B3 propagation (Zipkin backend)
	}
	baggageLists = [...]string{
		"baggage",        // W3C Baggage
		"jaeger-baggage", // jaeger-client-go's ad hoc baggage
	}
)

// baggageFirstByte marks the first bytes, in either case, of the baggage
// header names.
var baggageFirstByte = func() (t [256]bool) {
	for _, p := range baggagePrefixes {
		t[p[0]], t[p[0]-'a'+'A'] = true, true
	}
	for _, l := range baggageLists {
		t[l[0]], t[l[0]-'a'+'A'] = true, true
	}
	return t
}()

// WithInboundBaggageLimit changes how much baggage a request may bring
// (by default [DefaultMaxBaggageItems] items and [DefaultMaxBaggageBytes]
// bytes, counting names and values). Beyond either limit, the extra items
// are removed from what the tracer extracts, the rest of the span context
// is kept and the request is served as usual. A limit of zero accepts no
// inbound baggage; a negative one means no limit.
func WithInboundBaggageLimit(maxItems, maxBytes int) Option {
	return optionFunc(func(c *config) {
		c.maxBaggageItems, c.maxBaggageBytes = maxItems, maxBytes
	})
}

// WithIgnoreInboundContext makes the middleware ignore the trace context
// and baggage of incoming requests: every request starts a new trace. Use
// it for services facing clients that are not trusted to choose trace ids,
// sampling decisions or baggage.
func WithIgnoreInboundContext() Option {
	return optionFunc(func(c *config) { c.ignoreInbound = true })
}

// extract returns the span context the request headers carry, with
// baggage beyond the limits removed, or nil when there is none or it does
// not parse (the request then starts a new trace). Headers without
// baggage are passed to the tracer as they are.
func (cfg *config) extract(tr opentracing.Tracer, h http.Header) opentracing.SpanContext {
	if cfg.ignoreInbound {
		return nil
	}
	carrier := opentracing.HTTPHeadersCarrier(h)
	if items, size := baggageSize(h); (cfg.maxBaggageItems >= 0 && items > cfg.maxBaggageItems) ||
		(cfg.maxBaggageBytes >= 0 && size > cfg.maxBaggageBytes) {
		carrier = opentracing.HTTPHeadersCarrier(limitBaggage(h, cfg.maxBaggageItems, cfg.maxBaggageBytes))
	}
	sc, err := tr.Extract(opentracing.HTTPHeaders, carrier)
	if err != nil {
		return nil // missing or malformed: start a new trace
	}
	return sc
}

// baggageKind tells whether a header carries baggage: 1 for one item, 2
// for a list of items, 0 for none.
func baggageKind(name string) int {
	if name == "" || !baggageFirstByte[name[0]] {
		return 0 // most headers: one table lookup
	}
	for _, p := range baggagePrefixes {
		if len(name) > len(p) && strings.EqualFold(name[:len(p)], p) {
			return 1
		}
	}
	for _, l := range baggageLists {
		if strings.EqualFold(name, l) {
			return 2
		}
	}
	return 0
}

// baggageSize counts the baggage items in h and their bytes. It does not
// allocate.
func baggageSize(h http.Header) (items, size int) {
	for name, values := range h {
		switch baggageKind(name) {
		case 1:
			for _, v := range values {
				items++
				size += len(name) + len(v)
			}
		case 2:
			for _, v := range values {
				for member := range strings.SplitSeq(v, ",") {
					if m := strings.TrimSpace(member); m != "" {
						items++
						size += len(m)
					}
				}
			}
		}
	}
	return items, size
}

// limitBaggage returns a copy of h keeping baggage items, in the order of
// their header names, then of the items of a list (sorted, since their
// order means nothing), while both limits hold; the other headers are kept
// as they are.
func limitBaggage(h http.Header, maxItems, maxBytes int) http.Header {
	out := make(http.Header, len(h))
	var names []string
	for name, values := range h {
		if baggageKind(name) == 0 {
			out[name] = values
		} else {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	items, size := 0, 0
	fits := func(n int) bool {
		if (maxItems >= 0 && items+1 > maxItems) || (maxBytes >= 0 && size+n > maxBytes) {
			return false
		}
		items, size = items+1, size+n
		return true
	}
	for _, name := range names {
		for _, v := range h[name] {
			if baggageKind(name) == 1 {
				if fits(len(name) + len(v)) {
					out[name] = append(out[name], v)
				}
				continue
			}
			members := strings.Split(v, ",")
			for i := range members {
				members[i] = strings.TrimSpace(members[i])
			}
			sort.Strings(members)
			var kept []string
			for _, m := range members {
				if m != "" && fits(len(m)) {
					kept = append(kept, m)
				}
			}
			if len(kept) > 0 {
				out[name] = append(out[name], strings.Join(kept, ","))
			}
		}
	}
	return out
}
