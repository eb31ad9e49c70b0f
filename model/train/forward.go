package train

import (
	"fmt"
	"math"

	"github.com/kshot-eval/kshot/internal/kernels"
)

// layerActs holds one block's saved activations for the backward pass.
type layerActs struct {
	in       []float32 // [N, C] block input (residual stream)
	ln1      []float32 // [N, C]
	ln1Stats []float64 // [N, 2] mean, 1/σ
	qkv      []float32 // [N, 3C]
	att      []float32 // [B, H, T, T] attention probabilities, zero above the diagonal
	atty     []float32 // [N, C] attention output before the projection
	mid      []float32 // [N, C] residual after attention
	ln2      []float32 // [N, C]
	ln2Stats []float64 // [N, 2]
	fc       []float32 // [N, F] before gelu
	fcg      []float32 // [N, F] after gelu
}

// acts holds a forward pass's activations.
type acts struct {
	B, T     int
	layers   []layerActs
	out      []float32 // [N, C] last block's output
	lnf      []float32 // [N, C]
	lnfStats []float64 // [N, 2]
	probs    []float32 // [N, V] softmax of the logits
	losses   []float64 // [N] −log p(target), natural log
}

func newActs(cfg Config, B, T int) *acts {
	N, C, F, H := B*T, cfg.NEmbd, 4*cfg.NEmbd, cfg.NHead
	a := &acts{B: B, T: T, layers: make([]layerActs, cfg.NLayer)}
	for l := range a.layers {
		a.layers[l] = layerActs{
			in: make([]float32, N*C), ln1: make([]float32, N*C), ln1Stats: make([]float64, 2*N),
			qkv: make([]float32, N*3*C), att: make([]float32, B*H*T*T), atty: make([]float32, N*C),
			mid: make([]float32, N*C), ln2: make([]float32, N*C), ln2Stats: make([]float64, 2*N),
			fc: make([]float32, N*F), fcg: make([]float32, N*F),
		}
	}
	a.out = make([]float32, N*C)
	a.lnf = make([]float32, N*C)
	a.lnfStats = make([]float64, 2*N)
	a.probs = make([]float32, N*cfg.VocabSize)
	a.losses = make([]float64, N)
	return a
}

// forward runs the model on inputs [B, T] and, with targets [B, T],
// computes the per-position losses; it returns the mean loss (natural
// log per token).
func (m *Model) forward(a *acts, inputs, targets []int) float64 {
	cfg := m.Cfg
	B, T := a.B, a.T
	N, C, F, V := B*T, cfg.NEmbd, 4*cfg.NEmbd, cfg.VocabSize
	if len(inputs) != N || (targets != nil && len(targets) != N) || T > cfg.NPositions {
		panic(fmt.Sprintf("train: forward: %d inputs, %d targets for B=%d T=%d (P=%d)", len(inputs), len(targets), B, T, cfg.NPositions))
	}
	wte, wpe := m.P("wte.weight"), m.P("wpe.weight")
	x := a.layers[0].in
	for n, tok := range inputs {
		t := n % T
		dst := x[n*C : (n+1)*C]
		te, pe := wte[tok*C:(tok+1)*C], wpe[t*C:(t+1)*C]
		for j := range dst {
			dst[j] = te[j] + pe[j]
		}
	}
	tmp := make([]float32, N*C)
	for l := range a.layers {
		la, w := &a.layers[l], m.layer(m.Params, l)
		layerNormForward(la.ln1, la.ln1Stats, la.in, w.ln1g, w.ln1b, N, C)
		kernels.MatMul(la.qkv, la.ln1, N, kernels.PackKN(w.qkvW, C, 3*C), w.qkvB)
		attentionForward(la.atty, la.att, la.qkv, B, T, C, cfg.NHead)
		kernels.MatMul(tmp, la.atty, N, kernels.PackKN(w.projW, C, C), w.projB)
		for i := range la.mid {
			la.mid[i] = la.in[i] + tmp[i]
		}
		layerNormForward(la.ln2, la.ln2Stats, la.mid, w.ln2g, w.ln2b, N, C)
		kernels.MatMul(la.fc, la.ln2, N, kernels.PackKN(w.fcW, C, F), w.fcB)
		geluForward(la.fcg, la.fc)
		kernels.MatMul(tmp, la.fcg, N, kernels.PackKN(w.fcpW, F, C), w.fcpB)
		next := a.out
		if l+1 < len(a.layers) {
			next = a.layers[l+1].in
		}
		for i := range next {
			next[i] = la.mid[i] + tmp[i]
		}
	}
	layerNormForward(a.lnf, a.lnfStats, a.out, m.P("ln_f.weight"), m.P("ln_f.bias"), N, C)
	kernels.MatMul(a.probs, a.lnf, N, kernels.PackNK(wte, V, C), nil)
	if targets == nil {
		return 0
	}
	softmaxLoss(a.probs, a.losses, targets, N, V)
	var sum float64
	for _, l := range a.losses {
		sum += l
	}
	return sum / float64(N)
}

// chunks splits n rows into jobs of a fixed size (independent of the
// thread count) and runs f on each range in parallel.
func chunks(n, size int, f func(lo, hi int)) {
	jobs := (n + size - 1) / size
	kernels.Parallel(jobs, func(j int) { f(j*size, min(n, (j+1)*size)) })
}

// layerNormForward sets out = (x−mean)/σ·g + b row by row, saving mean and
// 1/σ (σ² = variance + 1e-5) in stats. Statistics in float64.
func layerNormForward(out []float32, stats []float64, x, g, b []float32, n, c int) {
	chunks(n, 64, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			row := x[r*c : (r+1)*c]
			var mean float64
			for _, v := range row {
				mean += float64(v)
			}
			mean /= float64(c)
			var vr float64
			for _, v := range row {
				d := float64(v) - mean
				vr += d * d
			}
			rstd := 1 / math.Sqrt(vr/float64(c)+1e-5)
			stats[2*r], stats[2*r+1] = mean, rstd
			o := out[r*c : (r+1)*c]
			for j, v := range row {
				o[j] = float32((float64(v)-mean)*rstd)*g[j] + b[j]
			}
		}
	})
}

// attentionForward computes causal multi-head attention: atty [N, C] from
// qkv [N, 3C], saving the probabilities in att [B, H, T, T].
func attentionForward(atty, att, qkv []float32, B, T, C, H int) {
	D := C / H
	scale := float32(1 / math.Sqrt(float64(D)))
	kernels.Parallel(B*H, func(job int) {
		b, h := job/H, job%H
		k := make([]float32, T*D)
		v := make([]float32, T*D)
		q := make([]float32, D)
		for t := range T {
			row := qkv[(b*T+t)*3*C:]
			copy(k[t*D:(t+1)*D], row[C+h*D:C+(h+1)*D])
			copy(v[t*D:(t+1)*D], row[2*C+h*D:2*C+(h+1)*D])
		}
		p := att[job*T*T : (job+1)*T*T]
		for t := range T {
			for j, x := range qkv[(b*T+t)*3*C+h*D : (b*T+t)*3*C+(h+1)*D] {
				q[j] = x * scale
			}
			s := p[t*T : t*T+t+1]
			kernels.DotRows(s, q, k, t+1, D)
			softmax(s)
			clear(p[t*T+t+1 : (t+1)*T])
			out := atty[(b*T+t)*C+h*D : (b*T+t)*C+(h+1)*D]
			clear(out)
			kernels.AxpyRows(out, s, v, t+1, D)
		}
	})
}

// softmax replaces x by exp(x−max)/Σ exp(x−max), summing in float64.
func softmax(x []float32) {
	m := x[0]
	for _, v := range x[1:] {
		m = max(m, v)
	}
	var sum float64
	for i, v := range x {
		e := float32(math.Exp(float64(v - m)))
		x[i] = e
		sum += float64(e)
	}
	inv := float32(1 / sum)
	for i := range x {
		x[i] *= inv
	}
}

const geluC = 0.7978845608028654 // √(2/π)

// geluForward sets out = gelu_new(x) (the tanh approximation).
func geluForward(out, x []float32) {
	chunks(len(x), 1<<14, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			v := float64(x[i])
			out[i] = float32(0.5 * v * (1 + math.Tanh(geluC*(v+0.044715*v*v*v))))
		}
	})
}

// softmaxLoss turns logits [n, v] into probabilities in place and sets
// losses[r] = −log p(targets[r]) (log-sum-exp in float64).
func softmaxLoss(logits []float32, losses []float64, targets []int, n, v int) {
	chunks(n, 16, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			row := logits[r*v : (r+1)*v]
			m := row[0]
			for _, x := range row[1:] {
				m = max(m, x)
			}
			xt := row[targets[r]]
			var sum float64
			for i, x := range row {
				e := math.Exp(float64(x - m))
				row[i] = float32(e)
				sum += e
			}
			losses[r] = float64(m) + math.Log(sum) - float64(xt)
			inv := float32(1 / sum)
			for i := range row {
				row[i] *= inv
			}
		}
	})
}
