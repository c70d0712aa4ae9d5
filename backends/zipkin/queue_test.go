package zipkin_test

import (
	"errors"
	"testing"

	"github.com/openzipkin/zipkin-go/model"

	"github.com/polytrace/polytrace/backends/zipkin"
)

func TestQueueReporter(t *testing.T) {
	failed := errors.New("disk full")
	taken, release := make(chan struct{}, 8), make(chan struct{})
	var got []string
	rep := zipkin.NewQueueReporter(2,
		func(s model.SpanModel) (string, error) {
			if s.Name == "unencodable" {
				return "", errors.New("bad span")
			}
			return s.Name, nil
		},
		func(name string) (bool, error) {
			taken <- struct{}{}
			<-release
			switch name {
			case "refused":
				return false, nil
			case "failed":
				return false, failed
			}
			got = append(got, name)
			return true, nil
		})
	// The goroutine takes "ok" and waits; "refused" and "failed" fill the
	// queue of 2; "full" finds it full.
	rep.Send(model.SpanModel{Name: "ok"})
	<-taken
	for _, name := range []string{"refused", "failed", "full", "unencodable"} {
		rep.Send(model.SpanModel{Name: name})
	}
	close(release)
	if err := rep.Close(); err != nil {
		t.Fatal(err)
	}
	st := rep.Stats()
	if len(got) != 1 || got[0] != "ok" || st.SpansExported != 1 || st.SpansDropped != 4 || st.ExportErrors != 2 ||
		st.LastExportError != "disk full" || st.LastExportTime.IsZero() {
		t.Errorf("delivered %v, Stats %s", got, st)
	}
	full, nFailed, first := rep.Lost()
	if full != 1 || nFailed != 2 || first == nil || first.Error() != "bad span" {
		t.Errorf("Lost() = %d, %d, %v; want 1, 2, bad span", full, nFailed, first)
	}
}
