package kernels

import (
	"fmt"
	"math"
	"sync"
	"unsafe"
)

// DType is the element type a packed matrix stores: float32, or a 16-bit
// format that the kernels widen exactly to float32 as they load it, so a
// 16-bit matrix takes half the memory and half the bytes per product, and
// every product is bit-identical to the one with the float32 matrix of the
// same (widened) values.
type DType uint8

const (
	// F32 is IEEE 754 binary32, the default.
	F32 DType = iota
	// F16 is IEEE 754 binary16 (safetensors "F16").
	F16
	// BF16 is bfloat16, the top 16 bits of a binary32 (safetensors "BF16").
	BF16
)

// String returns the safetensors name of the type: "F32", "F16" or "BF16".
func (d DType) String() string {
	switch d {
	case F32:
		return "F32"
	case F16:
		return "F16"
	case BF16:
		return "BF16"
	}
	return fmt.Sprintf("DType(%d)", uint8(d))
}

// Widen returns the float32 value of a 16-bit element given by its bits;
// exact for every value (subnormals, infinities and NaN payloads included).
func (d DType) Widen(h uint16) float32 {
	switch d {
	case F16:
		return f16Table()[h]
	case BF16:
		return math.Float32frombits(uint32(h) << 16)
	}
	panic(fmt.Sprintf("kernels: Widen of a %v element", d))
}

// f16Table returns the float32 value of every binary16 bit pattern.
var f16Table = sync.OnceValue(func() *[1 << 16]float32 {
	t := new([1 << 16]float32)
	for h := range t {
		t[h] = f16ToFloat32(uint16(h))
	}
	return t
})

func f16ToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch exp {
	case 0x1f: // infinity or NaN, payload kept
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	case 0:
		if mant == 0 {
			return math.Float32frombits(sign)
		}
		e := uint32(127 - 14) // subnormal m·2^-24: normalise
		for mant&0x400 == 0 {
			mant <<= 1
			e--
		}
		return math.Float32frombits(sign | e<<23 | (mant&0x3ff)<<13)
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | mant<<13)
}

func newPacked16(k, n int, dt DType) *Packed {
	if dt != F16 && dt != BF16 {
		panic(fmt.Sprintf("kernels: 16-bit pack of %v", dt))
	}
	if k <= 0 || n <= 0 {
		panic(fmt.Sprintf("kernels: pack of a %d×%d matrix", k, n))
	}
	p := &Packed{K: k, N: n, dt: dt}
	size := p.subPanels() * k * subWidth
	buf := make([]uint16, size+32)
	off := int(uintptr(unsafe.Pointer(&buf[0]))%64) / 2
	if off != 0 {
		off = 32 - off
	}
	p.half = buf[off : off+size : off+size]
	return p
}

// PackKN16 packs b, the bits of a row-major K×N matrix of 16-bit values of
// type dt (F16 or BF16), keeping them 16-bit: see PackKN.
func PackKN16(b []uint16, k, n int, dt DType) *Packed {
	p := newPacked16(k, n, dt)
	if len(b) < k*n {
		panic(fmt.Sprintf("kernels: PackKN16: len(b)=%d < %d×%d", len(b), k, n))
	}
	sub := k * subWidth
	for c0 := 0; c0 < n; c0 += subWidth {
		w := min(subWidth, n-c0)
		dst := p.half[c0/subWidth*sub:]
		for i := 0; i < k; i++ {
			copy(dst[i*subWidth:i*subWidth+w], b[i*n+c0:])
		}
	}
	return p
}

// PackNK16 packs the transpose of b, the bits of a row-major N×K matrix of
// 16-bit values of type dt (F16 or BF16), keeping them 16-bit: see PackNK.
func PackNK16(b []uint16, n, k int, dt DType) *Packed {
	p := newPacked16(k, n, dt)
	if len(b) < k*n {
		panic(fmt.Sprintf("kernels: PackNK16: len(b)=%d < %d×%d", len(b), n, k))
	}
	sub := k * subWidth
	for j := 0; j < n; j++ {
		dst := p.half[j/subWidth*sub+j%subWidth:]
		row := b[j*k : j*k+k]
		for i, v := range row {
			dst[i*subWidth] = v
		}
	}
	return p
}

// DType returns the element type p stores.
func (p *Packed) DType() DType { return p.dt }

// elemBytes returns the size of one stored element in bytes.
func (p *Packed) elemBytes() int {
	if p.dt == F32 {
		return 4
	}
	return 2
}

// at returns the address of stored element i (an index into the packed
// layout) as the kernels take it.
func (p *Packed) at(i int) *float32 {
	if p.dt == F32 {
		return &p.data[i]
	}
	return (*float32)(unsafe.Pointer(&p.half[i]))
}

// gemmFor returns the path's micro-kernel for the element type of w.
func (pt *kernelPath) gemmFor(w *Packed) gemmKernel {
	switch w.dt {
	case F16:
		return pt.gemmF16
	case BF16:
		return pt.gemmBF16
	}
	return pt.gemm
}

// gemmGoHalf is the portable gemmKernel over 16-bit B sub-panels, whose
// values it widens through tab (every bit pattern's float32 value); the
// arithmetic is gemmGo's on the same values.
func gemmGoHalf(tab *[1 << 16]float32, a *float32, lda uintptr, b *float32, kc int, c *float32, ldc uintptr, bias *float32, mode int, mr int) {
	bs := unsafe.Slice((*uint16)(unsafe.Pointer(b)), kc*subWidth)
	for r := 0; r < mr; r++ {
		arow := unsafe.Slice((*float32)(unsafe.Add(unsafe.Pointer(a), uintptr(r)*lda)), kc)
		crow := (*[subWidth]float32)(unsafe.Add(unsafe.Pointer(c), uintptr(r)*ldc))
		var init [subWidth]float32
		switch mode {
		case modeLoad:
			init = *crow
		case modeBias:
			init = *(*[subWidth]float32)(unsafe.Pointer(bias))
		}
		for h := 0; h < subWidth; h += 8 {
			s0, s1, s2, s3 := init[h], init[h+1], init[h+2], init[h+3]
			s4, s5, s6, s7 := init[h+4], init[h+5], init[h+6], init[h+7]
			for kk, x := range arow {
				bk := (*[8]uint16)(bs[kk*subWidth+h:])
				s0 += x * tab[bk[0]]
				s1 += x * tab[bk[1]]
				s2 += x * tab[bk[2]]
				s3 += x * tab[bk[3]]
				s4 += x * tab[bk[4]]
				s5 += x * tab[bk[5]]
				s6 += x * tab[bk[6]]
				s7 += x * tab[bk[7]]
			}
			crow[h], crow[h+1], crow[h+2], crow[h+3] = s0, s1, s2, s3
			crow[h+4], crow[h+5], crow[h+6], crow[h+7] = s4, s5, s6, s7
		}
	}
}

// bf16Table returns the float32 value of every bfloat16 bit pattern.
var bf16Table = sync.OnceValue(func() *[1 << 16]float32 {
	t := new([1 << 16]float32)
	for h := range t {
		t[h] = math.Float32frombits(uint32(h) << 16)
	}
	return t
})

func gemmGoF16(a *float32, lda uintptr, b *float32, _ uintptr, kc int, c *float32, ldc uintptr, bias *float32, mode int, mr int) {
	gemmGoHalf(f16Table(), a, lda, b, kc, c, ldc, bias, mode, mr)
}

func gemmGoBF16(a *float32, lda uintptr, b *float32, _ uintptr, kc int, c *float32, ldc uintptr, bias *float32, mode int, mr int) {
	gemmGoHalf(bf16Table(), a, lda, b, kc, c, ldc, bias, mode, mr)
}
