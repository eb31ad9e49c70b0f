package kernels

import "math"

// Expf returns e^x in float32 with a relative error of about 2 ulp
// (Cephes' expf: range reduction by ln 2 in two parts, a degree-6
// polynomial, scaling by 2^n). Arguments below −87.33654 give 0, above
// 88.72283 +Inf.
func Expf(x float32) float32 {
	const (
		log2e = 1.44269504088896341
		ln2hi = 0.693359375
		ln2lo = -2.12194440e-4
	)
	if x < -87.33654 {
		return 0
	}
	if x > 88.72283 {
		return float32(math.Inf(1))
	}
	n := float32(math.Floor(float64(x*log2e + 0.5)))
	r := x - n*ln2hi - n*ln2lo
	p := float32(1.9875691500e-4)
	p = p*r + 1.3981999507e-3
	p = p*r + 8.3334519073e-3
	p = p*r + 4.1665795894e-2
	p = p*r + 1.6666665459e-1
	p = p*r + 5.0000001201e-1
	y := p*r*r + r + 1
	k := int32(n)
	if k > 127 { // x near the top of the range: scale in two steps
		return y * 2 * math.Float32frombits(uint32(k-1+127)<<23)
	}
	return y * math.Float32frombits(uint32(k+127)<<23)
}

// ExpSum returns Σ exp(x[i] − m), for x[i] ≤ m (the log-sum-exp of a row
// of logits with its maximum m). Vectorised on AVX2: the polynomial of
// Expf evaluated by Estrin's scheme (a shorter dependency chain, the same
// accuracy), the terms summed in float32 lane by lane over blocks of 64
// and the blocks in float64. The order of accumulation is fixed by len(x)
// alone. The AVX-512 kernel evaluates 16 lanes at a time with the same
// operations and adds them in the same order: the same bits as AVX2.
func ExpSum(x []float32, m float32) float64 {
	var s float64
	head := 0
	if useVectorKernels() {
		head = len(x) &^ 7
		if head > 0 && useAVX512Vectors() {
			s = expSumAVX512(&x[0], head, m)
		} else if head > 0 {
			s = expSumAVX2(&x[0], head, m)
		}
	}
	for _, v := range x[head:] {
		s += float64(Expf(v - m))
	}
	return s
}

// ExpStore sets dst[i] = exp((x[i] − m)·s) for x[i] ≤ m and s > 0 and
// returns their sum (a softmax's numerators and denominator, the scores
// scaled by s), computed and summed as in ExpSum; dst may be x.
func ExpStore(dst, x []float32, m, s float32) float64 {
	dst = dst[:len(x)]
	var sum float64
	head := 0
	if useVectorKernels() {
		head = len(x) &^ 7
		if head > 0 && useAVX512Vectors() {
			sum = expStoreAVX512(&dst[0], &x[0], head, m, s)
		} else if head > 0 {
			sum = expStoreAVX2(&dst[0], &x[0], head, m, s)
		}
	}
	for i, v := range x[head:] {
		e := Expf((v - m) * s)
		dst[head+i] = e
		sum += float64(e)
	}
	return sum
}

// Max returns the largest element of x (not empty); vectorised on AVX2.
// If x holds a NaN the result is a NaN or one of the other elements.
func Max(x []float32) float32 {
	m, head := x[0], 0
	if useVectorKernels() && len(x) >= 8 {
		head = len(x) &^ 7
		m = maxAVX2(&x[0], head)
	}
	for _, v := range x[head:] {
		m = max(m, v)
	}
	return m
}

// Scale sets dst[i] = x[i]·s for every i of x; dst may be x. Vectorised
// on AVX2 (the same rounded product on every path).
func Scale(dst, x []float32, s float32) {
	dst = dst[:len(x)]
	head := 0
	if useVectorKernels() {
		head = len(x) &^ 7
		if head > 0 {
			scaleAVX2(&dst[0], &x[0], head, s)
		}
	}
	for i, v := range x[head:] {
		dst[head+i] = v * s
	}
}

// GeluTanh applies Hugging Face's gelu_new, 0.5·x·(1+tanh(√(2/π)(x+0.044715x³))),
// to x in place, computed as x·σ(2z) (the same function) with Expf;
// vectorised on AVX2.
func GeluTanh(x []float32) {
	head := 0
	if useVectorKernels() {
		head = len(x) &^ 7
		if head > 0 {
			geluAVX2(&x[0], head)
		}
	}
	for i, v := range x[head:] {
		z := 0.7978845608028654 * (v + 0.044715*v*v*v)
		x[head+i] = v / (1 + Expf(-2*z))
	}
}
