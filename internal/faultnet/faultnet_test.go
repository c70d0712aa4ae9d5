package faultnet

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestTCPProxyModes(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "hello") }))
	defer srv.Close()
	p, err := ListenTCP(srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	get := func(timeout time.Duration) (string, error) {
		c := &http.Client{Timeout: timeout, Transport: &http.Transport{DisableKeepAlives: true}}
		resp, err := c.Get("http://" + p.Addr())
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return string(b), err
	}
	steps := []struct {
		mode    Mode
		delay   time.Duration
		timeout time.Duration
		wantOK  bool
		minTook time.Duration
	}{
		{Forward, 0, 5 * time.Second, true, 0},
		{Refuse, 0, 5 * time.Second, false, 0},
		{BlackHole, 0, 300 * time.Millisecond, false, 300 * time.Millisecond},
		{Slow, 200 * time.Millisecond, 5 * time.Second, true, 200 * time.Millisecond},
		{Forward, time.Hour, 5 * time.Second, true, 0}, // back after the rest; the delay is for Slow only
	}
	for _, s := range steps {
		if err := p.Set(s.mode, s.delay); err != nil {
			t.Fatal(err)
		}
		began := time.Now()
		body, err := get(s.timeout)
		took := time.Since(began)
		if (err == nil) != s.wantOK || (s.wantOK && body != "hello") {
			t.Errorf("%v: %q, %v; want success %t", s.mode, body, err, s.wantOK)
		}
		if took < s.minTook {
			t.Errorf("%v: answered in %v, want at least %v", s.mode, took, s.minTook)
		}
		if s.mode == Refuse {
			if c, err := net.Dial("tcp", p.Addr()); err == nil {
				c.Close()
				t.Error("Refuse: a connection was accepted")
			}
		}
	}
}

// startUDPProxy starts a UDP proxy to a local socket, both closed when
// the test ends, and returns them.
func startUDPProxy(t *testing.T) (*UDPProxy, net.PacketConn) {
	t.Helper()
	target, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = target.Close() })
	p, err := ListenUDP(target.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p, target
}

func TestUDPProxyModes(t *testing.T) {
	p, target := startUDPProxy(t)
	conn, err := net.Dial("udp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	received := func() bool {
		buf := make([]byte, 64)
		_ = target.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		_, _, err := target.ReadFrom(buf)
		return err == nil
	}
	for _, s := range []struct {
		mode Mode
		want bool
	}{{Forward, true}, {BlackHole, false}, {Refuse, false}, {Slow, true}, {Forward, true}} {
		if err := p.Set(s.mode, 50*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Write([]byte("span")); err != nil {
			// The refusal of an earlier datagram is reported by the next
			// write: send again.
			_, _ = conn.Write([]byte("span"))
		}
		if got := received(); got != s.want {
			t.Errorf("%v: datagram received %t, want %t", s.mode, got, s.want)
		}
	}
}

func TestParseMode(t *testing.T) {
	for _, m := range []Mode{Forward, Refuse, BlackHole, Slow} {
		if got, err := ParseMode(m.String()); err != nil || got != m {
			t.Errorf("ParseMode(%q) = %v, %v", m, got, err)
		}
	}
	if _, err := ParseMode("flaky"); err == nil {
		t.Error("ParseMode(flaky) succeeded")
	}
}
