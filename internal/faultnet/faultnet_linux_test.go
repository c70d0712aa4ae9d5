package faultnet

import (
	"net"
	"syscall"
	"testing"
)

// TestUDPProxyReadBuffer: the proxy's socket has a receive buffer of at
// least udpReadBuffer, also once it listens again after Refuse, so that a
// client's burst of datagrams is not dropped by the kernel on a busy
// machine. (Linux reports twice what was asked, for its bookkeeping.)
func TestUDPProxyReadBuffer(t *testing.T) {
	target, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer target.Close()
	p, err := ListenUDP(target.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
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
		if size < udpReadBuffer {
			t.Errorf("%s: receive buffer is %d bytes, want at least %d (net.core.rmem_max caps it)", when, size, udpReadBuffer)
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
