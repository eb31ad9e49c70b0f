package model

import (
	"fmt"
	"math"

	"github.com/kshot-eval/kshot/internal/kernels"
)

// Shapes (llm.c's glossary, as in the package doc), used in the comments
// of the forward pass:
//
//	B  sequences (segments, seqRun) fed through one forward pass
//	N  rows of the pass: the B segments' new tokens end to end (llm.c's B·T)
//	T  positions of one sequence, at most NPositions
//	C  channels (n_embd), H heads of D = C/H channels each
//	F  feed-forward width (n_inner, 4C by default)
//	V  vocabulary size
//	L  layers
//
// Activations are flat row-major []float32, [N, C] meaning N rows of C;
// weight matrices are kernels.Packed [in, out] (see Linear).

// workspace holds the activations of one forward pass over N rows.
type workspace struct {
	x   []float32 // [N, C] the residual stream
	h   []float32 // [N, C] a sub-layer's input (a pre-LN block's LayerNorm output), then its output
	qkv []float32 // [N, 3C] queries, keys and values
	att []float32 // [N, C] the attention heads, concatenated
	ff  []float32 // [N, F] the MLP's hidden activations
}

func newWorkspace(n int, cfg *Config) *workspace {
	c := cfg.NEmbd
	return &workspace{
		x:   make([]float32, n*c),
		h:   make([]float32, n*c),
		qkv: make([]float32, n*3*c),
		att: make([]float32, n*c),
		ff:  make([]float32, n*cfg.NInner),
	}
}

// pass is one forward pass: its segments, where each starts among the N
// rows, and its activations.
type pass struct {
	cfg      *Config
	act      func([]float32) // the MLP's activation, in place
	segs     []*seqRun
	rowStart []int // [len(segs)+1]: segment s is rows [rowStart[s], rowStart[s+1])
	n        int   // N
	*workspace
}

// block is one transformer block kind: Forward updates the pass's
// residual stream x [N, C] in place with layer l's weights.
type block interface {
	Forward(p *pass, l int)
}

// blocks returns w's blocks as the block kind of arch.
func blocks(arch Arch, w *Weights) []block {
	out := make([]block, len(w.Blocks))
	for l := range w.Blocks {
		b := &w.Blocks[l]
		switch arch {
		case ArchGPT2, ArchGPTNeo:
			out[l] = (*preLNBlock)(b)
		case ArchOpenAIGPT:
			out[l] = (*postLNBlock)(b)
		default:
			panic(fmt.Sprintf("model: no block kind for architecture %d", arch))
		}
	}
	return out
}

// preLNBlock is a GPT-2 block (Radford et al. 2019, §2.3: "layer
// normalization was moved to the input of each sub-block"), which GPT-3
// and GPT-Neo keep:
//
//	x = x + Attn(LN1(x))
//	x = x + MLP(LN2(x))
type preLNBlock Block

// Forward implements block.
func (b *preLNBlock) Forward(p *pass, l int) {
	N, C, eps := p.n, p.cfg.NEmbd, p.cfg.LayerNormEps
	layerNormForward(p.h, p.x, b.LN1, N, C, eps)
	b.Attn.Forward(p.h, p.h, p, l)
	residualForward(p.x, p.h)
	layerNormForward(p.h, p.x, b.LN2, N, C, eps)
	b.MLP.Forward(p.h, p.h, p)
	residualForward(p.x, p.h)
}

// postLNBlock is a GPT-1 block (Radford et al. 2018), the decoder block of
// Vaswani et al. 2017 with a LayerNorm after each residual sum:
//
//	x = LN1(x + Attn(x))
//	x = LN2(x + MLP(x))
type postLNBlock Block

// Forward implements block.
func (b *postLNBlock) Forward(p *pass, l int) {
	N, C, eps := p.n, p.cfg.NEmbd, p.cfg.LayerNormEps
	b.Attn.Forward(p.h, p.x, p, l)
	residualForward(p.x, p.h)
	layerNormForward(p.x, p.x, b.LN1, N, C, eps)
	b.MLP.Forward(p.h, p.x, p)
	residualForward(p.x, p.h)
	layerNormForward(p.x, p.x, b.LN2, N, C, eps)
}

// Forward sets out [N, C] to layer l's masked multi-head self-attention of
// in [N, C]: out = Proj(heads(QKV(in))), the heads computed by
// attentionForward. out may be in, which only the first product reads
// (the blocks reuse one buffer for a sub-layer's input and output).
func (a *Attention) Forward(out, in []float32, p *pass, l int) {
	matmulForward(p.qkv, in, a.QKV, p.n)
	attentionForward(p.att, p.qkv, p, l)
	matmulForward(out, p.att, a.Proj, p.n)
}

// Forward sets out [N, C] to the feed-forward network of in [N, C]:
// out = Proj(act(FC(in))). out may be in, which only the first product
// reads.
func (m *MLP) Forward(out, in []float32, p *pass) {
	matmulForward(p.ff, in, m.FC, p.n)
	activationForward(p.ff, p.act)
	matmulForward(out, p.ff, m.Proj, p.n)
}

// forward runs segs through every block and returns the residual stream
// after the last block, [N, C], before the final LayerNorm (finalNorm
// applies it to the rows that need logits), row r of segment s at offset
// rowStart[s]+r. The segments' caches are extended by their tokens.
func (d *Decoder) forward(segs []*seqRun) (hidden []float32, rowStart []int) {
	if len(d.blocks) != len(d.w.Blocks) {
		panic(fmt.Sprintf("model: decoder has %d block kinds for %d blocks (make it with NewDecoder)", len(d.blocks), len(d.w.Blocks)))
	}
	rowStart = make([]int, len(segs)+1)
	for i, s := range segs {
		rowStart[i+1] = rowStart[i] + len(s.tokens)
	}
	N := rowStart[len(segs)]
	p := &pass{cfg: d.cfg, act: d.act, segs: segs, rowStart: rowStart, n: N, workspace: newWorkspace(N, d.cfg)}
	encoderForward(p.x, segs, rowStart, d.w, d.cfg.NEmbd)
	for l, b := range d.blocks {
		b.Forward(p, l)
	}
	for _, s := range segs {
		s.kv.n += len(s.tokens)
	}
	return p.x, rowStart
}

// finalNorm applies the final LayerNorm, where the architecture has one,
// in place to the n rows of hidden states h [n, C], which then go to the
// LM head.
func (d *Decoder) finalNorm(h []float32, n int) {
	if d.w.LNF.Gain != nil {
		layerNormForward(h, h, d.w.LNF, n, d.cfg.NEmbd, d.cfg.LayerNormEps)
	}
}

// encoderForward sets out [N, C] to the token embedding plus the position
// embedding of every row of segs, segment s's tokens at rows from
// rowStart[s] and at positions after its past and its cache.
func encoderForward(out []float32, segs []*seqRun, rowStart []int, w *Weights, C int) {
	for i, s := range segs {
		p0 := s.pastLen() + s.kv.n
		parallelParts(len(s.tokens), func(r0, r1 int) {
			for r := r0; r < r1; r++ {
				dst := out[(rowStart[i]+r)*C : (rowStart[i]+r+1)*C]
				w.TokenEmbedding(dst, s.tokens[r])
				kernels.Add(dst, w.WPE[(p0+r)*C:(p0+r+1)*C])
			}
		})
	}
}

// matmulForward sets out [n, out] to in [n, in] · lin.W [in, out] + lin.B.
func matmulForward(out, in []float32, lin Linear, n int) {
	kernels.MatMul(out, in, n, lin.W, lin.B)
}

// layerNormForward sets out [n, c] to (in−mean)/sqrt(var+eps)·gain + bias
// of each row of in [n, c] (kernels.LayerNorm); out may equal in.
func layerNormForward(out, in []float32, ln LayerNorm, n, c int, eps float64) {
	parallelParts(n, func(r0, r1 int) {
		for r := r0; r < r1; r++ {
			kernels.LayerNorm(out[r*c:(r+1)*c], in[r*c:(r+1)*c], ln.Gain, ln.Bias, eps)
		}
	})
}

// residualForward adds the sub-layer output y [N, C] to the residual
// stream x [N, C] in place, in parallel.
func residualForward(x, y []float32) {
	if len(x) != len(y) {
		panic(fmt.Sprintf("model: residual of %d values added to a stream of %d", len(y), len(x)))
	}
	parallelParts(len(y), func(lo, hi int) { kernels.Add(x[lo:hi], y[lo:hi]) })
}

// activationForward applies f to every element of x [N, F] in place, in
// parallel.
func activationForward(x []float32, f func([]float32)) {
	parallelParts(len(x), func(lo, hi int) { f(x[lo:hi]) })
}

// parallelParts splits [0,n) (rows or elements) into up to 4·Threads()
// contiguous parts and calls f on each, in parallel.
func parallelParts(n int, f func(lo, hi int)) {
	parts := min(n, 4*kernels.Threads())
	if parts == 0 {
		return
	}
	per := (n + parts - 1) / parts
	kernels.Parallel((n+per-1)/per, func(p int) {
		f(p*per, min(n, (p+1)*per))
	})
}

// activation returns the function Hugging Face computes for name, applied
// to a slice in place.
func activation(name string) (func([]float32), bool) {
	if name == "gelu_new" || name == "gelu_pytorch_tanh" || name == "gelu_fast" {
		// 0.5·x·(1+tanh(√(2/π)·(x+0.044715·x³))), vectorised
		return kernels.GeluTanh, true
	}
	f, ok := scalarActivation(name)
	if !ok {
		return nil, false
	}
	return func(x []float32) {
		for i, v := range x {
			x[i] = f(v)
		}
	}, true
}

// scalarActivation returns the element-wise functions without a vector kernel.
func scalarActivation(name string) (func(float32) float32, bool) {
	switch name {
	case "gelu":
		return func(x float32) float32 {
			v := float64(x)
			return float32(0.5 * v * (1 + math.Erf(v/math.Sqrt2)))
		}, true
	case "quick_gelu":
		return func(x float32) float32 {
			v := float64(x)
			return float32(v / (1 + math.Exp(-1.702*v)))
		}, true
	case "relu":
		return func(x float32) float32 { return max(x, 0) }, true
	case "silu", "swish":
		return func(x float32) float32 {
			v := float64(x)
			return float32(v / (1 + math.Exp(-v)))
		}, true
	}
	return nil, false
}
