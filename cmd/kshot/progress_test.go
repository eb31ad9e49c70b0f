package main

import (
	"bytes"
	"testing"
	"time"
)

// TestProgressLog: on a non-terminal a repeated 0 of the same task prints
// one line, and a run that computes no token (answered from the cache)
// prints no "0 tokens/s".
func TestProgressLog(t *testing.T) {
	var b bytes.Buffer
	p := newProgress(&b, func() int64 { return 0 })
	p.interval = time.Hour // only the first and the last line are due
	for range 3 {
		p.update("copa", 0, 300)
	}
	p.update("copa", 150, 300)
	p.update("copa", 300, 300)
	want := "kshot: copa: 0/300 requests, ETA ?\nkshot: copa: 300/300 requests, ETA done\n"
	if b.String() != want {
		t.Errorf("progress printed\n%s\nwant\n%s", b.String(), want)
	}
}
