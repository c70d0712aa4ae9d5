// Package stdout is the polytrace backend that prints each finished span as
// one line of JSON: the zero-dependency way to see traces while developing,
// or to ship them with the process's log. It is selected with
// TRACER_BACKEND=stdout, or built in code with [New] to write elsewhere.
//
// # Settings
//
// The backend reads no settings of its own. From the common configuration
// it takes:
//
//	setting                        effect
//	service name                   the service field of every line
//	tags                           added to the tags of every span
//	sample rate                    as the zipkin backend: nil samples every trace, 0 none,
//	                               a rate in between samples by trace id
//
// # Lines
//
// A line holds these fields, in this order (tags and log fields are sorted
// by key):
//
//	trace_id     128-bit trace id, 32 hex digits
//	span_id      64-bit span id, 16 hex digits
//	parent_id    the parent's span id; absent for a root span
//	service      the service name
//	operation    the operation name, case kept
//	kind         CLIENT, SERVER, PRODUCER or CONSUMER, from span.kind; absent otherwise
//	remote       {service, ipv4, ipv6, port} from the peer.* tags; absent when none is set
//	start        start time, RFC 3339 with nanoseconds, UTC
//	duration_us  duration in whole microseconds
//	tags         an object of string values, {} when there is none
//	logs         an array of {time, fields}, one per log record; absent when there is none
//
// For example (wrapped here):
//
//	{"trace_id":"6f0b0f1b5a4e2c4d8e6d1a2b3c4d5e6f","span_id":"1a2b3c4d5e6f7a8b",
//	 "parent_id":"0f1e2d3c4b5a6978","service":"checkout","operation":"load-order",
//	 "start":"2025-01-02T15:04:05.123456789Z","duration_us":1520,
//	 "tags":{"db.type":"sql","env":"prod"},
//	 "logs":[{"time":"2025-01-02T15:04:05.124Z","fields":{"event":"cache-miss","key":"order-7"}}]}
//
// The tracer is the zipkin backend's, so propagation is the same: B3 headers plus baggage-KEY headers. Log fields
// reach the line through Zipkin annotations: each field's value is printed
// as a string, and the fields of one record share its time, which is how
// they are grouped back (a key seen twice at one time starts a new record).
//
// # Delivery
//
// Finishing a span encodes its line in the caller's goroutine and queues
// it; one goroutine per tracer writes the lines, each with a single Write
// call, and writes from all the tracers of this package are serialized, so
// lines never interleave. Finishing a span never waits for the writer: when
// TRACER_QUEUE_SIZE lines (tracer.Config.QueueSize, default 2048) are
// already waiting (a blocked or very slow writer), the span
// is dropped. Write errors and panics do not stop the tracer. Shutdown
// writes what is queued and returns by its context's deadline even when
// the writer blocks; it reports dropped spans and the first write error.
// Spans finished after Shutdown are dropped.
package stdout
