package model

import (
	"fmt"
	"math"
	"slices"
	"sync"

	"github.com/kshot-eval/kshot/internal/kernels"
)

// kvCache holds the keys and values of a run of positions for every layer
// and head, packed for the matrix kernels: keys as a D×cap matrix (one
// column per position), values as a cap×D matrix (one row per position).
// A cache made with a single layer slot holds only the layer being
// computed, each layer overwriting the last: enough for a run whose keys
// and values are not read after its forward pass, at 1/NLayer of the
// memory.
type kvCache struct {
	n      int               // positions filled
	cap    int               // positions allocated
	layers int               // layer slots: NLayer, or 1
	heads  int               // H
	k, v   []*kernels.Packed // [layers·H]
}

func newKVCache(layers, heads, d, capacity int) *kvCache {
	c := &kvCache{cap: capacity, layers: layers, heads: heads,
		k: make([]*kernels.Packed, layers*heads), v: make([]*kernels.Packed, layers*heads)}
	for i := range c.k {
		c.k[i] = kernels.NewPacked(d, capacity)
		c.v[i] = kernels.NewPacked(capacity, d)
	}
	return c
}

// keys and values return the packed keys and values of layer l, head h.
func (c *kvCache) keys(l, h int) *kernels.Packed   { return c.k[l%c.layers*c.heads+h] }
func (c *kvCache) values(l, h int) *kernels.Packed { return c.v[l%c.layers*c.heads+h] }

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
		parallelParts(len(s.tokens), func(r0, r1 int) {
			for r := r0; r < r1; r++ {
				dst := ws.x[(rowStart[i]+r)*C : (rowStart[i]+r+1)*C]
				w.TokenEmbedding(dst, s.tokens[r])
				kernels.Add(dst, w.WPE[(p0+r)*C:(p0+r+1)*C])
			}
		})
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

// attnRows is the number of query rows an attention job handles: their
// scores against the keys are one block of a matrix product. Larger blocks
// reuse each key more often; smaller ones waste less of the causal
// triangle (a block computes its last row's keys for all its rows).
const attnRows = 24

// attention computes ws.att [N, C] from ws.qkv [N, 3C] for layer l,
// appending the segments' keys and values to their caches first. The
// work is cut into jobs of attnRows queries of one head of one segment.
func (d *Decoder) attention(ws *workspace, segs []*seqRun, rowStart []int, l int) {
	cfg := d.cfg
	C, H := cfg.NEmbd, cfg.NHead
	D := C / H
	for _, s := range segs {
		if s.kv.n+len(s.tokens) > s.kv.cap {
			panic(fmt.Sprintf("model: kv cache overflow: %d positions into %d", s.kv.n+len(s.tokens), s.kv.cap))
		}
	}
	kernels.Parallel(len(segs)*H, func(job int) {
		i, h := job/H, job%H
		s := segs[i]
		rows := ws.qkv[rowStart[i]*3*C:]
		s.kv.keys(l, h).SetColumns(s.kv.n, rows[C+h*D:], 3*C, len(s.tokens))
		s.kv.values(l, h).SetRows(s.kv.n, rows[2*C+h*D:], 3*C, len(s.tokens))
	})
	type job struct{ seg, h, r0 int }
	var jobs []job
	for i, s := range segs {
		for h := 0; h < H; h++ {
			for r0 := 0; r0 < len(s.tokens); r0 += attnRows {
				jobs = append(jobs, job{i, h, r0})
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
	kernels.Parallel(len(jobs), func(j int) {
		jb := jobs[j]
		s := segs[jb.seg]
		a := attnBlock{s: s, row0: rowStart[jb.seg] + jb.r0, first: s.pastLen() + s.kv.n + jb.r0,
			m: min(attnRows, len(s.tokens)-jb.r0), l: l, h: jb.h, d: D, c: C, scale: scale, window: window}
		a.run(ws)
	})
}

// attnBlock is one attention job: queries [first, first+m) (absolute
// positions; rows [row0, row0+m) of the workspace) of layer l, head h.
type attnBlock struct {
	s              *seqRun
	row0, first, m int
	l, h, d, c     int
	scale          float32
	window         int
}

// attnScratch holds a job's scores [m, keys] and inverse softmax
// denominators [m].
type attnScratch struct{ sc, inv []float32 }

var attnScratchPool = sync.Pool{New: func() any { return new(attnScratch) }}

// run computes the block's attention output: scores S = q·Kᵀ over the keys
// [lo, hi) the block's rows can see, each row's softmax of the scaled
// scores over its own keys (the others are set to 0), and out = S·V
// divided by each row's softmax denominator. (Scaling s − max instead of
// the scores, as Hugging Face does, gives the same bits when the scale is
// a power of two — GPT-2's 1/8, GPT-Neo's 1 — and differs by a rounding
// otherwise.) Every row's result depends only on its query and the keys
// and values it sees — a product with a zero probability leaves the
// accumulator unchanged — so it is bit-identical whatever block, batch or
// shared prefix the row is computed in.
func (a *attnBlock) run(ws *workspace) {
	s, D, C, m := a.s, a.d, a.c, a.m
	P := s.pastLen()
	hi := a.first + m // keys [lo, hi); hi > P since the block has a query
	lo := 0
	if a.window > 0 {
		lo = max(0, a.first-a.window+1)
	}
	n := hi - lo
	sc := attnScratchPool.Get().(*attnScratch)
	defer attnScratchPool.Put(sc)
	sc.sc, sc.inv = slices.Grow(sc.sc[:0], m*n)[:m*n], slices.Grow(sc.inv[:0], m)[:m]
	S := sc.sc
	q := ws.qkv[a.row0*3*C+a.h*D:] // the block's queries, rows 3C apart
	// Keys [lo, P) come from the shared prefix, [max(lo,P), hi) from the
	// segment's own cache; split is the number of prefix columns of S.
	split, own := 0, max(lo, P)-P
	if lo < P {
		split = P - lo
		kernels.MulRange(S, n, q, 3*C, m, s.past.keys(a.l, a.h), 0, D, lo, P, false)
	}
	kernels.MulRange(S[split:], n, q, 3*C, m, s.kv.keys(a.l, a.h), 0, D, own, hi-P, false)
	for i := range m {
		p := a.first + i
		b, e := 0, p+1-lo // the row's keys are columns [b, e) of S
		if a.window > 0 {
			b = max(0, p-a.window+1) - lo
		}
		row := S[i*n : (i+1)*n]
		x := row[b:e]
		sc.inv[i] = float32(1 / kernels.ExpStore(x, x, kernels.Max(x), a.scale))
		clear(row[:b])
		clear(row[e:])
	}
	out := ws.att[a.row0*C+a.h*D:]
	if split > 0 {
		kernels.MulRange(out, C, S, n, m, s.past.values(a.l, a.h), lo, P, 0, D, false)
	}
	kernels.MulRange(out, C, S[split:], n, m, s.kv.values(a.l, a.h), own, hi-P, 0, D, split > 0)
	for i, inv := range sc.inv {
		o := out[i*C : i*C+D]
		kernels.Scale(o, o, inv)
	}
}

// layerNorm sets dst[r] = (src[r]−mean)/sqrt(var+eps)·gain + bias for each
// of n rows of width c (kernels.LayerNorm); dst may equal src.
func layerNorm(dst, src []float32, ln LayerNorm, n, c int, eps float64) {
	parallelParts(n, func(r0, r1 int) {
		for r := r0; r < r1; r++ {
			kernels.LayerNorm(dst[r*c:(r+1)*c], src[r*c:(r+1)*c], ln.Gain, ln.Bias, eps)
		}
	})
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

// addInPlace adds src to dst element by element, in parallel.
func addInPlace(dst, src []float32) {
	parallelParts(len(src), func(lo, hi int) { kernels.Add(dst[lo:hi], src[lo:hi]) })
}

// activate applies f to every element of x in place, in parallel.
func activate(x []float32, f func([]float32)) {
	parallelParts(len(x), func(lo, hi int) { f(x[lo:hi]) })
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
