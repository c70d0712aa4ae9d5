// Package shop is the two-service example's application code: a frontend
// that serves checkouts and calls an inventory backend over HTTP, with the
// trace context carried in the request headers. The code is written against
// the OpenTracing API only; which backend receives its spans is decided by
// the tracers handed to it.
package shop

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"

	"github.com/polytrace/polytrace/ginmw"
	"github.com/polytrace/polytrace/httpclient"
)

// Stock is the backend's answer for one item.
type Stock struct {
	SKU       string `json:"sku"`
	Available int    `json:"available"`
}

// SKUs the inventory treats specially, so that traces show a slow and a
// failing request.
const (
	// SlowSKU takes SlowLookup to look up.
	SlowSKU = "slow"
	// BrokenSKU fails: the inventory answers 500, the checkout 502.
	BrokenSKU = "broken"
)

// SlowLookup is how long looking up SlowSKU takes.
const SlowLookup = 150 * time.Millisecond

// Backend returns the inventory service: GET /inventory/:sku answers the
// stock of an item, looked up in a child span of the request's span.
func Backend(tr opentracing.Tracer) *gin.Engine {
	r := gin.New()
	r.Use(gin.Recovery(), ginmw.Middleware(tr, ginmw.WithFilter(notHealthCheck)))
	r.GET("/healthz", func(c *gin.Context) { c.String(http.StatusOK, "ok") })
	r.GET("/inventory/:sku", func(c *gin.Context) {
		span, ctx := opentracing.StartSpanFromContextWithTracer(c.Request.Context(), tr, "lookup-stock")
		defer span.Finish()
		sku := c.Param("sku")
		span.SetTag("sku", sku)
		// With slog's default handler wrapped by tracelog.NewHandler (as
		// the example's main does), the line carries trace_id and span_id.
		slog.InfoContext(ctx, "looking up stock", "sku", sku)
		switch sku {
		case SlowSKU:
			time.Sleep(SlowLookup)
		case BrokenSKU:
			ext.Error.Set(span, true)
			span.LogKV("event", "error", "message", "inventory unavailable")
			c.String(http.StatusInternalServerError, "inventory unavailable")
			return
		}
		c.JSON(http.StatusOK, Stock{SKU: sku, Available: len(sku)})
	})
	return r
}

// Frontend returns the checkout service: GET /checkout/:sku asks the
// backend at backendURL for the item's stock, propagating the trace
// context in the request headers. client (nil means a new one) is used
// through a copy traced by httpclient.
func Frontend(tr opentracing.Tracer, backendURL string, client *http.Client) *gin.Engine {
	client = httpclient.Client(client, httpclient.WithTracer(tr))
	r := gin.New()
	r.Use(gin.Recovery(), ginmw.Middleware(tr, ginmw.WithFilter(notHealthCheck)))
	r.GET("/healthz", func(c *gin.Context) { c.String(http.StatusOK, "ok") })
	r.GET("/checkout/:sku", func(c *gin.Context) {
		stock, err := fetchStock(c.Request.Context(), client, backendURL, c.Param("sku"))
		if err != nil {
			slog.WarnContext(c.Request.Context(), "inventory call failed", "sku", c.Param("sku"), "err", err)
			_ = c.Error(err)
			c.String(http.StatusBadGateway, "inventory: %v", err)
			return
		}
		slog.InfoContext(c.Request.Context(), "checked out", "sku", stock.SKU, "in_stock", stock.Available > 0)
		c.JSON(http.StatusOK, gin.H{"sku": stock.SKU, "in_stock": stock.Available > 0})
	})
	return r
}

func notHealthCheck(r *http.Request) bool { return r.URL.Path != "/healthz" }

// fetchStock calls the backend. The traced client starts a client span,
// child of the span in ctx, named after the route rather than the path, and
// injects its context into the request headers; closing the body finishes
// it.
func fetchStock(ctx context.Context, client *http.Client, base, sku string) (*Stock, error) {
	ctx = httpclient.WithRoute(ctx, "/inventory/:sku")
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/inventory/"+url.PathEscape(sku), nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return nil, fmt.Errorf("GET %s: %s: %s", req.URL.Path, resp.Status, body)
	}
	var s Stock
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		return nil, fmt.Errorf("GET %s: decode: %w", req.URL.Path, err)
	}
	return &s, nil
}
