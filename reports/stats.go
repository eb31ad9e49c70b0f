package reports

import (
	"math"
	"math/rand/v2"
	"slices"
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
	// P(X ≤ k) = Σ_{i≤k} C(n,i) / 2^n, summed in log space so that large
	// n neither overflows nor underflows before the sum.
	logHalf := float64(n) * math.Ln2
	terms := make([]float64, k+1)
	maxT := math.Inf(-1)
	for i := 0; i <= k; i++ {
		terms[i] = lchoose(n, i) - logHalf
		maxT = math.Max(maxT, terms[i])
	}
	var s float64
	for _, t := range terms {
		s += math.Exp(t - maxT)
	}
	return math.Min(1, 2*math.Exp(maxT)*s)
}

// lchoose returns ln C(n, k).
func lchoose(n, k int) float64 {
	a, _ := math.Lgamma(float64(n + 1))
	b, _ := math.Lgamma(float64(k + 1))
	c, _ := math.Lgamma(float64(n - k + 1))
	return a - b - c
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
	res.Delta = score(sumVectors(new, nil)) - score(sumVectors(base, nil))
	if math.IsNaN(res.Delta) || math.IsInf(res.Delta, 0) || iters < 1 {
		return res
	}
	rng := rand.New(rand.NewPCG(seed, 0x70616972)) // "pair"
	idx := make([]int, n)
	deltas := make([]float64, 0, iters)
	low, high := 0, 0 // resamples with δ* ≤ 0 and δ* ≥ 0
	for range iters {
		for i := range idx {
			idx[i] = rng.IntN(n)
		}
		d := score(sumVectors(new, idx)) - score(sumVectors(base, idx))
		if math.IsNaN(d) || math.IsInf(d, 0) {
			continue
		}
		deltas = append(deltas, d)
		if d <= 0 {
			low++
		}
		if d >= 0 {
			high++
		}
	}
	res.Iterations = len(deltas)
	if len(deltas) == 0 {
		return res
	}
	res.P = math.Min(1, 2*float64(1+min(low, high))/float64(len(deltas)+1))
	res.Low, res.High = percentile(deltas, 0.025), percentile(deltas, 0.975)
	return res
}

// sumVectors sums the vectors at idx (all when idx is nil) in float64.
func sumVectors(docs [][]float64, idx []int) []float64 {
	sum := make([]float64, len(docs[0]))
	add := func(d []float64) {
		if len(d) != len(sum) {
			panic("reports: statistics vectors of different lengths")
		}
		for j, v := range d {
			sum[j] += v
		}
	}
	if idx == nil {
		for _, d := range docs {
			add(d)
		}
		return sum
	}
	for _, i := range idx {
		add(docs[i])
	}
	return sum
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
	z := math.Abs(b-a) / s
	return math.Erfc(z / math.Sqrt2)
}
