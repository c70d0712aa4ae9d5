package connset

import (
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"
)

// TestCloseEndsEveryConnection: a connection whose dial finishes after
// the set is closed (its request was cancelled meanwhile) is closed at
// once, and open ones are closed by Close, so no transport goroutine
// outlives the backend.
func TestCloseEndsEveryConnection(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 2)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	release := make(chan struct{})
	set := &Set{}
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		if addr == "late" {
			<-release
			addr = ln.Addr().String()
		}
		return set.Dial(ctx, network, addr)
	}
	if _, err := dial(context.Background(), "tcp", ln.Addr().String()); err != nil {
		t.Fatal(err)
	}
	lateErr := make(chan error, 1)
	go func() {
		c, err := dial(context.Background(), "tcp", "late")
		if err == nil {
			c.Close()
		}
		lateErr <- err
	}()
	set.Close()
	close(release)
	if err := <-lateErr; !errors.Is(err, ErrClosed) {
		t.Errorf("a dial that finished after close: %v, want ErrClosed", err)
	}
	for range 2 {
		select {
		case c := <-accepted:
			_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
			if _, err := c.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
				t.Errorf("server side of a connection after close: %v, want EOF", err)
			}
			c.Close()
		case <-time.After(5 * time.Second):
			t.Fatal("a connection was never accepted")
		}
	}
}
