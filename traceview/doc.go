// Package traceview keeps recent finished spans in memory and shows them
// in a browser: the trace viewer of the ui backend (TRACER_BACKEND=ui),
// which a program may also mount on its own router with [Handler].
//
// # Pages
//
// At the paths of Jaeger's UI:
//
//	/                  one row per service and operation: count and errors since start,
//	                   p50/p95/p99 of the latest 512 spans, and a latency histogram
//	                   (zPages' buckets: 0, 10µs, 100µs, 1ms, … 100s) whose buckets open
//	                   the traces kept for them
//	/search            recent traces by service, operation, status (error or ok),
//	                   duration and tag key=value
//	/trace/{traceID}   the waterfall: spans nested by parent on a shared time axis,
//	                   errors marked, each span's tags and logs
//
// The overview and the search refresh themselves every two seconds while
// "live" is checked. Pages are rendered on the server, with every value
// escaped, and sent with a Content-Security-Policy that allows only their
// own embedded script and style sheet: no CDN, no web font, nothing
// inline.
//
// # JSON API
//
// Jaeger's query API, at its paths and in its shapes, so that scripts and
// tools written for Jaeger work unchanged: /api/services,
// /api/services/{service}/operations, /api/traces (service, operation,
// tags as JSON or tag=key:value, minDuration, maxDuration, start, end in
// microseconds, lookback, limit) and /api/traces/{traceID}. Tags and log
// fields are strings (the Zipkin model's); span.kind and peer.* come from
// the span's kind and remote endpoint, as in Jaeger's Zipkin receiver.
//
// # Memory
//
// The store counts the bytes its spans hold (their strings, plus a fixed
// overhead per span, tag and log record) and keeps them within
// TRACER_UI_MAX_BYTES: past it, whole traces go, the oldest first. Each
// operation keeps, out of that order, its two latest traces of each
// latency bucket and of errors, so the rare slow or failed request is
// still there to open after the ring has turned over many times; those
// samples may use half the bound. One trace may use at most half the
// bound: later spans of a larger one are dropped and counted. The
// summaries (counts, histograms, the latest 512 durations) are kept for
// at most 1000 operations, about 5 KB each, beyond the bound; further
// operations are summarized together.
package traceview
