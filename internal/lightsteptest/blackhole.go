package lightsteptest

import (
	"net"
	"strconv"
	"testing"

	"github.com/polytrace/polytrace/internal/faultnet"
)

// BlackHole is faultnet.HangingListener with the address split into host and
// port, as the Lightstep settings take them.
func BlackHole(t testing.TB) (host string, port int) {
	t.Helper()
	host, p, err := net.SplitHostPort(faultnet.HangingListener(t))
	if err != nil {
		t.Fatal(err)
	}
	port, err = strconv.Atoi(p)
	if err != nil {
		t.Fatal(err)
	}
	return host, port
}
