//go:build !amd64 || purego

package kernels

// archPaths returns the assembly paths of this architecture: none.
func archPaths() []*kernelPath { return nil }

// peakKernels returns the FMA peak loops of the benchmarks: none.
func peakKernels() map[string]peakKernel { return nil }

func useVectorKernels() bool { return false }

func useAVX512Vectors() bool { return false }

func expSumAVX2(x *float32, n int, m float32) float64 { panic("kernels: no AVX2") }

func expStoreAVX2(dst *float32, x *float32, n int, m, s float32) float64 { panic("kernels: no AVX2") }

func geluAVX2(x *float32, n int) { panic("kernels: no AVX2") }

func maxAVX2(x *float32, n int) float32 { panic("kernels: no AVX2") }

func scaleAVX2(dst *float32, x *float32, n int, s float32) { panic("kernels: no AVX2") }

func layerNormAVX2(y *float32, x *float32, gain *float32, bias *float32, n int, eps float64) {
	panic("kernels: no AVX2")
}

func addAVX2(dst *float32, src *float32, n int) { panic("kernels: no AVX2") }

func indexAVX2(x *float32, n int, v float32) int { panic("kernels: no AVX2") }

func layerNormAVX512(y *float32, x *float32, gain *float32, bias *float32, n int, eps float64) {
	panic("kernels: no AVX-512")
}

func addAVX512(dst *float32, src *float32, n int) { panic("kernels: no AVX-512") }

func indexAVX512(x *float32, n int, v float32) int { panic("kernels: no AVX-512") }

func expSumAVX512(x *float32, n int, m float32) float64 { panic("kernels: no AVX-512") }

func expStoreAVX512(dst *float32, x *float32, n int, m, s float32) float64 {
	panic("kernels: no AVX-512")
}

func hasReadKernel() bool { return false }

func readSumAVX2(p *uint32, n int) uint32 { panic("kernels: no AVX2") }
