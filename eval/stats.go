package eval

import (
	"errors"
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

// ErrNoDocuments is returned by AggregateMetric for zero documents: a
// metric over no documents is not a number.
var ErrNoDocuments = errors.New("no documents to score")

// AggregateMetric computes m over per-document statistics. Mean metrics
// get the standard error of the mean (sample s.d. with n−1, over √n);
// corpus metrics the s.d. of the metric over `iters` bootstrap resamples
// of the documents drawn with the given seed. Zero documents are
// ErrNoDocuments; a statistics vector m does not accept (CheckStats), or
// one whose length differs from the first document's, is an error naming
// the document's index.
func AggregateMetric(m Metric, docs [][]float64, iters int, seed uint64) (Aggregate, error) {
	n := len(docs)
	agg := Aggregate{N: n, Stderr: math.NaN(), Value: math.NaN()}
	if n == 0 {
		return agg, fmt.Errorf("%s: %w", m.Name, ErrNoDocuments)
	}
	for i, d := range docs {
		if err := m.CheckStats(d); err != nil {
			return agg, fmt.Errorf("%s: document %d: %w", m.Name, i, err)
		}
		if len(d) != len(docs[0]) {
			return agg, fmt.Errorf("%s: document %d has %d statistics, document 0 has %d", m.Name, i, len(d), len(docs[0]))
		}
	}
	agg.Value = m.Score(SumStats(docs, nil))
	if n < 2 {
		agg.Warnings = append(agg.Warnings, fmt.Sprintf("%s: only %d document, no standard error", m.Name, n))
		return agg, nil
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
		return agg, nil
	}
	if iters < 2 {
		agg.Warnings = append(agg.Warnings, fmt.Sprintf("%s: bootstrap disabled (iterations %d), no standard error", m.Name, iters))
		return agg, nil
	}
	agg.Stderr = Bootstrap(docs, m.Score, iters, seed)
	if iters < 1000 {
		agg.Warnings = append(agg.Warnings, fmt.Sprintf("%s: standard error from only %d bootstrap iterations", m.Name, iters))
	}
	return agg, nil
}

// SumStats returns the element-wise sum, in float64, of the statistics
// vectors at idx (all of them when idx is nil). It panics when docs is
// empty or the vectors differ in length (callers check with CheckStats).
func SumStats(docs [][]float64, idx []int) []float64 {
	sum := make([]float64, len(docs[0]))
	add := func(d []float64) {
		if len(d) != len(sum) {
			panic("eval: statistics vectors of different lengths")
		}
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

// Bootstrap stream constants: the PCG stream of each resampling use, so
// that the standard errors and the paired tests draw independent indices
// from the same seed.
const (
	StreamStderr uint64 = 0x6b73686f74 // "kshot": Bootstrap
	StreamPaired uint64 = 0x70616972   // "pair": paired comparisons
)

// Resample calls f with iters resamples of the indices 0…n−1 drawn with
// replacement from a PCG generator seeded with (seed, stream). idx is
// reused between calls.
func Resample(n, iters int, seed, stream uint64, f func(idx []int)) {
	rng := rand.New(rand.NewPCG(seed, stream))
	idx := make([]int, n)
	for range iters {
		for i := range idx {
			idx[i] = rng.IntN(n)
		}
		f(idx)
	}
}

// Bootstrap returns the sample standard deviation of score(Σ stats) over
// iters resamples (with replacement) of the documents, drawn with
// Resample on StreamStderr. Non-finite resampled scores are skipped; NaN
// when fewer than two remain.
func Bootstrap(docs [][]float64, score func([]float64) float64, iters int, seed uint64) float64 {
	vals := make([]float64, 0, iters)
	Resample(len(docs), iters, seed, StreamStderr, func(idx []int) {
		v := score(SumStats(docs, idx))
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			vals = append(vals, v)
		}
	})
	if len(vals) < 2 {
		return math.NaN()
	}
	return stat.StdDev(vals, nil)
}
