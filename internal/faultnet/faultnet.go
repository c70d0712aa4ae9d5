// Package faultnet puts a proxy with switchable faults between a tracer
// and its collector, for tests and the load tool: the collector can be
// made to refuse connections, accept them and never answer (a black hole),
// answer slowly, or work again, without restarting either side.
//
//	p, err := faultnet.ListenTCP(collectorAddr) // tracer talks to p.Addr()
//	p.Set(faultnet.BlackHole, 0)                // hangs every request
//	p.Set(faultnet.Forward, 0)                  // the collector is back
//
// Every proxy listens on a free port of 127.0.0.1, which it keeps for its
// whole life, also across Refuse.
package faultnet

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// Mode is what a proxy does with traffic.
type Mode int

// The modes.
const (
	// Forward passes traffic to the target unchanged.
	Forward Mode = iota
	// Refuse stops listening: TCP connections are refused and UDP
	// datagrams answered with ICMP port unreachable, as when a collector
	// is down. The port is kept and listened on again by the next mode.
	Refuse
	// BlackHole accepts TCP connections and never reads from them nor
	// answers; UDP datagrams are discarded.
	BlackHole
	// Slow forwards, but holds every chunk of the target's answers (every
	// datagram, for UDP) for the delay given to Set.
	Slow
)

func (m Mode) String() string {
	switch m {
	case Forward:
		return "forward"
	case Refuse:
		return "refuse"
	case BlackHole:
		return "black-hole"
	case Slow:
		return "slow"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// ParseMode returns the Mode named s (as Mode.String prints it).
func ParseMode(s string) (Mode, error) {
	for _, m := range []Mode{Forward, Refuse, BlackHole, Slow} {
		if m.String() == s {
			return m, nil
		}
	}
	return 0, fmt.Errorf("faultnet: mode %q: want forward, refuse, black-hole or slow", s)
}

// TCPProxy is a TCP proxy with switchable faults. Its methods are safe for
// concurrent use.
type TCPProxy struct {
	target string
	addr   string

	quit chan struct{} // closed by Close: ends every delay at once

	mu     sync.Mutex
	mode   Mode
	delay  time.Duration
	ln     net.Listener
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

// ListenTCP starts a proxy to target (host:port) on a free port of
// 127.0.0.1, in Forward mode.
func ListenTCP(target string) (*TCPProxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("faultnet: listen: %w", err)
	}
	p := &TCPProxy{target: target, addr: ln.Addr().String(), conns: map[net.Conn]struct{}{}, quit: make(chan struct{})}
	p.serve(ln)
	return p, nil
}

// Addr returns the proxy's address, host:port.
func (p *TCPProxy) Addr() string { return p.addr }

// Mode returns the current mode.
func (p *TCPProxy) Mode() Mode {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.mode
}

// Set switches to mode; delay is used by Slow. Connections made under the
// previous mode are closed, so that every later request sees the new one.
func (p *TCPProxy) Set(mode Mode, delay time.Duration) error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return errors.New("faultnet: proxy closed")
	}
	old := p.mode
	p.mode, p.delay = mode, delay
	p.dropConnsLocked()
	var ln net.Listener
	if mode == Refuse && p.ln != nil {
		ln, p.ln = p.ln, nil
	}
	p.mu.Unlock()
	if ln != nil {
		_ = ln.Close()
	}
	if old == Refuse && mode != Refuse {
		l, err := net.Listen("tcp", p.addr)
		if err != nil {
			return fmt.Errorf("faultnet: listen again on %s: %w", p.addr, err)
		}
		p.serve(l)
	}
	return nil
}

// Close stops the proxy and closes every connection, waiting for its
// goroutines to end.
func (p *TCPProxy) Close() {
	p.mu.Lock()
	if !p.closed {
		close(p.quit)
	}
	p.closed = true
	ln := p.ln
	p.ln = nil
	p.dropConnsLocked()
	p.mu.Unlock()
	if ln != nil {
		_ = ln.Close()
	}
	p.wg.Wait()
}

func (p *TCPProxy) dropConnsLocked() {
	for c := range p.conns {
		_ = c.Close()
	}
	clear(p.conns)
}

func (p *TCPProxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		_ = c.Close()
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *TCPProxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.handle(c)
		}
	}()
}

func (p *TCPProxy) handle(c net.Conn) {
	if !p.track(c) {
		return
	}
	p.mu.Lock()
	mode, delay := p.mode, p.delay
	p.mu.Unlock()
	if mode == BlackHole {
		return // held open, never read, closed by the next Set or Close
	}
	if mode != Slow {
		delay = 0
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		up, err := net.DialTimeout("tcp", p.target, 5*time.Second)
		if err != nil {
			_ = c.Close()
			return
		}
		if !p.track(up) {
			_ = c.Close()
			return
		}
		done := make(chan struct{}, 2)
		go func() { copyDelayed(up, c, 0, p.quit); done <- struct{}{} }()
		go func() { copyDelayed(c, up, delay, p.quit); done <- struct{}{} }()
		<-done
		_ = c.Close()
		_ = up.Close()
		<-done
	}()
}

// copyDelayed copies src to dst, holding each chunk for delay first, until
// either side fails or quit is closed.
func copyDelayed(dst, src net.Conn, delay time.Duration, quit <-chan struct{}) {
	if delay <= 0 {
		_, _ = io.Copy(dst, src)
		return
	}
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if !sleep(delay, quit) {
				return
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// sleep waits for d, or until quit is closed; it reports whether d passed.
func sleep(d time.Duration, quit <-chan struct{}) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-quit:
		return false
	}
}

// UDPReceiveBuffer is the receive buffer, in bytes, that a test's UDP
// receiver needs: this package's UDP proxy and the Jaeger agent socket of
// internal/jaegertest ask for it. A jaeger client flushing its queue sends
// datagrams of up to 65,000 bytes back to back; the kernel's default
// buffer (about 208 KiB) holds three of them, so a receiver descheduled for
// a moment on a busy machine loses the rest. 4 MiB holds every burst the
// tests send. Linux caps the request at net.core.rmem_max.
const UDPReceiveBuffer = 4 << 20

// UDPProxy forwards datagrams to a target with switchable faults. Its
// methods are safe for concurrent use.
type UDPProxy struct {
	target *net.UDPAddr
	addr   string
	quit   chan struct{} // closed by Close: ends every delay at once

	mu     sync.Mutex
	mode   Mode
	delay  time.Duration
	conn   net.PacketConn
	out    *net.UDPConn
	closed bool
	wg     sync.WaitGroup
}

// ListenUDP starts a proxy to target (host:port) on a free UDP port of
// 127.0.0.1, in Forward mode.
func ListenUDP(target string) (*UDPProxy, error) {
	ta, err := net.ResolveUDPAddr("udp", target)
	if err != nil {
		return nil, fmt.Errorf("faultnet: target %s: %w", target, err)
	}
	out, err := net.DialUDP("udp", nil, ta)
	if err != nil {
		return nil, fmt.Errorf("faultnet: dial %s: %w", target, err)
	}
	pc, err := listenUDP("127.0.0.1:0")
	if err != nil {
		_ = out.Close()
		return nil, fmt.Errorf("faultnet: listen: %w", err)
	}
	p := &UDPProxy{target: ta, addr: pc.LocalAddr().String(), out: out, quit: make(chan struct{})}
	p.serve(pc)
	return p, nil
}

// Addr returns the proxy's address, host:port.
func (p *UDPProxy) Addr() string { return p.addr }

// Set switches to mode; delay is used by Slow.
func (p *UDPProxy) Set(mode Mode, delay time.Duration) error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return errors.New("faultnet: proxy closed")
	}
	old := p.mode
	p.mode, p.delay = mode, delay
	var pc net.PacketConn
	if mode == Refuse && p.conn != nil {
		pc, p.conn = p.conn, nil
	}
	p.mu.Unlock()
	if pc != nil {
		_ = pc.Close()
	}
	if old == Refuse && mode != Refuse {
		c, err := listenUDP(p.addr)
		if err != nil {
			return fmt.Errorf("faultnet: listen again on %s: %w", p.addr, err)
		}
		p.serve(c)
	}
	return nil
}

// Close stops the proxy and waits for its goroutines to end.
func (p *UDPProxy) Close() {
	p.mu.Lock()
	if !p.closed {
		close(p.quit)
	}
	p.closed = true
	pc := p.conn
	p.conn = nil
	p.mu.Unlock()
	if pc != nil {
		_ = pc.Close()
	}
	p.wg.Wait()
	_ = p.out.Close()
}

// listenUDP listens on addr with a receive buffer of UDPReceiveBuffer.
func listenUDP(addr string) (*net.UDPConn, error) {
	ua, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, err
	}
	c, err := net.ListenUDP("udp", ua)
	if err != nil {
		return nil, err
	}
	if err := c.SetReadBuffer(UDPReceiveBuffer); err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("set the receive buffer of %s: %w", addr, err)
	}
	return c, nil
}

func (p *UDPProxy) serve(pc net.PacketConn) {
	p.mu.Lock()
	p.conn = pc
	p.mu.Unlock()
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		buf := make([]byte, 65536)
		for {
			n, _, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			p.mu.Lock()
			mode, delay := p.mode, p.delay
			p.mu.Unlock()
			switch mode {
			case Forward:
				_, _ = p.out.Write(buf[:n])
			case Slow:
				msg := append([]byte(nil), buf[:n]...)
				p.wg.Add(1)
				go func() {
					defer p.wg.Done()
					if sleep(delay, p.quit) {
						_, _ = p.out.Write(msg)
					}
				}()
			}
		}
	}()
}
