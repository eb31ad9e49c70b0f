package train

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// tinyModel returns a small model with large random weights, so that
// every gradient is far from zero, and a batch for it.
func tinyModel(t *testing.T) (*Model, []int, []int, int, int) {
	t.Helper()
	m, err := NewModel(Config{VocabSize: 13, NPositions: 7, NEmbd: 8, NLayer: 2, NHead: 2})
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(7, 7))
	for i := range m.Params {
		m.Params[i] = float32(r.NormFloat64() * 0.4)
	}
	B, T := 2, 6
	in, tg := make([]int, B*T), make([]int, B*T)
	for i := range in {
		in[i], tg[i] = r.IntN(13), r.IntN(13)
	}
	return m, in, tg, B, T
}

// TestGradientCheck compares the analytic gradient of every parameter
// tensor with central finite differences of the loss.
func TestGradientCheck(t *testing.T) {
	m, in, tg, B, T := tinyModel(t)
	a := newActs(m.Cfg, B, T)
	m.forward(a, in, tg)
	m.backward(a, in, tg)
	grad := append([]float32(nil), m.Grads...)
	loss := func() float64 { return m.forward(newActs(m.Cfg, B, T), in, tg) }
	const eps = 1e-2
	for _, ts := range m.tensors {
		t.Run(ts.name, func(t *testing.T) {
			// The largest-gradient entry and a few fixed others.
			n := ts.size()
			idx := []int{0, n / 2, n - 1, n / 3}
			big := 0
			for i := range n {
				if math.Abs(float64(grad[ts.off+i])) > math.Abs(float64(grad[ts.off+big])) {
					big = i
				}
			}
			idx = append(idx, big)
			var worst float64
			for _, i := range idx {
				p := &m.Params[ts.off+i]
				orig := *p
				*p = orig + eps
				up := loss()
				*p = orig - eps
				down := loss()
				*p = orig
				fd := (up - down) / (2 * eps)
				an := float64(grad[ts.off+i])
				diff := math.Abs(fd - an)
				if diff > 2e-4+2e-2*math.Abs(an) {
					t.Errorf("element %d: analytic %.6g, finite difference %.6g", i, an, fd)
				}
				worst = max(worst, diff)
			}
			if math.Abs(float64(grad[ts.off+big])) < 1e-4 {
				t.Errorf("largest gradient %.3g is too small for the check to mean anything", grad[ts.off+big])
			}
			t.Log(fmt.Sprintf("max |fd−analytic| %.2g", worst))
		})
	}
}
