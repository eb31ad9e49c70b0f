package eval

import (
	"fmt"

	"github.com/kshot-eval/kshot/eval/textscore"
)

// SubsetMean is the mean of a per-document value over the documents of a
// subset only (SQuAD 2.0's HasAns_exact: the questions that have an
// answer). Each document's statistics are SubsetStats(x, in); the score
// is NaN (written N/A) when no document is in the subset.
func SubsetMean(name string) Metric {
	return Metric{Name: name, HigherIsBetter: true, Corpus: true, Width: 2,
		Check: func(s []float64) error {
			if s[1] != 0 && s[1] != 1 {
				return fmt.Errorf("%s: a document's subset flag is %g, want 0 or 1", name, s[1])
			}
			return nil
		},
		Score: func(s []float64) float64 { return s[0] / s[1] }}
}

// SubsetStats returns the statistics of one document for a SubsetMean:
// its value, counted only when in is true.
func SubsetStats(x float64, in bool) []float64 {
	if !in {
		return []float64{0, 0}
	}
	return []float64{x, 1}
}

// F1aMetric is MultiRC's F1a, the binary F1 over every answer option of
// the split (SuperGLUE). Each document (a question) contributes
// F1aStats(counts of its options).
func F1aMetric() Metric {
	return Metric{Name: "f1a", HigherIsBetter: true, Corpus: true, Width: 3,
		Score: func(s []float64) float64 { return textscore.F1FromCounts(s[0], s[1], s[2]) }}
}

// F1aStats returns one question's statistics for F1aMetric.
func F1aStats(c textscore.MultiRCCounts) []float64 {
	return []float64{float64(c.TP), float64(c.FP), float64(c.FN)}
}
