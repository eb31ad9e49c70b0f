package model

import "math"

// expf returns e^x in float32 with a relative error of about 2 ulp
// (Cephes' expf: range reduction by ln 2 in two parts, a degree-6
// polynomial, then scaling by 2^n). It is several times faster than
// math.Exp, and kshot calls it for every vocabulary entry of every scored
// position and every attention weight. Inputs below −87.3 give 0, above
// 88.7 give +Inf.
func expf(x float32) float32 {
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
	t := x * log2e
	k := int32(t + 0.5)
	if t < -0.5 {
		k = int32(t - 0.5) // round half away from zero
	}
	n := float32(k)
	r := x - n*ln2hi - n*ln2lo
	p := float32(1.9875691500e-4)
	p = p*r + 1.3981999507e-3
	p = p*r + 8.3334519073e-3
	p = p*r + 4.1665795894e-2
	p = p*r + 1.6666665459e-1
	p = p*r + 5.0000001201e-1
	y := p*r*r + r + 1
	// y·2^n; n is in [-126, 128], so split the scale to stay normal.
	if k < -125 {
		return y * math.Float32frombits(uint32(k+126+127)<<23) * math.Float32frombits(uint32(-126+127)<<23)
	}
	if k > 127 {
		return y * 2 * math.Float32frombits(uint32(k-1+127)<<23)
	}
	return y * math.Float32frombits(uint32(k+127)<<23)
}

// geluTanh is Hugging Face's gelu_new, 0.5·x·(1+tanh(√(2/π)(x+0.044715x³))),
// computed as x·σ(2z) (the same function) with expf.
func geluTanh(x float32) float32 {
	z := 0.7978845608028654 * (x + 0.044715*x*x*x)
	return x / (1 + expf(-2*z))
}
