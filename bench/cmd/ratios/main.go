// Command ratios reads the output of the bench package's benchmarks (go
// test -bench, any -count) and prints, as a Markdown table, the ratios the
// performance targets are stated in. The input should come from run.sh,
// which runs every sub-benchmark once per round, so the i-th results of
// two benchmarks were measured moments apart: each ratio is taken within
// a round, and the table shows the median ratio over the rounds with its
// least and greatest, so a machine that gets busier or quieter during the
// run slows numerator and denominator alike.
//
//	./run.sh 10 > new.txt
//	go run ./cmd/ratios new.txt
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

func main() {
	log.SetFlags(0)
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: ratios [file ...] (default standard input)")
	}
	flag.Parse()
	res := results{}
	if flag.NArg() == 0 {
		if err := res.read(os.Stdin); err != nil {
			log.Fatal(err)
		}
	}
	for _, name := range flag.Args() {
		f, err := os.Open(name)
		if err != nil {
			log.Fatal(err)
		}
		err = res.read(f)
		f.Close()
		if err != nil {
			log.Fatalf("%s: %v", name, err)
		}
	}
	if len(res) == 0 {
		log.Fatal("no benchmark results in the input")
	}
	res.print(os.Stdout)
}

// sample holds the measurements of one benchmark across rounds, by unit
// (ns/op, cpu-ns/op, allocs/op, ...).
type sample map[string][]float64

// results maps a benchmark name without its -GOMAXPROCS suffix, such as
// "BenchmarkGET/req=plain/mw=bare", to its measurements.
type results map[string]sample

var procs = regexp.MustCompile(`-\d+$`)

func (r results) read(in io.Reader) error {
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		if _, err := strconv.Atoi(f[1]); err != nil {
			continue
		}
		name := procs.ReplaceAllString(f[0], "")
		s := r[name]
		if s == nil {
			s = sample{}
			r[name] = s
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return fmt.Errorf("%s: %q: %w", name, f[i], err)
			}
			s[f[i+1]] = append(s[f[i+1]], v)
		}
	}
	return sc.Err()
}

// allocSum is the allocations of the backends alone, as "a+b".
func allocSum(r results, prefix string, alone []string) string {
	parts := make([]string, len(alone))
	for i, a := range alone {
		parts[i] = fmt.Sprint(median(r[prefix+"/mw="+a]["allocs/op"]))
	}
	return strings.Join(parts, "+")
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	v = slices.Clone(v)
	slices.Sort(v)
	if n := len(v); n%2 == 1 {
		return v[n/2]
	} else {
		return (v[n/2-1] + v[n/2]) / 2
	}
}

// pairedRatio divides the i-th measurement of num by the i-th of den (the
// same round of an interleaved run, see run.sh) and returns the median,
// least and greatest of those ratios. Unpaired extras are ignored.
func pairedRatio(num, den []float64) (med, lo, hi float64) {
	n := min(len(num), len(den))
	r := make([]float64, n)
	for i := range n {
		r[i] = num[i] / den[i]
	}
	if n == 0 {
		return 0, 0, 0
	}
	return median(r), slices.Min(r), slices.Max(r)
}

// target is one row of the table: num / den must be at most max. A max
// of 0 marks a reference row, measured but not a target.
type target struct {
	goal     string
	num, den string // middleware names
	max      float64
	sameAllo bool // allocs/op must also be equal
}

var targets = []target{
	{"noop <= 1.05x bare, no extra allocs", "ginmw-noop", "bare", 1.05, true},
	{"reference: a span in the request context, nothing else", "floor", "bare", 0, false},
	{"unsampled <= 1.15x floor", "ginmw-jaeger-unsampled", "floor", 1.15, false},
	{"unsampled <= 1.15x floor", "ginmw-zipkin-unsampled", "floor", 1.15, false},
	{"unsampled <= 1.15x floor", "ginmw-lightstep-unsampled", "floor", 1.15, false},
	{"unsampled <= 1.15x floor", "ginmw-otel-unsampled", "floor", 1.15, false},
	{"reference: unsampled against bare Gin", "ginmw-jaeger-unsampled", "bare", 0, false},
	{"reference: unsampled against bare Gin", "ginmw-zipkin-unsampled", "bare", 0, false},
	{"reference: unsampled against bare Gin", "ginmw-lightstep-unsampled", "bare", 0, false},
	{"reference: unsampled against bare Gin", "ginmw-otel-unsampled", "bare", 0, false},
	{"sampled <= 1.15x seed, same vendor", "ginmw-jaeger-sampled", "seed-jaeger", 1.15, false},
	{"sampled <= 1.15x seed, same vendor", "ginmw-zipkin-sampled", "seed-zipkin", 1.15, false},
	{"sampled <= 1.15x seed, same vendor", "ginmw-lightstep-sampled", "seed-lightstep", 1.15, false},
	{"sampled <= 0.5x otelgin+SDK", "ginmw-jaeger-sampled", "otelgin", 0.5, false},
	{"sampled <= 0.5x otelgin+SDK", "ginmw-zipkin-sampled", "otelgin", 0.5, false},
	{"sampled <= 0.5x otelgin+SDK", "ginmw-lightstep-sampled", "otelgin", 0.5, false},
	{"sampled <= 0.5x otelgin+SDK", "ginmw-otel-sampled", "otelgin", 0.5, false},
	{"ui: recording a span <= the stdout backend", "ginmw-ui-sampled", "ginmw-stdout-sampled", 1, false},
	{"reference: the minimal middleware on the vendor client against otelgin", "seed-jaeger", "otelgin", 0, false},
	{"reference: the minimal middleware on the vendor client against otelgin", "seed-zipkin", "otelgin", 0, false},
	{"reference: the minimal middleware on the vendor client against otelgin", "seed-lightstep", "otelgin", 0, false},
	{"reference: the minimal middleware on the OpenTelemetry SDK against otelgin", "seed-otel", "otelgin", 0, false},
}

// listTarget is a row for a list of backends: its tracing cost (ns/op
// above bare Gin) must be at most the sum of each backend's alone, plus a
// small constant (listSlack of that sum).
type listTarget struct {
	list  string
	alone []string
}

var listTargets = []listTarget{
	{"ginmw-jaeger+otel-sampled", []string{"ginmw-jaeger-sampled", "ginmw-otel-sampled"}},
	{"ginmw-zipkin+lightstep-sampled", []string{"ginmw-zipkin-sampled", "ginmw-lightstep-sampled"}},
	// Unsampled, only the first backend's light span is made.
	{"ginmw-jaeger+otel-unsampled", []string{"ginmw-jaeger-unsampled"}},
}

const listSlack = 0.10

// listCost returns, per round, the list's tracing cost over the sum of
// its backends' alone, and the difference in ns: medians, with the
// ratio's least and greatest.
func listCost(r results, prefix, unit string, t listTarget) (ratio, lo, hi, extra float64, ok bool) {
	bare, list := r[prefix+"/mw=bare"][unit], r[prefix+"/mw="+t.list][unit]
	n := min(len(bare), len(list))
	for _, a := range t.alone {
		n = min(n, len(r[prefix+"/mw="+a][unit]))
	}
	if n == 0 {
		return 0, 0, 0, 0, false
	}
	ratios, extras := make([]float64, n), make([]float64, n)
	for i := range n {
		var sum float64
		for _, a := range t.alone {
			sum += r[prefix+"/mw="+a][unit][i] - bare[i]
		}
		cost := list[i] - bare[i]
		ratios[i], extras[i] = cost/sum, cost-sum
	}
	return median(ratios), slices.Min(ratios), slices.Max(ratios), median(extras), true
}

func (r results) print(w io.Writer) {
	var prefixes []string // benchmark/req=kind, in a stable order
	seen := map[string]bool{}
	for name := range r {
		i := strings.LastIndex(name, "/mw=")
		if i < 0 || seen[name[:i]] {
			continue
		}
		seen[name[:i]] = true
		prefixes = append(prefixes, name[:i])
	}
	slices.Sort(prefixes)

	fmt.Fprintln(w, "| benchmark | target | ns/op ratio: median (min–max) | cpu-ns/op ratio | allocs/op | met (ns/op) |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|")
	for _, p := range prefixes {
		for _, t := range targets {
			num, den := r[p+"/mw="+t.num], r[p+"/mw="+t.den]
			if num == nil || den == nil {
				continue
			}
			ratio, lo, hi := pairedRatio(num["ns/op"], den["ns/op"])
			cpu := "–"
			if c, clo, chi := pairedRatio(num["cpu-ns/op"], den["cpu-ns/op"]); c > 0 {
				cpu = fmt.Sprintf("%.2f (%.2f–%.2f)", c, clo, chi)
			}
			na, da := median(num["allocs/op"]), median(den["allocs/op"])
			ok := ratio <= t.max && (!t.sameAllo || na == da)
			met := "yes"
			switch {
			case t.max == 0:
				met = "(reference)"
			case !ok:
				met = "**no**"
			}
			fmt.Fprintf(w, "| %s | %s: %s / %s | %.2f (%.2f–%.2f) | %s | %g vs %g | %s |\n",
				strings.TrimPrefix(p, "Benchmark"), t.goal, t.num, t.den, ratio, lo, hi, cpu, na, da, met)
		}
		for _, t := range listTargets {
			ratio, lo, hi, extra, ok := listCost(r, p, "ns/op", t)
			if !ok {
				continue
			}
			cpu := "–"
			if c, clo, chi, _, ok := listCost(r, p, "cpu-ns/op", t); ok {
				cpu = fmt.Sprintf("%.2f (%.2f–%.2f)", c, clo, chi)
			}
			met := fmt.Sprintf("yes (%+.0f ns)", extra)
			if ratio > 1+listSlack {
				met = fmt.Sprintf("**no** (%+.0f ns)", extra)
			}
			fmt.Fprintf(w, "| %s | list <= sum of each alone (+%.0f%%), cost above bare: %s / (%s) | %.2f (%.2f–%.2f) | %s | %g vs %s | %s |\n",
				strings.TrimPrefix(p, "Benchmark"), listSlack*100, t.list, strings.Join(t.alone, " + "), ratio, lo, hi, cpu,
				median(r[p+"/mw="+t.list]["allocs/op"]), allocSum(r, p, t.alone), met)
		}
	}
}
