package kernels

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestAVX512VectorKernels runs the AVX-512 exponential, layer-norm, add
// and index kernels on real hardware and compares them bit for bit with
// the references they must equal: the AVX2 exponentials (the same
// operations in the same order, 16 lanes instead of 8) and the portable
// layer norm, add and index. The lengths cover one and several 64-value
// blocks, an odd number of 8-value vectors in the last block, and the
// 4-value tail of the layer norm.
func TestAVX512VectorKernels(t *testing.T) {
	if !slices.Contains(Paths(), "avx512") {
		t.Skipf("avx512 not supported by this CPU (supported: %v); not tested here", Paths())
	}
	rng := rand.New(rand.NewPCG(31, 32))
	for _, n := range []int{8, 16, 24, 56, 64, 72, 120, 128, 136, 200, 1000, 50256} {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(rng.NormFloat64() * 8)
		}
		x[0] = -300 // below the exponential's range
		m := slices.Max(x)
		if got, want := expSumAVX512(&x[0], n, m), expSumAVX2(&x[0], n, m); math.Float64bits(got) != math.Float64bits(want) {
			t.Errorf("n=%d: expSumAVX512 = %v, expSumAVX2 = %v", n, got, want)
		}
		for _, s := range []float32{1, 0.125, 0.37} {
			got, want := make([]float32, n), make([]float32, n)
			gs := expStoreAVX512(&got[0], &x[0], n, m, s)
			ws := expStoreAVX2(&want[0], &x[0], n, m, s)
			if !sameBits(got, want) || math.Float64bits(gs) != math.Float64bits(ws) {
				t.Errorf("n=%d s=%v: expStoreAVX512 differs from expStoreAVX2 (sums %v, %v)", n, s, gs, ws)
			}
		}
	}
	for _, n := range []int{4, 8, 12, 16, 20, 36, 64, 68, 768, 1600} {
		x, gain, bias := randSlice(rng, n), randSlice(rng, n), randSlice(rng, n)
		for i := range x {
			x[i] = 3*x[i] + 1
		}
		got, want := make([]float32, n), make([]float32, n)
		layerNormAVX512(&got[0], &x[0], &gain[0], &bias[0], n, 1e-5)
		layerNormGo(want, x, gain, bias, 1e-5)
		if !sameBits(got, want) {
			t.Errorf("n=%d: layerNormAVX512 differs from the portable layer norm", n)
		}
	}
	for _, n := range []int{16, 32, 48, 64, 80, 128, 144, 1024} {
		dst, src := randSlice(rng, n), randSlice(rng, n)
		want := slices.Clone(dst)
		for i, v := range src {
			want[i] += v
		}
		addAVX512(&dst[0], &src[0], n)
		if !sameBits(dst, want) {
			t.Errorf("n=%d: addAVX512 differs from float32 additions", n)
		}
		for _, at := range []int{0, 1, 15, 16, n / 2, n - 1} {
			if at >= n {
				continue
			}
			x := make([]float32, n)
			for i := range x {
				x[i] = float32(i) + 0.5
			}
			x[at] = float32(math.Copysign(0, -1)) // −0 equals +0
			if at+17 < n {
				x[at+17] = 0
			}
			if got := indexAVX512(&x[0], n, 0); got != at {
				t.Errorf("n=%d: indexAVX512 of the zero at %d = %d", n, at, got)
			}
			x[at] = float32(math.NaN())
			if at+17 < n {
				x[at+17] = float32(math.NaN())
			}
			if got := indexAVX512(&x[0], n, float32(math.NaN())); got != -1 {
				t.Errorf("n=%d: indexAVX512 of NaN = %d, want -1", n, got)
			}
		}
		if got := indexAVX512(&dst[0], n, 7); got != -1 {
			t.Errorf("n=%d: indexAVX512 of a missing value = %d, want -1", n, got)
		}
	}
}
