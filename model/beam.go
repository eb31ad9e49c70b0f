package model

import (
	"math"
	"slices"

	"github.com/kshot-eval/kshot/internal/kernels"
)

// beamRule is beam search of a width W with the length penalty of Wu et
// al. 2016 that T5 and the GPT-3 paper use: a finished hypothesis Y is
// ranked by log p(Y) / lp(|Y|), lp(n) = ((5+n)/6)^α, |Y| counting every
// generated token, the one that ends it (end of text or the end of a stop
// string) included.
//
// The first step scores the prompt once; its keys and values are the
// shared read-only past of every hypothesis, which holds only its own
// generated tokens. At each step every live hypothesis proposes its 2W
// most likely next tokens; the candidates are taken best first by
// log p (ties: the earlier hypothesis, then the more likely token, then
// the smaller id): one that ends — a stop, or the generation limit — joins
// the finished pool (its best W kept), the others become the next live
// hypotheses until there are W. The search ends when no hypothesis is
// live, or when the pool holds W and no live hypothesis can still beat its
// worst: log p only falls as tokens are added and lp only grows, so
// log p / lp(limit) bounds what a live hypothesis can reach. The result
// is the best of the pool.
type beamRule struct {
	genRequest
	width int
	alpha float64
	root  *seqRun // the prompt: pending until the first step, then every hypothesis's past
	first bool    // the root's logits have not been seen yet
	live  []*hyp
	pool  []finishedHyp // best first, at most width
	spare []*seqRun     // caches of dropped hypotheses, for reuse
}

// hyp is a live hypothesis.
type hyp struct {
	seq    *seqRun
	tokens []int   // generated so far
	logp   float64 // Σ log p of the tokens, natural log
}

// finishedHyp is a hypothesis that ended.
type finishedHyp struct {
	tokens []int
	score  float64 // log p / lp(len(tokens))
}

func newBeamRule(m stepper, g genRequest, width int, alpha float64) *beamRule {
	return &beamRule{genRequest: g, width: width, alpha: alpha, root: m.newSeq(g.prompt, len(g.prompt)), first: true}
}

// lengthPenalty returns lp(n) = ((5+n)/6)^α.
func lengthPenalty(n int, alpha float64) float64 { return math.Pow((5+float64(n))/6, alpha) }

func (b *beamRule) pending() []*seqRun {
	if b.first {
		return []*seqRun{b.root}
	}
	seqs := make([]*seqRun, len(b.live))
	for i, h := range b.live {
		seqs[i] = h.seq
	}
	return seqs
}

func (b *beamRule) result() []int {
	if len(b.pool) == 0 {
		return nil
	}
	return b.pool[0].tokens
}

// candidate is a live hypothesis extended by one token.
type candidate struct {
	parent int // index into the live hypotheses (0 for the root)
	token  int
	logp   float64
}

func (b *beamRule) update(m stepper, logits []float32) {
	V := m.vocab()
	parents := b.live
	if b.first {
		parents = []*hyp{{seq: b.root}}
		b.banFirst(logits, 0)
	}
	var cands []candidate
	for k, p := range parents {
		row := logits[k*V : (k+1)*V]
		mx := row[argmax(row)]
		lse := float64(mx) + math.Log(kernels.ExpSum(row, mx))
		for _, t := range topTokens(row, 2*b.width) {
			if row[t] == negInf {
				break
			}
			cands = append(cands, candidate{parent: k, token: t, logp: p.logp + float64(row[t]) - lse})
		}
	}
	slices.SortStableFunc(cands, func(x, y candidate) int {
		switch {
		case x.logp > y.logp:
			return -1
		case x.logp < y.logp:
			return 1
		}
		return 0
	})
	var next []*hyp
	for _, c := range cands {
		p := parents[c.parent]
		gen := append(append(make([]int, 0, len(p.tokens)+1), p.tokens...), c.token)
		if len(gen) >= b.limit || b.stop(gen) {
			b.finish(finishedHyp{tokens: gen, score: c.logp / lengthPenalty(len(gen), b.alpha)})
			continue
		}
		next = append(next, &hyp{seq: p.seq, tokens: gen, logp: c.logp}) // seq: the parent's, for now
		if len(next) == b.width {
			break
		}
	}
	b.assignCaches(m, parents, next)
	b.first = false
	b.live = next
	if len(b.pool) == b.width {
		worst := b.pool[b.width-1].score
		bound := lengthPenalty(b.limit, b.alpha)
		alive := false
		for _, h := range next {
			if h.logp/bound > worst {
				alive = true
			}
		}
		if !alive {
			b.live = nil
		}
	}
	for _, h := range b.live {
		h.seq.tokens = h.tokens[len(h.tokens)-1:]
	}
	if len(b.live) == 0 {
		b.root, b.spare = nil, nil // the caches can go
	}
}

// finish puts f into the pool, after those of equal score already there.
func (b *beamRule) finish(f finishedHyp) {
	i := len(b.pool)
	for i > 0 && b.pool[i-1].score < f.score {
		i--
	}
	if i < b.width {
		b.pool = slices.Insert(b.pool, i, f)
		b.pool = b.pool[:min(len(b.pool), b.width)]
	}
}

// assignCaches gives each next hypothesis a cache holding its parent's
// state: after the first step a fork of the prompt; later the parent's
// own cache for its first child, and a copy of it, in a dropped
// hypothesis's cache or a new fork, for the others.
func (b *beamRule) assignCaches(m stepper, parents, next []*hyp) {
	capacity := b.limit - 1 // generated tokens fed back, at most
	if b.first {
		for _, h := range next {
			h.seq = m.fork(b.root, capacity)
		}
		return
	}
	children := map[*seqRun]int{}
	for _, h := range next {
		children[h.seq]++
	}
	for _, p := range parents {
		if children[p.seq] == 0 {
			b.spare = append(b.spare, p.seq)
		}
	}
	taken := map[*seqRun]bool{}
	for _, h := range next {
		src := h.seq
		if !taken[src] {
			taken[src] = true
			continue
		}
		var dst *seqRun
		if n := len(b.spare); n > 0 {
			dst, b.spare = b.spare[n-1], b.spare[:n-1]
		} else {
			dst = m.fork(b.root, capacity)
		}
		m.copyState(dst, src)
		h.seq = dst
	}
}
