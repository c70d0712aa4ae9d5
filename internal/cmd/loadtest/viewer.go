package main

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"time"

	"github.com/polytrace/polytrace/examples/twoservice/shop"
	"github.com/polytrace/polytrace/internal/jaegertest"
)

// viewerLine is the ui backend's start line, with the viewer's address.
var viewerLine = regexp.MustCompile(`serving traces at (http://\S+/)`)

// uiTarget keeps the spans in each process's memory, bounded by
// -ui-max-bytes, and serves them on a viewer of its own.
func uiTarget() target {
	return target{name: "ui", backend: "ui", viewer: true}
}

// sendSamples sends, before the load, the requests whose traces the
// viewers must still hold after it: a failing and a slow checkout.
func sendSamples(frontAddr string) error {
	for _, sku := range []string{shop.BrokenSKU, shop.SlowSKU} {
		resp, err := http.Get("http://" + frontAddr + "/checkout/" + sku)
		if err != nil {
			return fmt.Errorf("sample checkout %s: %w", sku, err)
		}
		resp.Body.Close()
	}
	return nil
}

// checkViewers asks each service's viewer, once the load is over, for the
// newest trace (the checkout of newestSKU, sent last), the failing and
// the slow one sent before the load, and how many traces it still holds
// of the requests served: fewer than served shows the store turned over.
// It returns what it found, and the guarantees broken.
func checkViewers(front, back *child, frontService, backService, newestSKU string, served int64) (found string, problems []string) {
	for _, c := range []struct {
		child   *child
		service string
	}{{front, frontService}, {back, backService}} {
		if c.child.viewer == "" {
			problems = append(problems, c.child.name+": the ui backend printed no viewer address")
			continue
		}
		q := jaegertest.NewQuery(c.child.viewer)
		count := func(query url.Values) (int, error) {
			query.Set("service", c.service)
			query.Set("limit", "100000")
			var tr []jaegertest.Trace
			err := q.Get("/api/traces?"+query.Encode(), &tr)
			return len(tr), err
		}
		// The last spans reach the store through a queue: wait for the
		// newest trace's server span before counting.
		newest := url.Values{"tag": {"http.url:/" + c.child.name + "/" + newestSKU}}
		for deadline := time.Now().Add(viewerWait); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			if n, err := count(newest); err == nil && n > 0 {
				break
			}
		}
		held, err := count(url.Values{})
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s viewer: %v", c.child.name, err))
			continue
		}
		checks := []struct {
			what  string
			query url.Values
		}{
			// Each service's server span has the path: /checkout/… and
			// /inventory/…, after the child's name.
			{"the newest trace", newest},
			{"the failing trace", url.Values{"tags": {`{"error":"true"}`}}},
			{"the slow trace", url.Values{"minDuration": {(shop.SlowLookup * 9 / 10).String()}}},
		}
		for _, ch := range checks {
			n, err := count(ch.query)
			if err != nil || n == 0 {
				problems = append(problems, fmt.Sprintf("%s viewer lost %s (found %d, %v)", c.child.name, ch.what, n, err))
			}
		}
		if int64(held) >= served {
			problems = append(problems, fmt.Sprintf("%s viewer holds %d traces of %d requests: the store never turned over, so its bound was not tested (lower -ui-max-bytes)", c.child.name, held, served))
		}
		found += fmt.Sprintf("%s viewer holds %d of %d traces, with the newest, the failing and the slow one; ", c.child.name, held, served+3)
	}
	return found, problems
}

// viewerWait bounds how long checkViewers waits for the newest trace to
// reach a viewer's store.
const viewerWait = 10 * time.Second
