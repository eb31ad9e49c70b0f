package train

import (
	"math"

	"github.com/kshot-eval/kshot/internal/kernels"
)

// backward computes the gradient of the mean loss of the last forward
// pass with respect to every parameter into m.Grads (overwritten).
func (m *Model) backward(a *acts, inputs, targets []int) {
	cfg := m.Cfg
	B, T := a.B, a.T
	N, C, F, V := B*T, cfg.NEmbd, 4*cfg.NEmbd, cfg.VocabSize
	clear(m.Grads)
	// dlogits = (p − onehot)/N, in place in probs.
	dlogits := a.probs
	inv := float32(1 / float64(N))
	chunks(N, 16, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			row := dlogits[r*V : (r+1)*V]
			row[targets[r]] -= 1
			for i := range row {
				row[i] *= inv
			}
		}
	})
	wte := m.P("wte.weight")
	dres := make([]float32, N*C)
	dlnf := make([]float32, N*C)
	kernels.MatMul(dlnf, dlogits, N, kernels.PackKN(wte, V, C), nil)
	weightGrad(m.G("wte.weight"), a.lnf, dlogits, N, V, C)
	layerNormBackward(dres, m.G("ln_f.weight"), m.G("ln_f.bias"), dlnf, a.out, a.lnfStats, m.P("ln_f.weight"), N, C)

	dF := make([]float32, N*F)
	dC := make([]float32, N*C)
	dqkv := make([]float32, N*3*C)
	for l := len(a.layers) - 1; l >= 0; l-- {
		la, w, g := &a.layers[l], m.layer(m.Params, l), m.layer(m.Grads, l)
		// out = mid + fcg·fcpW + fcpB
		kernels.MatMul(dF, dres, N, kernels.PackNK(w.fcpW, F, C), nil)
		weightGrad(g.fcpW, dres, la.fcg, N, F, C)
		biasGrad(g.fcpB, dres, N, C)
		geluBackward(dF, la.fc)
		kernels.MatMul(dC, dF, N, kernels.PackNK(w.fcW, C, F), nil)
		weightGrad(g.fcW, dF, la.ln2, N, C, F)
		biasGrad(g.fcB, dF, N, F)
		layerNormBackward(dres, g.ln2g, g.ln2b, dC, la.mid, la.ln2Stats, w.ln2g, N, C)
		// mid = in + atty·projW + projB
		kernels.MatMul(dC, dres, N, kernels.PackNK(w.projW, C, C), nil)
		weightGrad(g.projW, dres, la.atty, N, C, C)
		biasGrad(g.projB, dres, N, C)
		attentionBackward(dqkv, dC, la.qkv, la.att, B, T, C, cfg.NHead)
		kernels.MatMul(dC, dqkv, N, kernels.PackNK(w.qkvW, C, 3*C), nil)
		weightGrad(g.qkvW, dqkv, la.ln1, N, C, 3*C)
		biasGrad(g.qkvB, dqkv, N, 3*C)
		layerNormBackward(dres, g.ln1g, g.ln1b, dC, la.in, la.ln1Stats, w.ln1g, N, C)
	}
	dwte, dwpe := m.G("wte.weight"), m.G("wpe.weight")
	for n, tok := range inputs {
		t := n % T
		d := dres[n*C : (n+1)*C]
		te, pe := dwte[tok*C:(tok+1)*C], dwpe[t*C:(t+1)*C]
		for j, v := range d {
			te[j] += v
			pe[j] += v
		}
	}
}

// weightGrad adds xᵀ·dy to dw [in, out], where x is [n, in] and dy is
// [n, out]: the gradient of a Conv1D weight given its input x and output
// gradient dy (for the tied LM head, dwte [V, C] += dlogitsᵀ·lnf).
func weightGrad(dw, dy, x []float32, n, in, out int) {
	// dw[i][o] = Σ_r x[r][i]·dy[r][o], summed over r in order.
	xt := make([]float32, in*n)
	chunks(in, 32, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			for r := range n {
				xt[i*n+r] = x[r*in+i]
			}
		}
	})
	tmp := make([]float32, in*out)
	kernels.MatMul(tmp, xt, in, kernels.PackKN(dy, n, out), nil)
	for i, v := range tmp {
		dw[i] += v
	}
}

// biasGrad adds the column sums of dy [n, c] to db (float64 sums in row
// order).
func biasGrad(db, dy []float32, n, c int) {
	chunks(c, 64, func(lo, hi int) {
		for j := lo; j < hi; j++ {
			var s float64
			for r := range n {
				s += float64(dy[r*c+j])
			}
			db[j] += float32(s)
		}
	})
}

// layerNormBackward adds ∂loss/∂x through the LayerNorm to dx, given the
// gradient dout of its output, and adds the gain and bias gradients to dg
// and db, for n rows of width c. dx usually already holds the residual
// stream's own gradient, since x feeds both.
func layerNormBackward(dx, dg, db, dout, x []float32, stats []float64, g []float32, n, c int) {
	chunks(n, 64, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			mean, rstd := stats[2*r], stats[2*r+1]
			xr, dr := x[r*c:(r+1)*c], dout[r*c:(r+1)*c]
			var dm, dnm float64
			for j, v := range xr {
				norm := (float64(v) - mean) * rstd
				dn := float64(dr[j]) * float64(g[j])
				dm += dn
				dnm += dn * norm
			}
			dm /= float64(c)
			dnm /= float64(c)
			out := dx[r*c : (r+1)*c]
			for j, v := range xr {
				norm := (float64(v) - mean) * rstd
				dn := float64(dr[j]) * float64(g[j])
				out[j] += float32((dn - dm - norm*dnm) * rstd)
			}
		}
	})
	chunks(c, 64, func(lo, hi int) {
		for j := lo; j < hi; j++ {
			var sg, sb float64
			for r := range n {
				norm := (float64(x[r*c+j]) - stats[2*r]) * stats[2*r+1]
				d := float64(dout[r*c+j])
				sg += norm * d
				sb += d
			}
			dg[j] += float32(sg)
			db[j] += float32(sb)
		}
	})
}

// geluBackward multiplies d by gelu_new'(x) element-wise.
func geluBackward(d, x []float32) {
	chunks(len(x), 1<<14, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			v := float64(x[i])
			th := math.Tanh(geluC * (v + 0.044715*v*v*v))
			dv := 0.5*(1+th) + 0.5*v*(1-th*th)*geluC*(1+3*0.044715*v*v)
			d[i] = float32(float64(d[i]) * dv)
		}
	})
}

// attentionBackward computes dqkv [N, 3C] (overwritten) from the gradient
// of the attention output datty [N, C].
func attentionBackward(dqkv, datty, qkv, att []float32, B, T, C, H int) {
	D := C / H
	scale := float32(1 / math.Sqrt(float64(D)))
	kernels.Parallel(B*H, func(job int) {
		b, h := job/H, job%H
		q := make([]float32, T*D)
		k := make([]float32, T*D)
		v := make([]float32, T*D)
		do := make([]float32, T*D)
		for t := range T {
			row := qkv[(b*T+t)*3*C:]
			copy(q[t*D:(t+1)*D], row[h*D:(h+1)*D])
			copy(k[t*D:(t+1)*D], row[C+h*D:C+(h+1)*D])
			copy(v[t*D:(t+1)*D], row[2*C+h*D:2*C+(h+1)*D])
			copy(do[t*D:(t+1)*D], datty[(b*T+t)*C+h*D:(b*T+t)*C+(h+1)*D])
		}
		p := att[job*T*T : (job+1)*T*T]
		ds := make([]float32, T*T) // ∂loss/∂scores, zero above the diagonal
		dp := make([]float32, T)
		for t := range T {
			kernels.DotRows(dp[:t+1], do[t*D:(t+1)*D], v, t+1, D)
			pr := p[t*T : t*T+t+1]
			var dot float64
			for j, x := range pr {
				dot += float64(x) * float64(dp[j])
			}
			for j, x := range pr {
				ds[t*T+j] = float32(float64(x) * (float64(dp[j]) - dot))
			}
		}
		// Transposes of p and ds: column j of each as a contiguous row.
		pt := make([]float32, T*T)
		dst := make([]float32, T*T)
		for i := range T {
			for j := 0; j <= i; j++ {
				pt[j*T+i] = p[i*T+j]
				dst[j*T+i] = ds[i*T+j]
			}
		}
		tmp := make([]float32, D)
		for t := range T {
			base := (b*T + t) * 3 * C
			// dq_t = scale·Σ_{j≤t} ds[t][j]·k_j
			clear(tmp)
			kernels.AxpyRows(tmp, ds[t*T:t*T+t+1], k, t+1, D)
			out := dqkv[base+h*D : base+(h+1)*D]
			for i, x := range tmp {
				out[i] = x * scale
			}
			// dk_t = scale·Σ_{i≥t} ds[i][t]·q_i
			clear(tmp)
			kernels.AxpyRows(tmp, dst[t*T+t:(t+1)*T], q[t*D:], T-t, D)
			out = dqkv[base+C+h*D : base+C+(h+1)*D]
			for i, x := range tmp {
				out[i] = x * scale
			}
			// dv_t = Σ_{i≥t} p[i][t]·do_i
			out = dqkv[base+2*C+h*D : base+2*C+(h+1)*D]
			clear(out)
			kernels.AxpyRows(out, pt[t*T+t:(t+1)*T], do[t*D:], T-t, D)
		}
	})
}
