package kernels

import (
	"math"
	"testing"
	"time"
)

// TestPeakGFLOPS checks that the peak measurement runs the best FMA loop
// for at least the time asked and returns a finite rate above 1 GFLOP/s
// (any AVX2 core does tens), or 0 without an assembly loop.
func TestPeakGFLOPS(t *testing.T) {
	if _, ok := bestPeakKernel(); !ok {
		if p := PeakGFLOPS(1, time.Millisecond); p != 0 {
			t.Errorf("PeakGFLOPS without an assembly loop = %v, want 0", p)
		}
		t.Skip("no assembly FMA loop on this CPU or build")
	}
	start := time.Now()
	p := PeakGFLOPS(1, 20*time.Millisecond)
	if took := time.Since(start); took < 20*time.Millisecond || took > 2*time.Second {
		t.Errorf("PeakGFLOPS(1, 20ms) took %v", took)
	}
	if math.IsNaN(p) || math.IsInf(p, 0) || p < 1 {
		t.Errorf("PeakGFLOPS(1, 20ms) = %v GFLOP/s, want a finite rate above 1", p)
	}
}

// TestPathPeakGFLOPS checks that each path has its own peak loop (the
// portable path none) and that it yields a finite rate above 1 GFLOP/s.
func TestPathPeakGFLOPS(t *testing.T) {
	for _, path := range pathNames {
		t.Run(path, func(t *testing.T) {
			usePath(t, path)
			p := PathPeakGFLOPS(1, 10*time.Millisecond)
			_, has := peakKernels()[path]
			if has != (p != 0) || math.IsNaN(p) || math.IsInf(p, 0) || (has && p < 1) {
				t.Errorf("%s: PathPeakGFLOPS = %v (the path has a peak loop: %v)", path, p, has)
			}
		})
	}
}
