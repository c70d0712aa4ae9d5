// Package zipkin is the polytrace backend that reports to Zipkin (or any
// collector that takes Zipkin's JSON v2 over HTTP, such as Jaeger's port
// 9411 or an OpenTelemetry Collector's zipkin receiver). It is selected with
// TRACER_BACKEND=zipkin, or built in code with [New].
//
// It is built on zipkin-go and its HTTP reporter, and its recorded spans
// are zipkin-go-opentracing's (kinds, remote endpoints, tags and
// annotations as that library makes them). The backend adds baggage, the
// parent chosen as every backend chooses it, light spans for traces that
// are not sampled, and B3 propagation through package propagation.
// [NewWithReporter] puts the same tracer over any other zipkin-go reporter;
// the stdout and ui backends are built that way.
//
// # Settings
//
// Besides the common configuration (service name, sample rate, tags), the
// backend reads these settings through tracer.Config.Get, under their
// environment variable names:
//
//	variable               default                              meaning
//	ZIPKIN_ENDPOINT        http://localhost:9411/api/v2/spans   collector span endpoint (http or https URL;
//	                                                            user:password@ is sent as basic auth)
//	ZIPKIN_TIMEOUT         5s                                   bound on each request to the collector
//	ZIPKIN_BATCH_INTERVAL  1s                                   longest a finished span waits to be sent
//	ZIPKIN_ENCODING        json                                 json (JSON v2) or proto3 (Zipkin's protobuf
//	                                                            ListOfSpans: cheaper to encode and decode;
//	                                                            Zipkin 2.8+, Jaeger, the OpenTelemetry
//	                                                            Collector take it)
//
// Errors for invalid settings name the variable, its value and what is
// accepted; a URL's user information and query string are never printed.
//
// # Spans
//
//   - The service name is the local endpoint's service name; Zipkin lowers
//     the case of service and span names.
//   - tracer.Config.Tags are added to every span.
//   - Sampling: a nil tracer.Config.SampleRate samples every trace, 0 none,
//     and a rate in between samples by trace id, so every service using
//     this rule decides alike for a trace. Upstream sampling decisions
//     (x-b3-sampled, b3 flags) are honoured.
//   - Trace ids are 128-bit, span ids 64-bit.
//   - A span started as a child of an extracted context (including a
//     span.kind=server span) gets its own span id, as in the other
//     backends, rather than sharing the caller's.
//   - Tags become Zipkin tags (fmt.Sprint of the value); span.kind and the
//     peer.* tags given at the start become the span's kind and remote
//     endpoint (set later, they are ignored, as is sampling.priority).
//     Each logged field becomes one annotation "key:value" stamped with its
//     record's time; LogKV's pairs are one record.
//
// # Propagation
//
// Inject writes B3 multi headers (x-b3-traceid, x-b3-spanid,
// x-b3-parentspanid, x-b3-sampled or x-b3-flags) and one baggage-KEY header
// per baggage item, its value percent-encoded, as jaeger-client-go's and
// Brave's B3 propagation name them. Extract accepts B3 multi headers and
// the single b3 header (which wins when both are valid), in any letter
// case, with the baggage-* entries. A carrier with no B3 ids gives
// opentracing.ErrSpanContextNotFound (a sampling decision alone, such as
// "b3: 0", is no context: the local rate decides); one whose B3 entries do
// not parse gives an error wrapping opentracing.ErrSpanContextCorrupted.
// The Binary format carries the same entries as a JSON object. These are
// package propagation's b3multi and b3 formats.
//
// # Delivery and shutdown
//
// Finished spans are batched and sent in the background; starting and
// finishing spans never wait for the network. Up to tracer.Config.QueueSize
// spans (TRACER_QUEUE_SIZE, default 2048: zipkin-go's MaxBacklog, which
// includes the request under way) wait while the collector is slow or
// down; older ones are dropped beyond that. A request that gets no answer
// keeps its spans for the next one; one answered with an error status
// drops them. After a failed request the next waits, from 100ms doubling
// to 2s, so a collector that refuses at once costs no CPU in retries.
// Shutdown sends what is buffered and returns by its context's deadline
// even when the collector never answers: the last request is then
// cancelled. Spans finished after Shutdown are dropped.
//
// Instance.Stats counts spans started and finished (by this package's
// tracer), exported (in requests the collector accepted), dropped (from
// the backlog, counted from the reporter's own log lines, or refused by
// the collector) and failed requests. The reporter's complaints reach
// Options.Logger at most once per 10s, with a count of those held back.
// [NewWithReporter] takes its export counts from a reporter that
// implements [StatsReporter].
package zipkin
