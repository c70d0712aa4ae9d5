package polytrace

// Temporary: keeps vendor modules in go.mod while packages are written.

import (
	_ "github.com/gin-gonic/gin"
	_ "github.com/lightstep/lightstep-tracer-go"
	_ "github.com/lightstep/lightstep-tracer-common/golang/gogo/collectorpb"
	_ "github.com/opentracing/opentracing-go"
	_ "github.com/opentracing/opentracing-go/harness"
	_ "github.com/opentracing/opentracing-go/mocktracer"
	_ "github.com/openzipkin-contrib/zipkin-go-opentracing"
	_ "github.com/openzipkin/zipkin-go/reporter/http"
	_ "github.com/uber/jaeger-client-go/config"
	_ "go.uber.org/goleak"
	_ "google.golang.org/grpc"
)
