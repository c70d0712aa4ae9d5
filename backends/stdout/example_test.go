package stdout_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/opentracing/opentracing-go"

	"github.com/polytrace/polytrace/backends/stdout"
	"github.com/polytrace/polytrace/tracer"
)

func Example() {
	// Open writes to os.Stdout; New takes any writer.
	var out bytes.Buffer
	inst, err := stdout.New(tracer.Config{
		ServiceName: "checkout",
		Tags:        map[string]string{"env": "prod"},
	}, stdout.Options{Writer: &out})
	if err != nil {
		fmt.Println(err)
		return
	}
	root := inst.Tracer.StartSpan("GET /orders/:id")
	child := inst.Tracer.StartSpan("load-order", opentracing.ChildOf(root.Context()))
	child.SetTag("db.type", "sql")
	child.LogKV("event", "cache-miss", "key", "order-7")
	child.Finish()
	root.Finish()

	// Shutdown writes the lines still queued.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := inst.Shutdown(ctx); err != nil {
		fmt.Println(err)
	}

	// Ids and times are random; print the rest.
	lines := bufio.NewScanner(&out)
	for lines.Scan() {
		var span struct {
			ParentID  string            `json:"parent_id"`
			Service   string            `json:"service"`
			Operation string            `json:"operation"`
			Tags      map[string]string `json:"tags"`
			Logs      []struct {
				Fields map[string]string `json:"fields"`
			} `json:"logs"`
		}
		if err := json.Unmarshal(lines.Bytes(), &span); err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%s %q root=%t tags=%v", span.Service, span.Operation, span.ParentID == "", span.Tags)
		for _, l := range span.Logs {
			fmt.Printf(" log=%v", l.Fields)
		}
		fmt.Println()
	}
	// Output:
	// checkout "load-order" root=false tags=map[db.type:sql env:prod] log=map[event:cache-miss key:order-7]
	// checkout "GET /orders/:id" root=true tags=map[env:prod]
}
