package propagation

import (
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
	return &wrapped{Tracer: tr, conv: conv, fs: fs}
}

type wrapped struct {
	opentracing.Tracer // StartSpan, and the formats fs does not cover
	conv               Converter
	fs                 Formats
}

// Unwrap returns the tracer Wrap was given.
func (w *wrapped) Unwrap() opentracing.Tracer { return w.Tracer }

// Inject implements opentracing.Tracer.
func (w *wrapped) Inject(sc opentracing.SpanContext, format, carrier interface{}) error {
	if !textFormat(format) {
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
	return w.fs.Inject(n, tw)
}

// Extract implements opentracing.Tracer.
func (w *wrapped) Extract(format, carrier interface{}) (opentracing.SpanContext, error) {
	if !textFormat(format) {
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
