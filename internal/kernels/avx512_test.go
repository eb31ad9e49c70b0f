package kernels

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// chainTile is the reference of a gemmKernel call: every element is
// init (0, C or bias) followed by one fused multiply-add per k, in order.
func chainTile(a []float32, lda int, b []float32, bstride, kc int, c []float32, ldc int, bias []float32, mode, mr, nr int) {
	for r := 0; r < mr; r++ {
		for j := 0; j < nr; j++ {
			var acc float32
			switch mode {
			case modeLoad:
				acc = c[r*ldc+j]
			case modeBias:
				acc = bias[j]
			}
			for k := 0; k < kc; k++ {
				acc = fma32(a[r*lda+k], b[j/subWidth*bstride+k*subWidth+j%subWidth], acc)
			}
			c[r*ldc+j] = acc
		}
	}
}

// chainMatMul is the reference of MatMul on the FMA paths: a·b + bias with
// one fused multiply-add chain per element starting from the bias.
func chainMatMul(a, b, bias []float32, m, k, n int) []float32 {
	out := make([]float32, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var acc float32
			if bias != nil {
				acc = bias[j]
			}
			for r := 0; r < k; r++ {
				acc = fma32(a[i*k+r], b[r*n+j], acc)
			}
			out[i*n+j] = acc
		}
	}
	return out
}

// testTiles runs kernel on every row count, mode and a few kc against
// chainTile, bit for bit.
func testTiles(t *testing.T, kernel gemmKernel, nr int) {
	r := rand.New(rand.NewPCG(21, 22))
	for _, kc := range []int{1, 2, 3, 4, 5, 8, 13} {
		for mode := modeZero; mode <= modeBias; mode++ {
			for mr := 1; mr <= 3*rowTile+1; mr++ { // one tile, several, several and a rest
				lda, ldc, bstride := kc+3, nr+5, (kc+2)*subWidth
				a := randSlice(r, mr*lda)
				b := randSlice(r, nr/subWidth*bstride)
				c := randSlice(r, mr*ldc)
				bias := randSlice(r, nr)
				want := slices.Clone(c)
				chainTile(a, lda, b, bstride, kc, want, ldc, bias, mode, mr, nr)
				kernel(&a[0], uintptr(4*lda), &b[0], uintptr(4*bstride), kc, &c[0], uintptr(4*ldc), &bias[0], mode, mr)
				if !sameBits(c, want) {
					t.Fatalf("kc=%d mode=%d mr=%d: tile differs from the FMA chain reference\ngot  %v\nwant %v", kc, mode, mr, c, want)
				}
			}
		}
	}
}

// TestSimulatorAgainstAVX2 validates the interpreter: the AVX2 text run on
// it matches the AVX2 hardware and the Go references bit for bit.
func TestSimulatorAgainstAVX2(t *testing.T) {
	if !slices.Contains(Paths(), "avx2") {
		t.Skip("avx2 not supported by this CPU: the interpreter cannot be validated here")
	}
	t.Run("gemm/hardware", func(t *testing.T) { testTiles(t, supported["avx2"].gemm, subWidth) })
	t.Run("gemm/simulated", func(t *testing.T) { testTiles(t, simGemm(t, "gemm_avx2_amd64.s", "gemmAVX2", subWidth), subWidth) })
	r := rand.New(rand.NewPCG(23, 24))
	for _, sh := range rowShapes {
		if sh.n == 0 {
			continue
		}
		t.Run(fmt.Sprintf("rows/n=%d/d=%d", sh.n, sh.d), func(t *testing.T) {
			q, k := randSlice(r, sh.d), randSlice(r, sh.n*sh.d)
			hw, sim := make([]float32, sh.n), make([]float32, sh.n)
			supported["avx2"].dot(hw, q, k, sh.n, sh.d)
			simRows(t, "dotRowsAVX2", sim, q, k, sh.n, sh.d)
			if !sameBits(hw, sim) {
				t.Errorf("dotRowsAVX2: hardware %v, simulated %v", hw, sim)
			}
			p, out := randSlice(r, sh.n), randSlice(r, sh.d)
			hw, sim = slices.Clone(out), slices.Clone(out)
			supported["avx2"].axpy(hw, p, k, sh.n, sh.d)
			simRows(t, "axpyRowsAVX2", sim, p, k, sh.n, sh.d)
			if !sameBits(hw, sim) {
				t.Errorf("axpyRowsAVX2: hardware %v, simulated %v", hw, sim)
			}
		})
	}
}

// TestAVX512Simulated checks the AVX-512 kernel text on the interpreter,
// on every CPU: each tile bit for bit against the FMA chain reference, and
// whole MatMuls through the avx512 path's driver settings (64-column
// tiles, edge tiles, K blocks) against chainMatMul.
func TestAVX512Simulated(t *testing.T) {
	const file, fn = "gemm_avx512_amd64.s", "gemmAVX512"
	t.Run("tiles", func(t *testing.T) { testTiles(t, simGemm(t, file, fn, panelWidth), panelWidth) })
	useThreads(t, 1) // the interpreter reports failures on the test goroutine
	old := current.Load()
	t.Cleanup(func() { current.Store(old) })
	r := rand.New(rand.NewPCG(25, 26))
	for _, sh := range []struct{ m, k, n, kc int }{{1, 3, 1, 2}, {7, 20, 64, 8}, {13, 9, 130, 4}, {6, 17, 200, 17}} {
		for _, withBias := range []bool{false, true} {
			t.Run(fmt.Sprintf("matmul/M=%d/K=%d/N=%d/bias=%v", sh.m, sh.k, sh.n, withBias), func(t *testing.T) {
				kernel := simGemm(t, file, fn, panelWidth)
				current.Store(&kernelPath{name: "avx512-simulated", nr: panelWidth, kc: sh.kc, gemm: kernel, dot: dotRowsGo, axpy: axpyRowsGo})
				b, a := randSlice(r, sh.k*sh.n), randSlice(r, sh.m*sh.k)
				var bias []float32
				if withBias {
					bias = randSlice(r, sh.n)
				}
				dst := make([]float32, sh.m*sh.n)
				MatMul(dst, a, sh.m, PackKN(b, sh.k, sh.n), bias)
				if want := chainMatMul(a, b, bias, sh.m, sh.k, sh.n); !sameBits(dst, want) {
					t.Errorf("simulated avx512 MatMul differs from the FMA chain reference")
				}
			})
		}
	}
}

// TestFMAChainReference checks the FMA paths that run here against
// chainMatMul bit for bit: the order of operations is exactly the
// documented one.
func TestFMAChainReference(t *testing.T) {
	for _, path := range []string{"avx2", "avx512"} {
		t.Run(path, func(t *testing.T) {
			usePath(t, path)
			r := rand.New(rand.NewPCG(27, 28))
			for _, sh := range []struct{ m, k, n int }{{1, 1, 1}, {13, 300, 130}, {5, 1000, 17}} {
				b, a, bias := randSlice(r, sh.k*sh.n), randSlice(r, sh.m*sh.k), randSlice(r, sh.n)
				dst := make([]float32, sh.m*sh.n)
				MatMul(dst, a, sh.m, PackKN(b, sh.k, sh.n), bias)
				if want := chainMatMul(a, b, bias, sh.m, sh.k, sh.n); !sameBits(dst, want) {
					t.Errorf("M=%d K=%d N=%d: MatMul differs from the FMA chain reference", sh.m, sh.k, sh.n)
				}
			}
		})
	}
}
