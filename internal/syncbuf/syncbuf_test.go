package syncbuf

import (
	"fmt"
	"sync"
	"testing"
)

func TestBuffer(t *testing.T) {
	var b Buffer
	if b.Lines() != nil || b.String() != "" {
		t.Fatal("the zero Buffer is not empty")
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 100 {
				fmt.Fprintf(&b, "line %d.%d\n", i, j)
			}
		}()
	}
	wg.Wait()
	if n := len(b.Lines()); n != 800 {
		t.Errorf("%d lines, want 800", n)
	}
	got := b.Bytes()
	got[0] = 'X'
	if b.String()[0] == 'X' {
		t.Error("Bytes shares the buffer")
	}
}
