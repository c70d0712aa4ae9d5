package ratelog

import (
	"bytes"
	"log"
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	now := time.Unix(0, 0)
	l := Limiter{Every: 10 * time.Second, Now: func() time.Time { return now }}
	steps := []struct {
		after time.Duration
		give  string
		want  string // "" when held back
	}{
		{0, "a", "a"},
		{time.Second, "b", ""},
		{time.Second, "c", ""},
		{9 * time.Second, "d", "d (and 2 more messages held back over the last 11s)"},
		{10 * time.Second, "e", "e"},
	}
	for _, s := range steps {
		now = now.Add(s.after)
		got, ok := l.Allow(s.give)
		if ok != (s.want != "") || got != s.want {
			t.Errorf("Allow(%q) = %q, %t; want %q", s.give, got, ok, s.want)
		}
	}
}

func TestSecrets(t *testing.T) {
	var s Secrets
	if got := s.Redact("nothing known"); got != "nothing known" {
		t.Errorf("zero Secrets changed %q", got)
	}
	s.Add("key", "longer-key", "", "key")
	if got := s.Redact("sent longer-key and key"); got != "sent [redacted] and [redacted]" {
		t.Errorf("Redact = %q: the longest secret first, none left half visible", got)
	}
}

func TestLogger(t *testing.T) {
	var buf bytes.Buffer
	now := time.Unix(0, 0)
	l := &Logger{Out: log.New(&buf, "", 0), Prefix: "export failed: ", Secrets: &Secrets{},
		Limiter: Limiter{Every: Every, Now: func() time.Time { return now }}}
	l.Secrets.Add("tok-123")
	if got := l.Log(" sent tok-123 to https://u:pw@collector/api?key=k\n"); got != "sent [redacted] to https://REDACTED@collector/api?REDACTED" {
		t.Errorf("Log returned %q", got)
	}
	l.Log("second")
	now = now.Add(Every / 2)
	l.Log("third")
	now = now.Add(Every)
	l.Log("fourth")
	want := "export failed: sent [redacted] to https://REDACTED@collector/api?REDACTED\n" +
		"export failed: fourth (and 2 more messages held back over the last 15s)\n"
	if buf.String() != want {
		t.Errorf("log:\n%q\nwant\n%q", buf.String(), want)
	}
}
