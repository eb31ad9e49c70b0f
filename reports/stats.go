package reports

import (
	"math"
	"slices"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/kshot-eval/kshot/eval"
)

// McNemarExact returns the exact two-sided p-value of McNemar's test for
// paired 0/1 outcomes: b documents right only in the first run, c right
// only in the second. Under the null hypothesis the b+c discordant pairs
// split as Binomial(b+c, ½), and p = min(1, 2·P(X ≤ min(b, c))). With no
// discordant pairs p is 1.
func McNemarExact(b, c int) float64 {
	if b < 0 || c < 0 {
		panic("reports: McNemarExact with a negative count")
	}
	n, k := b+c, min(b, c)
	if n == 0 {
		return 1
	}
	// Σ of gonum's binomial probabilities rather than its CDF (a
	// regularised incomplete beta): the sum is exact for small n, e.g.
	// 2·2⁻¹⁰ for b=10, c=0.
	d := distuv.Binomial{N: float64(n), P: 0.5}
	var tail float64
	for i := 0; i <= k; i++ {
		tail += d.Prob(float64(i))
	}
	return math.Min(1, 2*tail)
}

// PairedBootstrapResult is the outcome of a paired bootstrap test.
type PairedBootstrapResult struct {
	Delta      float64 // score(new) − score(base) on the paired documents
	P          float64 // two-sided p-value
	Low, High  float64 // 95% percentile interval of the difference
	Iterations int     // resamples whose scores were finite
}

// PairedBootstrap tests whether two runs scored the same documents
// equally. base[i] and new[i] are document i's sufficient statistics in
// each run; score maps summed statistics to the metric. Each of iters
// resamples draws document indices with replacement (PCG seeded with
// seed) and computes δ* = score(Σ new) − score(Σ base) over the same
// indices. The two-sided p-value is the percentile bootstrap test's,
// 2·min(1 + #{δ* ≤ 0}, 1 + #{δ* ≥ 0}) / (B + 1) capped at 1: twice the
// share of resamples on the far side of zero, so that 0 lies outside the
// (1−p) percentile interval (Efron and Tibshirani 1993, §16.4; Koehn
// 2004). Unlike a test on shifted differences it gives the same answer
// for any monotone transform of the metric, so a skewed perplexity is
// judged like the mean log-likelihood beneath it.
func PairedBootstrap(base, new [][]float64, score func([]float64) float64, iters int, seed uint64) PairedBootstrapResult {
	n := len(base)
	if n != len(new) {
		panic("reports: PairedBootstrap with unpaired documents")
	}
	res := PairedBootstrapResult{P: math.NaN(), Delta: math.NaN(), Low: math.NaN(), High: math.NaN()}
	if n == 0 {
		return res
	}
	res.Delta = score(eval.SumStats(new, nil)) - score(eval.SumStats(base, nil))
	if math.IsNaN(res.Delta) || math.IsInf(res.Delta, 0) || iters < 1 {
		return res
	}
	deltas := make([]float64, 0, iters)
	low, high := 0, 0 // resamples with δ* ≤ 0 and δ* ≥ 0
	eval.Resample(n, iters, seed, eval.StreamPaired, func(idx []int) {
		d := score(eval.SumStats(new, idx)) - score(eval.SumStats(base, idx))
		if math.IsNaN(d) || math.IsInf(d, 0) {
			return
		}
		deltas = append(deltas, d)
		if d <= 0 {
			low++
		}
		if d >= 0 {
			high++
		}
	})
	res.Iterations = len(deltas)
	if len(deltas) == 0 {
		return res
	}
	res.P = math.Min(1, 2*float64(1+min(low, high))/float64(len(deltas)+1))
	res.Low, res.High = percentile(deltas, 0.025), percentile(deltas, 0.975)
	return res
}

// percentile returns the q-quantile of xs (sorted in place) by linear
// interpolation between order statistics.
func percentile(xs []float64, q float64) float64 {
	slices.Sort(xs)
	pos := q * float64(len(xs)-1)
	lo := int(math.Floor(pos))
	hi := min(lo+1, len(xs)-1)
	return xs[lo] + (pos-float64(lo))*(xs[hi]-xs[lo])
}

// UnpairedZ returns the two-sided p-value of a z test of the difference
// of two independent estimates with standard errors se1 and se2:
// z = (b − a)/√(se1² + se2²), p = 2·(1 − Φ(|z|)). It is NaN when either
// standard error is unknown or both are zero.
func UnpairedZ(a, se1, b, se2 float64) float64 {
	s := math.Sqrt(se1*se1 + se2*se2)
	if math.IsNaN(s) || math.IsInf(s, 0) || s == 0 || math.IsNaN(a) || math.IsNaN(b) {
		return math.NaN()
	}
	return 2 * distuv.UnitNormal.Survival(math.Abs(b-a)/s)
}
