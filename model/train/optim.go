package train

import (
	"math"
)

// Hyper holds the optimisation settings of a training run.
type Hyper struct {
	Steps       int     // optimizer steps
	Batch       int     // B, sequences per step
	Context     int     // T, tokens per sequence (≤ n_positions)
	LR          float64 // peak learning rate
	MinLR       float64 // learning rate at the end of the cosine decay
	Warmup      int     // steps of linear warm-up from 0 to LR
	WeightDecay float64 // decoupled weight decay of the matrices (AdamW)
	Beta1       float64
	Beta2       float64
	Eps         float64
	Clip        float64 // global gradient-norm bound (0: no clipping)
}

// DefaultHyper returns the settings of the ladder's runs for the given
// step count and peak learning rate.
func DefaultHyper(steps int, lr float64) Hyper {
	return Hyper{Steps: steps, Batch: 16, Context: 128, LR: lr, MinLR: lr / 10, Warmup: max(1, steps/20),
		WeightDecay: 0.1, Beta1: 0.9, Beta2: 0.95, Eps: 1e-8, Clip: 1}
}

// LearningRate returns the rate at step s (0-based): linear warm-up over
// Warmup steps, then cosine decay from LR to MinLR at Steps.
func (h Hyper) LearningRate(s int) float64 {
	if s < h.Warmup {
		return h.LR * float64(s+1) / float64(h.Warmup)
	}
	if h.Steps <= h.Warmup {
		return h.LR
	}
	frac := float64(s-h.Warmup) / float64(h.Steps-h.Warmup)
	frac = min(frac, 1)
	return h.MinLR + 0.5*(h.LR-h.MinLR)*(1+math.Cos(math.Pi*frac))
}

// adamW is the optimizer state: first and second moments per parameter.
type adamW struct {
	m, v []float32
}

// gradNorm returns the global L2 norm of the gradients (float64, in
// parameter order).
func gradNorm(g []float32) float64 {
	var s float64
	for _, x := range g {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s)
}

// step applies one AdamW update at 0-based step s with learning rate lr
// to m's parameters, after scaling the gradients by clip (1 when not
// clipped). Weight decay is decoupled and applies only to the tensors
// marked for it (the matrices of the blocks, not the embeddings, biases
// or LayerNorms).
func (o *adamW) step(m *Model, h Hyper, s int, lr, scale float64) {
	b1, b2 := h.Beta1, h.Beta2
	c1 := 1 - math.Pow(b1, float64(s+1))
	c2 := 1 - math.Pow(b2, float64(s+1))
	for _, t := range m.tensors {
		decay := 0.0
		if t.decay {
			decay = h.WeightDecay
		}
		lo, hi := t.off, t.off+t.size()
		chunks(hi-lo, 1<<14, func(a, b int) {
			for i := lo + a; i < lo+b; i++ {
				g := float64(m.Grads[i]) * scale
				mi := b1*float64(o.m[i]) + (1-b1)*g
				vi := b2*float64(o.v[i]) + (1-b2)*g*g
				o.m[i], o.v[i] = float32(mi), float32(vi)
				p := float64(m.Params[i])
				p -= lr * (mi/c1/(math.Sqrt(vi/c2)+h.Eps) + decay*p)
				m.Params[i] = float32(p)
			}
		})
	}
}
