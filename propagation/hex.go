package propagation

const hexDigits = "0123456789abcdef"

// unhex returns the value of the hex digit c; upper-case digits are
// accepted unless lower is set.
func unhex(c byte, lower bool) (uint64, bool) {
	switch {
	case '0' <= c && c <= '9':
		return uint64(c - '0'), true
	case 'a' <= c && c <= 'f':
		return uint64(c-'a') + 10, true
	case 'A' <= c && c <= 'F' && !lower:
		return uint64(c-'A') + 10, true
	}
	return 0, false
}

// parseHex64 parses 1 to 16 hex digits.
func parseHex64(s string, lower bool) (uint64, bool) {
	if len(s) == 0 || len(s) > 16 {
		return 0, false
	}
	var v uint64
	for i := 0; i < len(s); i++ {
		d, ok := unhex(s[i], lower)
		if !ok {
			return 0, false
		}
		v = v<<4 | d
	}
	return v, true
}

// parseTraceID parses 1 to 32 hex digits; the last 16 are the low half.
func parseTraceID(s string, lower bool) (TraceID, bool) {
	if len(s) <= 16 {
		lo, ok := parseHex64(s, lower)
		return TraceID{Low: lo}, ok
	}
	if len(s) > 32 {
		return TraceID{}, false
	}
	hi, ok1 := parseHex64(s[:len(s)-16], lower)
	lo, ok2 := parseHex64(s[len(s)-16:], lower)
	return TraceID{High: hi, Low: lo}, ok1 && ok2
}

// appendHex16 appends v as 16 lower-case hex digits.
func appendHex16(b []byte, v uint64) []byte {
	for shift := 60; shift >= 0; shift -= 4 {
		b = append(b, hexDigits[v>>uint(shift)&0xf])
	}
	return b
}

// appendTraceID32 appends t as 32 hex digits.
func appendTraceID32(b []byte, t TraceID) []byte {
	return appendHex16(appendHex16(b, t.High), t.Low)
}

// appendTraceID appends t as 16 hex digits when High is zero, else 32: the
// B3 and Jaeger form, which keeps 64-bit ids 64-bit.
func appendTraceID(b []byte, t TraceID) []byte {
	if t.High == 0 {
		return appendHex16(b, t.Low)
	}
	return appendTraceID32(b, t)
}

// isToken reports whether s is a non-empty HTTP token (RFC 9110), the
// characters allowed in header names and W3C baggage keys.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 || !tokenChars[c] {
			return false
		}
	}
	return true
}

var tokenChars = func() (t [128]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()
