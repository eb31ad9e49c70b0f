package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestLayerNorm checks LayerNorm on every path against the normalisation
// computed in float64 with math, and that all paths give the same bits
// (the AVX2 kernel repeats the portable arithmetic), in place too.
func TestLayerNorm(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, n := range []int{1, 3, 4, 5, 8, 12, 36, 768, 1600} {
		x, gain, bias := make([]float32, n), make([]float32, n), make([]float32, n)
		for i := range x {
			x[i] = float32(rng.NormFloat64()*3 + 1)
			gain[i] = float32(rng.NormFloat64())
			bias[i] = float32(rng.NormFloat64())
		}
		const eps = 1e-5
		var mean, v float64
		for _, e := range x {
			mean += float64(e)
		}
		mean /= float64(n)
		for _, e := range x {
			v += (float64(e) - mean) * (float64(e) - mean)
		}
		v /= float64(n)
		var first []float32
		for _, path := range Paths() {
			usePath(t, path)
			y := make([]float32, n)
			LayerNorm(y, x, gain, bias, eps)
			for j := range y {
				want := (float64(x[j])-mean)/math.Sqrt(v+eps)*float64(gain[j]) + float64(bias[j])
				if math.Abs(float64(y[j])-want) > 1e-5*math.Max(1, math.Abs(want)) {
					t.Fatalf("%s n=%d: y[%d] = %v, want %v", path, n, j, y[j], want)
				}
			}
			if first == nil {
				first = y
			}
			for j := range y {
				if y[j] != first[j] {
					t.Fatalf("%s n=%d: y[%d] = %v, another path gives %v", path, n, j, y[j], first[j])
				}
			}
			in := append([]float32(nil), x...)
			LayerNorm(in, in, gain, bias, eps)
			for j := range in {
				if in[j] != y[j] {
					t.Fatalf("%s n=%d: in place y[%d] = %v, want %v", path, n, j, in[j], y[j])
				}
			}
		}
	}
}

// TestAdd checks Add on every path against float32 additions one by one.
func TestAdd(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, path := range Paths() {
		usePath(t, path)
		for _, n := range []int{0, 1, 7, 8, 9, 31, 32, 33, 40, 71, 1000} {
			dst, src := randSlice(rng, n+3), randSlice(rng, n)
			want := append([]float32(nil), dst...)
			for i, v := range src {
				want[i] = dst[i] + v
			}
			Add(dst, src)
			for i := range want {
				if dst[i] != want[i] {
					t.Fatalf("%s n=%d: dst[%d] = %v, want %v", path, n, i, dst[i], want[i])
				}
			}
		}
	}
}

// TestIndex checks Index on every path: the first of two equal elements,
// in the vector body and in the tail, a missing value and a NaN.
func TestIndex(t *testing.T) {
	for _, path := range Paths() {
		usePath(t, path)
		for _, n := range []int{1, 7, 8, 9, 16, 17, 40, 1000} {
			for _, at := range []int{0, n / 2, n - 1} {
				x := make([]float32, n)
				for i := range x {
					x[i] = float32(i)
				}
				x[at] = -1
				if at+3 < n {
					x[at+3] = -1
				}
				if got := Index(x, -1); got != at {
					t.Errorf("%s n=%d: Index of the value at %d = %d", path, n, at, got)
				}
			}
			x := make([]float32, n)
			if got := Index(x, 1); got != -1 {
				t.Errorf("%s n=%d: Index of a missing value = %d, want -1", path, n, got)
			}
			x[n-1] = float32(math.NaN())
			if got := Index(x, float32(math.NaN())); got != -1 {
				t.Errorf("%s n=%d: Index of NaN = %d, want -1", path, n, got)
			}
		}
	}
}
