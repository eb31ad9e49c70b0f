package model

import (
	"fmt"
	"slices"
	"sync"

	"github.com/kshot-eval/kshot/internal/kernels"
)

// kvCache holds the keys and values of a run of positions for every layer
// and head, packed for the matrix kernels: keys as a D×cap matrix (one
// column per position), values as a cap×D matrix (one row per position).
// A cache made with a single layer slot holds only the layer being
// computed, each layer overwriting the last: enough for a run whose keys
// and values are not read after its forward pass, at 1/L of the memory.
type kvCache struct {
	n      int               // positions filled
	cap    int               // positions allocated
	layers int               // layer slots: L, or 1
	heads  int               // H
	k, v   []*kernels.Packed // [layers·H]: keys [D, cap], values [cap, D]
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

// attnRows is the number of query rows an attention job handles: their
// scores against the keys are one block of a matrix product. Larger blocks
// reuse each key more often; smaller ones waste less of the causal
// triangle (a block computes its last row's keys for all its rows).
const attnRows = 24

// attentionForward computes the H heads of layer l's causal attention,
// concatenated, into out [N, C] from the projected queries, keys and
// values qkv [N, 3C] of the pass's rows, appending each segment's keys and
// values to its cache first. The work is cut into jobs of attnRows
// queries of one head of one segment.
func attentionForward(out, qkv []float32, p *pass, l int) {
	cfg, segs, rowStart := p.cfg, p.segs, p.rowStart
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
		rows := qkv[rowStart[i]*3*C:]
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
		a.run(out, qkv)
	})
}

// attnBlock is one attention job: queries [first, first+m) (absolute
// positions; rows [row0, row0+m) of the pass) of layer l, head h.
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

// run computes the block's rows of out [N, C] (head h's D columns) from
// qkv [N, 3C]: scores S = q·Kᵀ over the keys [lo, hi) the block's rows can
// see, each row's softmax of the scaled scores over its own keys (the
// others are set to 0), and S·V divided by each row's softmax
// denominator. (Scaling s − max instead of the scores, as Hugging Face
// does, gives the same bits when the scale is a power of two — GPT-2's
// 1/8, GPT-Neo's 1 — and differs by a rounding otherwise.) Every row's
// result depends only on its query and the keys and values it sees — a
// product with a zero probability leaves the accumulator unchanged — so it
// is bit-identical whatever block, batch or shared prefix the row is
// computed in.
func (a *attnBlock) run(out, qkv []float32) {
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
	q := qkv[a.row0*3*C+a.h*D:] // the block's queries, rows 3C apart
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
	o := out[a.row0*C+a.h*D:]
	if split > 0 {
		kernels.MulRange(o, C, S, n, m, s.past.values(a.l, a.h), lo, P, 0, D, false)
	}
	kernels.MulRange(o, C, S[split:], n, m, s.kv.values(a.l, a.h), own, hi-P, 0, D, split > 0)
	for i, inv := range sc.inv {
		r := o[i*C : i*C+D]
		kernels.Scale(r, r, inv)
	}
}
