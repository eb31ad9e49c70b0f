package kernels

import (
	"sync"
	"sync/atomic"
	"time"
)

// readSink keeps the probe's sums live.
var readSink atomic.Uint32

// ReadBuffer is a buffer for measuring the memory read bandwidth that
// generation's weight streaming is bound by: make it much larger than the
// last-level cache (hundreds of megabytes), so that every pass reads it
// from memory.
type ReadBuffer struct {
	words []uint32
}

// NewReadBuffer returns a buffer of about bytes bytes (rounded down to a
// multiple of 256, at least 256), every page of it written, so that reads
// come from memory and not from the kernel's shared zero page.
func NewReadBuffer(bytes int) *ReadBuffer {
	n := max(64, bytes/256*64)
	w := make([]uint32, n)
	for i := range w {
		w[i] = uint32(i)
	}
	return &ReadBuffer{words: w}
}

// Bytes returns the size of the buffer in bytes.
func (r *ReadBuffer) Bytes() int { return 4 * len(r.words) }

// GBps streams reads through the whole buffer on threads goroutines, each
// reading its own contiguous part with vector loads, until d has passed,
// and returns the rate in GB/s (10⁹ bytes per second).
func (r *ReadBuffer) GBps(threads int, d time.Duration) float64 {
	threads = max(1, threads)
	per := (len(r.words)/threads + 63) &^ 63
	start := time.Now()
	var bytes float64
	var sink uint32
	for bytes == 0 || time.Since(start) < d {
		var wg sync.WaitGroup
		sums := make([]uint32, threads)
		for t := range threads {
			lo, hi := min(len(r.words), t*per), min(len(r.words), (t+1)*per)
			wg.Go(func() { sums[t] = readSum(r.words[lo:hi]) })
		}
		wg.Wait()
		for _, s := range sums {
			sink += s
		}
		bytes += float64(4 * len(r.words))
	}
	readSink.Store(sink)
	return bytes / time.Since(start).Seconds() / 1e9
}

// readSum returns the sum of w modulo 2³² (the probe's loads; the sum
// only keeps them from being optimised away and lets a test check them).
func readSum(w []uint32) uint32 {
	var s uint32
	if n := len(w) &^ 63; n > 0 && hasReadKernel() {
		s = readSumAVX2(&w[0], n)
		w = w[n:]
	}
	var a [4]uint32
	for ; len(w) >= 4; w = w[4:] {
		a[0] += w[0]
		a[1] += w[1]
		a[2] += w[2]
		a[3] += w[3]
	}
	for _, x := range w {
		s += x
	}
	return s + a[0] + a[1] + a[2] + a[3]
}
