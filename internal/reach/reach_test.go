package reach

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/polytrace/polytrace/tracer"
)

func TestReach(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := closed.Addr().String()
	closed.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	tests := []struct {
		name    string
		check   func() error
		wantErr bool
	}{
		{"addr up", func() error { return Addr(ctx, "X_ADDR", ln.Addr().String()) }, false},
		{"addr down", func() error { return Addr(ctx, "X_ADDR", down) }, true},
		{"url up", func() error { return URL(ctx, "X_URL", "http://u:pw-secret@"+ln.Addr().String()+"/p?k=q-secret") }, false},
		{"url down", func() error { return URL(ctx, "X_URL", "http://u:pw-secret@"+down+"/p?k=q-secret") }, true},
		{"not a url", func() error { return URL(ctx, "X_URL", "::pw-secret") }, true},
		{"ip host", func() error { return Host(ctx, "X_HOST", "127.0.0.1") }, false},
		{"unresolvable host", func() error { return Host(ctx, "X_HOST", "no-such-host.invalid") }, true},
	}
	for _, tt := range tests {
		err := tt.check()
		if (err != nil) != tt.wantErr {
			t.Errorf("%s: %v, want error %t", tt.name, err, tt.wantErr)
			continue
		}
		if err == nil {
			continue
		}
		if !errors.Is(err, tracer.ErrCollectorUnreachable) || !strings.Contains(err.Error(), "X_") {
			t.Errorf("%s: %v: want ErrCollectorUnreachable naming the setting", tt.name, err)
		}
		if strings.Contains(err.Error(), "secret") {
			t.Errorf("%s: %v shows a secret", tt.name, err)
		}
	}
}
