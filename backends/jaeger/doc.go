// Package jaeger is the polytrace backend that reports to Jaeger through
// github.com/uber/jaeger-client-go. Importing it registers the backend
// under the name "jaeger" (TRACER_BACKEND=jaeger).
//
// # Settings
//
// Open reads the variables jaeger-client-go's config.FromEnv documents,
// through tracer.Config.Get (never the process environment), into an
// [Options]; programs that configure in code build an Options and call
// [New]. JAEGER_SERVICE_NAME is read by the root package as a fallback for
// TRACER_SERVICE_NAME.
//
//	JAEGER_DISABLED            true: opentracing.NoopTracer (default false)
//	JAEGER_RPC_METRICS         emit RPC metrics to Options.Metrics (default false)
//	JAEGER_TAGS                process tags: k=v,k2=${VAR:default}
//	JAEGER_TRACEID_128BIT      128-bit trace ids (default false)
//	JAEGER_SAMPLER_TYPE        const, probabilistic, ratelimiting or remote
//	JAEGER_SAMPLER_PARAM       const: 0 or 1 (default 1); probabilistic: 0 to 1
//	                           (required); ratelimiting: traces per second
//	                           (required); remote: initial rate (default 0.001)
//	JAEGER_SAMPLING_ENDPOINT   remote sampler URL (default http://AGENT_HOST:5778/sampling;
//	                           JAEGER_SAMPLER_MANAGER_HOST_PORT is its deprecated name)
//	JAEGER_SAMPLER_MAX_OPERATIONS   operations the remote sampler tracks (default 2000)
//	JAEGER_SAMPLER_REFRESH_INTERVAL how often it polls (default 1m)
//	JAEGER_REPORTER_MAX_QUEUE_SIZE  spans waiting to be sent before drops (default 2048;
//	                           TRACER_QUEUE_SIZE wins over it)
//	JAEGER_REPORTER_FLUSH_INTERVAL  send at least this often (default 1s)
//	JAEGER_REPORTER_LOG_SPANS  also log each span to the standard logger (default false)
//	JAEGER_REPORTER_ATTEMPT_RECONNECTING_DISABLED  stop re-resolving the agent (default false)
//	JAEGER_REPORTER_ATTEMPT_RECONNECT_INTERVAL     re-resolve period (default 30s)
//	JAEGER_ENDPOINT            collector URL, e.g. http://collector:14268/api/traces;
//	                           when set, spans go there over HTTP, not to the agent
//	JAEGER_USER, JAEGER_PASSWORD   basic auth for JAEGER_ENDPOINT (both or neither)
//	JAEGER_AGENT_HOST, JAEGER_AGENT_PORT  agent for UDP compact thrift (localhost:6831)
//
// Every invalid value is an error that names the variable, its value and
// what is accepted, wrapping tracer.ErrInvalidConfig; a password is never
// shown. Where jaeger-client-go would panic (a JAEGER_TAGS entry without
// "=") there is an error too. Variables that JAEGER_ENDPOINT makes unused
// (agent host and port, reconnection) are still checked.
//
// # Precedence
//
// The portable TRACER_* settings win over JAEGER_* ones:
//
//   - Sampling: when TRACER_SAMPLE_RATE (Config.SampleRate) is set it is
//     used: a const sampler for 0 and 1, a probabilistic one otherwise.
//     Else, when JAEGER_SAMPLER_TYPE is set, the JAEGER_SAMPLER_* settings
//     are used. Else every trace is sampled. The client's own default, a
//     remote sampler starting at 1 trace in 1000, is never used implicitly;
//     JAEGER_SAMPLER_PARAM without JAEGER_SAMPLER_TYPE (which the client
//     would read as that remote sampler's rate) is an error for the same
//     reason, unless TRACER_SAMPLE_RATE is set.
//   - Tags: TRACER_TAGS (Config.Tags) are merged over JAEGER_TAGS, winning
//     key by key, and all are set as process tags.
//   - Service name: TRACER_SERVICE_NAME, then JAEGER_SERVICE_NAME (resolved
//     by the root package into Config.ServiceName).
//
// # Behaviour
//
// Open never blocks on the network: the UDP sender only opens a socket,
// the HTTP sender connects on its first batch, and an agent host given as
// a DNS name (not an IP address or localhost) is resolved on the first
// span, in the reporter's goroutine. Finishing a span never blocks: a full
// queue drops spans, also after Shutdown.
//
// jaeger-client-go's Close waits for the queue to drain with no deadline.
// Instance.Shutdown returns by its context's deadline; at that point
// requests still waiting on the collector or the sampling endpoint are
// cancelled, so the drain finishes promptly in the background.
//
// The client's messages (send failures, for instance) go to the standard
// log package, with the password and any credentials or query string of
// the endpoint URLs redacted; its per-batch debug messages are dropped,
// and send failures are logged at most once per 10s.
//
// Instance.Stats comes from the client's own metrics (through a metrics
// factory that also feeds Options.Metrics): started_spans and
// finished_spans of sampled spans, reporter_spans with result ok
// (exported), err and dropped (dropped: both senders discard a batch that
// failed, and a full queue drops new spans); export errors are the send
// failures the client logs. Over UDP, "exported" means sent: the agent
// protocol has no answer, so spans sent while nothing listens are lost
// unseen.
//
// Spans of traces known not to be sampled (a sample rate of 0, or an
// unsampled parent, such as an inbound uber-trace-id with flags 0) do not
// go through the client, which would build them in full only to drop
// them: the backend gives them the context the client would (the trace
// id, the parent, "not sampled", the baggage), which Inject propagates,
// and drops their tags and logs as the client does. A positive
// sampling.priority set on such a span samples it, as in the client. The
// client's metrics then do not see those spans, so with Options.Metrics
// or RPCMetrics set every span goes to the client.
//
// Span pooling (jaeger-client-go's PoolSpans) is off: a pooled span is
// reset for reuse once reported, and OpenTracing code may still read a
// span after Finish (the conformance suite's probe does).
package jaeger
