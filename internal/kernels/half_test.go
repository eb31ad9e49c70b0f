package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestWiden checks the 16-bit conversions on values worked out by hand
// from the two formats' definitions.
func TestWiden(t *testing.T) {
	for _, tc := range []struct {
		dt   DType
		bits uint16
		want float64
	}{
		{F16, 0x3c00, 1}, {F16, 0xc000, -2}, {F16, 0x7bff, 65504}, {F16, 0x0001, math.Ldexp(1, -24)},
		{F16, 0x03ff, 1023 * math.Ldexp(1, -24)}, {F16, 0x0400, math.Ldexp(1, -14)}, {F16, 0x3555, 0.25 * (1 + 0x155/1024.0)},
		{F16, 0x7c00, math.Inf(1)}, {F16, 0xfc00, math.Inf(-1)},
		{BF16, 0x3f80, 1}, {BF16, 0x4049, 3.140625}, {BF16, 0xc2f7, -123.5}, {BF16, 0x0001, math.Ldexp(1, -133)},
		{BF16, 0x7f80, math.Inf(1)},
	} {
		if got := tc.dt.Widen(tc.bits); float64(got) != tc.want {
			t.Errorf("%v %#04x: Widen = %v, want %v", tc.dt, tc.bits, got, tc.want)
		}
	}
	if got := F16.Widen(0x8000); math.Float32bits(got) != 0x80000000 {
		t.Errorf("F16 -0: Widen = %#x, want -0", math.Float32bits(got))
	}
	if got := F16.Widen(0x7e01); math.Float32bits(got) != 0x7fc02000 {
		t.Errorf("F16 NaN 0x7e01: Widen = %#x, want the payload kept (0x7fc02000)", math.Float32bits(got))
	}
}

// randHalf returns n random finite 16-bit values of type dt of moderate
// size (subnormals included for F16), as bits and widened.
func randHalf(r *rand.Rand, n int, dt DType) ([]uint16, []float32) {
	bits, vals := make([]uint16, n), make([]float32, n)
	for i := range bits {
		var h uint16
		switch dt {
		case F16: // exponents 0..16: |x| below 2, subnormals included
			h = uint16(r.IntN(2))<<15 | uint16(r.IntN(17))<<10 | uint16(r.IntN(1024))
		case BF16: // exponents 112..128: |x| in [2^-15, 4)
			h = uint16(r.IntN(2))<<15 | uint16(112+r.IntN(17))<<7 | uint16(r.IntN(128))
		}
		bits[i], vals[i] = h, dt.Widen(h)
	}
	return bits, vals
}

// TestPacked16 checks on every path that a matrix kept 16-bit gives, in
// MatMul and MulRange, exactly the bits of the float32 matrix of the same
// widened values (the kernels multiply the stored values), with edge
// tiles, biases, several K blocks and both packings; and that it takes
// half the memory.
func TestPacked16(t *testing.T) {
	for _, path := range pathNames {
		for _, dt := range []DType{F16, BF16} {
			t.Run(path+"/"+dt.String(), func(t *testing.T) {
				usePath(t, path)
				r := rand.New(rand.NewPCG(41, uint64(dt)))
				for _, sh := range []struct{ m, k, n int }{{1, 1, 1}, {7, 33, 65}, {13, 300, 130}, {37, 1100, 200}, {6, 64, 1017}} {
					bits, vals := randHalf(r, sh.k*sh.n, dt)
					a, bias := randSlice(r, sh.m*sh.k), randSlice(r, sh.n)
					for _, nk := range []bool{false, true} {
						var w16, w32 *Packed
						if nk { // bits and vals read as N×K
							w16, w32 = PackNK16(bits, sh.n, sh.k, dt), PackNK(vals, sh.n, sh.k)
						} else {
							w16, w32 = PackKN16(bits, sh.k, sh.n, dt), PackKN(vals, sh.k, sh.n)
						}
						name := fmt.Sprintf("M=%d K=%d N=%d nk=%v", sh.m, sh.k, sh.n, nk)
						if w16.DType() != dt || 2*w16.Bytes() != w32.Bytes() {
							t.Fatalf("%s: DType %v, %d bytes, float32 matrix %d bytes", name, w16.DType(), w16.Bytes(), w32.Bytes())
						}
						for _, b := range [][]float32{nil, bias} {
							got, want := make([]float32, sh.m*sh.n), make([]float32, sh.m*sh.n)
							MatMul(got, a, sh.m, w16, b)
							MatMul(want, a, sh.m, w32, b)
							if !sameBits(got, want) {
								t.Fatalf("%s bias=%v: MatMul of the %v matrix differs from the float32 one", name, b != nil, dt)
							}
						}
						n0, n1 := min(3, sh.n-1), sh.n
						k0, k1 := sh.k/3, sh.k
						ld := n1 - n0
						got, want := randSlice(r, sh.m*ld), make([]float32, sh.m*ld)
						copy(want, got)
						MulRange(got, ld, a, sh.k, sh.m, w16, k0, k1, n0, n1, true)
						MulRange(want, ld, a, sh.k, sh.m, w32, k0, k1, n0, n1, true)
						if !sameBits(got, want) {
							t.Fatalf("%s: MulRange of the %v matrix differs from the float32 one", name, dt)
						}
						col16, col32 := make([]float32, sh.k), make([]float32, sh.k)
						j := sh.n - 1
						w16.Column(col16, j)
						w32.Column(col32, j)
						if !sameBits(col16, col32) {
							t.Fatalf("%s: Column(%d) differs", name, j)
						}
						if sh.n > 64 {
							got, want := make([]float32, sh.m*(sh.n-64)), make([]float32, sh.m*(sh.n-64))
							MatMul(got, a, sh.m, w16.Cols(64, sh.n), nil)
							MatMul(want, a, sh.m, w32.Cols(64, sh.n), nil)
							if !sameBits(got, want) {
								t.Fatalf("%s: MatMul of Cols(64, %d) differs", name, sh.n)
							}
						}
					}
				}
			})
		}
	}
}

// BenchmarkMatMul16 compares MatMul with float32, F16 and BF16 weights on
// the current path at the LM head's shape (768×50257, 154 MB as float32)
// on 1 row, the shape of one generation step, where the product reads
// every weight once, and on 128 rows.
func BenchmarkMatMul16(b *testing.B) {
	const k, n = 768, 50257
	r := rand.New(rand.NewPCG(43, 44))
	bits, vals := randHalf(r, k*n, BF16)
	f16bits, f16vals := randHalf(r, k*n, F16)
	for _, w := range []struct {
		name string
		p    *Packed
	}{
		{"F32", PackKN(vals, k, n)}, {"BF16", PackKN16(bits, k, n, BF16)},
		{"F32-of-F16", PackKN(f16vals, k, n)}, {"F16", PackKN16(f16bits, k, n, F16)},
	} {
		for _, m := range []int{1, 128} {
			a := randSlice(r, m*k)
			dst := make([]float32, m*n)
			b.Run(fmt.Sprintf("%s/%s/M=%d", Path(), w.name, m), func(b *testing.B) {
				cnt := 0
				for b.Loop() {
					MatMul(dst, a, m, w.p, nil)
					cnt++
				}
				sec := b.Elapsed().Seconds() / float64(cnt)
				b.ReportMetric(2*float64(m*k*n)/sec/1e9, "GFLOP/s")
				b.ReportMetric(float64(w.p.Bytes())/sec/1e9, "weight-GB/s")
			})
		}
	}
}
