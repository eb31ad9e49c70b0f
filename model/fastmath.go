package model

import "github.com/kshot-eval/kshot/internal/kernels"

// geluTanh is Hugging Face's gelu_new, 0.5·x·(1+tanh(√(2/π)(x+0.044715x³))),
// computed as x·σ(2z) (the same function) with kernels.Expf.
func geluTanh(x float32) float32 {
	z := 0.7978845608028654 * (x + 0.044715*x*x*x)
	return x / (1 + kernels.Expf(-2*z))
}
