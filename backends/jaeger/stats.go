package jaeger

import (
	"context"
	"fmt"
	"strings"

	"github.com/uber/jaeger-lib/metrics"

	"github.com/polytrace/polytrace/internal/reach"
	"github.com/polytrace/polytrace/internal/spanstats"
)

// statsFactory is the metrics factory handed to jaeger-client-go: it
// passes every metric on to the user's factory (Options.Metrics) and also
// feeds the tracer's own counters from the client's span metrics, all in
// the client's "jaeger.tracer" namespace:
//
//	started_spans{sampled=y}       -> SpansStarted
//	finished_spans{sampled=y}      -> SpansFinished
//	reporter_spans{result=ok}      -> SpansExported
//	reporter_spans{result=err}     -> SpansDropped (the senders discard a failed batch)
//	reporter_spans{result=dropped} -> SpansDropped (queue full)
type statsFactory struct {
	inner metrics.Factory
	stats *spanstats.Counters
	path  string // namespaces so far, dot-separated
}

var _ metrics.Factory = statsFactory{}

// tracerNamespace is where jaeger.NewMetrics creates its metrics.
const tracerNamespace = "jaeger.tracer"

func (f statsFactory) Counter(o metrics.Options) metrics.Counter {
	inner := f.inner.Counter(o)
	if f.path != tracerNamespace {
		return inner
	}
	var count func(int64)
	switch o.Name + "{" + tagString(o.Tags) + "}" {
	case "started_spans{sampled=y}":
		count = f.stats.Started
	case "finished_spans{sampled=y}":
		count = f.stats.Finished
	case "reporter_spans{result=ok}":
		count = f.stats.Exported
	case "reporter_spans{result=err}", "reporter_spans{result=dropped}":
		count = f.stats.Dropped
	default:
		return inner
	}
	return teeCounter{inner: inner, count: count}
}

func (f statsFactory) Timer(o metrics.TimerOptions) metrics.Timer { return f.inner.Timer(o) }
func (f statsFactory) Gauge(o metrics.Options) metrics.Gauge      { return f.inner.Gauge(o) }
func (f statsFactory) Histogram(o metrics.HistogramOptions) metrics.Histogram {
	return f.inner.Histogram(o)
}

func (f statsFactory) Namespace(scope metrics.NSOptions) metrics.Factory {
	path := scope.Name
	if f.path != "" {
		path = f.path + "." + scope.Name
	}
	return statsFactory{inner: f.inner.Namespace(scope), stats: f.stats, path: path}
}

// tagString renders tags as k=v pairs; the client's span metrics have one
// tag each.
func tagString(tags map[string]string) string {
	if len(tags) != 1 {
		return fmt.Sprint(tags)
	}
	for k, v := range tags {
		return k + "=" + v
	}
	return ""
}

type teeCounter struct {
	inner metrics.Counter
	count func(int64)
}

func (c teeCounter) Inc(n int64) {
	c.count(n)
	c.inner.Inc(n)
}

// exportFailure reports whether a message the client logs is about spans
// that could not be sent (as opposed to, say, the sampling endpoint).
func exportFailure(msg string) bool {
	return strings.HasPrefix(msg, "failed to flush Jaeger spans") ||
		strings.HasPrefix(msg, "error reporting Jaeger span")
}

// pinger returns Instance.Ping for o: a TCP connection to the collector of
// JAEGER_ENDPOINT; for the UDP agent, which acknowledges nothing, resolving
// its host name.
func pinger(o Options) func(ctx context.Context) error {
	if o.Endpoint != "" {
		return func(ctx context.Context) error { return reach.URL(ctx, envEndpoint, o.Endpoint) }
	}
	host := strings.TrimSuffix(strings.TrimPrefix(o.AgentHost, "["), "]")
	return func(ctx context.Context) error { return reach.Host(ctx, envAgentHost, host) }
}
