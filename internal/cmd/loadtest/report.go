package main

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// printTable writes the results as a Markdown table.
// baselines returns, for each result, the tracing-off run that preceded
// it (itself for an off run).
func baselines(results []result) []result {
	out := make([]result, len(results))
	var off result
	for i, r := range results {
		if r.target == "off" {
			off = r
		}
		out[i] = off
	}
	return out
}

func printTable(w io.Writer, cfg config, results []result) {
	offs := baselines(results)
	fmt.Fprintf(w, "\n%d rps offered through %d connections for %v per run (restart: at least 9s); queue %s; slow collector: +%v per answer; flush timeout %v.\n"+
		"Each backend's runs are compared with the tracing-off run just before them.\n\n",
		cfg.rps, cfg.workers, cfg.duration, queueName(cfg.queue), cfg.slowDelay, cfg.flush)
	fmt.Fprintln(w, "| backend | collector | served | failed | req/s | p50 | p99 | max | p99 vs off | peak RSS front/back (MiB) | spans finished | exported | dropped | export errors | in collector |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
	for i, r := range results {
		off := offs[i]
		ratio := "1.00"
		if r.target != "off" && off.percentile(0.99) > 0 {
			ratio = fmt.Sprintf("%.2f", float64(r.percentile(0.99))/float64(off.percentile(0.99)))
		}
		spans := [5]string{"-", "-", "-", "-", "-"}
		if r.target != "off" {
			if r.statsOK {
				spans = [5]string{fmt.Sprint(r.stats.SpansFinished), fmt.Sprint(r.stats.SpansExported),
					fmt.Sprint(r.stats.SpansDropped), fmt.Sprint(r.stats.ExportErrors), "?"}
			} else {
				spans = [5]string{"?", "?", "?", "?", "?"}
			}
			if r.viewerFound != "" {
				spans[4] = "viewers: below"
			}
			if r.deliveredKnown {
				spans[4] = fmt.Sprint(r.delivered)
				if r.scenario == "restart" {
					spans[4] += " (after restart)"
				}
			}
		}
		fmt.Fprintf(w, "| %s | %s | %d | %d | %.0f | %s | %s | %s | %s | %.1f / %.1f | %s | %s | %s | %s | %s |\n",
			r.target, r.scenario, r.served, r.failed, r.rps(),
			ms(r.percentile(0.5)), ms(r.percentile(0.99)), ms(r.percentile(1)), ratio,
			float64(r.peakKiB[0])/1024, float64(r.peakKiB[1])/1024,
			spans[0], spans[1], spans[2], spans[3], spans[4])
	}
	fmt.Fprintln(w)
	for _, r := range results {
		if r.firstError != "" {
			fmt.Fprintf(w, "%s/%s: first failed request: %s\n", r.target, r.scenario, r.firstError)
		}
		if r.stats.LastExportError != "" {
			fmt.Fprintf(w, "%s/%s: last export error: %s\n", r.target, r.scenario, r.stats.LastExportError)
		}
		if r.viewerFound != "" {
			fmt.Fprintf(w, "%s/%s: %s\n", r.target, r.scenario, strings.TrimSuffix(r.viewerFound, "; "))
		}
		if r.healthyOK {
			t, _ := findTarget(r.target)
			fmt.Fprintf(w, "%s/%s: %s alone (its collector up): %d spans finished, %d exported, %d dropped, %d in its collector\n",
				r.target, r.scenario, t.healthy, r.healthy.SpansFinished, r.healthy.SpansExported, r.healthy.SpansDropped, r.healthyDelivered)
		}
	}
}

func queueName(q int) string {
	if q == 0 {
		return "2048 (default)"
	}
	return fmt.Sprint(q)
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
}

// Thresholds of -check. They are generous on purpose: the machine is
// shared and noisy; a request that waited on span export would take
// seconds (the collectors' timeouts), far beyond them.
const (
	maxLatency    = 3 * time.Second
	p99Factor     = 10
	p99Slack      = time.Second
	rssGrowthMiB  = 128
	restartShare  = 0.5 // of the spans of requests after the restart
	spansPerReply = 4   // server and client span in checkout, server and child span in inventory
)

// checkAll returns the broken guarantees.
func checkAll(cfg config, results []result) []string {
	offs := baselines(results)
	var fails []string
	fail := func(r result, format string, args ...any) {
		fails = append(fails, fmt.Sprintf("%s/%s: ", r.target, r.scenario)+fmt.Sprintf(format, args...))
	}
	for i, r := range results {
		off := offs[i]
		if r.failed > 0 {
			fail(r, "%d requests failed (first: %s)", r.failed, r.firstError)
		}
		if r.served == 0 {
			fail(r, "no request served")
		}
		if m := r.percentile(1); m > maxLatency {
			fail(r, "slowest request took %v (bound %v): a request waited on export", m, maxLatency)
		}
		if p, bound := r.percentile(0.99), max(p99Factor*off.percentile(0.99), off.percentile(0.99)+p99Slack); p > bound {
			fail(r, "p99 %v against %v with tracing off (bound %v)", p, off.percentile(0.99), bound)
		}
		for i, name := range []string{"checkout", "inventory"} {
			if grow := (r.peakKiB[i] - off.peakKiB[i]) / 1024; grow > rssGrowthMiB {
				fail(r, "%s peak RSS %d MiB above tracing off (bound %d MiB)", name, grow, rssGrowthMiB)
			}
		}
		if r.target == "off" {
			continue
		}
		if !r.statsOK {
			fail(r, "the services logged no final tracing stats")
			continue
		}
		s := r.stats
		if t, _ := findTarget(r.target); t.healthy != "" {
			h := r.healthy
			switch {
			case !r.healthyOK:
				fail(r, "the services logged no final stats of %s", t.healthy)
			case h.SpansDropped != 0 || h.SpansExported != h.SpansFinished || h.SpansFinished != s.SpansFinished:
				fail(r, "%s's collector up, yet it exported %d and dropped %d of %d spans (%d finished in all)",
					t.healthy, h.SpansExported, h.SpansDropped, h.SpansFinished, s.SpansFinished)
			case r.healthyDelivered != h.SpansExported:
				fail(r, "%s's collector holds %d spans, %d exported", t.healthy, r.healthyDelivered, h.SpansExported)
			}
		}
		if s.SpansExported+s.SpansDropped != s.SpansFinished {
			fail(r, "after shutdown, exported %d + dropped %d != finished %d", s.SpansExported, s.SpansDropped, s.SpansFinished)
		}
		switch r.scenario {
		case "up":
			if s.SpansDropped != 0 || s.SpansExported != s.SpansFinished {
				fail(r, "collector up, yet %d of %d spans dropped", s.SpansDropped, s.SpansFinished)
			}
			if want := spansPerReply * r.served; s.SpansFinished < want {
				fail(r, "%d spans finished for %d requests, want at least %d", s.SpansFinished, r.served, want)
			}
			if r.target == "ui" {
				for _, p := range r.viewerProblems {
					fail(r, "%s", p)
				}
			} else if !r.deliveredKnown || r.delivered != s.SpansExported {
				fail(r, "collector up: %d spans in the collector, %d exported", r.delivered, s.SpansExported)
			}
		case "restart":
			if want := int64(restartShare * spansPerReply * float64(r.afterRestart)); !r.deliveredKnown || r.delivered < max(want, 1) {
				fail(r, "export did not resume: %d spans in the restarted collector, %d requests after the restart (want at least %d spans)",
					r.delivered, r.afterRestart, want)
			}
		}
	}
	_ = cfg
	if len(fails) > 0 {
		fails = append(fails, "thresholds: "+strings.Join([]string{
			fmt.Sprintf("max latency %v", maxLatency),
			fmt.Sprintf("p99 <= max(%dx off, off+%v)", p99Factor, p99Slack),
			fmt.Sprintf("RSS growth <= %d MiB", rssGrowthMiB),
		}, ", "))
	}
	return fails
}
