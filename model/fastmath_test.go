package model

import (
	"math"
	"testing"
)

// TestExpf compares expf with math.Exp over the whole float32 range used.
func TestExpf(t *testing.T) {
	worst := 0.0
	for x := -87.0; x <= 88.0; x += 0.0137 {
		got := float64(expf(float32(x)))
		want := math.Exp(float64(float32(x)))
		if rel := math.Abs(got-want) / want; rel > worst {
			worst = rel
		}
	}
	if worst > 3e-7 {
		t.Errorf("expf max relative error %.3g, want < 3e-7 (about 2 ulp)", worst)
	}
	if expf(-100) != 0 || !math.IsInf(float64(expf(100)), 1) || expf(0) != 1 {
		t.Errorf("expf(-100)=%v expf(100)=%v expf(0)=%v", expf(-100), expf(100), expf(0))
	}
}

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
