// Package ui is the polytrace backend that keeps the process's recent
// finished spans in memory and shows them in a browser: a trace viewer
// inside the service, with nothing to install. It is selected with
// TRACER_BACKEND=ui:
//
//	TRACER_BACKEND=ui go run ./examples/twoservice
//	# polytrace ui: serving traces at http://127.0.0.1:16680/ (loopback only)
//
// # Settings
//
//	variable              default          meaning
//	TRACER_UI_ADDR        127.0.0.1:16680  where the viewer listens (host:port); off: no listener
//	                                       of its own, mount [Handler] instead
//	TRACER_UI_MAX_BYTES   64MiB            memory the stored spans may hold: bytes, or with
//	                                       KB, MB, GB (1000s) or KiB, MiB, GiB (1024s); 64KiB to 64GiB
//
// From the common configuration it takes the service name, tags, sample
// rate, queue size and propagation formats, as the zipkin backend, whose
// tracer it uses: B3 headers natively, TRACER_PROPAGATION when set.
//
// The viewer listens on loopback unless TRACER_UI_ADDR names another
// address, and logs where it listens when it starts; it has no
// authentication of its own. Tracers of one process given the same
// address (the two services of the example, say) share one viewer and one
// store ([Default]), so the viewer shows whole traces across them; it
// stops when the last of them is shut down. A port already taken is
// logged and leaves the tracer recording; TRACER_STRICT=true makes it an
// error.
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
//
// # Delivery and statistics
//
// Finishing a span converts it in the finishing goroutine and queues it
// (TRACER_QUEUE_SIZE, default 2048) without waiting; one goroutine adds
// the queue to the store, so a page being rendered never holds a request
// up. Stats counts a span exported once it is in the store (and still
// exported when the store later evicts it), dropped when the queue was
// full, its trace was over half the bound, or it finished after Shutdown.
// Values that hold URLs lose their user information and query strings.
package ui
