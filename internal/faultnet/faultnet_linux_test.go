package faultnet

import (
	"net"
	"syscall"
	"testing"
)

// TestUDPProxyReadBuffer: the proxy's socket has the receive buffer
// UDPReceiveBuffer, also once it listens again after Refuse, so that a
// client's burst of datagrams is not dropped by the kernel on a busy
// machine. Linux reports twice what was granted (socket(7)), and grants at
// most net.core.rmem_max.
func TestUDPProxyReadBuffer(t *testing.T) {
	p, _ := startUDPProxy(t)
	check := func(when string) {
		t.Helper()
		p.mu.Lock()
		c := p.conn.(*net.UDPConn)
		p.mu.Unlock()
		raw, err := c.SyscallConn()
		if err != nil {
			t.Fatal(err)
		}
		var size int
		var serr error
		if err := raw.Control(func(fd uintptr) {
			size, serr = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF)
		}); err != nil || serr != nil {
			t.Fatalf("%s: read SO_RCVBUF: %v %v", when, err, serr)
		}
		if size < 2*UDPReceiveBuffer {
			t.Errorf("%s: SO_RCVBUF is %d bytes, want %d (twice %d; net.core.rmem_max caps it)", when, size, 2*UDPReceiveBuffer, UDPReceiveBuffer)
		}
	}
	check("at start")
	if err := p.Set(Refuse, 0); err != nil {
		t.Fatal(err)
	}
	if err := p.Set(Forward, 0); err != nil {
		t.Fatal(err)
	}
	check("after Refuse")
}
