package lightstep

import (
	"errors"
	"sync"

	"github.com/lightstep/lightstep-tracer-common/golang/gogo/collectorpb"
	lsgo "github.com/lightstep/lightstep-tracer-go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
)

// errConnsClosed is returned when the client reconnects after Shutdown.
var errConnsClosed = errors.New("lightstep: gRPC connection closed by Shutdown")

// grpcConns dials the gRPC connections of lightstep-tracer-go's own gRPC
// transport (through its ConnFactory option) and keeps hold of them. The
// client's Close gives up when its context ends before the final flush
// does, and then never closes its connection; Shutdown closes whatever is
// still open here, which also cancels a report stuck on a collector that
// never answers.
type grpcConns struct {
	target string
	creds  credentials.TransportCredentials

	mu     sync.Mutex
	open   map[*grpc.ClientConn]struct{}
	closed bool
}

func newGRPCConns(target string, plaintext bool) *grpcConns {
	creds := insecure.NewCredentials()
	if !plaintext {
		// As the client does: system roots, server name from the target.
		creds = credentials.NewClientTLSFromCert(nil, "")
	}
	return &grpcConns{target: target, creds: creds, open: map[*grpc.ClientConn]struct{}{}}
}

// connect is the lightstep.ConnectorFactory. grpc.NewClient does no I/O:
// the connection is made on the first report.
func (g *grpcConns) connect() (interface{}, lsgo.Connection, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return nil, nil, errConnsClosed
	}
	cc, err := grpc.NewClient(g.target, grpc.WithTransportCredentials(g.creds))
	if err != nil {
		return nil, nil, err
	}
	g.open[cc] = struct{}{}
	return collectorpb.NewCollectorServiceClient(cc), trackedConn{g, cc}, nil
}

// closeAll closes every connection still open and refuses new ones.
func (g *grpcConns) closeAll() {
	g.mu.Lock()
	conns := g.open
	g.open, g.closed = nil, true
	g.mu.Unlock()
	for cc := range conns {
		_ = cc.Close()
	}
}

// trackedConn is the lightstep.Connection the client closes when it
// reconnects or closes normally.
type trackedConn struct {
	g  *grpcConns
	cc *grpc.ClientConn
}

func (c trackedConn) Close() error {
	c.g.mu.Lock()
	delete(c.g.open, c.cc)
	c.g.mu.Unlock()
	return c.cc.Close()
}
