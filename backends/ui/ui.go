package ui

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/openzipkin/zipkin-go/model"

	"github.com/polytrace/polytrace/backends/zipkin"
	"github.com/polytrace/polytrace/internal/envconf"
	"github.com/polytrace/polytrace/tracer"
	"github.com/polytrace/polytrace/traceview"
)

// Name is the backend's registered name, the value of TRACER_BACKEND that
// selects it.
const Name = "ui"

func init() { tracer.Register(Name, Open) }

// The backend's variables.
const (
	// EnvAddr is where the viewer listens: host:port, or off to serve
	// it only through [traceview.Handler]. Default [DefaultAddr].
	EnvAddr = "TRACER_UI_ADDR"
	// EnvMaxBytes bounds the memory the stored spans hold: bytes, or a
	// number with KB, MB, GB (powers of 1000) or KiB, MiB, GiB (powers
	// of 1024). Default [traceview.DefaultMaxBytes].
	EnvMaxBytes = "TRACER_UI_MAX_BYTES"
)

// DefaultAddr is where the viewer listens when TRACER_UI_ADDR is unset:
// loopback only.
const DefaultAddr = "127.0.0.1:16680"

// maxMaxBytes is the largest TRACER_UI_MAX_BYTES accepted: 64 GiB.
const maxMaxBytes = 64 << 30

// Options configure the backend.
type Options struct {
	// Addr is where the viewer listens (host:port). Empty means it does
	// not listen: serve the store with [traceview.Handler] instead.
	Addr string
	// MaxBytes bounds the store (see [traceview.Store]); zero leaves the
	// bound of Store as it is, and gives [traceview.Default]
	// [traceview.DefaultMaxBytes]. A shared store keeps the largest bound
	// asked.
	MaxBytes int64
	// Store receives the spans. Nil means the process's,
	// [traceview.Default].
	Store *traceview.Store
	// Logger receives the line saying where the viewer listens, and its
	// server's errors. Nil means the standard logger.
	Logger *log.Logger

	add func(model.SpanModel) bool // replaces Store.Add in tests
}

// OptionsFromConfig reads TRACER_UI_ADDR and TRACER_UI_MAX_BYTES through
// cfg. An invalid value gives an error naming the variable, its value and
// what is accepted.
func OptionsFromConfig(cfg tracer.Config) (Options, error) {
	opts := Options{Addr: DefaultAddr, MaxBytes: traceview.DefaultMaxBytes}
	if v, ok := cfg.Get(EnvAddr); ok {
		if strings.EqualFold(v, "off") {
			opts.Addr = ""
		} else if err := checkAddr(v); err != nil {
			return opts, envconf.Invalid(EnvAddr, v, "host:port, such as "+DefaultAddr+" (or :16680 for every interface), or off")
		} else {
			opts.Addr = v
		}
	}
	if v, ok := cfg.Get(EnvMaxBytes); ok {
		n, err := parseBytes(v)
		if err != nil || n < traceview.MinMaxBytes || n > maxMaxBytes {
			return opts, envconf.Invalid(EnvMaxBytes, v, "a size from 64KiB to 64GiB, in bytes or with KB, MB, GB, KiB, MiB or GiB, such as 64MiB")
		}
		opts.MaxBytes = n
	}
	return opts, nil
}

func checkAddr(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return errors.New("bad port")
	}
	return nil
}

// parseBytes reads a size: a whole number of bytes, optionally followed
// by a unit.
func parseBytes(s string) (int64, error) {
	units := []struct {
		suffix string
		scale  int64
	}{{"KIB", 1 << 10}, {"MIB", 1 << 20}, {"GIB", 1 << 30}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1}}
	s = strings.ToUpper(strings.TrimSpace(s))
	scale := int64(1)
	for _, u := range units {
		if strings.HasSuffix(s, u.suffix) {
			s, scale = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.scale
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > maxMaxBytes/scale {
		return 0, errors.New("bad size")
	}
	return n * scale, nil
}

// Open builds the backend from cfg and the process environment's
// TRACER_UI_* variables as cfg.Lookup reads them. It is the function
// registered under [Name].
func Open(cfg tracer.Config) (*tracer.Instance, error) {
	return tracer.OpenWith(cfg, OptionsFromConfig, New)
}

// New builds the backend from cfg and opts: a tracer whose finished spans
// go to opts.Store, and, when opts.Addr is set, the viewer listening
// there. Tracers of one process given the same address and store share
// one viewer, which stops when the last of them is shut down. A listener
// that cannot be opened (the port is taken) is logged and leaves the
// tracer recording: [tracer.Instance.Ping], which TRACER_STRICT calls,
// reports it.
func New(cfg tracer.Config, opts Options) (*tracer.Instance, error) {
	// Checked here so the error speaks of this backend, not of the zipkin
	// tracer underneath.
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("ui: %w", err)
	}
	queue := cfg.Queue(0)
	store := opts.Store
	if store == nil {
		store = traceview.Default()
	}
	switch {
	case opts.MaxBytes > 0:
		store.Grow(opts.MaxBytes)
	case opts.Store == nil:
		store.Grow(traceview.DefaultMaxBytes)
	}
	logger := opts.Logger
	if logger == nil {
		logger = log.Default()
	}
	add := store.Add
	if opts.add != nil {
		add = opts.add
	}
	// Spans are converted in the reporter's goroutine, so that a page
	// being rendered never holds up a request. A span whose trace outgrew
	// half the store is dropped; spans the store later evicts stay
	// exported.
	rep := zipkin.NewQueueReporter(queue, func(s model.SpanModel) (model.SpanModel, error) { return s, nil },
		func(s model.SpanModel) (bool, error) { return add(s), nil })
	inner, err := zipkin.NewWithReporter(cfg, rep)
	if err != nil {
		_ = rep.Close()
		return nil, fmt.Errorf("ui: %w", err)
	}
	var (
		v         *viewer
		listenErr error
	)
	if opts.Addr != "" {
		if v, listenErr = openViewer(opts.Addr, store, logger); listenErr != nil {
			logger.Printf("polytrace ui: %v; spans are still recorded (serve them with traceview.Handler)", listenErr)
		}
	}
	return tracer.Ready(cfg, &tracer.Instance{
		Tracer:       inner.Native(),
		Converter:    inner.Converter, // the zipkin backend's, for the same span contexts
		Propagator:   inner.Propagator,
		Stats:        inner.Stats,
		StartWithIDs: inner.StartWithIDs,
		Ping: func(context.Context) error {
			if listenErr != nil {
				return fmt.Errorf("%w: %w", tracer.ErrCollectorUnreachable, listenErr)
			}
			return nil
		},
		// tracer.Ready answers callers by their deadlines; the close
		// itself runs to the end (the queue is in the store), so later
		// calls report what happened.
		Shutdown: func(ctx context.Context) error {
			err := inner.Shutdown(context.Background())
			if v != nil {
				err = errors.Join(err, v.release(ctx))
			}
			return err
		},
	})
}

// viewer is the HTTP server of one address and store, shared by the
// tracers opened on them.
type viewer struct {
	key  viewerKey
	srv  *http.Server
	url  string
	refs int // guarded by viewers.mu
	done chan struct{}
	err  error // Serve's, once done is closed
}

type viewerKey struct {
	addr  string
	store *traceview.Store
}

// viewers are the process's viewers, in the order they started.
var viewers struct {
	mu   sync.Mutex
	list []*viewer
}

// openViewer returns the viewer of addr and store, starting it when no
// tracer uses it yet.
func openViewer(addr string, store *traceview.Store, logger *log.Logger) (*viewer, error) {
	viewers.mu.Lock()
	defer viewers.mu.Unlock()
	key := viewerKey{addr, store}
	for _, v := range viewers.list {
		if v.key == key {
			v.refs++
			return v, nil
		}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%s=%q: cannot listen: %w", EnvAddr, addr, err)
	}
	v := &viewer{
		key:  key,
		srv:  &http.Server{Handler: traceview.Handler(store, ""), ReadHeaderTimeout: 10 * time.Second, ErrorLog: logger},
		url:  "http://" + ln.Addr().String() + "/",
		refs: 1,
		done: make(chan struct{}),
	}
	go func() {
		defer close(v.done)
		if err := v.srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			v.err = err
		}
	}()
	viewers.list = append(viewers.list, v)
	if loopback(ln.Addr()) {
		logger.Printf("polytrace ui: serving traces at %s (loopback only)", v.url)
	} else {
		logger.Printf("polytrace ui: serving traces at %s, reachable from other hosts and without authentication "+
			"(set %s=%s to keep it on this machine)", v.url, EnvAddr, DefaultAddr)
	}
	return v, nil
}

func loopback(a net.Addr) bool {
	tcp, ok := a.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}

// release drops one tracer's use of v; the last one stops the server,
// letting requests under way finish until ctx is done, then closing their
// connections.
func (v *viewer) release(ctx context.Context) error {
	viewers.mu.Lock()
	v.refs--
	last := v.refs == 0
	if last {
		for i, w := range viewers.list {
			if w == v {
				viewers.list = append(viewers.list[:i:i], viewers.list[i+1:]...)
				break
			}
		}
	}
	viewers.mu.Unlock()
	if !last {
		return nil
	}
	if v.srv.Shutdown(ctx) != nil {
		_ = v.srv.Close()
	}
	<-v.done
	if v.err != nil {
		return fmt.Errorf("ui: the viewer at %s: %w", v.url, v.err)
	}
	return nil
}

// URL returns the address of the process's first viewer still serving,
// such as http://127.0.0.1:16680/, or "" when none is.
func URL() string {
	viewers.mu.Lock()
	defer viewers.mu.Unlock()
	if len(viewers.list) == 0 {
		return ""
	}
	return viewers.list[0].url
}
