// Package connset keeps hold of the connections an HTTP transport dials,
// so that a backend's shutdown ends every one of them: idle, in use, or
// dialed after its request was cancelled (net/http puts such a connection
// in its idle pool once the dial completes, after CloseIdleConnections
// may already have run, and its goroutines would outlive the backend).
package connset

import (
	"context"
	"errors"
	"net"
	"sync"
)

// ErrClosed is the dial error once the set is closed.
var ErrClosed = errors.New("connection set closed: the backend is shut down")

// Set dials connections with Dialer and keeps hold of them until they
// are closed. Use its Dial as an http.Transport's DialContext. The zero
// value is ready to use; its methods are safe for concurrent use.
type Set struct {
	// Dialer dials the connections.
	Dialer net.Dialer
	// Aborted, when set and done, stops dials under way and refuses new
	// ones (a backend's shutdown deadline).
	Aborted context.Context

	mu     sync.Mutex
	closed bool
	open   map[*conn]struct{}
}

// Dial dials addr, refusing once the set is closed or aborted.
func (s *Set) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	if s.Aborted != nil {
		if s.Aborted.Err() != nil {
			return nil, ErrClosed
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(ctx)
		defer cancel()
		defer context.AfterFunc(s.Aborted, cancel)()
	}
	c, err := s.Dialer.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		c.Close()
		return nil, ErrClosed
	}
	if s.open == nil {
		s.open = map[*conn]struct{}{}
	}
	tc := &conn{Conn: c, set: s}
	s.open[tc] = struct{}{}
	return tc, nil
}

// Close closes every connection still open and refuses new ones.
func (s *Set) Close() {
	s.mu.Lock()
	s.closed = true
	open := s.open
	s.open = nil
	s.mu.Unlock()
	for c := range open {
		c.Conn.Close()
	}
}

// conn is a connection of a set, which it leaves when closed.
type conn struct {
	net.Conn
	set *Set
}

func (c *conn) Close() error {
	c.set.mu.Lock()
	delete(c.set.open, c)
	c.set.mu.Unlock()
	return c.Conn.Close()
}
