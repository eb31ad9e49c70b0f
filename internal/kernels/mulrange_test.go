package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// mulRangeShapes covers aligned and unaligned column ranges, a range that
// ends in the last 64-column panel (where the avx512 path shifts its tile
// left), N and ranges narrower than a sub-panel, and K blocking.
var mulRangeShapes = []struct{ m, k, n, k0, k1, n0, n1 int }{
	{7, 37, 150, 0, 37, 0, 150},
	{13, 40, 150, 5, 33, 17, 149},
	{1, 64, 8, 0, 64, 0, 8},
	{6, 20, 70, 3, 20, 64, 70},
	{5, 12, 200, 0, 12, 130, 131},
	{25, 900, 64, 1, 899, 0, 64},
	{4, 10, 30, 4, 4, 2, 29},
}

// checkMulRange compares MulRange with MatMul of the sub-matrices, bit for
// bit (MatMul is checked against float64 references elsewhere), checks
// that dst outside the block is untouched, that splitting [k0,k1) into two
// calls changes nothing and that each row computed alone has the same bits.
func checkMulRange(t *testing.T, r *rand.Rand, m, k, n, k0, k1, n0, n1 int) {
	t.Helper()
	b := randSlice(r, k*n)
	w := PackKN(b, k, n)
	kk, nn := k1-k0, n1-n0
	lda, ldc := kk+3, nn+5
	a := randSlice(r, m*lda)
	want := make([]float32, m*nn)
	if kk > 0 && nn > 0 {
		asub, bsub := make([]float32, m*kk), make([]float32, kk*nn)
		for i := range m {
			copy(asub[i*kk:(i+1)*kk], a[i*lda:])
		}
		for i := range kk {
			copy(bsub[i*nn:(i+1)*nn], b[(k0+i)*n+n0:])
		}
		MatMul(want, asub, m, PackKN(bsub, kk, nn), nil)
	}
	fresh := func() []float32 {
		dst := make([]float32, m*ldc)
		for i := range dst {
			dst[i] = float32(math.NaN())
		}
		return dst
	}
	check := func(name string, dst []float32) {
		t.Helper()
		for i := range m {
			if !sameBits(dst[i*ldc:i*ldc+nn], want[i*nn:(i+1)*nn]) {
				t.Fatalf("%s: row %d = %v, want %v", name, i, dst[i*ldc:i*ldc+nn], want[i*nn:(i+1)*nn])
			}
			for _, x := range dst[i*ldc+nn : (i+1)*ldc] {
				if !math.IsNaN(float64(x)) {
					t.Fatalf("%s: row %d: wrote past column %d", name, i, nn)
				}
			}
		}
	}
	dst := fresh()
	MulRange(dst, ldc, a, lda, m, w, k0, k1, n0, n1, false)
	check("one call", dst)
	ks := (k0 + k1) / 2
	split := fresh()
	for i := range m {
		clear(split[i*ldc : i*ldc+nn]) // add reads it
	}
	MulRange(split, ldc, a, lda, m, w, k0, ks, n0, n1, true)
	MulRange(split, ldc, a[ks-k0:], lda, m, w, ks, k1, n0, n1, true)
	check("split K with add", split)
	for i := range m {
		one := fresh()[:ldc]
		MulRange(one, ldc, a[i*lda:], lda, 1, w, k0, k1, n0, n1, false)
		if !sameBits(one[:nn], want[i*nn:(i+1)*nn]) {
			t.Fatalf("row %d alone differs from the row within m=%d", i, m)
		}
	}
}

func TestMulRange(t *testing.T) {
	for _, path := range []string{"portable", "avx2", "avx512"} {
		t.Run(path, func(t *testing.T) {
			usePath(t, path)
			r := rand.New(rand.NewPCG(31, 32))
			for _, sh := range mulRangeShapes {
				t.Run(fmt.Sprintf("%+v", sh), func(t *testing.T) {
					checkMulRange(t, r, sh.m, sh.k, sh.n, sh.k0, sh.k1, sh.n0, sh.n1)
				})
			}
		})
	}
}

// TestMulRangeAVX512Simulated runs the same checks through the avx512
// path's 64-column tiles on the assembly interpreter, on every CPU.
func TestMulRangeAVX512Simulated(t *testing.T) {
	useThreads(t, 1) // the interpreter reports failures on the test goroutine
	old := current.Load()
	t.Cleanup(func() { current.Store(old) })
	kernel := simGemm(t, "gemm_avx512_amd64.s", "gemmAVX512", panelWidth)
	current.Store(&kernelPath{name: "avx512-simulated", nr: panelWidth, kc: 8, gemm: kernel, dot: dotRowsGo, axpy: axpyRowsGo})
	r := rand.New(rand.NewPCG(33, 34))
	for _, sh := range mulRangeShapes[:5] {
		t.Run(fmt.Sprintf("%+v", sh), func(t *testing.T) {
			checkMulRange(t, r, sh.m, sh.k, sh.n, sh.k0, sh.k1, sh.n0, sh.n1)
		})
	}
}

// TestSetRowsColumns checks that filling a NewPacked matrix in runs of
// rows or columns, from strided sources, gives PackKN's and PackNK's
// layouts.
func TestSetRowsColumns(t *testing.T) {
	r := rand.New(rand.NewPCG(35, 36))
	for _, sh := range []struct{ k, n int }{{1, 1}, {5, 17}, {64, 70}} {
		b := randSlice(r, sh.k*sh.n)
		bt := make([]float32, sh.k*sh.n) // bᵀ, N×K
		for i := range sh.k {
			for j := range sh.n {
				bt[j*sh.k+i] = b[i*sh.n+j]
			}
		}
		kn, nk := PackKN(b, sh.k, sh.n), PackNK(bt, sh.n, sh.k)
		if !sameBits(kn.data, nk.data) {
			t.Fatalf("%d×%d: PackKN and PackNK of the transpose differ", sh.k, sh.n)
		}
		for _, run := range []int{1, 3, 16} {
			rows, cols := NewPacked(sh.k, sh.n), NewPacked(sh.k, sh.n)
			const pad = 2 // strided sources: each row followed by pad values
			for r0 := 0; r0 < sh.k; r0 += run {
				n := min(run, sh.k-r0)
				src := make([]float32, n*(sh.n+pad))
				for i := range n {
					copy(src[i*(sh.n+pad):], b[(r0+i)*sh.n:(r0+i+1)*sh.n])
				}
				rows.SetRows(r0, src, sh.n+pad, n)
			}
			for j0 := 0; j0 < sh.n; j0 += run {
				n := min(run, sh.n-j0)
				src := make([]float32, n*(sh.k+pad))
				for i := range n {
					copy(src[i*(sh.k+pad):], bt[(j0+i)*sh.k:(j0+i+1)*sh.k])
				}
				cols.SetColumns(j0, src, sh.k+pad, n)
			}
			if !sameBits(rows.data, kn.data) || !sameBits(cols.data, kn.data) {
				t.Errorf("%d×%d, runs of %d: SetRows/SetColumns layouts differ from PackKN", sh.k, sh.n, run)
			}
		}
	}
}

// TestCols checks that MatMul with a column block of a packed matrix gives
// the same bits as the same columns of the full product, bias included.
func TestCols(t *testing.T) {
	for _, path := range Paths() {
		t.Run(path, func(t *testing.T) {
			usePath(t, path)
			r := rand.New(rand.NewPCG(37, 38))
			const m, k, n = 7, 33, 300
			w := PackKN(randSlice(r, k*n), k, n)
			a, bias := randSlice(r, m*k), randSlice(r, n)
			full := make([]float32, m*n)
			MatMul(full, a, m, w, bias)
			for _, c := range [][2]int{{0, 64}, {64, 200}, {256, 300}, {0, 300}} {
				wc := c[1] - c[0]
				got := make([]float32, m*wc)
				MatMul(got, a, m, w.Cols(c[0], c[1]), bias[c[0]:c[1]])
				for i := range m {
					if !sameBits(got[i*wc:(i+1)*wc], full[i*n+c[0]:i*n+c[1]]) {
						t.Fatalf("columns [%d,%d) row %d differ from the full product", c[0], c[1], i)
					}
				}
			}
		})
	}
}
