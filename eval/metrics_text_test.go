package eval

import (
	"math"
	"testing"

	"github.com/kshot-eval/kshot/eval/textscore"
)

// TestTextScoreMetrics checks the registered official-scorer metrics:
// kinds, and scores from summed statistics computed by hand.
func TestTextScoreMetrics(t *testing.T) {
	for name, kind := range map[string]MetricKind{
		"em": MeanKind, "exact": MeanKind, "rouge1": MeanKind, "rouge2": MeanKind, "rougeL": MeanKind, "rougeLsum": MeanKind,
		"HasAns_exact": CorpusKind, "HasAns_f1": CorpusKind, "NoAns_exact": CorpusKind, "NoAns_f1": CorpusKind, "f1a": CorpusKind,
	} {
		d, err := LookupMetric(name)
		if err != nil || d.Kind != kind || !d.HigherIsBetter {
			t.Errorf("%s: %+v, %v; want a %s metric, higher is better", name, d, err, kind)
		}
	}
	// F1a: questions with (TP, FP, FN) = (1, 1, 1) and (1, 0, 0) sum to
	// (2, 1, 1): 2·2/(2·2+1+1) = 2/3, not the mean of per-question F1s
	// (0.5 and 1: 0.75).
	m, err := BuildMetric("f1a", CorpusKind, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	a := F1aStats(textscore.MultiRCCounts{TP: 1, FP: 1, FN: 1})
	b := F1aStats(textscore.MultiRCCounts{TP: 1})
	if got := m.Score([]float64{a[0] + b[0], a[1] + b[1], a[2] + b[2]}); math.Abs(got-2.0/3) > 1e-12 {
		t.Errorf("f1a = %v, want 2/3", got)
	}
	// HasAns_exact over 3 documents, two answerable (1 and 0), one not:
	// 1/2; NoAns over none is NaN (N/A), not 0.
	s := SubsetMean("HasAns_exact")
	sum := make([]float64, 2)
	for _, st := range [][]float64{SubsetStats(1, true), SubsetStats(0, true), SubsetStats(1, false)} {
		if err := s.CheckStats(st); err != nil {
			t.Fatal(err)
		}
		sum[0] += st[0]
		sum[1] += st[1]
	}
	if got := s.Score(sum); got != 0.5 {
		t.Errorf("HasAns_exact = %v, want 0.5", got)
	}
	if got := SubsetMean("NoAns_exact").Score([]float64{0, 0}); !math.IsNaN(got) {
		t.Errorf("NoAns_exact of no document = %v, want NaN", got)
	}
}
