package model

import (
	"container/heap"
	"encoding/binary"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/kshot-eval/kshot/eval"
)

var negInf = float32(math.Inf(-1))

// sampleRule draws every token from the model's distribution at a
// temperature, cut to the top k tokens and to the top-p nucleus, with a
// generator of its own seeded by the rule's seed and the prompt (see
// sampleSeed): the same seed gives the same tokens whatever the batch or
// the number of threads, since the logits are bit-identical and each
// request draws from its generator alone, one number per token.
type sampleRule struct {
	single
	temperature float64
	topK        int
	topP        float64
	rng         *rand.Rand
}

func newSampleRule(m stepper, g genRequest, dec eval.Decoding) *sampleRule {
	return &sampleRule{single: newSingle(m, g), temperature: dec.Temperature, topK: dec.TopK, topP: dec.TopP,
		rng: rand.New(rand.NewPCG(uint64(dec.Seed), sampleSeed(g.prompt)))}
}

// sampleSeed is the second half of a sampled request's PCG seed: the
// 64-bit FNV-1a hash of its prompt tokens, each as 4 little-endian bytes.
// Two requests with the same seed and prompt draw the same tokens.
func sampleSeed(prompt []int) uint64 {
	h := fnv.New64a()
	var b [4]byte
	for _, t := range prompt {
		binary.LittleEndian.PutUint32(b[:], uint32(t))
		h.Write(b[:])
	}
	return h.Sum64()
}

func (s *sampleRule) update(_ stepper, logits []float32) {
	s.banFirst(logits, len(s.out))
	ids, probs := nucleus(logits, s.temperature, s.topK, s.topP)
	s.push(draw(ids, probs, s.rng.Float64()))
}

// nucleus returns the tokens a sampling step may draw and their
// probabilities (not normalised; float64): softmax(logits/temperature) —
// the maximum subtracted first — cut to the topK most likely tokens (0:
// no cut), then renormalised over them and cut to the smallest set of most
// likely tokens whose probability reaches topP (1: no cut), as Hugging
// Face's temperature, top-k and top-p warpers do in that order. Tokens
// are ordered by logit, larger first and ties by id, except when neither
// cut applies: then they are all the tokens in id order. A token with a
// logit of −∞ (a banned one) has probability 0.
func nucleus(logits []float32, temperature float64, topK int, topP float64) (ids []int, probs []float64) {
	V := len(logits)
	mx := float64(logits[argmax(logits)])
	p := func(t int) float64 { return math.Exp((float64(logits[t]) - mx) / temperature) }
	if (topK <= 0 || topK >= V) && topP >= 1 {
		ids, probs = make([]int, V), make([]float64, V)
		for t := range logits {
			ids[t], probs[t] = t, p(t)
		}
		return ids, probs
	}
	k := V
	if topK > 0 {
		k = min(topK, V)
	}
	if topP >= 1 {
		ids = topTokens(logits, k)
		probs = make([]float64, len(ids))
		for i, t := range ids {
			probs[i] = p(t)
		}
		return ids, probs
	}
	// The mass the nucleus is measured against: all tokens, or the top k.
	var total float64
	if k == V {
		for t := range logits {
			total += p(t)
		}
	} else {
		for _, t := range topTokens(logits, k) {
			total += p(t)
		}
	}
	// Take the most likely tokens in growing numbers until they reach topP
	// of the mass; the prefix that does is the same whatever the number.
	for m := min(k, 64); ; m = min(k, 8*m) {
		ids = topTokens(logits, m)
		probs = probs[:0]
		var cum float64
		for i, t := range ids {
			q := p(t)
			probs = append(probs, q)
			cum += q
			if cum >= topP*total {
				return ids[:i+1], probs
			}
		}
		if m == k {
			return ids, probs
		}
	}
}

// draw returns the token at which the running sum of probs first exceeds
// u·Σprobs (u in [0, 1)), the last one if rounding leaves it short.
func draw(ids []int, probs []float64, u float64) int {
	var total float64
	for _, q := range probs {
		total += q
	}
	target := u * total
	var cum float64
	for i, q := range probs {
		cum += q
		if cum > target {
			return ids[i]
		}
	}
	for i := len(probs) - 1; i > 0; i-- { // u·Σ rounded up to the sum: the last token that can be drawn
		if probs[i] > 0 {
			return ids[i]
		}
	}
	return ids[0]
}

// topTokens returns the m tokens with the largest logits, larger first
// and ties by smaller id.
func topTokens(logits []float32, m int) []int {
	V := len(logits)
	m = min(m, V)
	better := func(a, b int) bool { return logits[a] > logits[b] || logits[a] == logits[b] && a < b }
	if 4*m >= V {
		ids := make([]int, V)
		for t := range ids {
			ids[t] = t
		}
		slices.SortFunc(ids, func(a, b int) int {
			if better(a, b) {
				return -1
			}
			if better(b, a) {
				return 1
			}
			return 0
		})
		return ids[:m]
	}
	h := &worstFirst{better: better}
	for t := range logits {
		if len(h.ids) < m {
			heap.Push(h, t)
		} else if better(t, h.ids[0]) {
			h.ids[0] = t
			heap.Fix(h, 0)
		}
	}
	out := make([]int, len(h.ids))
	for i := len(out) - 1; i >= 0; i-- {
		out[i] = heap.Pop(h).(int)
	}
	return out
}

// worstFirst is a heap of token ids whose root is the worst by better.
type worstFirst struct {
	ids    []int
	better func(a, b int) bool
}

func (h *worstFirst) Len() int           { return len(h.ids) }
func (h *worstFirst) Less(i, j int) bool { return h.better(h.ids[j], h.ids[i]) }
func (h *worstFirst) Swap(i, j int)      { h.ids[i], h.ids[j] = h.ids[j], h.ids[i] }
func (h *worstFirst) Push(x any)         { h.ids = append(h.ids, x.(int)) }
func (h *worstFirst) Pop() any {
	x := h.ids[len(h.ids)-1]
	h.ids = h.ids[:len(h.ids)-1]
	return x
}
