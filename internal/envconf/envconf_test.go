package envconf

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// getter reads m as tracer.Config.Get reads its Lookup: trimmed, and set
// only when non-empty.
func getter(m map[string]string) Getter {
	return func(name string) (string, bool) {
		v := strings.TrimSpace(m[name])
		return v, v != ""
	}
}

func TestParsers(t *testing.T) {
	tests := []struct {
		name    string
		parse   func(Getter) (any, error)
		give    string // value of X; "" means unset
		want    any
		wantErr string
	}{
		{"bool unset", func(g Getter) (any, error) { return Bool(g, "X", true) }, "", true, ""},
		{"bool", func(g Getter) (any, error) { return Bool(g, "X", false) }, "TRUE", true, ""},
		{"bool bad", func(g Getter) (any, error) { return Bool(g, "X", false) }, "yes", false, `X="yes": want a boolean`},
		{"int", func(g Getter) (any, error) { return Int(g, "X", 1, 0, 10) }, "7", 7, ""},
		{"int range", func(g Getter) (any, error) { return Int(g, "X", 1, 0, 10) }, "11", 1, `X="11": want an integer from 0 to 10`},
		{"port bad", func(g Getter) (any, error) { return Int(g, "X", 6831, 1, 65535) }, "0", 6831, `X="0": want an integer from 1 to 65535`},
		{"duration", func(g Getter) (any, error) { return Duration(g, "X", time.Second) }, "250ms", 250 * time.Millisecond, ""},
		{"duration no unit", func(g Getter) (any, error) { return Duration(g, "X", time.Second) }, "5", time.Second, `X="5": want a positive Go duration`},
		{"duration negative", func(g Getter) (any, error) { return Duration(g, "X", time.Second) }, "-1s", time.Second, `X="-1s"`},
		{"oneof", func(g Getter) (any, error) { return OneOf(g, "X", "http", "http", "grpc") }, "GRPC", "grpc", ""},
		{"oneof bad", func(g Getter) (any, error) { return OneOf(g, "X", "http", "http", "grpc") }, "udp", "http", `X="udp": want one of http, grpc`},
		{"url", func(g Getter) (any, error) { return URL(g, "X", "d") }, "http://h:1/p", "http://h:1/p", ""},
		{"url bad scheme", func(g Getter) (any, error) { return URL(g, "X", "d") }, "ftp://h", "d", `X="ftp://h": want an absolute http:// or https:// URL`},
		{"url relative", func(g Getter) (any, error) { return URL(g, "X", "d") }, "/api", "d", `X="/api"`},
		{"float NaN", func(g Getter) (any, error) { v, _, err := Float(g, "X", 1, 0, 1); return v, err }, "NaN", 1.0, `X="NaN": want a number from 0 to 1`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := map[string]string{}
			if tt.give != "" {
				m["X"] = tt.give
			}
			got, err := tt.parse(getter(m))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				if !errors.Is(err, ErrInvalid) {
					t.Errorf("error does not wrap ErrInvalid")
				}
			} else if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v (%T), want %v (%T)", got, got, tt.want, tt.want)
			}
		})
	}
}

func TestSecretsNeverPrinted(t *testing.T) {
	tests := []struct {
		give  error
		leaks string
	}{
		{&Error{Name: "LIGHTSTEP_ACCESS_TOKEN", Value: "tok-123", Want: "x", Secret: true}, "tok-123"},
		{func() error {
			_, err := URL(getter(map[string]string{"X": "ftp://user:hunter2@h/?key=s3cr3t"}), "X", "")
			return err
		}(), "hunter2"},
		{func() error {
			_, err := URL(getter(map[string]string{"X": "ftp://h/?key=s3cr3t"}), "X", "")
			return err
		}(), "s3cr3t"},
	}
	for _, tt := range tests {
		if tt.give == nil {
			t.Fatal("no error to check")
		}
		if strings.Contains(tt.give.Error(), tt.leaks) {
			t.Errorf("error %q leaks %q", tt.give, tt.leaks)
		}
	}
	if got := Redact("http://u:p@h:1/x?token=t"); strings.Contains(got, "p@") || strings.Contains(got, "token=t") {
		t.Errorf("Redact left a secret in %q", got)
	}
}

func TestTags(t *testing.T) {
	tests := []struct {
		give    string
		want    map[string]string
		wantErr bool
	}{
		{"", map[string]string{}, false},
		{"a=1", map[string]string{"a": "1"}, false},
		{" a = 1 , b=2,c=", map[string]string{"a": "1", "b": "2", "c": ""}, false},
		{"a=b=c", map[string]string{"a": "b=c"}, false},
		{"novalue", nil, true},
		{"=v", nil, true},
		{"a=1,,b=2", nil, true},
	}
	for _, tt := range tests {
		got, err := Tags("TRACER_TAGS", tt.give)
		if (err != nil) != tt.wantErr {
			t.Errorf("Tags(%q) error = %v, wantErr %v", tt.give, err, tt.wantErr)
			continue
		}
		if err != nil {
			if !strings.Contains(err.Error(), `TRACER_TAGS="`+tt.give+`"`) {
				t.Errorf("error %q does not name the variable and value", err)
			}
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Tags(%q) = %v, want %v", tt.give, got, tt.want)
		}
	}
}

func TestOrDefault(t *testing.T) {
	tests := []struct {
		give, want time.Duration
		wantErr    bool
	}{
		{0, 5 * time.Second, false},
		{time.Millisecond, time.Millisecond, false},
		{-time.Second, 0, true},
	}
	for _, tt := range tests {
		got, err := OrDefault("x.Options.Timeout", tt.give, 5*time.Second)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("OrDefault(%v) = %v, %v; want %v, error %v", tt.give, got, err, tt.want, tt.wantErr)
		}
		if err != nil && (!errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "x.Options.Timeout")) {
			t.Errorf("OrDefault(%v) error %v: want ErrInvalid naming the field", tt.give, err)
		}
	}
}
