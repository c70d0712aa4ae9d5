package e2e

import (
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/opentracing/opentracing-go"

	"github.com/polytrace/polytrace"
	"github.com/polytrace/polytrace/backends/jaeger"
	"github.com/polytrace/polytrace/backends/lightstep"
	"github.com/polytrace/polytrace/backends/otel"
	"github.com/polytrace/polytrace/backends/zipkin"
	"github.com/polytrace/polytrace/ginmw"
	"github.com/polytrace/polytrace/internal/syncbuf"
	"github.com/polytrace/polytrace/tracer"
)

// secrets are sent by a client in every place it might put one; none may
// reach a span, a log line, an error or printed configuration.
var secrets = map[string]string{
	"authorization": "Bearer auth-secret-1b7e",
	"cookie":        "session=cookie-secret-9c4d",
	"apikey":        "apikey-secret-42aa",
	"token":         "query-token-secret-77f1",
	"password":      "query-password-secret-e0c3",
	"proxyauth":     "Basic proxy-secret-5d21",
}

func secretValues() []string {
	var out []string
	for _, v := range secrets {
		out = append(out, strings.TrimPrefix(strings.TrimPrefix(v, "Bearer "), "Basic "))
	}
	return out
}

// sendSecrets serves requests carrying secrets through ginmw with tr,
// including one whose handler fails.
func sendSecrets(t *testing.T, tr opentracing.Tracer) {
	t.Helper()
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	e.Use(ginmw.Middleware(tr))
	e.GET("/login/:user", func(c *gin.Context) {
		span, _ := opentracing.StartSpanFromContextWithTracer(c.Request.Context(), tr, "check-password")
		span.Finish()
		if c.Param("user") == "fail" {
			_ = c.Error(errors.New("login refused"))
			c.Status(http.StatusInternalServerError)
			return
		}
		c.String(http.StatusOK, "ok")
	})
	for _, user := range []string{"alice", "fail"} {
		q := url.Values{"token": {secrets["token"]}, "password": {secrets["password"]}, "next": {"/home"}}
		req := httptest.NewRequest(http.MethodGet, "/login/"+user+"?"+q.Encode(), nil)
		req.Header.Set("Authorization", secrets["authorization"])
		req.Header.Set("Cookie", secrets["cookie"])
		req.Header.Set("X-Api-Key", secrets["apikey"])
		req.Header.Set("Proxy-Authorization", secrets["proxyauth"])
		e.ServeHTTP(httptest.NewRecorder(), req)
	}
}

func checkNoSecret(t *testing.T, where, text string) {
	t.Helper()
	for _, s := range secretValues() {
		if strings.Contains(text, s) {
			t.Errorf("%s contains the secret %q:\n%s", where, s, text)
		}
	}
}

// logCapture collects the standard logger's output for the test.
type logCapture = syncbuf.Buffer

func captureLog(t *testing.T) *logCapture {
	c := &logCapture{}
	out := log.Writer()
	log.SetOutput(io.MultiWriter(c, out))
	t.Cleanup(func() { log.SetOutput(out) })
	return c
}

// TestSecretsStayOutOfSpans sends requests carrying an Authorization
// header, a cookie, an API key and tokens and passwords in the query
// string through the middleware into every backend, then reads what each
// collector stored, raw: no secret may be there.
func TestSecretsStayOutOfSpans(t *testing.T) {
	c := startCollectors(t)
	logs := captureLog(t)
	began := time.Now()
	for _, p := range append(networkPaths, stdoutPath) {
		t.Run(p.name, func(t *testing.T) {
			service := fmt.Sprintf("secrets-%s-%d", p.name, time.Now().UnixNano())
			tr := p.open(t, c, service, 0)
			sendSecrets(t, tr.Tracer)
			if err := shutdownWithin(tr, 10*time.Second); err != nil {
				t.Fatal(err)
			}
			var stored string
			switch {
			case strings.HasPrefix(p.name, "lightstep"):
				r := c.lsHTTP
				if p.name == "lightstep-grpc" {
					r = c.lsGRPC
				}
				stored = fmt.Sprintf("%+v", r.Spans())
			case p.name == "stdout":
				stored = string(c.stdout.Bytes())
			default:
				deadline := time.Now().Add(30 * time.Second)
				for p.count(t, c, service, "", began) < 4 && time.Now().Before(deadline) {
					time.Sleep(200 * time.Millisecond)
				}
				stored = rawTraces(t, c.jaeger.QueryURL, service)
			}
			// Four spans, a server span and a child per request: the
			// checks prove they made it.
			if !strings.Contains(stored, "/login/alice") || !strings.Contains(stored, "check-password") {
				t.Fatalf("the spans did not reach the collector; it holds:\n%.2000s", stored)
			}
			checkNoSecret(t, p.name+" collector", stored)
		})
	}
	checkNoSecret(t, "the standard log", logs.String())
}

// rawTraces returns the query API's answer for service, undecoded.
func rawTraces(t *testing.T, queryURL, service string) string {
	t.Helper()
	resp, err := http.Get(queryURL + "/api/traces?limit=100&service=" + url.QueryEscape(service))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}

// TestSecretsStayOutOfErrorsLogsAndConfig gives every backend credentials
// (URL user information and query strings, passwords, tokens), points it
// at an address that refuses connections so that exports fail, and checks
// the errors of Open, Shutdown and Stats, the logs and the printed
// configuration.
func TestSecretsStayOutOfErrorsLogsAndConfig(t *testing.T) {
	logs := captureLog(t)
	refused := closedAddr(t)
	const (
		urlPass    = "url-password-secret-31d9"
		urlQuery   = "url-query-secret-c6b0"
		envPass    = "env-password-secret-8e5f"
		token      = "lightstep-token-secret-a4c2"
		otherToken = "bad token-secret-0f0f" // invalid: has a space
	)
	all := []string{urlPass, urlQuery, envPass, token, "token-secret-0f0f"}
	check := func(where, text string) {
		t.Helper()
		for _, s := range all {
			if strings.Contains(text, s) {
				t.Errorf("%s contains the secret %q:\n%s", where, s, text)
			}
		}
	}
	cases := []struct {
		backend string
		env     map[string]string
	}{
		{"jaeger", map[string]string{
			"JAEGER_ENDPOINT": "http://svc:" + urlPass + "@" + refused + "/api/traces?apikey=" + urlQuery,
			"JAEGER_USER":     "svc", "JAEGER_PASSWORD": envPass,
		}},
		{"zipkin", map[string]string{"ZIPKIN_ENDPOINT": "http://svc:" + urlPass + "@" + refused + "/api/v2/spans?apikey=" + urlQuery}},
		{"lightstep", map[string]string{
			"LIGHTSTEP_ACCESS_TOKEN": token, "LIGHTSTEP_COLLECTOR_HOST": "127.0.0.1",
			"LIGHTSTEP_COLLECTOR_PORT": portOf(refused), "LIGHTSTEP_COLLECTOR_PLAINTEXT": "true",
		}},
		{"otel", map[string]string{
			"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
			"OTEL_EXPORTER_OTLP_ENDPOINT": "http://" + refused, // credentials in it are refused (see below)
			"OTEL_EXPORTER_OTLP_HEADERS":  "authorization=Bearer%20" + token,
			"OTEL_EXPORTER_OTLP_TIMEOUT":  "500",
		}},
	}
	for _, tc := range cases {
		t.Run(tc.backend, func(t *testing.T) {
			cfg := tracer.Config{ServiceName: "secrets", Lookup: tracer.MapLookup(tc.env)}
			tr, err := polytrace.New(tc.backend, cfg)
			if err != nil {
				t.Fatal(err)
			}
			for i := range 300 {
				tr.StartSpan(fmt.Sprintf("op-%d", i)).Finish()
			}
			time.Sleep(1500 * time.Millisecond) // a report is attempted, and refused
			err = tr.Close()
			st := tr.Stats()
			if st.ExportErrors == 0 {
				t.Fatalf("no export failed, so nothing was checked: %s", st)
			}
			check("Shutdown's error", fmt.Sprint(err))
			check("Stats", st.String())
			check("Stats.LastExportError", st.LastExportError)

			var printed string
			switch tc.backend {
			case "jaeger":
				o, err := jaeger.OptionsFromConfig(cfg)
				printed = fmt.Sprintf("%v %+v %#v %s %v", o, o, o, o, err)
			case "zipkin":
				o, err := zipkin.OptionsFromConfig(cfg)
				printed = fmt.Sprintf("%v %+v %#v %s %v", o, o, o, o, err)
			case "lightstep":
				o, err := lightstep.OptionsFromConfig(cfg)
				printed = fmt.Sprintf("%v %+v %#v %s %v", o, o, o, o, err)
			case "otel":
				o, err := otel.OptionsFromConfig(cfg)
				printed = fmt.Sprintf("%v %+v %#v %s %v", o, o, o, o, err)
			}
			check("printed Options", printed)
		})
	}
	// Invalid settings carrying secrets: the errors name the setting, never
	// the secret.
	for _, bad := range []struct{ backend, name, value string }{
		{"jaeger", "JAEGER_ENDPOINT", "ftp://svc:" + urlPass + "@host/x?apikey=" + urlQuery},
		{"zipkin", "ZIPKIN_ENDPOINT", "localhost:9411?apikey=" + urlQuery + "&p=" + urlPass},
		{"lightstep", "LIGHTSTEP_ACCESS_TOKEN", otherToken},
		{"otel", "OTEL_EXPORTER_OTLP_ENDPOINT", "http://svc:" + urlPass + "@collector:4318?apikey=" + urlQuery},
		{"otel", "OTEL_EXPORTER_OTLP_HEADERS", "authorization=" + token + ",broken"},
	} {
		_, err := polytrace.New(bad.backend, tracer.Config{Lookup: tracer.MapLookup(map[string]string{bad.name: bad.value, "LIGHTSTEP_ACCESS_TOKEN": token})})
		if err == nil || !strings.Contains(err.Error(), bad.name) {
			t.Errorf("%s=%q: error %v, want one naming %s", bad.name, bad.value, err, bad.name)
		}
		check("the error for "+bad.name, fmt.Sprint(err))
	}
	check("the standard log", logs.String())
}

// closedAddr returns a 127.0.0.1 address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func portOf(addr string) string {
	_, port := splitHostPort(addr)
	return port
}
