package jaeger_test

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/polytrace/polytrace/backends/jaeger"
	"github.com/polytrace/polytrace/tracer"
)

// Open reads the JAEGER_* settings through Config.Lookup; here they come
// from a map instead of the environment.
func Example() {
	// A local UDP socket stands in for the Jaeger agent.
	agent, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer agent.Close()
	_, port, _ := net.SplitHostPort(agent.LocalAddr().String())

	inst, err := jaeger.Open(tracer.Config{
		ServiceName: "checkout",
		Tags:        map[string]string{"team": "payments"}, // wins over JAEGER_TAGS
		Lookup: tracer.MapLookup(map[string]string{
			"JAEGER_AGENT_HOST": "127.0.0.1",
			"JAEGER_AGENT_PORT": port,
			"JAEGER_TAGS":       "env=prod,team=unknown",
		}),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	span := inst.Tracer.StartSpan("charge-card")
	span.Finish()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	fmt.Println("shutdown:", inst.Shutdown(ctx))

	// The span arrived at the agent as a compact-thrift datagram.
	buf := make([]byte, 65000)
	agent.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, _, err := agent.ReadFrom(buf)
	fmt.Println("datagram received:", err == nil && n > 0)
	// Output:
	// shutdown: <nil>
	// datagram received: true
}

func ExampleOptionsFromConfig() {
	opts, err := jaeger.OptionsFromConfig(tracer.Config{Lookup: tracer.MapLookup(map[string]string{
		"JAEGER_ENDPOINT":      "http://collector:14268/api/traces",
		"JAEGER_USER":          "svc",
		"JAEGER_PASSWORD":      "hunter2",
		"JAEGER_SAMPLER_TYPE":  "probabilistic",
		"JAEGER_SAMPLER_PARAM": "0.25",
	})})
	fmt.Println(opts.Endpoint, opts.User, opts.Password, opts.SamplerType, opts.SamplerParam, err)

	_, err = jaeger.OptionsFromConfig(tracer.Config{Lookup: tracer.MapLookup(map[string]string{
		"JAEGER_AGENT_PORT": "68310",
	})})
	fmt.Println(err)
	// Output:
	// http://collector:14268/api/traces svc [redacted] probabilistic 0.25 <nil>
	// jaeger: JAEGER_AGENT_PORT="68310": want an integer from 1 to 65535
}
