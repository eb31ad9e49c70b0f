package kernels

import "unsafe"

// portablePath is the pure-Go path every CPU can run.
var portablePath = &kernelPath{
	name:     "portable",
	nr:       subWidth,
	kc:       256,
	gemm:     gemmGo,
	gemmF16:  gemmGoF16,
	gemmBF16: gemmGoBF16,
	dot:      dotRowsGo,
	axpy:     axpyRowsGo,
}

// gemmGo is the gemmKernel of the portable path, nr = 16. The compiler
// keeps the eight accumulators of a half tile in registers.
func gemmGo(a *float32, lda uintptr, b *float32, _ uintptr, kc int, c *float32, ldc uintptr, bias *float32, mode int, mr int) {
	bs := unsafe.Slice(b, kc*subWidth)
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
				bk := (*[8]float32)(bs[kk*subWidth+h:])
				s0 += x * bk[0]
				s1 += x * bk[1]
				s2 += x * bk[2]
				s3 += x * bk[3]
				s4 += x * bk[4]
				s5 += x * bk[5]
				s6 += x * bk[6]
				s7 += x * bk[7]
			}
			crow[h], crow[h+1], crow[h+2], crow[h+3] = s0, s1, s2, s3
			crow[h+4], crow[h+5], crow[h+6], crow[h+7] = s4, s5, s6, s7
		}
	}
}

func dotRowsGo(dst, q, k []float32, n, d int) {
	q = q[:d]
	for j := 0; j < n; j++ {
		row := k[j*d : j*d+d]
		var s float32
		for i, x := range q {
			s += x * row[i]
		}
		dst[j] = s
	}
}

func axpyRowsGo(out, p, v []float32, n, d int) {
	out = out[:d]
	for j := 0; j < n; j++ {
		x := p[j]
		row := v[j*d : j*d+d]
		for i := range out {
			out[i] += x * row[i]
		}
	}
}
