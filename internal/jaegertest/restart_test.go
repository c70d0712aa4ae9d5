package jaegertest_test

import (
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/polytrace/polytrace/internal/jaegertest"
)

// TestStopRestart: a stopped Jaeger refuses connections on its
// addresses; restarted, it is back on the same ones, with empty storage.
func TestStopRestart(t *testing.T) {
	j := jaegertest.Start(t)
	first := j.PID()
	if first <= 0 {
		t.Fatalf("PID = %d while running, want the process id", first)
	}
	span := func(service string) []byte {
		return []byte(fmt.Sprintf(`[{"traceId":"00000000000000ab","id":"00000000000000ab","name":"op","timestamp":%d,"duration":10,"localEndpoint":{"serviceName":%q}}]`,
			time.Now().UnixMicro(), service))
	}
	post(t, j.ZipkinURL, "application/json", span("jt-before"))
	j.WaitForTraces(t, "jt-before", spansAtLeast(1), waitTimeout)

	j.Stop(t)
	for _, addr := range []string{hostPort(j.ZipkinURL), hostPort(j.CollectorURL), hostPort(j.QueryURL + "/")} {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			t.Errorf("%s accepts connections after Stop", addr)
		}
	}
	j.Stop(t) // idempotent
	if pid := j.PID(); pid != 0 {
		t.Errorf("PID = %d after Stop, want 0", pid)
	}

	agent := j.AgentPort
	j.Restart(t)
	if j.AgentPort != agent {
		t.Errorf("agent port %d after restart, want %d", j.AgentPort, agent)
	}
	if pid := j.PID(); pid <= 0 || pid == first {
		t.Errorf("PID = %d after Restart, want a new process id (was %d)", pid, first)
	}
	post(t, j.ZipkinURL, "application/json", span("jt-after"))
	j.WaitForTraces(t, "jt-after", spansAtLeast(1), waitTimeout)
	if got := j.Services(t); len(got) != 1 || got[0] != "jt-after" {
		t.Errorf("services after restart = %q, want only jt-after (storage is in memory)", got)
	}
	j.Restart(t) // running: a no-op
	if _, err := net.DialTimeout("tcp", hostPort(j.ZipkinURL), time.Second); err != nil {
		t.Errorf("Zipkin receiver down after a second Restart: %v", err)
	}
}

func hostPort(u string) string {
	rest := u[len("http://"):]
	for i, r := range rest {
		if r == '/' {
			return rest[:i]
		}
	}
	return rest
}
