// Package lightspan holds what every backend does for a span whose trace
// is not sampled: choosing the parent among the start options, and a
// light span that carries the trace's identity and baggage to children
// and to the wire while recording nothing. A vendor client would build,
// tag and discard a whole span instead; for a service sampling a few
// percent of its requests that is most of its tracing cost.
//
// A backend decides, with [Parent] and its sampler, that a new span is
// not sampled, builds the span's context in its vendor's own type C (so
// that the vendor's Inject writes it, and the vendor's StartSpan takes it
// as a parent) and returns [New]'s span.
package lightspan

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	"github.com/opentracing/opentracing-go/log"

	"github.com/polytrace/polytrace/internal/sampling"
)

// Start is what [Parent] finds in a span's start options.
type Start[C opentracing.SpanContext] struct {
	// Parent is the first ChildOf reference to a context of type C, else
	// the first FollowsFrom one, as every backend chooses; HasParent says
	// whether there is one. References to other tracers' contexts are
	// ignored, as the vendor clients ignore them.
	Parent    C
	HasParent bool
	// First is true when the parent is also the first reference to a
	// non-nil context of any tracer: lightstep-tracer-go takes the first
	// reference of either type, so it must otherwise be given it first.
	First bool
	// ChildOf is true when the parent comes from a ChildOf reference.
	ChildOf bool
	// Refs counts the references to non-nil contexts, of any tracer.
	Refs int
	// Time is the last StartTime given; zero means now.
	Time time.Time
	// Plain is false when an option is neither a reference (ChildOf or
	// FollowsFrom), nor a tag, nor a start time: a vendor's own option,
	// which only its client understands.
	Plain bool
}

// Parent reads opts.
func Parent[C opentracing.SpanContext](opts []opentracing.StartSpanOption) Start[C] {
	st := Start[C]{Plain: true}
	var (
		follows      C
		hasFollows   bool
		followsFirst bool
	)
	for _, o := range opts {
		switch o := o.(type) {
		case opentracing.Tag, opentracing.Tags, Tags:
		case opentracing.StartTime:
			st.Time = time.Time(o)
		case opentracing.SpanReference:
			if o.Type != opentracing.ChildOfRef && o.Type != opentracing.FollowsFromRef {
				st.Plain = false
				continue
			}
			c, ok := o.ReferencedContext.(C)
			switch {
			case ok && o.Type == opentracing.ChildOfRef && !st.HasParent:
				st.Parent, st.HasParent, st.First, st.ChildOf = c, true, st.Refs == 0, true
			case ok && o.Type == opentracing.FollowsFromRef && !hasFollows:
				follows, hasFollows, followsFirst = c, true, st.Refs == 0
			}
			if o.ReferencedContext != nil {
				st.Refs++
			}
		default:
			st.Plain = false
		}
	}
	if !st.HasParent && hasFollows {
		st.Parent, st.HasParent, st.First = follows, true, followsFirst
	}
	return st
}

// Reference returns the index in refs of the parent every backend
// chooses: the first ChildOf reference to a context of type C, else the
// first FollowsFrom one; -1 when there is none. It is [Parent] for
// options already applied.
func Reference[C opentracing.SpanContext](refs []opentracing.SpanReference) int {
	found := -1
	for i, ref := range refs {
		if _, ok := ref.ReferencedContext.(C); !ok {
			continue
		}
		if ref.Type == opentracing.ChildOfRef {
			return i
		}
		if found < 0 && ref.Type == opentracing.FollowsFromRef {
			found = i
		}
	}
	return found
}

// Tags are start tags handed over to the span: unlike opentracing.Tags,
// whose Apply copies the map into the options, Apply makes this map the
// options' Tags when they have none, so the caller must not use it
// afterwards. [Parent] takes them as plain, as opentracing.Tags.
type Tags opentracing.Tags

// Apply implements opentracing.StartSpanOption.
func (t Tags) Apply(o *opentracing.StartSpanOptions) {
	if o.Tags == nil {
		o.Tags = opentracing.Tags(t)
		return
	}
	for k, v := range t {
		o.Tags[k] = v
	}
}

// Applied hands options already applied to a vendor's StartSpan, which
// applies them again: for a backend that changes them (the parent first)
// before the vendor sees them.
type Applied opentracing.StartSpanOptions

// Apply implements opentracing.StartSpanOption.
func (o Applied) Apply(so *opentracing.StartSpanOptions) { *so = opentracing.StartSpanOptions(o) }

// Backend is what a light span needs of the backend that made it.
type Backend[C opentracing.SpanContext] struct {
	// Tracer is what the span's Tracer method returns.
	Tracer opentracing.Tracer
	// WithBaggageItem returns c with key set to value, leaving c as it
	// is (children and carriers may share it).
	WithBaggageItem func(c C, key, value string) C
	// Record, when set, starts the vendor's recorded span, with the light
	// span's name, opts and start, once sampling.priority is set above zero
	// on it (jaeger-client-go samples late); nil ignores that tag.
	Record func(name string, opts []opentracing.StartSpanOption, start time.Time) opentracing.Span
}

// Span is a span that records nothing: its context is the trace's
// identity (the vendor's type C, not sampled) and its baggage. It is safe
// for concurrent use. With [Backend.Record] set it turns into the vendor's
// recorded span when sampling.priority asks, from then on forwarding every
// call to it.
type Span[C opentracing.SpanContext] struct {
	self    opentracing.Span // s, or the backend's struct embedding it
	backend *Backend[C]
	name    string
	opts    []opentracing.StartSpanOption // read only; for Record
	start   time.Time

	first C
	cur   atomic.Pointer[C]
	mu    sync.Mutex // serializes baggage writers and Record
	rec   atomic.Pointer[recorded]
}

type recorded struct{ opentracing.Span }

// lightSpan marks the light spans of every type argument, for
// [sampling.Recorded].
type lightSpan interface{ to() opentracing.Span }

func init() {
	sampling.Register(func(s opentracing.Span) (bool, bool) {
		l, ok := s.(lightSpan)
		if !ok {
			return false, false
		}
		if r := l.to(); r != nothing {
			return sampling.Recorded(r), true
		}
		return false, true
	})
}

// New returns the light span of context ctx. name and opts are those the
// span was started with, kept for [Backend.Record] (opts must not be
// changed afterwards); start is the start time, zero meaning now.
func New[C opentracing.SpanContext](b *Backend[C], ctx C, name string, opts []opentracing.StartSpanOption, start time.Time) *Span[C] {
	s := &Span[C]{}
	s.Init(s, b, ctx, name, opts, start)
	return s
}

// Init makes s, a zero Span, the light span [New] returns: for a backend
// that embeds the Span in a struct of its own, self, so that the span and
// its context's storage take one allocation. The methods that return the
// span (SetTag, SetBaggageItem, SetOperationName) return self.
func (s *Span[C]) Init(self opentracing.Span, b *Backend[C], ctx C, name string, opts []opentracing.StartSpanOption, start time.Time) {
	s.self, s.backend, s.first = self, b, ctx
	if b.Record != nil {
		s.name, s.opts, s.start = name, opts, start
		if s.start.IsZero() {
			s.start = time.Now()
		}
	}
	s.cur.Store(&s.first)
}

var _ opentracing.Span = (*Span[opentracing.SpanContext])(nil)

// Context returns the span's context: the vendor's, with the baggage set
// so far, or the recorded span's once recorded.
func (s *Span[C]) Context() opentracing.SpanContext {
	if r := s.rec.Load(); r != nil {
		return r.Context()
	}
	return *s.cur.Load()
}

// SpanContext returns the span's context in the backend's type, as
// Context does before the span is recorded.
func (s *Span[C]) SpanContext() C { return *s.cur.Load() }

// Tracer returns the backend's tracer.
func (s *Span[C]) Tracer() opentracing.Tracer { return s.backend.Tracer }

// SetBaggageItem adds a baggage item to the span's context, which its
// children and the wire carry.
func (s *Span[C]) SetBaggageItem(key, value string) opentracing.Span {
	if r := s.rec.Load(); r != nil {
		r.SetBaggageItem(key, value)
		return s.self
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	next := s.backend.WithBaggageItem(*s.cur.Load(), key, value)
	s.cur.Store(&next)
	if r := s.rec.Load(); r != nil { // recorded meanwhile
		r.SetBaggageItem(key, value)
	}
	return s.self
}

// BaggageItem returns the value of a baggage item, "" when absent.
func (s *Span[C]) BaggageItem(key string) string {
	if r := s.rec.Load(); r != nil {
		return r.BaggageItem(key)
	}
	var v string
	(*s.cur.Load()).ForeachBaggageItem(func(k, val string) bool {
		if k == key {
			v = val
			return false
		}
		return true
	})
	return v
}

// SetTag records nothing, unless it is sampling.priority above zero and
// the backend samples late (see [Backend.Record]): the span is then
// recorded, and this and every later call go to the recorded span.
func (s *Span[C]) SetTag(key string, value interface{}) opentracing.Span {
	r := s.rec.Load()
	if r == nil && key == string(ext.SamplingPriority) && s.backend.Record != nil && positive(value) {
		r = s.record()
	}
	if r != nil {
		r.SetTag(key, value)
	}
	return s.self
}

func positive(v interface{}) bool {
	p, ok := v.(uint16)
	return ok && p > 0
}

// record starts the recorded span, once, with the baggage set so far.
func (s *Span[C]) record() *recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.rec.Load(); r != nil {
		return r
	}
	r := &recorded{s.backend.Record(s.name, s.opts, s.start)}
	(*s.cur.Load()).ForeachBaggageItem(func(k, v string) bool {
		if r.BaggageItem(k) != v {
			r.SetBaggageItem(k, v)
		}
		return true
	})
	s.rec.Store(r)
	return r
}

// SetOperationName records nothing until the span is recorded.
func (s *Span[C]) SetOperationName(name string) opentracing.Span {
	s.to().SetOperationName(name)
	return s.self
}

// to is the recorded span, or until the span is recorded one that records
// nothing, for the methods below, which record nothing until then.
func (s *Span[C]) to() opentracing.Span {
	if r := s.rec.Load(); r != nil {
		return r.Span
	}
	return nothing
}

var nothing = opentracing.NoopTracer{}.StartSpan("")

// Finish reports nothing until the span is recorded.
func (s *Span[C]) Finish() { s.to().Finish() }

// FinishWithOptions reports nothing until the span is recorded.
func (s *Span[C]) FinishWithOptions(opts opentracing.FinishOptions) { s.to().FinishWithOptions(opts) }

// LogFields records nothing until the span is recorded.
func (s *Span[C]) LogFields(fields ...log.Field) { s.to().LogFields(fields...) }

// LogKV records nothing until the span is recorded.
func (s *Span[C]) LogKV(kv ...interface{}) { s.to().LogKV(kv...) }

// LogEvent records nothing until the span is recorded.
func (s *Span[C]) LogEvent(event string) { s.to().LogEvent(event) }

// LogEventWithPayload records nothing until the span is recorded.
func (s *Span[C]) LogEventWithPayload(event string, payload interface{}) {
	s.to().LogEventWithPayload(event, payload)
}

// Log records nothing until the span is recorded.
func (s *Span[C]) Log(ld opentracing.LogData) { s.to().Log(ld) }

// Baggage copies sc's baggage items into a new map, nil when it has none.
func Baggage(sc opentracing.SpanContext) map[string]string {
	var bag map[string]string
	sc.ForeachBaggageItem(func(k, v string) bool {
		if bag == nil {
			bag = make(map[string]string)
		}
		bag[k] = v
		return true
	})
	return bag
}

// NewID returns a random non-zero 64-bit id, for the span ids of light
// spans and the trace ids of light roots.
func NewID() uint64 {
	for {
		if v := rand.Uint64(); v != 0 {
			return v
		}
	}
}
