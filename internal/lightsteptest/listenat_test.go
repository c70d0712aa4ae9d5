package lightsteptest_test

import (
	"net"
	"testing"
	"time"

	"github.com/polytrace/polytrace/internal/lightsteptest"
)

// TestListenAt: a receiver comes back on the address of one that was
// closed, empty.
func TestListenAt(t *testing.T) {
	for _, transport := range []string{lightsteptest.HTTP, lightsteptest.GRPC} {
		first := lightsteptest.Start(t, transport)
		addr := first.Addr()
		first.Close()
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			t.Fatalf("%s: %s accepts connections after Close", transport, addr)
		}
		again, err := lightsteptest.ListenAt(transport, addr)
		if err != nil {
			t.Fatalf("%s: ListenAt(%s): %v", transport, addr, err)
		}
		defer again.Close()
		if again.Addr() != addr || len(again.Spans()) != 0 {
			t.Errorf("%s: receiver at %s with %d spans, want %s and none", transport, again.Addr(), len(again.Spans()), addr)
		}
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			t.Fatalf("%s: the new receiver refuses connections: %v", transport, err)
		}
		c.Close()
	}
	if _, err := lightsteptest.ListenAt("udp", "127.0.0.1:0"); err == nil {
		t.Error("ListenAt(udp) succeeded")
	}
}
