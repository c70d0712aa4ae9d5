// Package lightstep is the polytrace backend that reports to Lightstep
// through lightstep-tracer-go (v0.26.0, the client's last release). Import
// it for its side effect and set TRACER_BACKEND=lightstep, or call [Open]
// or [New] directly.
//
// # Settings
//
// Read through tracer.Config.Get, never from the process environment:
//
//	LIGHTSTEP_ACCESS_TOKEN         required; never printed
//	LIGHTSTEP_COLLECTOR_HOST       default collector-grpc.lightstep.com
//	LIGHTSTEP_COLLECTOR_PORT       default 443
//	LIGHTSTEP_COLLECTOR_PLAINTEXT  true for http:// or insecure gRPC; default false
//	LIGHTSTEP_TRANSPORT            http (default) or grpc
//
// The default host is the client's own, for both transports: HTTP posts a
// protobuf ReportRequest to https://HOST:PORT/api/v2/reports (header
// Lightstep-Access-Token), gRPC calls
// lightstep.collector.CollectorService/Report on HOST:PORT. The port
// defaults to 443 with or without TLS. Point HOST at your satellites to
// report through them.
//
// # Portable settings
//
// The service name becomes the tracer's lightstep.component_name, the name
// Lightstep shows for the service; it takes precedence over a tag of that
// name. Config.Tags become tracer (reporter) tags; lightstep.guid is
// refused because the client sets it. The client would also report the
// whole command line as lightstep.command_line; this backend reports the
// executable's name only, unless a tag sets it.
//
// # Sampling
//
// lightstep-tracer-go has no sampler: Lightstep samples at its satellites.
// It does drop spans whose context carries Sampled "false" and propagates
// that flag in the ot-tracer-sampled header. When Config.SampleRate is set
// below 1, this backend decides once per trace, when a root span starts,
// by the trace id it gives the root, as the zipkin backend and
// jaeger-client-go decide: the trace is reported when the id's low 63 bits
// are below SampleRate×2⁶³, otherwise the root is started unsampled, and
// its children here and in downstream services that read ot-tracer-*
// headers are dropped with it. A span continuing a
// caller's trace keeps the caller's decision. A nil SampleRate or 1
// reports everything; 0 reports no new trace.
//
// Spans of traces that are not sampled do not go through the client,
// which would build them in full only to drop them: they carry the
// context the client would give them (the trace id, a span id, Sampled
// "false", the parent's baggage), which Inject propagates. The parent is
// the first ChildOf reference, else the first FollowsFrom one, as in every
// backend (the client alone takes the first reference of either type).
//
// # Errors and logs
//
// The client reports problems only through a process-wide event handler
// (it has no per-tracer one). This package installs one when it is
// imported: it logs failed reports, dropped spans and other client errors
// through the standard log package, at most once per 10s (counting the
// events it held back), with every access token given to this package
// replaced by [redacted]. A program that calls
// lightstep.SetGlobalEventHandler afterwards replaces it, redaction
// included. Errors returned by this package never contain the token, nor
// does printing [Options].
//
// # Reporting and shutdown
//
// Spans are buffered, up to tracer.Config.QueueSize (TRACER_QUEUE_SIZE,
// default 2048; the client's MaxBufferedSpans), plus as many in the report
// under way; more are dropped. They are sent in the background at least
// every 2.5s, and as soon as the buffer is half full (checked every 100ms
// rather than the client's 500ms, so a busy service does not overflow it
// between two checks); finishing a span never waits for the network, also
// when the collector is down or never answers. A failed report's spans go
// back into the buffer, room permitting. Open does no network I/O.
//
// The reports travel through the client's CustomCollector option, over a
// transport of this package's that speaks the client's own protocols: so
// each tracer counts its own exports in Instance.Stats (spans finished
// come from the client's span recorder; spans dropped are counted as the
// client's buffer drops them), and a report stuck on a collector that
// never answers is cancelled when Shutdown gives up. Shutdown flushes
// once more through the client's Close(ctx) and returns by ctx's
// deadline, leaving no goroutine behind. Spans finished after Shutdown
// are dropped.
package lightstep
