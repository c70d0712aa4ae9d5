package propagation

import (
	"context"
	"encoding/binary"

	"go.opentelemetry.io/otel/baggage"
	otelprop "go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// TextMapPropagator returns an OpenTelemetry propagator that reads and
// writes fs, for the OpenTelemetry SDK and its OpenTracing bridge
// (BridgeTracer.SetTextMapPropagator), so that an OpenTelemetry service
// speaks exactly what TRACER_PROPAGATION lists, like the other backends.
//
// Inject writes the span context of ctx's span with the members of ctx's
// baggage. Extract returns ctx with the extracted remote span context and
// the baggage (W3C baggage even without a span context, as OpenTelemetry's
// own baggage propagator does); on absent or malformed input it returns
// ctx unchanged. OpenTelemetry has no debug flag and no undecided state:
// debug arrives as sampled, undecided as not sampled. tracestate passes
// through when it parses.
func TextMapPropagator(fs Formats) otelprop.TextMapPropagator {
	return otelPropagator{fs: fs, inject: fs}
}

// TextMapPropagatorOf is [TextMapPropagator] for a backend that writes
// fewer formats than it reads: Inject writes inject, Extract reads
// extract.
func TextMapPropagatorOf(inject, extract Formats) otelprop.TextMapPropagator {
	return otelPropagator{fs: extract, inject: inject}
}

type otelPropagator struct{ fs, inject Formats }

var _ otelprop.TextMapPropagator = otelPropagator{}

// Inject implements propagation.TextMapPropagator.
func (p otelPropagator) Inject(ctx context.Context, carrier otelprop.TextMapCarrier) {
	if carrier == nil {
		return
	}
	sc := trace.SpanContextFromContext(ctx)
	bag := baggage.FromContext(ctx)
	if !sc.IsValid() {
		if bag.Len() > 0 && p.inject.has(Baggage) {
			injectBaggage(members(bag), carrierWriter{carrier})
		}
		return
	}
	n := FromOTel(sc)
	n.Baggage = members(bag)
	_ = p.inject.Inject(n, carrierWriter{carrier})
}

// Extract implements propagation.TextMapPropagator.
func (p otelPropagator) Extract(ctx context.Context, carrier otelprop.TextMapCarrier) context.Context {
	if carrier == nil {
		return ctx
	}
	n, bagOnly, err := p.fs.extract(carrierReader{carrier})
	items := bagOnly
	if err == nil {
		ctx = trace.ContextWithRemoteSpanContext(ctx, ToOTel(n))
		items = n.Baggage
	}
	if len(items) > 0 {
		ms := make([]baggage.Member, 0, len(items))
		for k, v := range items {
			if m, err := baggage.NewMemberRaw(k, v); err == nil {
				ms = append(ms, m)
			}
		}
		if b, err := baggage.New(ms...); err == nil && b.Len() > 0 {
			ctx = baggage.ContextWithBaggage(ctx, b)
		}
	}
	return ctx
}

// Fields implements propagation.TextMapPropagator.
func (p otelPropagator) Fields() []string { return p.inject.Fields() }

// FromOTel returns the neutral form of an OpenTelemetry span context,
// without baggage (OpenTelemetry keeps it apart).
func FromOTel(sc trace.SpanContext) SpanContext {
	tid, sid := sc.TraceID(), sc.SpanID()
	n := SpanContext{
		TraceID:    TraceID{High: binary.BigEndian.Uint64(tid[:8]), Low: binary.BigEndian.Uint64(tid[8:])},
		SpanID:     binary.BigEndian.Uint64(sid[:]),
		Sampling:   NotSampled,
		TraceState: sc.TraceState().String(),
	}
	if sc.IsSampled() {
		n.Sampling = Sampled
	}
	return n
}

// ToOTel returns n as a remote OpenTelemetry span context (baggage aside).
func ToOTel(n SpanContext) trace.SpanContext {
	var (
		tid trace.TraceID
		sid trace.SpanID
	)
	binary.BigEndian.PutUint64(tid[:8], n.TraceID.High)
	binary.BigEndian.PutUint64(tid[8:], n.TraceID.Low)
	binary.BigEndian.PutUint64(sid[:], n.SpanID)
	cfg := trace.SpanContextConfig{TraceID: tid, SpanID: sid, Remote: true}
	if n.Sampling.IsSampled() {
		cfg.TraceFlags = trace.FlagsSampled
	}
	if n.TraceState != "" {
		if ts, err := trace.ParseTraceState(n.TraceState); err == nil {
			cfg.TraceState = ts
		}
	}
	return trace.NewSpanContext(cfg)
}

func members(b baggage.Baggage) map[string]string {
	if b.Len() == 0 {
		return nil
	}
	m := make(map[string]string, b.Len())
	for _, mem := range b.Members() {
		m[mem.Key()] = mem.Value()
	}
	return m
}

// carrierWriter and carrierReader adapt OpenTelemetry carriers to the
// OpenTracing interfaces Formats uses.
type carrierWriter struct{ c otelprop.TextMapCarrier }

func (w carrierWriter) Set(k, v string) { w.c.Set(k, v) }

type carrierReader struct{ c otelprop.TextMapCarrier }

// ForeachKey passes every value of a key when the carrier can list them
// (otel's HeaderCarrier can), else the one Get returns.
func (r carrierReader) ForeachKey(handler func(k, v string) error) error {
	vg, multi := r.c.(otelprop.ValuesGetter)
	for _, k := range r.c.Keys() {
		if !multi {
			if err := handler(k, r.c.Get(k)); err != nil {
				return err
			}
			continue
		}
		for _, v := range vg.Values(k) {
			if err := handler(k, v); err != nil {
				return err
			}
		}
	}
	return nil
}
