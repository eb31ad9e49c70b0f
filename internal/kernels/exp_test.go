package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestExpf compares Expf with math.Exp over the range used.
func TestExpf(t *testing.T) {
	worst := 0.0
	for x := -87.0; x <= 88.0; x += 0.0137 {
		got, want := float64(Expf(float32(x))), math.Exp(float64(float32(x)))
		worst = math.Max(worst, math.Abs(got-want)/want)
	}
	if worst > 3e-7 {
		t.Errorf("Expf max relative error %.3g, want < 3e-7", worst)
	}
	if Expf(-100) != 0 || !math.IsInf(float64(Expf(100)), 1) || Expf(0) != 1 {
		t.Errorf("Expf(-100)=%v Expf(100)=%v Expf(0)=%v", Expf(-100), Expf(100), Expf(0))
	}
}

// TestExpStoreRange compares ExpStore on every path (the AVX2 one evaluates
// the polynomial in another order than Expf) with math.Exp over its whole
// range: x − m from −87.3 to 0, scaled by 1, and up to 88 through m < 0.
func TestExpStoreRange(t *testing.T) {
	defer SetPath(Paths()[len(Paths())-1])
	var x []float32
	for v := -87.3; v <= 88.0; v += 0.00731 {
		x = append(x, float32(v))
	}
	x = x[:len(x)&^7] // every element on the vector path
	dst := make([]float32, len(x))
	for _, path := range Paths() {
		if err := SetPath(path); err != nil {
			t.Fatal(err)
		}
		ExpStore(dst, x, 0, 1) // x ≤ 0 asked for; beyond it the function is still exp
		worst, at := 0.0, 0
		for i, v := range x {
			want := math.Exp(float64(v))
			if e := math.Abs(float64(dst[i])-want) / want; e > worst {
				worst, at = e, i
			}
		}
		if worst > 3e-7 {
			t.Errorf("%s: ExpStore max relative error %.3g at x=%v, want < 3e-7", path, worst, x[at])
		}
	}
}

// TestExpSumStore checks ExpSum and ExpStore on every path against
// math.Exp summed in float64, for lengths around the 8-lane boundary.
func TestExpSumStore(t *testing.T) {
	defer SetPath(Paths()[len(Paths())-1])
	rng := rand.New(rand.NewPCG(3, 4))
	for _, path := range Paths() {
		if err := SetPath(path); err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{1, 7, 8, 9, 63, 1000, 50257} {
			x := make([]float32, n)
			for i := range x {
				x[i] = float32(rng.NormFloat64() * 8)
			}
			if n > 1 {
				x[0] = -300 // far below the max: contributes ~0
			}
			m := x[0]
			for _, v := range x {
				m = max(m, v)
			}
			exps := func(s float32) (sum float64, vals []float64) {
				vals = make([]float64, n)
				for i, v := range x {
					vals[i] = math.Exp(float64((v - m) * s))
					sum += vals[i]
				}
				return sum, vals
			}
			want, _ := exps(1)
			if got := ExpSum(x, m); math.Abs(got-want) > 1e-6*want {
				t.Errorf("%s n=%d: ExpSum %v, want %v", path, n, got, want)
			}
			for _, s := range []float32{1, 0.125, 0.37} {
				want, wantVals := exps(s)
				dst := make([]float32, n)
				got := ExpStore(dst, x, m, s)
				if math.Abs(got-want) > 1e-6*want {
					t.Errorf("%s n=%d s=%v: ExpStore sum %v, want %v", path, n, s, got, want)
				}
				for i := range dst {
					if math.Abs(float64(dst[i])-wantVals[i]) > 3e-7*wantVals[i]+1e-37 {
						t.Fatalf("%s n=%d s=%v: exp[%d] = %v, want %v", path, n, s, i, dst[i], wantVals[i])
					}
				}
				// in place, and the same bits as into another buffer
				cp := append([]float32(nil), x...)
				ExpStore(cp, cp, m, s)
				for i := range cp {
					if cp[i] != dst[i] {
						t.Fatalf("%s n=%d s=%v: in-place result differs at %d", path, n, s, i)
					}
				}
			}
		}
	}
}

// TestGeluTanh checks GeluTanh on every path against the float64 formula
// Hugging Face uses.
func TestGeluTanh(t *testing.T) {
	defer SetPath(Paths()[len(Paths())-1])
	var xs []float32
	for x := -100.0; x <= 100.0; x += 0.0173 {
		xs = append(xs, float32(x))
	}
	for _, path := range Paths() {
		SetPath(path)
		got := append([]float32(nil), xs...)
		GeluTanh(got)
		for i, x := range xs {
			v := float64(x)
			want := 0.5 * v * (1 + math.Tanh(0.7978845608028654*(v+0.044715*v*v*v)))
			if math.Abs(float64(got[i])-want) > 1e-6*math.Max(1, math.Abs(want)) {
				t.Fatalf("%s: gelu(%v) = %v, want %v", path, x, got[i], want)
			}
		}
	}
}

// TestMax checks Max on every path against a plain loop, with the maximum
// placed in the vector body, in the tail and at both ends.
func TestMax(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, path := range Paths() {
		usePath(t, path)
		for _, n := range []int{1, 7, 8, 9, 31, 32, 33, 40, 1000, 50257} {
			for _, at := range []int{0, n / 2, n - 1} {
				x := make([]float32, n)
				for i := range x {
					x[i] = float32(rng.NormFloat64()*8 - 50)
				}
				x[at] = 1.5
				if got := Max(x); got != 1.5 {
					t.Errorf("%s: n=%d, maximum at %d: Max = %v, want 1.5", path, n, at, got)
				}
			}
		}
	}
}

// TestScale checks Scale on every path against the rounded float32
// product, in place and into another slice.
func TestScale(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, path := range Paths() {
		usePath(t, path)
		for _, n := range []int{1, 7, 8, 9, 31, 32, 33, 64, 100} {
			x := randSlice(rng, n)
			want := make([]float32, n)
			for i, v := range x {
				want[i] = v * 0.37
			}
			got := make([]float32, n+1)
			got[n] = 42
			Scale(got, x, 0.37)
			if !sameBits(got[:n], want) || got[n] != 42 {
				t.Errorf("%s: n=%d: Scale = %v, want %v", path, n, got[:n], want)
			}
			Scale(x, x, 0.37)
			if !sameBits(x, want) {
				t.Errorf("%s: n=%d: Scale in place differs", path, n)
			}
		}
	}
}
