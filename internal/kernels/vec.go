package kernels

import (
	"fmt"
	"math"
)

// LayerNorm sets y[j] = float32((x[j]−mean)·inv)·gain[j] + bias[j] for one
// row x, where mean and inv = 1/sqrt(var + eps) are computed in float64
// with four interleaved partial sums (a fixed order that depends only on
// len(x)). y may be x. Vectorised on AVX2 and AVX-512 for lengths that
// are multiples of 4, with the same operations in the same order, so every
// path gives the same bits.
func LayerNorm(y, x, gain, bias []float32, eps float64) {
	n := len(x)
	if n == 0 || len(y) < n || len(gain) < n || len(bias) < n {
		panic(fmt.Sprintf("kernels: LayerNorm shapes: len(y)=%d len(x)=%d len(gain)=%d len(bias)=%d", len(y), n, len(gain), len(bias)))
	}
	if useVectorKernels() && n%4 == 0 {
		if useAVX512Vectors() {
			layerNormAVX512(&y[0], &x[0], &gain[0], &bias[0], n, eps)
		} else {
			layerNormAVX2(&y[0], &x[0], &gain[0], &bias[0], n, eps)
		}
		return
	}
	layerNormGo(y, x, gain, bias, eps)
}

// layerNormGo is LayerNorm's portable code, the reference of the kernels.
func layerNormGo(y, x, gain, bias []float32, eps float64) {
	n := len(x)
	mean := sum4(x) / float64(n)
	inv := 1 / math.Sqrt(sq4(x, mean)/float64(n)+eps)
	for j, v := range x {
		// The conversions round each product, so that no compiler fuses
		// a multiply and an add (the AVX2 kernel does not either).
		y[j] = float32(float32((float64(v)-mean)*inv)*gain[j]) + bias[j]
	}
}

// sum4 returns Σ x[i] in float64, and sq4 returns Σ (x[i]−mean)², each
// with four partial sums so that the additions do not wait on each other
// (and so that the AVX2 kernel can keep them in one vector).
func sum4(x []float32) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += float64(x[i])
		s1 += float64(x[i+1])
		s2 += float64(x[i+2])
		s3 += float64(x[i+3])
	}
	for ; i < len(x); i++ {
		s0 += float64(x[i])
	}
	return (s0 + s1) + (s2 + s3)
}

func sq4(x []float32, mean float64) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		d0, d1, d2, d3 := float64(x[i])-mean, float64(x[i+1])-mean, float64(x[i+2])-mean, float64(x[i+3])-mean
		s0 += float64(d0 * d0)
		s1 += float64(d1 * d1)
		s2 += float64(d2 * d2)
		s3 += float64(d3 * d3)
	}
	for ; i < len(x); i++ {
		d := float64(x[i]) - mean
		s0 += float64(d * d)
	}
	return (s0 + s1) + (s2 + s3)
}

// Add sets dst[i] += src[i] for every i of src; vectorised on AVX2 and
// AVX-512 (the same rounded sums on every path).
func Add(dst, src []float32) {
	dst = dst[:len(src)]
	head := 0
	if useAVX512Vectors() {
		head = len(src) &^ 15
		if head > 0 {
			addAVX512(&dst[0], &src[0], head)
		}
	} else if useVectorKernels() {
		head = len(src) &^ 7
		if head > 0 {
			addAVX2(&dst[0], &src[0], head)
		}
	}
	for i, v := range src[head:] {
		dst[head+i] += v
	}
}

// Index returns the index of the first element of x equal to v, or -1;
// vectorised on AVX2 and AVX-512. A NaN equals nothing.
func Index(x []float32, v float32) int {
	head := 0
	if useAVX512Vectors() {
		head = len(x) &^ 15
		if head > 0 {
			if i := indexAVX512(&x[0], head, v); i >= 0 {
				return i
			}
		}
	} else if useVectorKernels() {
		head = len(x) &^ 7
		if head > 0 {
			if i := indexAVX2(&x[0], head, v); i >= 0 {
				return i
			}
		}
	}
	for i, e := range x[head:] {
		if e == v {
			return head + i
		}
	}
	return -1
}
