package model

import (
	"context"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/kshot-eval/kshot/eval"
)

// tableStepper is a stepper whose next-token distribution is a table
// keyed by the tokens generated so far (after the prompt): it stands in
// for the decoder so that the decoding rules can be checked on
// distributions computed by hand.
type tableStepper struct {
	v      int
	prompt int                  // length of the prompt
	probs  map[string][]float64 // generated tokens (fmt.Sprint) → distribution
	hist   map[*seqRun][]int    // every sequence's tokens, prompt included
}

func newTableStepper(v, prompt int, probs map[string][]float64) *tableStepper {
	return &tableStepper{v: v, prompt: prompt, probs: probs, hist: map[*seqRun][]int{}}
}

func (f *tableStepper) vocab() int { return f.v }
func (f *tableStepper) newSeq(prompt []int, _ int) *seqRun {
	s := &seqRun{tokens: prompt}
	f.hist[s] = nil
	return s
}
func (f *tableStepper) fork(parent *seqRun, _ int) *seqRun {
	s := &seqRun{}
	f.hist[s] = slices.Clone(f.hist[parent])
	return s
}
func (f *tableStepper) copyState(dst, src *seqRun) { f.hist[dst] = slices.Clone(f.hist[src]) }
func (f *tableStepper) step(seqs []*seqRun, dst []float32) {
	for k, s := range seqs {
		f.hist[s] = append(f.hist[s], s.tokens...)
		key := fmt.Sprint(f.hist[s][f.prompt:])
		p, ok := f.probs[key]
		if !ok {
			panic("no distribution after " + key)
		}
		for t := range f.v {
			dst[k*f.v+t] = float32(math.Log(p[t])) // log 0 = −∞
		}
	}
}

// runRule decodes one request with rule dec on the table model.
func runRule(t *testing.T, f *tableStepper, limit int, stopAt int, dec eval.Decoding) []int {
	t.Helper()
	g := genRequest{prompt: make([]int, f.prompt), limit: limit,
		stop: func(gen []int) bool { return gen[len(gen)-1] == stopAt }}
	r := newRule(f, g, dec)
	if err := generate(context.Background(), f, []rule{r}); err != nil {
		t.Fatal(err)
	}
	return r.result()
}

// TestBeamHandComputed checks beam search on distributions where the
// answer is worked out by hand. Tokens: 0 "a", 1 "b", 2 "end" (a stop).
func TestBeamHandComputed(t *testing.T) {
	// Case 1, no stop reached, limit 2: greedy takes a (0.6) then a
	// (0.5): p(a a) = 0.30; width 2 keeps b (0.4) too and finds b a with
	// p = 0.4·0.9 = 0.36 > 0.30.
	misses := map[string][]float64{
		"[]":  {0.6, 0.4, 0},
		"[0]": {0.5, 0.5, 0},
		"[1]": {0.9, 0.1, 0},
	}
	// Case 2, limit 2: "end" at once has p = 0.3, log = −1.20397; a a has
	// p = 0.5·0.55 = 0.275, log = −1.29098. With α = 0 (lp = 1) the short
	// one wins; with α = 0.6, lp(1) = 1 and lp(2) = (7/6)^0.6 = 1.096903,
	// so a a scores −1.29098/1.096903 = −1.17693 > −1.20397 and wins.
	penalty := map[string][]float64{
		"[]":  {0.5, 0.2, 0.3},
		"[0]": {0.55, 0.25, 0.2},
		"[1]": {0.5, 0.3, 0.2},
	}
	for _, c := range []struct {
		name  string
		probs map[string][]float64
		dec   eval.Decoding
		want  []int
	}{
		{"greedy misses", misses, eval.Decoding{}, []int{0, 0}},
		{"width 1 is greedy", misses, eval.Decoding{Method: eval.DecodeBeam, BeamWidth: 1}, []int{0, 0}},
		{"width 2 finds b a", misses, eval.Decoding{Method: eval.DecodeBeam, BeamWidth: 2}, []int{1, 0}},
		{"no length penalty: end", penalty, eval.Decoding{Method: eval.DecodeBeam, BeamWidth: 2}, []int{2}},
		{"length penalty 0.6: a a", penalty, eval.Decoding{Method: eval.DecodeBeam, BeamWidth: 2, LengthPenalty: 0.6}, []int{0, 0}},
		{"greedy on the penalty table", penalty, eval.Decoding{}, []int{0, 0}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := runRule(t, newTableStepper(3, 2, c.probs), 2, 2, c.dec)
			if !slices.Equal(got, c.want) {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
	if lp := lengthPenalty(2, 0.6); math.Abs(lp-1.096903) > 1e-6 {
		t.Errorf("lp(2) at α=0.6 = %v, want 1.096903 = (7/6)^0.6", lp)
	}
}

// TestBeamEndsEarly checks the stopping bound: once the pool is full and
// no live hypothesis can beat its worst, the search ends before the
// limit (the table has no entry past two tokens, which would panic).
func TestBeamEndsEarly(t *testing.T) {
	probs := map[string][]float64{
		"[]":  {0.05, 0.05, 0.9},
		"[0]": {0.1, 0.1, 0.8},
		"[1]": {0.1, 0.1, 0.8},
	}
	// Width 2, α = 0: "end" (0.9) finishes; a and b live. Step 2: a end
	// and b end (0.04 each) finish and fill the pool; the live a a, a b
	// have log p = log 0.005 < log 0.04, so nothing can beat the pool.
	got := runRule(t, newTableStepper(3, 1, probs), 50, 2, eval.Decoding{Method: eval.DecodeBeam, BeamWidth: 2})
	if !slices.Equal(got, []int{2}) {
		t.Errorf("got %v, want [2]", got)
	}
}

func logits32(p ...float64) []float32 {
	out := make([]float32, len(p))
	for i, x := range p {
		out[i] = float32(math.Log(x))
	}
	return out
}

// TestNucleus checks the top-k and top-p cuts on hand-computed
// distributions.
func TestNucleus(t *testing.T) {
	quarter := logits32(0.5, 0.25, 0.125, 0.125)
	for _, c := range []struct {
		name   string
		logits []float32
		temp   float64
		k      int
		p      float64
		ids    []int
		probs  []float64 // relative to the most likely token
	}{
		{"no cut keeps all in id order", logits32(0.125, 0.5, 0.25, 0.125), 1, 0, 1, []int{0, 1, 2, 3}, []float64{0.25, 1, 0.5, 0.25}},
		{"top-k 2", quarter, 1, 2, 1, []int{0, 1}, []float64{1, 0.5}},
		{"top-k larger than V", quarter, 1, 9, 1, []int{0, 1, 2, 3}, []float64{1, 0.5, 0.25, 0.25}},
		// cumulative 0.5, 0.75, 0.875: 0.7 needs two tokens, 0.8 three, 0.45 one
		{"top-p 0.7", quarter, 1, 0, 0.7, []int{0, 1}, []float64{1, 0.5}},
		{"top-p 0.8", quarter, 1, 0, 0.8, []int{0, 1, 2}, []float64{1, 0.5, 0.25}},
		{"top-p 0.45", quarter, 1, 0, 0.45, []int{0}, []float64{1}},
		// top-p measured on the top-3 distribution renormalised:
		// 0.5/0.875 = 0.571, then 0.857 ≥ 0.8: two tokens (without the
		// renormalisation 0.75 < 0.8 would take a third)
		{"top-k 3 then top-p 0.8", quarter, 1, 3, 0.8, []int{0, 1}, []float64{1, 0.5}},
		// temperature 2: p ∝ √p = 0.7071, 0.5, 0.3536, 0.3536 (sum
		// 1.9142): the first is 0.369 < 0.5, the first two 0.631 ≥ 0.5
		{"temperature 2 top-p 0.5", quarter, 2, 0, 0.5, []int{0, 1}, []float64{1, math.Sqrt(0.5)}},
		{"ties go to the smaller id", logits32(0.25, 0.5, 0.5), 1, 1, 1, []int{1}, []float64{1}},
		{"a banned token has probability 0", []float32{negInf, 0, 0}, 1, 0, 1, []int{0, 1, 2}, []float64{0, 1, 1}},
	} {
		t.Run(c.name, func(t *testing.T) {
			ids, probs := nucleus(c.logits, c.temp, c.k, c.p)
			if !slices.Equal(ids, c.ids) {
				t.Fatalf("ids %v, want %v", ids, c.ids)
			}
			for i := range probs {
				if math.Abs(probs[i]-c.probs[i]) > 1e-6 {
					t.Errorf("probs %v, want %v", probs, c.probs)
					break
				}
			}
		})
	}
	for _, c := range []struct {
		u    float64
		want int
	}{{0, 0}, {0.6, 0}, {0.7, 1}, {0.999, 1}} {
		// probs 0.5, 0.25 of a total 0.75: token 0 for u·0.75 < 0.5
		if got := draw([]int{0, 1}, []float64{0.5, 0.25}, c.u); got != c.want {
			t.Errorf("draw at u=%v: %d, want %d", c.u, got, c.want)
		}
	}
}

// TestSampleFrequencies draws one token from a known distribution under
// 4000 seeds: the frequencies must match the probabilities (the bound is
// 4 standard deviations; the draws are seeded, so the test is
// deterministic).
func TestSampleFrequencies(t *testing.T) {
	p := []float64{0.5, 0.3, 0.15, 0.05}
	const n = 4000
	counts := make([]int, len(p))
	for seed := range int64(n) {
		f := newTableStepper(4, 1, map[string][]float64{"[]": p})
		got := runRule(t, f, 1, -1, eval.Decoding{Method: eval.DecodeSample, Temperature: 1, TopP: 1, Seed: seed})
		counts[got[0]]++
	}
	for i, q := range p {
		freq := float64(counts[i]) / n
		if sd := math.Sqrt(q * (1 - q) / n); math.Abs(freq-q) > 4*sd {
			t.Errorf("token %d drawn %.4f of the time, want %.2f ± %.4f", i, freq, q, 4*sd)
		}
	}
}

func TestTopTokens(t *testing.T) {
	x := make([]float32, 1000)
	for i := range x {
		x[i] = float32((i * 7919) % 613) // values repeat: ties broken by id
	}
	want := make([]int, len(x))
	for i := range want {
		want[i] = i
	}
	slices.SortStableFunc(want, func(a, b int) int {
		switch {
		case x[a] > x[b]:
			return -1
		case x[a] < x[b]:
			return 1
		}
		return 0
	})
	for _, m := range []int{1, 5, 64, 300, 1000} {
		if got := topTokens(x, m); !slices.Equal(got, want[:m]) {
			t.Errorf("top %d: %v…, want %v…", m, got[:min(m, 8)], want[:min(m, 8)])
		}
	}
}
