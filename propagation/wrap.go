package propagation

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/opentracing/opentracing-go"
)

// Converter translates between a backend's own span contexts and the
// neutral [SpanContext]. Each backend that can take part in mixed
// propagation provides one (tracer.Instance.Converter).
type Converter interface {
	// ToNeutral returns sc, a span context of the backend's tracer, in
	// neutral form; ok is false when sc is not one. The result may share
	// sc's baggage map: it must not be modified.
	ToNeutral(sc opentracing.SpanContext) (n SpanContext, ok bool)

	// FromNeutral returns a span context of the backend's tracer that
	// stands for n as a remote parent: a span started ChildOf it belongs
	// to n's trace (as far as the backend's ids can hold it), has n's
	// span as its parent, keeps n's sampling decision and inherits n's
	// baggage. n is valid (non-zero trace and span ids).
	FromNeutral(n SpanContext) (opentracing.SpanContext, error)
}

// Wrap returns a tracer that is tr, except that Inject and Extract with
// the TextMap and HTTPHeaders formats use fs, translating span contexts
// with conv: Inject writes every format of fs, Extract reads the first one
// present and valid (see [Formats.Extract]) and returns a span context of
// tr, usable as a parent in tr.StartSpan. Other formats (Binary) go to tr
// unchanged. When conv is nil or fs is empty, Wrap returns tr itself.
//
// The wrapper's Unwrap method returns tr. Spans keep tr as their Tracer():
// code that injects through span.Tracer() rather than through the wrapper
// writes tr's own format.
func Wrap(tr opentracing.Tracer, conv Converter, fs Formats) opentracing.Tracer {
	if tr == nil || conv == nil || len(fs) == 0 {
		return tr
	}
	return &wrapped{Tracer: tr, conv: conv, fs: fs, inject: fs}
}

// Native returns a tracer that is tr, except that the package does all of
// its propagation, for a backend whose native formats are the package's:
// Inject writes the formats of inject, Extract reads those of extract (as
// [Formats.Extract] does), the Binary format carries the same entries as
// one JSON object, and other formats give
// opentracing.ErrUnsupportedFormat: tr's Inject and Extract are never
// called. Its Unwrap method returns tr.
func Native(tr opentracing.Tracer, conv Converter, inject, extract Formats) opentracing.Tracer {
	return &wrapped{Tracer: tr, conv: conv, fs: extract, inject: inject, native: true}
}

type wrapped struct {
	opentracing.Tracer // StartSpan, and the formats fs does not cover
	conv               Converter
	fs                 Formats // read by Extract
	inject             Formats // written by Inject
	native             bool    // every format by the package (Native)
}

// Unwrap returns the tracer Wrap was given.
func (w *wrapped) Unwrap() opentracing.Tracer { return w.Tracer }

// Inject implements opentracing.Tracer.
func (w *wrapped) Inject(sc opentracing.SpanContext, format, carrier interface{}) error {
	if w.native && format == opentracing.Binary {
		return InjectBinary(w, sc, carrier)
	}
	if !textFormat(format) {
		if w.native {
			return opentracing.ErrUnsupportedFormat
		}
		return w.Tracer.Inject(sc, format, carrier)
	}
	tw, ok := carrier.(opentracing.TextMapWriter)
	if !ok {
		return opentracing.ErrInvalidCarrier
	}
	n, ok := w.conv.ToNeutral(sc)
	if !ok {
		return opentracing.ErrInvalidSpanContext
	}
	return w.inject.Inject(n, tw)
}

// Extract implements opentracing.Tracer.
func (w *wrapped) Extract(format, carrier interface{}) (opentracing.SpanContext, error) {
	if w.native && format == opentracing.Binary {
		return ExtractBinary(w, carrier)
	}
	if !textFormat(format) {
		if w.native {
			return nil, opentracing.ErrUnsupportedFormat
		}
		return w.Tracer.Extract(format, carrier)
	}
	tr, ok := carrier.(opentracing.TextMapReader)
	if !ok {
		return nil, opentracing.ErrInvalidCarrier
	}
	n, err := w.fs.Extract(tr)
	if err != nil {
		return nil, err
	}
	sc, err := w.conv.FromNeutral(n)
	if err != nil {
		return nil, err
	}
	if sc == nil {
		return nil, opentracing.ErrSpanContextNotFound
	}
	return sc, nil
}

func textFormat(format interface{}) bool {
	return format == opentracing.TextMap || format == opentracing.HTTPHeaders
}

// InjectBinary writes sc into carrier, an io.Writer, in the Binary format
// of backends whose native formats are text maps: one JSON object of the
// entries tr's TextMap Inject writes.
func InjectBinary(tr opentracing.Tracer, sc opentracing.SpanContext, carrier interface{}) error {
	out, ok := carrier.(io.Writer)
	if !ok || out == nil {
		return opentracing.ErrInvalidCarrier
	}
	m := opentracing.TextMapCarrier{}
	if err := tr.Inject(sc, opentracing.TextMap, m); err != nil {
		return err
	}
	return json.NewEncoder(out).Encode(map[string]string(m))
}

// ExtractBinary reads what [InjectBinary] writes, with tr's TextMap
// Extract. An empty carrier gives opentracing.ErrSpanContextNotFound; one
// that is not a JSON object of strings, an error wrapping
// opentracing.ErrSpanContextCorrupted.
func ExtractBinary(tr opentracing.Tracer, carrier interface{}) (opentracing.SpanContext, error) {
	in, ok := carrier.(io.Reader)
	if !ok || in == nil {
		return nil, opentracing.ErrInvalidCarrier
	}
	var m map[string]string
	if err := json.NewDecoder(in).Decode(&m); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, opentracing.ErrSpanContextNotFound
		}
		return nil, fmt.Errorf("%w: %w", opentracing.ErrSpanContextCorrupted, err)
	}
	return tr.Extract(opentracing.TextMap, opentracing.TextMapCarrier(m))
}
