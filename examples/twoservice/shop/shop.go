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
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"
	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"

	"github.com/polytrace/polytrace/ginmw"
)

// Stock is the backend's answer for one item.
type Stock struct {
	SKU       string `json:"sku"`
	Available int    `json:"available"`
}

// Backend returns the inventory service: GET /inventory/:sku answers the
// stock of an item, looked up in a child span of the request's span.
func Backend(tr opentracing.Tracer) *gin.Engine {
	r := gin.New()
	r.Use(gin.Recovery(), ginmw.Middleware(tr, ginmw.WithFilter(notHealthCheck)))
	r.GET("/healthz", func(c *gin.Context) { c.String(http.StatusOK, "ok") })
	r.GET("/inventory/:sku", func(c *gin.Context) {
		span, _ := opentracing.StartSpanFromContextWithTracer(c.Request.Context(), tr, "lookup-stock")
		defer span.Finish()
		sku := c.Param("sku")
		span.SetTag("sku", sku)
		if sku == "broken" {
			c.String(http.StatusInternalServerError, "inventory unavailable")
			return
		}
		c.JSON(http.StatusOK, Stock{SKU: sku, Available: len(sku)})
	})
	return r
}

// Frontend returns the checkout service: GET /checkout/:sku asks the
// backend at backendURL for the item's stock, propagating the trace
// context in the request headers.
func Frontend(tr opentracing.Tracer, backendURL string, client *http.Client) *gin.Engine {
	if client == nil {
		client = http.DefaultClient
	}
	r := gin.New()
	r.Use(gin.Recovery(), ginmw.Middleware(tr, ginmw.WithFilter(notHealthCheck)))
	r.GET("/healthz", func(c *gin.Context) { c.String(http.StatusOK, "ok") })
	r.GET("/checkout/:sku", func(c *gin.Context) {
		stock, err := fetchStock(c.Request.Context(), tr, client, backendURL, c.Param("sku"))
		if err != nil {
			_ = c.Error(err)
			c.String(http.StatusBadGateway, "inventory: %v", err)
			return
		}
		c.JSON(http.StatusOK, gin.H{"sku": stock.SKU, "in_stock": stock.Available > 0})
	})
	return r
}

func notHealthCheck(r *http.Request) bool { return r.URL.Path != "/healthz" }

// fetchStock calls the backend in a client span that is a child of the
// span in ctx, injecting the span's context into the request headers.
func fetchStock(ctx context.Context, tr opentracing.Tracer, client *http.Client, base, sku string) (*Stock, error) {
	span, ctx := opentracing.StartSpanFromContextWithTracer(ctx, tr, "GET /inventory/:sku", ext.SpanKindRPCClient)
	defer span.Finish()

	u := base + "/inventory/" + url.PathEscape(sku)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		ext.LogError(span, err)
		return nil, err
	}
	ext.HTTPMethod.Set(span, req.Method)
	ext.HTTPUrl.Set(span, req.URL.Path)
	if err := tr.Inject(span.Context(), opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(req.Header)); err != nil {
		span.LogKV("event", "inject failed", "message", err.Error())
	}
	resp, err := client.Do(req)
	if err != nil {
		ext.LogError(span, err)
		return nil, err
	}
	defer resp.Body.Close()
	ext.HTTPStatusCode.Set(span, uint16(resp.StatusCode))
	if resp.StatusCode != http.StatusOK {
		ext.Error.Set(span, resp.StatusCode >= 500)
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return nil, fmt.Errorf("GET %s: %s: %s", req.URL.Path, resp.Status, body)
	}
	var s Stock
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		ext.LogError(span, err)
		return nil, fmt.Errorf("GET %s: decode: %w", req.URL.Path, err)
	}
	return &s, nil
}
