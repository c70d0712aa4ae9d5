// Package hdrscan tells, without allocating, whether a carrier of HTTP
// headers holds any field of a propagation format, so that a backend can
// answer opentracing.ErrSpanContextNotFound for the common request that
// carries no trace context instead of running its vendor's extractor,
// which lower-cases (and so copies) every header name of every request.
package hdrscan

import (
	"github.com/opentracing/opentracing-go"
)

// Fields are the header names a propagation format reads: exact names and
// name prefixes, in lower case ASCII.
type Fields struct {
	Names    []string
	Prefixes []string
}

// Absent reports whether carrier is an opentracing.HTTPHeadersCarrier
// none of whose names is one of f's, ignoring ASCII case. It is false for
// any other carrier, which the caller must then extract (or refuse) as
// usual.
func (f Fields) Absent(carrier interface{}) bool {
	h, ok := carrier.(opentracing.HTTPHeadersCarrier)
	if !ok {
		return false
	}
	for k := range h {
		if f.Match(k) {
			return false
		}
	}
	return true
}

// Match reports whether the header name k is one of f's names or starts
// with one of its prefixes, ignoring ASCII case.
func (f Fields) Match(k string) bool {
	for _, n := range f.Names {
		if len(k) == len(n) && equalFold(k, n) {
			return true
		}
	}
	for _, p := range f.Prefixes {
		if len(k) >= len(p) && equalFold(k[:len(p)], p) {
			return true
		}
	}
	return false
}

// equalFold reports whether s equals lower, a lower-case ASCII string of
// the same length, ignoring the case of ASCII letters in s. Non-ASCII
// bytes never match, as HTTP field names are ASCII tokens.
func equalFold(s, lower string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}
