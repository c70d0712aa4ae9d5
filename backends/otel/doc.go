// Package otel is the polytrace backend that reports through the
// OpenTelemetry SDK: OpenTracing code keeps its API, and its spans go out
// as OTLP, over gRPC or HTTP, to an OpenTelemetry Collector, Jaeger v2 or
// any other OTLP receiver. It is selected with TRACER_BACKEND=otel, or
// built in code with [New].
//
// The tracer is the SDK's TracerProvider with a batch span processor,
// exposed as an opentracing.Tracer through the OpenTracing bridge
// (go.opentelemetry.io/otel/bridge/opentracing). It is a migration path:
// the vendor OpenTracing clients are deprecated, OpenTelemetry is not.
//
// # Settings
//
// Besides the common configuration (service name, sample rate, tags), the
// backend reads the standard OpenTelemetry variables, through
// tracer.Config.Get only. Where a TRACES_ form exists, it wins.
//
//	variable                                  default                          meaning
//	OTEL_EXPORTER_OTLP_[TRACES_]PROTOCOL      http/protobuf                    grpc, http/protobuf or http/json
//	OTEL_EXPORTER_OTLP_ENDPOINT               http://localhost:4318 (HTTP),    base URL; HTTP appends /v1/traces
//	                                          http://localhost:4317 (gRPC)
//	OTEL_EXPORTER_OTLP_TRACES_ENDPOINT                                         URL used as is (no path means "/")
//	OTEL_EXPORTER_OTLP_[TRACES_]HEADERS       none                             k=v,k2=v2, values percent-encoded; never printed
//	OTEL_EXPORTER_OTLP_[TRACES_]INSECURE      false                            plaintext for a gRPC host:port endpoint
//	OTEL_EXPORTER_OTLP_[TRACES_]TIMEOUT       10000                            ms, bound on each export request
//	OTEL_EXPORTER_OTLP_[TRACES_]COMPRESSION   none                             gzip or none
//	OTEL_SERVICE_NAME                                                          service name, when TRACER_SERVICE_NAME is unset
//	OTEL_RESOURCE_ATTRIBUTES                  none                             k=v,k2=v2, values percent-encoded
//	OTEL_TRACES_SAMPLER                       parentbased_always_on            always_on, always_off, traceidratio,
//	                                                                           parentbased_always_on, parentbased_always_off,
//	                                                                           parentbased_traceidratio
//	OTEL_TRACES_SAMPLER_ARG                   1                                ratio of the traceidratio samplers, 0 to 1
//	OTEL_BSP_SCHEDULE_DELAY                   5000                             ms a finished span waits at most before its batch goes
//	OTEL_BSP_EXPORT_TIMEOUT                   30000                            ms, bound on one batch export with its retries
//	OTEL_BSP_MAX_QUEUE_SIZE                   2048                             finished spans waiting; more are dropped
//	OTEL_BSP_MAX_EXPORT_BATCH_SIZE            512                              spans per request, at most the queue size
//
// An endpoint's scheme decides TLS: http:// is plaintext, https:// is TLS
// with the system's roots (or [Options].TLSConfig). A gRPC endpoint may
// also be host:port, with TLS unless INSECURE is true. Endpoints with user
// information, a query or a fragment are refused: credentials go in the
// headers. Errors for invalid settings name the variable, its value (never
// a header value, nor a URL's credentials or query) and what is accepted.
// Where OpenTelemetry SDKs log a bad value and carry on with the default,
// this backend refuses it, as the other backends do.
//
// Not read: OTEL_TRACES_EXPORTER (this backend is the OTLP exporter),
// OTEL_PROPAGATORS (see Propagation), the certificate variables
// (OTEL_EXPORTER_OTLP_*CERTIFICATE, *CLIENT_KEY: use [Options].TLSConfig)
// and OTEL_SPAN_*_LIMIT (the SDK's defaults apply).
//
// # Common settings
//
//   - Service name: TRACER_SERVICE_NAME (tracer.Config.ServiceName), else
//     OTEL_SERVICE_NAME, else a service.name resource attribute, else the
//     executable's name. (FromEnv already falls back to JAEGER_SERVICE_NAME
//     and OTEL_SERVICE_NAME for the first.)
//   - TRACER_SAMPLE_RATE, when set, wins over OTEL_TRACES_SAMPLER: the
//     sampler is parentbased_traceidratio at that rate, so a caller's
//     decision is kept and new traces are sampled by trace id, alike in
//     every OpenTelemetry service.
//   - TRACER_TAGS become resource attributes (Jaeger shows them as process
//     tags), merged over OTEL_RESOURCE_ATTRIBUTES key by key.
//
// # Unsampled traces
//
// A span whose trace is known not to be sampled never reaches the bridge
// or the SDK, which would convert its options and tags and build a
// non-recording span only to drop it: the backend starts a light span in
// one allocation, with the span context the SDK would give it (the
// parent's trace id, trace state and flags with the sampled flag off, or a
// new trace id; a new span id) and the parent's baggage. That is the case
// for a child of an unsampled span or of an inbound context whose sampled
// flag is off, and for every new trace when TRACER_SAMPLE_RATE is 0,
// whichever API starts the span: through [TracerProvider] too, the parent
// being the OpenTelemetry span (or remote span context) of the Go
// context, as the SDK's, and the baggage the OpenTracing span's there. A
// sampler from [Options].Sampler or OTEL_TRACES_SAMPLER (with
// TRACER_SAMPLE_RATE unset) may sample such spans: the SDK then decides
// every span. A light span propagates like any other (Inject
// writes its context with the configured propagator, flags 00 in
// traceparent), carries baggage, and is the current OpenTelemetry span of
// the Go contexts opentracing.ContextWithSpan puts it in, so that
// OpenTelemetry spans started there join the trace, unsampled too; its
// tags, logs and name are dropped, and Instance.Stats does not count it.
//
// # Sampled traces
//
// Every other span started through OpenTracing is the bridge's (through
// [TracerProvider], the SDK's own, paired with the bridge): the backend
// chooses the parent as every backend does (the first ChildOf reference,
// else the first FollowsFrom one; the bridge alone would make a
// FollowsFrom parent a mere link and start a new trace), hands it to the
// bridge as its first ChildOf reference, and the bridge starts the SDK
// span.
//
// # The process environment
//
// The OpenTelemetry SDK and OTLP exporters read OTEL_* variables from the
// process environment for every setting they are not given. This backend
// gives them all (endpoint, protocol, headers, TLS, timeout, compression,
// batching, sampler, span limits), uses its own gRPC connection and HTTP
// client, and puts its own resource back on every span before export. So
// a program calling New with tracer.MapLookup gets exactly what it asked
// for, whatever the process environment holds. What remains process-wide,
// as for any Go program using these libraries:
//
//   - HTTPS_PROXY, HTTP_PROXY and NO_PROXY apply to both transports;
//     GRPC_GO_* variables to gRPC.
//   - The SDK still parses the process environment's
//     OTEL_RESOURCE_ATTRIBUTES, OTEL_SERVICE_NAME and OTEL_TRACES_SAMPLER
//     when a provider is built. The results are discarded, but a malformed
//     value there makes the SDK print one line through OpenTelemetry's
//     global error handler.
//   - OTEL_GO_X_OBSERVABILITY turns on the SDK's and exporters' own
//     metrics, sent to OpenTelemetry's global MeterProvider (a no-op unless
//     the program sets one).
//
// # Propagation
//
// Inject and Extract use [Options].Propagator; when it is nil, the
// formats of TRACER_PROPAGATION (tracer.Config.Propagation), as for every
// backend; when that is unset too, W3C trace context and baggage
// (traceparent, tracestate, baggage headers). The
// Binary format carries the same fields as one JSON object. Baggage items
// must be valid W3C baggage keys; others are dropped by the bridge. A
// recorded span's context is the bridge's, updated in place by
// SetBaggageItem; a light span's context is a snapshot, as in the other
// backends: take it after setting baggage.
//
// # Spans
//
//   - span.kind is the OpenTelemetry span kind; it must be given when the
//     span starts (ext.SpanKindRPCServer and the like as start options):
//     OpenTelemetry fixes a span's kind at its start, so a span.kind tag
//     set later is ignored, with one warning.
//   - error=true sets the span's status to Error; other tags become
//     attributes (uint64 values as strings); logged fields become events
//     named after their "event" field.
//   - Trace ids are 128-bit, span ids 64-bit.
//
// # Mixing with OpenTelemetry instrumentation
//
// OpenTelemetry instrumentation (otelhttp, otelgrpc, …) and OpenTracing
// code nest their spans only if the instrumentation uses this backend's
// TracerProvider, which [TracerProvider] returns. New sets no global: a
// program that wants OpenTelemetry's global API to report here calls
//
//	tp, _ := otel.TracerProvider(tr) // tr: the polytrace.Tracer or tracer.Instance.Tracer
//	otelglobal.SetTracerProvider(tp)
//	otelglobal.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
//
// (otelglobal being go.opentelemetry.io/otel). Then a span started with
// the OpenTelemetry API from a context holding an OpenTracing span is its
// child, and opentracing.StartSpanFromContext from a context holding an
// OpenTelemetry span of that provider makes a child of it. A span of a
// plain OpenTelemetry TracerProvider, one not obtained from
// [TracerProvider], is invisible to the OpenTracing API: an OpenTracing
// span started from its context begins a new trace.
//
// # Delivery and shutdown
//
// Finished spans are batched and exported in the background; starting and
// finishing spans never wait for the network. The queue holds
// tracer.Config.QueueSize spans (TRACER_QUEUE_SIZE, which wins over
// OTEL_BSP_MAX_QUEUE_SIZE); when it is full, newly finished spans are
// dropped. The batching is the SDK batch span processor's, with the same
// settings, done by this package so that Instance.Stats counts every span
// started, finished, exported and dropped (the SDK's processor drops
// without telling); at most the queue and one batch are held. Failed
// exports are retried by the exporter within its timeout,
// then logged through [Options].Logger, at most once per 10s, with header
// values removed. The bridge's warnings go to the same logger. Shutdown
// is the provider's: it exports what is queued and returns by its
// context's deadline; an export still under way then is cancelled and the
// connection closed. Spans finished after Shutdown are dropped.
package otel
