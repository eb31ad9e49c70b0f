//go:build !amd64 || purego

package kernels

// archPaths returns the assembly paths of this architecture: none.
func archPaths() []*kernelPath { return nil }

// peakKernels returns the FMA peak loops of the benchmarks: none.
func peakKernels() map[string]peakKernel { return nil }
