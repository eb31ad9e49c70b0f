package eval

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/stat"
)

// Aggregate is a metric's value over a task's documents.
type Aggregate struct {
	Value  float64
	Stderr float64 // NaN when it cannot be estimated (fewer than 2 documents)
	N      int
	// Warnings are statistical caveats to print as footnotes.
	Warnings []string
}

// AggregateMetric computes m over per-document statistics. Mean metrics
// get the standard error of the mean (sample s.d. with n−1, over √n);
// corpus metrics the s.d. of the metric over `iters` bootstrap resamples
// of the documents drawn with the given seed.
func AggregateMetric(m Metric, docs [][]float64, iters int, seed uint64) Aggregate {
	n := len(docs)
	agg := Aggregate{N: n, Stderr: math.NaN()}
	if n == 0 {
		agg.Value = math.NaN()
		return agg
	}
	sum := sumStats(docs, nil)
	agg.Value = m.Score(sum)
	if n < 2 {
		agg.Warnings = append(agg.Warnings, fmt.Sprintf("%s: only %d document, no standard error", m.Name, n))
		return agg
	}
	if !m.Corpus {
		xs := make([]float64, n)
		for i, d := range docs {
			xs[i] = d[0] / d[1]
		}
		agg.Stderr = stat.StdDev(xs, nil) / math.Sqrt(float64(n))
		if n < 30 {
			agg.Warnings = append(agg.Warnings, fmt.Sprintf("%s: n=%d is small; the standard error is rough", m.Name, n))
		}
		return agg
	}
	if iters < 2 {
		agg.Warnings = append(agg.Warnings, fmt.Sprintf("%s: bootstrap disabled (iterations %d), no standard error", m.Name, iters))
		return agg
	}
	agg.Stderr = Bootstrap(docs, m.Score, iters, seed)
	if iters < 1000 {
		agg.Warnings = append(agg.Warnings, fmt.Sprintf("%s: standard error from only %d bootstrap iterations", m.Name, iters))
	}
	return agg
}

func sumStats(docs [][]float64, idx []int) []float64 {
	sum := make([]float64, len(docs[0]))
	add := func(d []float64) {
		for j, v := range d {
			sum[j] += v
		}
	}
	if idx == nil {
		for _, d := range docs {
			add(d)
		}
	} else {
		for _, i := range idx {
			add(docs[i])
		}
	}
	return sum
}

// Bootstrap returns the sample standard deviation of score(Σ stats) over
// iters resamples (with replacement) of the documents, drawn from a PCG
// generator seeded with seed.
func Bootstrap(docs [][]float64, score func([]float64) float64, iters int, seed uint64) float64 {
	rng := rand.New(rand.NewPCG(seed, 0x6b73686f74)) // "kshot"
	n := len(docs)
	idx := make([]int, n)
	vals := make([]float64, 0, iters)
	for range iters {
		for i := range idx {
			idx[i] = rng.IntN(n)
		}
		v := score(sumStats(docs, idx))
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			vals = append(vals, v)
		}
	}
	if len(vals) < 2 {
		return math.NaN()
	}
	return stat.StdDev(vals, nil)
}
