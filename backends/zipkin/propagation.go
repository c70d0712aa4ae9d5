package zipkin

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/opentracing/opentracing-go"
	"github.com/openzipkin/zipkin-go/model"
	"github.com/openzipkin/zipkin-go/propagation/b3"
)

// baggagePrefix starts the name of each header (or text map key) that
// carries a baggage item, as in jaeger-client-go's and Brave's B3
// propagation: baggage item "tenant" travels as "baggage-tenant".
const baggagePrefix = "baggage-"

// b3Keys are the B3 header names, lower case.
var b3Keys = [...]string{b3.TraceID, b3.SpanID, b3.ParentSpanID, b3.Sampled, b3.Flags, b3.Context}

// inject writes sc into carrier: B3 multi headers (x-b3-traceid,
// x-b3-spanid, x-b3-parentspanid, x-b3-sampled or x-b3-flags) plus one
// baggage-KEY entry per baggage item. For HTTPHeaders, baggage values are
// percent-encoded so that any string survives as a header value. Binary
// writes the same entries as one JSON object.
func inject(sc opentracing.SpanContext, format, carrier interface{}) error {
	if format != opentracing.TextMap && format != opentracing.HTTPHeaders && format != opentracing.Binary {
		return opentracing.ErrUnsupportedFormat
	}
	c, ok := sc.(*spanContext)
	if !ok || c == nil {
		return opentracing.ErrInvalidSpanContext
	}
	switch format {
	case opentracing.Binary:
		w, ok := carrier.(io.Writer)
		if !ok || w == nil {
			return opentracing.ErrInvalidCarrier
		}
		m := map[string]string{}
		if err := c.write(false, func(k, v string) { m[k] = v }); err != nil {
			return err
		}
		return json.NewEncoder(w).Encode(m)
	default:
		w, ok := carrier.(opentracing.TextMapWriter)
		if !ok || w == nil {
			return opentracing.ErrInvalidCarrier
		}
		return c.write(format == opentracing.HTTPHeaders, w.Set)
	}
}

func (c *spanContext) write(escape bool, set func(k, v string)) error {
	m := b3.Map{}
	if err := m.Inject()(c.zipkin); err != nil {
		return fmt.Errorf("%w: %w", opentracing.ErrInvalidSpanContext, err)
	}
	for k, v := range m {
		set(k, v)
	}
	for k, v := range c.baggage {
		if escape {
			v = url.PathEscape(v)
		}
		set(baggagePrefix+k, v)
	}
	return nil
}

// extract reads a span context written by inject, by another B3 tracer
// (multi headers, or the single b3 header, which wins when both are valid)
// or by jaeger-client-go's Zipkin propagator. Header names are matched
// without regard to case. No B3 entry gives ErrSpanContextNotFound; B3
// entries that do not parse give an error wrapping ErrSpanContextCorrupted.
func extract(format, carrier interface{}) (opentracing.SpanContext, error) {
	if (format == opentracing.HTTPHeaders || format == opentracing.TextMap) && b3Fields.Absent(carrier) {
		return nil, opentracing.ErrSpanContextNotFound // the common case, without a map or a copied name
	}
	if h, ok := carrier.(opentracing.HTTPHeadersCarrier); ok && (format == opentracing.HTTPHeaders || format == opentracing.TextMap) {
		if sc, ok, err := extractB3Headers(h); ok {
			return sc, err // see extract.go
		}
	}
	var (
		entries = map[string]string{}
		unesc   bool
	)
	switch format {
	case opentracing.TextMap, opentracing.HTTPHeaders:
		r, ok := carrier.(opentracing.TextMapReader)
		if !ok || r == nil {
			return nil, opentracing.ErrInvalidCarrier
		}
		err := r.ForeachKey(func(k, v string) error {
			entries[strings.ToLower(k)] = v
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("%w: %w", opentracing.ErrSpanContextCorrupted, err)
		}
		unesc = format == opentracing.HTTPHeaders
	case opentracing.Binary:
		r, ok := carrier.(io.Reader)
		if !ok || r == nil {
			return nil, opentracing.ErrInvalidCarrier
		}
		if err := json.NewDecoder(r).Decode(&entries); err != nil {
			if errors.Is(err, io.EOF) {
				return nil, opentracing.ErrSpanContextNotFound
			}
			return nil, fmt.Errorf("%w: %w", opentracing.ErrSpanContextCorrupted, err)
		}
	default:
		return nil, opentracing.ErrUnsupportedFormat
	}

	zsc, err := parseB3(func(k string) string { return entries[k] })
	if err != nil {
		return nil, err
	}
	c := &spanContext{zipkin: zsc}
	for k, v := range entries {
		key, ok := strings.CutPrefix(k, baggagePrefix)
		if !ok || key == "" {
			continue
		}
		if unesc {
			if u, err := url.PathUnescape(v); err == nil {
				v = u
			}
		}
		if c.baggage == nil {
			c.baggage = map[string]string{}
		}
		c.baggage[key] = v
	}
	return c, nil
}

// parseB3 reads the B3 entries that get returns by their lower-case
// names ("" for none).
func parseB3(get func(key string) string) (model.SpanContext, error) {
	var singleErr error
	if single := get(b3.Context); single != "" {
		sc, err := b3.ParseSingleHeader(single)
		if err == nil {
			return checkB3(*sc)
		}
		singleErr = err
	}
	multi := false
	for _, k := range b3Keys[:len(b3Keys)-1] {
		if get(k) != "" {
			multi = true
		}
	}
	switch {
	case multi:
		sc, err := b3.ParseHeaders(get(b3.TraceID), get(b3.SpanID), get(b3.ParentSpanID), get(b3.Sampled), get(b3.Flags))
		if err != nil {
			return model.SpanContext{}, corrupted(err)
		}
		return checkB3(*sc)
	case singleErr != nil:
		return model.SpanContext{}, corrupted(singleErr)
	default:
		return model.SpanContext{}, opentracing.ErrSpanContextNotFound
	}
}

// checkB3 refuses contexts that carry nothing, and trace ids without span
// ids or the reverse (zero ids). A context with only a sampling decision
// (x-b3-sampled alone, or b3: 0) is valid B3: children start a new trace
// under that decision.
func checkB3(sc model.SpanContext) (model.SpanContext, error) {
	if sc.TraceID.Empty() && sc.ID == 0 && sc.Sampled == nil && !sc.Debug {
		return sc, opentracing.ErrSpanContextNotFound
	}
	if sc.TraceID.Empty() != (sc.ID == 0) {
		return sc, corrupted(errors.New("zero B3 trace or span id"))
	}
	return sc, nil
}

func corrupted(err error) error {
	return fmt.Errorf("%w: %w", opentracing.ErrSpanContextCorrupted, err)
}
