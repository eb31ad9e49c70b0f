package reports

import (
	"math"
	"math/big"
	"testing"

	"github.com/kshot-eval/kshot/eval"
)

// exactMcNemar computes 2·Σ_{i≤min(b,c)} C(b+c, i) / 2^(b+c) in exact
// rational arithmetic, independently of McNemarExact's log-space sum.
func exactMcNemar(b, c int) float64 {
	n, k := int64(b+c), int64(min(b, c))
	sum, term := new(big.Int), big.NewInt(1) // term = C(n, i)
	for i := int64(0); i <= k; i++ {
		sum.Add(sum, term)
		term.Mul(term, big.NewInt(n-i))
		term.Quo(term, big.NewInt(i+1))
	}
	p := new(big.Rat).SetFrac(new(big.Int).Mul(sum, big.NewInt(2)), new(big.Int).Lsh(big.NewInt(1), uint(n)))
	f, _ := p.Float64()
	return math.Min(1, f)
}

func TestMcNemarExact(t *testing.T) {
	cases := []struct {
		b, c int
		want float64
	}{
		{8, 2, 0.109375},     // 2·(1+10+45)/1024
		{2, 8, 0.109375},     // symmetric
		{10, 0, 0.001953125}, // 2/1024
		{3, 1, 0.625},        // 2·(1+4)/16
		{1, 0, 1},            // 2·½ capped at 1
		{5, 5, 1},            // balanced
		{0, 0, 1},            // no discordant pairs
		{6, 0, 0.03125},      // 2/64
		{60, 40, -1},         // checked against big.Rat
		{1200, 1100, -1},     // large n: log space must not overflow
		{3000, 2000, -1},     // tiny p
		{25000, 24990, -1},   // huge n, p near 1
		{40, 60, exactMcNemar(60, 40)},
	}
	for _, c := range cases {
		want := c.want
		if want < 0 {
			want = exactMcNemar(c.b, c.c)
		}
		got := McNemarExact(c.b, c.c)
		if math.Abs(got-want) > 1e-12*math.Max(1, want) && math.Abs(got-want)/want > 1e-9 {
			t.Errorf("McNemarExact(%d, %d) = %.17g, want %.17g", c.b, c.c, got, want)
		}
	}
}

// enumeratedBootstrapP is the exact bootstrap p-value of PairedBootstrap's
// definition, over all n^n equally likely resamples:
// 2·min(P*(δ* ≤ 0), P*(δ* ≥ 0)) capped at 1.
func enumeratedBootstrapP(base, new [][]float64, score func([]float64) float64) (delta, p float64) {
	n := len(base)
	delta = score(eval.SumStats(new, nil)) - score(eval.SumStats(base, nil))
	idx := make([]int, n)
	total, low, high := 0, 0, 0
	var rec func(pos int)
	rec = func(pos int) {
		if pos == n {
			d := score(eval.SumStats(new, idx)) - score(eval.SumStats(base, idx))
			total++
			if d <= 1e-12 {
				low++
			}
			if d >= -1e-12 {
				high++
			}
			return
		}
		for i := range n {
			idx[pos] = i
			rec(pos + 1)
		}
	}
	rec(0)
	return delta, math.Min(1, 2*float64(min(low, high))/float64(total))
}

func TestPairedBootstrapMatchesEnumeration(t *testing.T) {
	ppl := eval.Perplexity().Score
	cases := []struct {
		name      string
		base, new [][]float64
		score     func([]float64) float64
	}{
		{"perplexity, new better on most documents", [][]float64{{-2, 1}, {-3, 1}, {-1, 1}, {-4, 1}, {-2.5, 1}},
			[][]float64{{-1.5, 1}, {-2.9, 1}, {-1.2, 1}, {-3, 1}, {-2, 1}}, ppl},
		{"weighted perplexity, mixed", [][]float64{{-10, 4}, {-3, 2}, {-7, 3}, {-1, 1}},
			[][]float64{{-9, 4}, {-4, 2}, {-6, 3}, {-1.5, 1}}, eval.WeightedPerplexity("word_perplexity").Score},
		{"accuracy", [][]float64{{1, 1}, {0, 1}, {1, 1}, {0, 1}, {0, 1}, {1, 1}},
			[][]float64{{1, 1}, {1, 1}, {1, 1}, {1, 1}, {0, 1}, {0, 1}}, eval.Mean("acc", true).Score},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantDelta, wantP := enumeratedBootstrapP(c.base, c.new, c.score)
			const iters = 100000
			got := PairedBootstrap(c.base, c.new, c.score, iters, 42)
			if !near(got.Delta, wantDelta, 1e-12) {
				t.Errorf("delta = %g, want %g", got.Delta, wantDelta)
			}
			// Monte Carlo error of twice a proportion with 10⁵ draws is
			// below 0.0032; allow 4 standard errors.
			if !near(got.P, wantP, 0.0128) {
				t.Errorf("p = %g, enumeration gives %g", got.P, wantP)
			}
			if !(got.Low <= wantDelta && wantDelta <= got.High) || got.Iterations != iters {
				t.Errorf("interval [%g, %g] misses δ = %g (%d iterations)", got.Low, got.High, wantDelta, got.Iterations)
			}
			again := PairedBootstrap(c.base, c.new, c.score, iters, 42)
			if again != got {
				t.Errorf("not deterministic for a fixed seed: %+v vs %+v", again, got)
			}
		})
	}
}

func TestPairedBootstrapEdges(t *testing.T) {
	same := [][]float64{{-1, 1}, {-2, 1}, {-3, 1}}
	r := PairedBootstrap(same, same, eval.Perplexity().Score, 200, 1)
	if r.Delta != 0 || r.P != 1 {
		t.Errorf("identical runs: %+v, want δ = 0 and p = 1", r)
	}
	// A constant improvement on every document: every resample shows the
	// same sign, p reaches its floor 2/(B+1).
	better := [][]float64{{-0.5, 1}, {-1.5, 1}, {-2.5, 1}}
	r = PairedBootstrap(same, better, eval.Mean("x", true).Score, 999, 1)
	if !near(r.Delta, 0.5, 1e-12) || !near(r.P, 2.0/1000, 1e-12) {
		t.Errorf("constant shift: %+v, want δ = 0.5 and p = 0.002", r)
	}
	// The p-value does not depend on a monotone transform of the metric:
	// perplexity exp(−m) and the mean log-likelihood m judge alike.
	skewed := [][]float64{{-1, 1}, {-2, 1}, {-14, 1}, {-3, 1}, {-1.5, 1}, {-2, 1}}
	other := [][]float64{{-1.2, 1}, {-1.8, 1}, {-6, 1}, {-2.9, 1}, {-1.4, 1}, {-2.2, 1}}
	pp := PairedBootstrap(skewed, other, eval.Perplexity().Score, 2000, 7)
	ll := PairedBootstrap(skewed, other, func(s []float64) float64 { return -s[0] / s[1] }, 2000, 7)
	if pp.P != ll.P {
		t.Errorf("perplexity p %g ≠ mean log-likelihood p %g", pp.P, ll.P)
	}
	if r := PairedBootstrap(nil, nil, eval.Perplexity().Score, 10, 1); !math.IsNaN(r.P) {
		t.Errorf("no documents: %+v", r)
	}
}

func TestUnpairedZ(t *testing.T) {
	cases := []struct {
		a, se1, b, se2, want float64
	}{
		// z = 0.1/√(0.03²+0.04²) = 2: p = 2(1−Φ(2)) = 0.0455002639 (normal table).
		{0.5, 0.03, 0.6, 0.04, 0.04550026389635842},
		// z = 1.959964: p = 0.05.
		{10, 1, 10 + 1.959963984540054*math.Sqrt2, 1, 0.05},
		{0.5, 0.1, 0.5, 0.1, 1},
		{0.5, math.NaN(), 0.6, 0.1, math.NaN()},
		{0.5, 0, 0.6, 0, math.NaN()},
	}
	for _, c := range cases {
		if got := UnpairedZ(c.a, c.se1, c.b, c.se2); !near(got, c.want, 1e-9) {
			t.Errorf("UnpairedZ(%g, %g, %g, %g) = %g, want %g", c.a, c.se1, c.b, c.se2, got, c.want)
		}
	}
}

func BenchmarkPairedBootstrap(b *testing.B) {
	n := 5000
	base := make([][]float64, n)
	nw := make([][]float64, n)
	for i := range base {
		base[i] = []float64{-float64(i%7) - 1, 1}
		nw[i] = []float64{-float64(i%5) - 1, 1}
	}
	score := eval.Perplexity().Score
	for b.Loop() {
		PairedBootstrap(base, nw, score, 100, 1)
	}
}
