// Command otelmix is a two-service example in which OpenTracing and
// OpenTelemetry code share one trace, whatever TRACER_BACKEND reports to:
// a checkout frontend traced by polytrace's Gin middleware whose handler
// alternates OpenTelemetry and OpenTracing spans and calls an inventory
// backend through otelhttp's Transport (an OpenTelemetry instrumentation
// library); the backend does the same on its side.
//
//	TRACER_BACKEND=stdout go run .
//
// Each service has its own tracer, so otelhttp is given the frontend's
// provider and propagator explicitly; a single-service program would call
// polytrace.FromEnv, which installs them as OpenTelemetry's globals.
//
// It is a module of its own so that otelhttp stays out of the library's
// go.mod.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/opentracing/opentracing-go"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/polytrace/polytrace"
	"github.com/polytrace/polytrace/ginmw"
)

func main() {
	requests := flag.Int("requests", 3, "checkout requests to send")
	flag.Parse()
	gin.SetMode(gin.ReleaseMode)
	if err := run(os.Stderr, *requests); err != nil {
		log.Fatal(err)
	}
}

// run starts both services on loopback, sends requests checkout requests,
// and shuts the tracers down, flushing their spans.
func run(logw io.Writer, requests int) error {
	logger := log.New(logw, "otelmix: ", 0)
	backend, cfg, err := polytrace.ConfigFromEnv()
	if err != nil {
		return err
	}
	cfg.ServiceName = "inventory"
	inv, err := polytrace.New(backend, cfg)
	if err != nil {
		return err
	}
	defer inv.Close()
	cfg.ServiceName = "checkout"
	shop, err := polytrace.New(backend, cfg)
	if err != nil {
		return err
	}
	defer shop.Close()

	invURL, stopInv, err := serve(inventory(inv))
	if err != nil {
		return err
	}
	defer stopInv()
	client := &http.Client{Timeout: 10 * time.Second, Transport: otelhttp.NewTransport(http.DefaultTransport,
		otelhttp.WithTracerProvider(shop.TracerProvider()), otelhttp.WithPropagators(shop.TextMapPropagator()))}
	shopURL, stopShop, err := serve(checkout(shop, client, invURL))
	if err != nil {
		return err
	}
	defer stopShop()

	for i := range requests {
		resp, err := http.Get(fmt.Sprintf("%s/checkout/sku-%d", shopURL, i))
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		logger.Printf("checkout %d: %s", i, resp.Status)
	}
	return nil
}

// checkout is the frontend: the middleware's server span, then an
// OpenTelemetry span, an OpenTracing span inside it, and the inventory
// call through otelhttp, whose client span is the OpenTracing span's
// child.
func checkout(tr *polytrace.Tracer, client *http.Client, invURL string) http.Handler {
	r := gin.New()
	r.Use(ginmw.Middleware(tr))
	otel := tr.TracerProvider().Tracer("otelmix/checkout")
	r.GET("/checkout/:sku", func(c *gin.Context) {
		ctx, price := otel.Start(c.Request.Context(), "price", trace.WithAttributes(
			attribute.String("sku", c.Param("sku")), attribute.Int("quantity", 2), attribute.Float64("unit_price", 9.5),
			attribute.Bool("gift", true), attribute.StringSlice("coupons", []string{"WELCOME", "FREESHIP"})))
		defer price.End()
		reserve, ctx := opentracing.StartSpanFromContextWithTracer(ctx, tr, "reserve")
		defer reserve.Finish()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, invURL+"/stock/"+c.Param("sku"), nil)
		if err == nil {
			var resp *http.Response
			if resp, err = client.Do(req); err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}
		if err != nil {
			price.SetStatus(codes.Error, "inventory unreachable")
			c.Status(http.StatusBadGateway)
			return
		}
		c.String(http.StatusOK, "ok")
	})
	return r
}

// inventory is the backend: the middleware's server span (a child of
// otelhttp's client span, through the propagator), an OpenTelemetry span
// and an OpenTracing span inside it.
func inventory(tr *polytrace.Tracer) http.Handler {
	r := gin.New()
	r.Use(ginmw.Middleware(tr))
	otel := tr.TracerProvider().Tracer("otelmix/inventory")
	r.GET("/stock/:sku", func(c *gin.Context) {
		ctx, lookup := otel.Start(c.Request.Context(), "lookup")
		defer lookup.End()
		lookup.AddEvent("cache miss", trace.WithAttributes(attribute.String("sku", c.Param("sku"))))
		if c.Param("sku") == outOfStock {
			lookup.RecordError(errors.New(outOfStock + " is out of stock"))
			lookup.SetStatus(codes.Error, "out of stock")
		}
		db, _ := opentracing.StartSpanFromContextWithTracer(ctx, tr, "db-query")
		db.SetTag("db.system", "sqlite")
		db.Finish()
		c.String(http.StatusOK, "3")
	})
	return r
}

// outOfStock is the sku whose lookup fails (the request still succeeds,
// with no stock).
const outOfStock = "sku-1"

// serve serves h on a free loopback port.
func serve(h http.Handler) (url string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Print(err)
		}
	}()
	return "http://" + ln.Addr().String(), func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, nil
}
