package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// usePath switches to the named path for the rest of the test, or skips
// the test when this CPU cannot run it.
func usePath(t testing.TB, name string) {
	t.Helper()
	if !slices.Contains(Paths(), name) {
		t.Skipf("path %s is not available on this CPU or build (available: %v); not tested here", name, Paths())
	}
	old := Path()
	if err := SetPath(name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = SetPath(old) })
}

func useThreads(t testing.TB, n int) {
	old := Threads()
	SetThreads(n)
	t.Cleanup(func() { SetThreads(old) })
}

func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.Float64()*2 - 1)
	}
	return s
}

// tol is the error allowed for a float32 sum of k products whose absolute
// values sum to scale.
func tol(k int, scale float64) float64 { return 1e-5 * math.Sqrt(float64(k)) * scale }

// refMatMul returns a·b + bias in float64 and, per element, Σ|a·b| + |bias|.
func refMatMul(a, b, bias []float32, m, k, n int) (ref, scale []float64) {
	ref, scale = make([]float64, m*n), make([]float64, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s, abs float64
			if bias != nil {
				s, abs = float64(bias[j]), math.Abs(float64(bias[j]))
			}
			for r := 0; r < k; r++ {
				p := float64(a[i*k+r]) * float64(b[r*n+j])
				s += p
				abs += math.Abs(p)
			}
			ref[i*n+j], scale[i*n+j] = s, abs
		}
	}
	return ref, scale
}

func transpose(b []float32, k, n int) []float32 {
	t := make([]float32, k*n)
	for r := 0; r < k; r++ {
		for c := 0; c < n; c++ {
			t[c*k+r] = b[r*n+c]
		}
	}
	return t
}

var matMulShapes = []struct{ k, n int }{
	{1, 1}, {3, 63}, {17, 65}, {64, 64}, {255, 16}, {256, 50}, {300, 1017}, {513, 130}, {40, 1000 + 17},
}

func TestMatMul(t *testing.T) {
	for _, path := range pathNames {
		t.Run(path, func(t *testing.T) {
			usePath(t, path)
			r := rand.New(rand.NewPCG(1, 2))
			for _, sh := range matMulShapes {
				b := randSlice(r, sh.k*sh.n)
				kn, nk := PackKN(b, sh.k, sh.n), PackNK(transpose(b, sh.k, sh.n), sh.n, sh.k)
				for _, withBias := range []bool{false, true} {
					var bias []float32
					if withBias {
						bias = randSlice(r, sh.n)
					}
					for m := 1; m <= 13; m++ {
						if sh.k*sh.n > 100000 && m%4 != 1 {
							continue // keep the test fast on the big shapes
						}
						a := randSlice(r, m*sh.k)
						ref, scale := refMatMul(a, b, bias, m, sh.k, sh.n)
						for _, p := range []struct {
							name string
							w    *Packed
						}{{"PackKN", kn}, {"PackNK", nk}} {
							name := fmt.Sprintf("%s/K=%d/N=%d/M=%d/bias=%v", p.name, sh.k, sh.n, m, withBias)
							checkMatMul(t, name, a, m, p.w, bias, ref, scale)
						}
					}
				}
			}
		})
	}
}

// checkMatMul runs MatMul into a NaN-filled dst with a sentinel tail and
// compares it with the reference.
func checkMatMul(t *testing.T, name string, a []float32, m int, w *Packed, bias []float32, ref, scale []float64) {
	t.Helper()
	dst := make([]float32, m*w.N+7)
	for i := range dst {
		dst[i] = float32(math.NaN())
	}
	MatMul(dst, a, m, w, bias)
	for i, want := range ref {
		if d := math.Abs(float64(dst[i]) - want); !(d <= tol(w.K, scale[i])) {
			t.Fatalf("%s: dst[%d,%d] = %g, want %g (diff %.3g)", name, i/w.N, i%w.N, dst[i], want, d)
		}
	}
	for i := m * w.N; i < len(dst); i++ {
		if !math.IsNaN(float64(dst[i])) {
			t.Fatalf("%s: MatMul wrote dst[%d] past M×N", name, i)
		}
	}
}

func TestPackedBytes(t *testing.T) {
	for _, tc := range []struct{ k, n, want int }{
		{1, 1, 4 * 64}, {10, 64, 4 * 10 * 64}, {10, 65, 4 * 10 * 128}, {768, 50257, 4 * 768 * 50304},
	} {
		t.Run(fmt.Sprintf("%dx%d", tc.k, tc.n), func(t *testing.T) {
			if got := newPacked(tc.k, tc.n).Bytes(); got != tc.want {
				t.Errorf("Bytes() = %d, want %d", got, tc.want)
			}
		})
	}
}

var rowShapes = []struct{ n, d int }{
	{0, 8}, {1, 1}, {1, 7}, {3, 8}, {4, 9}, {5, 15}, {9, 16}, {4, 17}, {7, 63}, {6, 64}, {13, 65}, {5, 72}, {3, 130}, {2, 200},
}

func TestDotRows(t *testing.T) {
	for _, path := range pathNames {
		t.Run(path, func(t *testing.T) {
			usePath(t, path)
			r := rand.New(rand.NewPCG(3, 4))
			for _, sh := range rowShapes {
				q, k := randSlice(r, sh.d), randSlice(r, sh.n*sh.d)
				dst := make([]float32, sh.n+1)
				dst[sh.n] = 42
				DotRows(dst, q, k, sh.n, sh.d)
				for j := 0; j < sh.n; j++ {
					var s, abs float64
					for i := 0; i < sh.d; i++ {
						p := float64(q[i]) * float64(k[j*sh.d+i])
						s += p
						abs += math.Abs(p)
					}
					if d := math.Abs(float64(dst[j]) - s); !(d <= tol(sh.d, abs)) {
						t.Errorf("n=%d d=%d: dst[%d] = %g, want %g", sh.n, sh.d, j, dst[j], s)
					}
				}
				if dst[sh.n] != 42 {
					t.Errorf("n=%d d=%d: DotRows wrote dst[n]", sh.n, sh.d)
				}
			}
		})
	}
}

func TestAxpyRows(t *testing.T) {
	for _, path := range pathNames {
		t.Run(path, func(t *testing.T) {
			usePath(t, path)
			r := rand.New(rand.NewPCG(5, 6))
			for _, sh := range rowShapes {
				p, v := randSlice(r, sh.n), randSlice(r, sh.n*sh.d)
				out := append(randSlice(r, sh.d), 42)
				want, abs := make([]float64, sh.d), make([]float64, sh.d)
				for i := range want {
					want[i], abs[i] = float64(out[i]), math.Abs(float64(out[i]))
					for j := 0; j < sh.n; j++ {
						x := float64(p[j]) * float64(v[j*sh.d+i])
						want[i] += x
						abs[i] += math.Abs(x)
					}
				}
				AxpyRows(out, p, v, sh.n, sh.d)
				for i := range want {
					if d := math.Abs(float64(out[i]) - want[i]); !(d <= tol(sh.n+1, abs[i])) {
						t.Errorf("n=%d d=%d: out[%d] = %g, want %g", sh.n, sh.d, i, out[i], want[i])
					}
				}
				if out[sh.d] != 42 {
					t.Errorf("n=%d d=%d: AxpyRows wrote out[d]", sh.n, sh.d)
				}
			}
		})
	}
}

// TestHandComputed checks a product small enough to do by hand.
func TestHandComputed(t *testing.T) {
	for _, path := range pathNames {
		t.Run(path, func(t *testing.T) {
			usePath(t, path)
			// [1 2; 3 4] · [5 6 7; 8 9 10] + [1 0 -1] = [22 24 26; 48 54 60].
			w := PackKN([]float32{5, 6, 7, 8, 9, 10}, 2, 3)
			dst := make([]float32, 6)
			MatMul(dst, []float32{1, 2, 3, 4}, 2, w, []float32{1, 0, -1})
			if want := []float32{22, 24, 26, 48, 54, 60}; !slices.Equal(dst, want) {
				t.Errorf("MatMul = %v, want %v", dst, want)
			}
			scores := make([]float32, 2)
			DotRows(scores, []float32{1, 2, 3}, []float32{1, 1, 1, 0, -1, 2}, 2, 3)
			if want := []float32{6, 4}; !slices.Equal(scores, want) {
				t.Errorf("DotRows = %v, want %v", scores, want)
			}
			out := []float32{1, 1}
			AxpyRows(out, []float32{2, -1}, []float32{1, 2, 3, 4}, 2, 2)
			if want := []float32{0, 1}; !slices.Equal(out, want) {
				t.Errorf("AxpyRows = %v, want %v", out, want)
			}
		})
	}
}

func TestSetPath(t *testing.T) {
	old := Path()
	t.Cleanup(func() { _ = SetPath(old) })
	ps := Paths()
	if ps[0] != "portable" || ps[len(ps)-1] != old {
		t.Errorf("Paths() = %v with default %q, want portable first and the default last", ps, old)
	}
	for _, name := range pathNames {
		t.Run(name, func(t *testing.T) {
			err := SetPath(name)
			if slices.Contains(ps, name) {
				if err != nil || Path() != name {
					t.Errorf("SetPath(%q) = %v, Path() = %q", name, err, Path())
				}
			} else if err == nil {
				t.Errorf("SetPath(%q) succeeded on a CPU without it", name)
			}
		})
	}
	_ = SetPath("portable")
	if err := SetPath("avx3"); err == nil || Path() != "portable" {
		t.Errorf("SetPath(avx3) = %v, Path() = %q; want an error and no change", err, Path())
	}
}

// FuzzMatMul checks MatMul on the current path against the float64
// reference for arbitrary small shapes, and bit for bit against the FMA
// chain reference on the FMA paths.
func FuzzMatMul(f *testing.F) {
	f.Add(uint8(1), uint16(1), uint16(1), uint64(0), true)
	f.Add(uint8(13), uint16(300), uint16(65), uint64(1), false)
	f.Add(uint8(7), uint16(769), uint16(17), uint64(2), true)
	f.Fuzz(func(t *testing.T, m8 uint8, k16, n16 uint16, seed uint64, withBias bool) {
		m, k, n := 1+int(m8)%20, 1+int(k16)%800, 1+int(n16)%200
		r := rand.New(rand.NewPCG(seed, 99))
		b, a := randSlice(r, k*n), randSlice(r, m*k)
		var bias []float32
		if withBias {
			bias = randSlice(r, n)
		}
		ref, scale := refMatMul(a, b, bias, m, k, n)
		checkMatMul(t, fmt.Sprintf("M=%d K=%d N=%d", m, k, n), a, m, PackKN(b, k, n), bias, ref, scale)
		if p := Path(); p == "avx2" || p == "avx512" {
			dst := make([]float32, m*n)
			MatMul(dst, a, m, PackKN(b, k, n), bias)
			if !sameBits(dst, chainMatMul(a, b, bias, m, k, n)) {
				t.Errorf("M=%d K=%d N=%d: differs from the FMA chain reference", m, k, n)
			}
		}
	})
}

// TestColumn reads back every row of a matrix packed with PackNK.
func TestColumn(t *testing.T) {
	const n, k = 77, 19
	b := make([]float32, n*k)
	for i := range b {
		b[i] = float32(i)
	}
	p := PackNK(b, n, k)
	row := make([]float32, k)
	for j := 0; j < n; j++ {
		p.Column(row, j)
		for c := range row {
			if row[c] != b[j*k+c] {
				t.Fatalf("Column(%d)[%d] = %v, want %v", j, c, row[c], b[j*k+c])
			}
		}
	}
}
