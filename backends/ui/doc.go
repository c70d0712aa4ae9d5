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
//	                                       of its own, mount traceview.Handler instead
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
// store ([traceview.Default]), so the viewer shows whole traces across them; it
// stops when the last of them is shut down. A port already taken is
// logged and leaves the tracer recording; TRACER_STRICT=true makes it an
// error.
//
// The store and the pages are package [traceview]'s.
//
// # Delivery and statistics
//
// Finishing a span queues it (TRACER_QUEUE_SIZE, default 2048) without
// waiting; one goroutine converts the queued spans and adds them to the
// store, so a page being rendered never holds a request
// up. Stats counts a span exported once it is in the store (and still
// exported when the store later evicts it), dropped when the queue was
// full, its trace was over half the bound, or it finished after Shutdown.
// Values that hold URLs lose their user information and query strings.
package ui
