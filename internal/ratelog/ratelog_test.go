package ratelog

import (
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
