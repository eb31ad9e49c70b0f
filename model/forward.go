package model

import (
	"fmt"
	"math"

	"github.com/kshot-eval/kshot/internal/kernels"
)

// kvCache holds the keys and values of a run of positions for every layer
// and head, head by head so that attention reads contiguous rows.
type kvCache struct {
	n    int         // positions filled
	cap  int         // positions allocated
	d    int         // head width D
	k, v [][]float32 // [NLayer·H][cap·D]
}

func newKVCache(layers, heads, d, capacity int) *kvCache {
	c := &kvCache{cap: capacity, d: d, k: make([][]float32, layers*heads), v: make([][]float32, layers*heads)}
	for i := range c.k {
		c.k[i] = make([]float32, capacity*d)
		c.v[i] = make([]float32, capacity*d)
	}
	return c
}

// seqRun is a run of new tokens of one sequence fed through the model: it
// attends to a shared read-only prefix (past, may be nil) and to its own
// cache kv, to which its keys and values are appended.
type seqRun struct {
	tokens []int
	past   *kvCache
	kv     *kvCache
}

func (s *seqRun) pastLen() int {
	if s.past == nil {
		return 0
	}
	return s.past.n
}

// workspace holds the activations of one forward pass over N rows.
type workspace struct {
	x, h, qkv, att, ff []float32
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

// forward runs segs through every layer and returns the final hidden
// states [N, C] (after the final LayerNorm where the architecture has one),
// row r of segment s at offset rowStart[s]+r. The segments' caches are
// extended by their tokens.
func (d *Decoder) forward(segs []*seqRun) (hidden []float32, rowStart []int) {
	cfg, w := d.cfg, d.w
	C := cfg.NEmbd
	rowStart = make([]int, len(segs)+1)
	for i, s := range segs {
		rowStart[i+1] = rowStart[i] + len(s.tokens)
	}
	N := rowStart[len(segs)]
	ws := newWorkspace(N, cfg)
	// x = wte[token] + wpe[position]  [N, C]
	for i, s := range segs {
		p0 := s.pastLen() + s.kv.n
		for r, tok := range s.tokens {
			dst := ws.x[(rowStart[i]+r)*C : (rowStart[i]+r+1)*C]
			w.TokenEmbedding(dst, tok)
			pe := w.WPE[(p0+r)*C : (p0+r+1)*C]
			for j := range dst {
				dst[j] += pe[j]
			}
		}
	}
	post := cfg.Arch == ArchOpenAIGPT
	for l := range w.Blocks {
		b := &w.Blocks[l]
		in := ws.x
		if !post {
			layerNorm(ws.h, ws.x, b.LN1, N, C, cfg.LayerNormEps)
			in = ws.h
		}
		kernels.MatMul(ws.qkv, in, N, b.QKV.W, b.QKV.B)
		d.attention(ws, segs, rowStart, l)
		kernels.MatMul(ws.h, ws.att, N, b.Proj.W, b.Proj.B)
		addInPlace(ws.x, ws.h[:N*C])
		if post {
			layerNorm(ws.x, ws.x, b.LN1, N, C, cfg.LayerNormEps)
			in = ws.x
		} else {
			layerNorm(ws.h, ws.x, b.LN2, N, C, cfg.LayerNormEps)
			in = ws.h
		}
		kernels.MatMul(ws.ff, in, N, b.FC.W, b.FC.B)
		activate(ws.ff[:N*cfg.NInner], d.act)
		kernels.MatMul(ws.att, ws.ff, N, b.FCProj.W, b.FCProj.B)
		addInPlace(ws.x, ws.att[:N*C])
		if post {
			layerNorm(ws.x, ws.x, b.LN2, N, C, cfg.LayerNormEps)
		}
	}
	for _, s := range segs {
		s.kv.n += len(s.tokens)
	}
	if w.LNF.Gain != nil {
		layerNorm(ws.x, ws.x, w.LNF, N, C, cfg.LayerNormEps)
	}
	return ws.x, rowStart
}

// attention computes ws.att [N, C] from ws.qkv [N, 3C] for layer l,
// appending the segments' keys and values to their caches first.
func (d *Decoder) attention(ws *workspace, segs []*seqRun, rowStart []int, l int) {
	cfg := d.cfg
	C, H := cfg.NEmbd, cfg.NHead
	D := C / H
	for i, s := range segs {
		for r := range s.tokens {
			row := ws.qkv[(rowStart[i]+r)*3*C:]
			pos := s.kv.n + r
			if pos >= s.kv.cap {
				panic(fmt.Sprintf("model: kv cache overflow: position %d of %d", pos, s.kv.cap))
			}
			for h := 0; h < H; h++ {
				copy(s.kv.k[l*H+h][pos*D:(pos+1)*D], row[C+h*D:C+(h+1)*D])
				copy(s.kv.v[l*H+h][pos*D:(pos+1)*D], row[2*C+h*D:2*C+(h+1)*D])
			}
		}
	}
	scale := cfg.AttnScale
	if cfg.ScaleByInverseLayerIdx {
		scale /= float32(l + 1)
	}
	window := 0
	if cfg.LocalWindow != nil {
		window = cfg.LocalWindow[l]
	}
	kernels.Parallel(len(segs)*H, func(job int) {
		s, h := segs[job/H], job%H
		P := s.pastLen()
		scores := make([]float32, P+s.kv.n+len(s.tokens))
		q := make([]float32, D)
		for r := range s.tokens {
			row := rowStart[job/H] + r
			p := P + s.kv.n + r // absolute position of this query
			lo := 0
			if window > 0 {
				lo = max(0, p-window+1)
			}
			for j, x := range ws.qkv[row*3*C+h*D : row*3*C+(h+1)*D] {
				q[j] = x * scale
			}
			sc := scores[:p+1-lo]
			// keys [lo, P) from the shared prefix, [max(lo,P), p] own.
			split := 0
			if lo < P {
				split = P - lo
				kernels.DotRows(sc[:split], q, s.past.k[l*H+h][lo*D:], split, D)
			}
			o0 := max(lo, P) - P
			kernels.DotRows(sc[split:], q, s.kv.k[l*H+h][o0*D:], len(sc)-split, D)
			softmax(sc)
			out := ws.att[row*C+h*D : row*C+(h+1)*D]
			clear(out)
			if split > 0 {
				kernels.AxpyRows(out, sc[:split], s.past.v[l*H+h][lo*D:], split, D)
			}
			kernels.AxpyRows(out, sc[split:], s.kv.v[l*H+h][o0*D:], len(sc)-split, D)
		}
	})
}

// softmax replaces x by exp(x−max)/Σ exp(x−max), the sum in float64.
func softmax(x []float32) {
	m := x[0]
	for _, v := range x[1:] {
		m = max(m, v)
	}
	inv := float32(1 / kernels.ExpStore(x, x, m))
	for i := range x {
		x[i] *= inv
	}
}

// layerNorm sets dst[r] = (src[r]−mean)/sqrt(var+eps)·gain + bias for each
// of n rows of width c; dst may equal src. Statistics in float64.
func layerNorm(dst, src []float32, ln LayerNorm, n, c int, eps float64) {
	kernels.Parallel(min(n, 4*kernels.Threads()), func(part int) {
		per := (n + 4*kernels.Threads() - 1) / (4 * kernels.Threads())
		for r := part * per; r < min(n, (part+1)*per); r++ {
			x := src[r*c : (r+1)*c]
			var mean float64
			for _, v := range x {
				mean += float64(v)
			}
			mean /= float64(c)
			var vr float64
			for _, v := range x {
				dv := float64(v) - mean
				vr += dv * dv
			}
			vr /= float64(c)
			inv := 1 / math.Sqrt(vr+eps)
			y := dst[r*c : (r+1)*c]
			for j, v := range x {
				y[j] = float32((float64(v)-mean)*inv)*ln.Gain[j] + ln.Bias[j]
			}
		}
	})
}

func addInPlace(dst, src []float32) {
	for i, v := range src {
		dst[i] += v
	}
}

// activate applies f to every element of x in place, in parallel chunks.
func activate(x []float32, f func([]float32)) {
	const chunk = 1 << 14
	kernels.Parallel((len(x)+chunk-1)/chunk, func(i int) {
		f(x[i*chunk : min(len(x), (i+1)*chunk)])
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
