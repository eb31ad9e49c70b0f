package kernels

import (
	"math/rand/v2"
	"testing"
	"time"
)

// TestReadSum checks the bandwidth probe's loads: the sum modulo 2³² of
// every word, at lengths around the kernel's 64-word step and at every
// alignment of a 4-byte word, against a plain loop.
func TestReadSum(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	buf := make([]uint32, 1000)
	for i := range buf {
		buf[i] = r.Uint32()
	}
	for _, n := range []int{0, 1, 3, 63, 64, 65, 127, 128, 200, 640, 900} {
		for _, off := range []int{0, 1, 7, 13} {
			w := buf[off : off+n]
			var want uint32
			for _, x := range w {
				want += x
			}
			if got := readSum(w); got != want {
				t.Errorf("readSum(%d words at offset %d) = %d, want %d", n, off, got, want)
			}
		}
	}
}

// TestReadBuffer checks that a buffer has the size asked for and that a
// measurement returns a positive finite rate.
func TestReadBuffer(t *testing.T) {
	rb := NewReadBuffer(1 << 20)
	if rb.Bytes() != 1<<20 {
		t.Fatalf("Bytes() = %d, want %d", rb.Bytes(), 1<<20)
	}
	if g := rb.GBps(2, time.Millisecond); !(g > 0) || g > 1e6 {
		t.Fatalf("GBps = %v, want a positive rate", g)
	}
}
