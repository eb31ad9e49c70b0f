package model

import (
	"math"
	"testing"
)

// TestGeluTanh compares with the float64 formula Hugging Face uses.
func TestGeluTanh(t *testing.T) {
	for x := -12.0; x <= 12.0; x += 0.001 {
		want := 0.5 * x * (1 + math.Tanh(0.7978845608028654*(x+0.044715*x*x*x)))
		got := float64(geluTanh(float32(x)))
		if math.Abs(got-want) > 1e-6*math.Max(1, math.Abs(want)) {
			t.Fatalf("gelu(%v) = %v, want %v", x, got, want)
		}
	}
}
