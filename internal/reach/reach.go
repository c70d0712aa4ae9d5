// Package reach checks that a collector can be reached, for strict
// configurations (TRACER_STRICT=true). Errors wrap
// tracer.ErrCollectorUnreachable and never show credentials or query
// strings.
package reach

import (
	"context"
	"fmt"
	"net"
	"net/url"

	"github.com/polytrace/polytrace/tracer"
)

// Addr opens and closes a TCP connection to addr (host:port), by ctx's
// deadline. setting names the variable addr comes from, for the error.
func Addr(ctx context.Context, setting, addr string) error {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("%w: %s: %s: %w", tracer.ErrCollectorUnreachable, setting, addr, err)
	}
	return c.Close()
}

// URL is Addr for the host and port of an http or https URL (port 80 or
// 443 when it has none).
func URL(ctx context.Context, setting, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Hostname() == "" {
		return fmt.Errorf("%w: %s: not an http or https URL", tracer.ErrCollectorUnreachable, setting)
	}
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	return Addr(ctx, setting, net.JoinHostPort(u.Hostname(), port))
}

// Host resolves a host name (an IP address needs no resolving), for
// transports such as UDP where nothing answers to prove a peer listens.
func Host(ctx context.Context, setting, host string) error {
	if net.ParseIP(host) != nil {
		return nil
	}
	if _, err := net.DefaultResolver.LookupHost(ctx, host); err != nil {
		return fmt.Errorf("%w: %s=%q: %w", tracer.ErrCollectorUnreachable, setting, host, err)
	}
	return nil
}
