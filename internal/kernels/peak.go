package kernels

import (
	"sync"
	"time"
)

// PeakGFLOPS measures this machine's float32 FMA peak, in GFLOP/s, on
// threads goroutines for about d: register-only loops of independent
// vector FMAs of the widest assembly path the CPU has. It returns 0 when
// there is none (the portable build). Benchmarks report their speed as a
// share of it, measured next to them: on a shared or virtual machine the
// peak itself moves.
func PeakGFLOPS(threads int, d time.Duration) float64 {
	pk, ok := bestPeakKernel()
	if !ok {
		return 0
	}
	return pk.measure(threads, d)
}

// PathPeakGFLOPS is PeakGFLOPS measured with the FMA loop of the code
// path in use (Path), at its vector width: on a CPU with AVX-512 the avx2
// path's peak is that of 8-wide FMAs, the ceiling of code that uses them.
// It returns 0 on the portable path.
func PathPeakGFLOPS(threads int, d time.Duration) float64 {
	pk, ok := peakKernels()[Path()]
	if !ok {
		return 0
	}
	return pk.measure(threads, d)
}

func bestPeakKernel() (peakKernel, bool) {
	peaks := peakKernels()
	for i := len(pathNames) - 1; i >= 0; i-- {
		if pk, ok := peaks[pathNames[i]]; ok {
			return pk, true
		}
	}
	return peakKernel{}, false
}

// peakIters is the length of one round of the peak loop: about 2 ms, so
// that starting goroutines costs nothing measurable.
const peakIters = 1 << 20

// round runs peakIters iterations of the loop on each of threads
// goroutines and returns the number of floating-point operations.
func (pk peakKernel) round(threads int) float64 {
	var wg sync.WaitGroup
	for range threads {
		wg.Go(func() { pk.run(peakIters) })
	}
	wg.Wait()
	return float64(threads) * peakIters * float64(pk.flops)
}

// measure runs rounds until d has passed and returns the rate in GFLOP/s.
func (pk peakKernel) measure(threads int, d time.Duration) float64 {
	start := time.Now()
	var flops float64
	for flops == 0 || time.Since(start) < d {
		flops += pk.round(threads)
	}
	return flops / time.Since(start).Seconds() / 1e9
}
