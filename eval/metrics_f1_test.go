package eval

import (
	"math"
	"testing"
)

// TestMacroF1 checks MacroF1 against scikit-learn's documented f1_score
// example and a case worked out by hand.
func TestMacroF1(t *testing.T) {
	for _, c := range []struct {
		name       string
		gold, pred []int
		want       float64
	}{
		// scikit-learn's f1_score docstring: y_true = [0, 1, 2, 0, 1, 2],
		// y_pred = [0, 2, 1, 0, 0, 1], average='macro' → 0.26666…
		// (class 0: TP 2, FP 1, FN 0 → 0.8; classes 1 and 2: no TP → 0).
		{"sklearn docstring", []int{0, 1, 2, 0, 1, 2}, []int{0, 2, 1, 0, 0, 1}, 0.8 / 3},
		// By hand: class 0 TP 1, FN 1 → 2/3; class 1 TP 1, FP 1 → 2/3;
		// class 2 neither gold nor predicted → 0 (lm-eval averages all
		// three; scikit-learn's macro would skip it and give 2/3).
		{"absent class", []int{0, 0, 1}, []int{0, 1, 1}, 4.0 / 9},
		// Every prediction right: 1.
		{"perfect", []int{2, 1, 0}, []int{2, 1, 0}, 1},
	} {
		m := MacroF1("f1_macro", 3)
		var docs [][]float64
		for i := range c.gold {
			s := MacroF1Stats(c.gold[i], c.pred[i], 3)
			if err := m.CheckStats(s); err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			docs = append(docs, s)
		}
		agg, err := AggregateMetric(m, docs, 0, 1)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if math.Abs(agg.Value-c.want) > 1e-12 {
			t.Errorf("%s: macro F1 %v, want %v", c.name, agg.Value, c.want)
		}
	}
	if m, err := BuildMetric("f1_macro", CorpusKind, true, nil); err != nil || m.Width != 9 {
		t.Errorf("BuildMetric(f1_macro): %+v, %v", m, err)
	}
}
