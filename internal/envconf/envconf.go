// Package envconf parses configuration values read from environment-style
// settings, with errors that name the setting, its value and what is
// accepted. Secret settings never have their value printed.
package envconf

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The variables of the common configuration (tracer.Config), named in
// its errors; the root package exports them.
const (
	EnvSampleRate   = "TRACER_SAMPLE_RATE"
	EnvQueueSize    = "TRACER_QUEUE_SIZE"
	EnvFlushTimeout = "TRACER_FLUSH_TIMEOUT"
	EnvTags         = "TRACER_TAGS"
)

// ErrInvalid is tracer.ErrInvalidConfig, which every *Error wraps.
var ErrInvalid = errors.New("invalid tracer configuration")

// Getter returns a trimmed setting and whether it is set to a non-empty
// value; tracer.Config.Get is one.
type Getter func(name string) (string, bool)

// Error reports an invalid setting. It wraps [ErrInvalid].
type Error struct {
	Name   string // the setting, e.g. TRACER_SAMPLE_RATE
	Value  string // its value as given
	Want   string // what is accepted
	Secret bool   // never print Value
}

func (e *Error) Error() string {
	v := strconv.Quote(e.Value)
	if e.Secret {
		v = "[redacted]"
	}
	return fmt.Sprintf("%s=%s: want %s", e.Name, v, e.Want)
}

// Unwrap lets errors.Is match [ErrInvalid] (tracer.ErrInvalidConfig).
func (e *Error) Unwrap() error { return ErrInvalid }

// Invalid returns an *Error for a non-secret setting.
func Invalid(name, value, want string) error {
	return &Error{Name: name, Value: value, Want: want}
}

// Bool parses a boolean setting as strconv.ParseBool does. Unset gives def.
func Bool(get Getter, name string, def bool) (bool, error) {
	s, ok := get(name)
	if !ok {
		return def, nil
	}
	v, err := strconv.ParseBool(s)
	if err != nil {
		return def, Invalid(name, s, "a boolean (true, false, 1, 0)")
	}
	return v, nil
}

// Int parses an integer setting within [min, max]. Unset gives def.
func Int(get Getter, name string, def, min, max int) (int, error) {
	s, ok := get(name)
	if !ok {
		return def, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < min || v > max {
		return def, Invalid(name, s, fmt.Sprintf("an integer from %d to %d", min, max))
	}
	return v, nil
}

// Float parses a number within [min, max]. Unset gives def and set=false.
func Float(get Getter, name string, def, min, max float64) (v float64, set bool, err error) {
	s, ok := get(name)
	if !ok {
		return def, false, nil
	}
	v, err = strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || v < min || v > max {
		return def, false, Invalid(name, s, fmt.Sprintf("a number from %g to %g", min, max))
	}
	return v, true, nil
}

// Duration parses a positive Go duration such as 500ms or 5s. Unset gives def.
func Duration(get Getter, name string, def time.Duration) (time.Duration, error) {
	s, ok := get(name)
	if !ok {
		return def, nil
	}
	v, err := time.ParseDuration(s)
	if err != nil || v <= 0 {
		return def, Invalid(name, s, "a positive Go duration such as 500ms, 5s or 1m")
	}
	return v, nil
}

// OrDefault returns d, a duration given in code (an Options field named
// name), or def when d is zero, refusing negative durations.
func OrDefault(name string, d, def time.Duration) (time.Duration, error) {
	switch {
	case d == 0:
		return def, nil
	case d < 0:
		return 0, Invalid(name, d.String(), "a positive duration, or zero for the default")
	}
	return d, nil
}

// OneOf parses a setting that must be one of the accepted words, matched
// without regard to case. Unset gives def. The result is lower case.
func OneOf(get Getter, name, def string, accepted ...string) (string, error) {
	s, ok := get(name)
	if !ok {
		return def, nil
	}
	l := strings.ToLower(s)
	for _, a := range accepted {
		if l == a {
			return l, nil
		}
	}
	return def, Invalid(name, s, "one of "+strings.Join(accepted, ", "))
}

// URL parses an absolute http or https URL. Unset gives def. Credentials
// and query strings are left out of error messages.
func URL(get Getter, name, def string) (string, error) {
	s, ok := get(name)
	if !ok {
		return def, nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return def, &Error{Name: name, Value: Redact(s), Want: "an absolute http:// or https:// URL"}
	}
	return s, nil
}

// Redact returns s with any user information and query string of a URL
// removed, for printing settings that may carry secrets.
func Redact(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		if i := strings.IndexAny(s, "@?"); i >= 0 {
			return s[:i] + "…"
		}
		return s
	}
	if u.User != nil {
		u.User = url.User("REDACTED")
	}
	if u.RawQuery != "" {
		u.RawQuery = "REDACTED"
	}
	return u.String()
}

// urlPattern matches URLs in free text.
var urlPattern = regexp.MustCompile(`[a-zA-Z][a-zA-Z0-9+.-]*://[^\s"'<>]+`)

// Scrub returns msg with the user information and query string of every
// URL in it replaced (see [Redact]), for log lines, export errors and
// values shown from requests.
func Scrub(msg string) string {
	if !strings.Contains(msg, "://") {
		return msg
	}
	return urlPattern.ReplaceAllStringFunc(msg, Redact)
}

// Tags parses a comma-separated list of key=value pairs ("k=v,k2=v2"), as
// TRACER_TAGS takes. Keys are trimmed and must be non-empty; values are
// trimmed and may be empty. An empty setting gives no tags.
func Tags(name, value string) (map[string]string, error) {
	tags := map[string]string{}
	if strings.TrimSpace(value) == "" {
		return tags, nil
	}
	for _, pair := range strings.Split(value, ",") {
		k, v, ok := strings.Cut(pair, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, Invalid(name, value, "comma-separated key=value pairs such as env=prod,team=payments")
		}
		tags[k] = strings.TrimSpace(v)
	}
	return tags, nil
}
