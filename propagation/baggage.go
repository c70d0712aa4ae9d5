package propagation

import (
	"maps"
	"net/url"
	"slices"
	"strings"

	"github.com/opentracing/opentracing-go"
)

// The limits W3C Baggage sets: a header longer than maxBaggageBytes is
// ignored, and members beyond maxBaggageMembers are dropped.
const (
	maxBaggageBytes   = 8192
	maxBaggageMembers = 180
)

// parseBaggage reads a W3C baggage header: comma-separated key=value
// members, each value percent-encoded, properties after ";" ignored. A
// member that does not parse is skipped, the others are kept.
func parseBaggage(v string) map[string]string {
	if len(v) > maxBaggageBytes {
		return nil
	}
	var m map[string]string
	for member := range strings.SplitSeq(v, ",") {
		if len(m) == maxBaggageMembers {
			break
		}
		kv, _, _ := strings.Cut(member, ";")
		k, val, ok := strings.Cut(kv, "=")
		k, val = strings.Trim(k, " \t"), strings.Trim(val, " \t")
		if !ok || !isToken(k) || !isBaggageValue(val) {
			continue
		}
		if strings.IndexByte(val, '%') >= 0 {
			u, err := url.PathUnescape(val)
			if err != nil {
				continue
			}
			val = u
		}
		m = put(m, k, val)
	}
	return m
}

// isBaggageOctet reports whether c may appear unencoded in a W3C baggage
// value: printable ASCII except space, '"', ',', ';' and '\'.
func isBaggageOctet(c byte) bool {
	return c > 0x20 && c < 0x7f && c != '"' && c != ',' && c != ';' && c != '\\'
}

func isBaggageValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isBaggageOctet(s[i]) {
			return false
		}
	}
	return true
}

// injectBaggage writes the items whose keys are tokens as one W3C baggage
// header, sorted by key, within W3C's limits.
func injectBaggage(items map[string]string, w opentracing.TextMapWriter) {
	if len(items) == 0 {
		return
	}
	var (
		b strings.Builder
		n int
	)
	for _, k := range slices.Sorted(maps.Keys(items)) {
		if !isToken(k) {
			continue
		}
		v := escapeBaggage(items[k])
		size := len(k) + 1 + len(v)
		if b.Len() > 0 {
			size++
		}
		if b.Len()+size > maxBaggageBytes || n == maxBaggageMembers {
			break
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(v)
		n++
	}
	if b.Len() > 0 {
		w.Set(hBaggage, b.String())
	}
}

// escapeBaggage percent-encodes the bytes of s that are not baggage
// octets, and '%'.
func escapeBaggage(s string) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if !isBaggageOctet(s[i]) || s[i] == '%' {
			n++
		}
	}
	if n == 0 {
		return s
	}
	b := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isBaggageOctet(c) && c != '%' {
			b = append(b, c)
			continue
		}
		b = append(b, '%', "0123456789ABCDEF"[c>>4], "0123456789ABCDEF"[c&0xf])
	}
	return string(b)
}
