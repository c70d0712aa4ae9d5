package zipkin

import (
	"fmt"
	"io"
	"log/slog"

	"github.com/polytrace/polytrace/internal/envconf"
)

// String describes o with the endpoint's user information and query
// string redacted: they may hold credentials.
func (o Options) String() string {
	endpoint := o.Endpoint
	if endpoint != "" {
		endpoint = envconf.Redact(endpoint)
	}
	logger := "<nil>"
	if o.Logger != nil {
		logger = "set"
	}
	return fmt.Sprintf("zipkin.Options{Endpoint:%q Timeout:%s BatchInterval:%s Logger:%s}", endpoint, o.Timeout, o.BatchInterval, logger)
}

// Format prints [Options.String] whatever the verb, so that no verb
// reveals a credential.
func (o Options) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, o.String()) }

// LogValue implements slog.LogValuer with [Options.String].
func (o Options) LogValue() slog.Value { return slog.StringValue(o.String()) }
