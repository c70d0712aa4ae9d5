package tracer_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log"

	"github.com/polytrace/polytrace/backends/stdout"
	"github.com/polytrace/polytrace/tracer"
)

// Two backends configured in code, combined as TRACER_BACKEND=a,b would
// combine them: every span the first samples is recorded by both, with
// the same ids. The second is opened at sample rate 0: it follows.
func ExampleCombine() {
	var a, b bytes.Buffer
	first, err := stdout.New(tracer.Config{ServiceName: "shop"}, stdout.Options{Writer: &a})
	if err != nil {
		log.Fatal(err)
	}
	second, err := stdout.New(tracer.Config{ServiceName: "shop", SampleRate: tracer.Rate(0)}, stdout.Options{Writer: &b})
	if err != nil {
		log.Fatal(err)
	}
	inst, err := tracer.Combine(tracer.Config{ServiceName: "shop"},
		tracer.Member{Name: "a", Instance: first}, tracer.Member{Name: "b", Instance: second})
	if err != nil {
		log.Fatal(err)
	}
	inst.Tracer.StartSpan("checkout").Finish()
	if err := inst.Shutdown(context.Background()); err != nil {
		log.Fatal(err)
	}
	type line struct {
		Operation string `json:"operation"`
		SpanID    string `json:"span_id"`
	}
	var la, lb line
	_ = json.Unmarshal(a.Bytes(), &la)
	_ = json.Unmarshal(b.Bytes(), &lb)
	fmt.Println(la.Operation, lb.Operation, la.SpanID == lb.SpanID && la.SpanID != "")
	fmt.Println(inst.Stats().SpansExported)
	// Output:
	// checkout checkout true
	// 1
}
