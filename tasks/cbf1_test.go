package tasks

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/kshot-eval/kshot/eval"
)

// TestCBMacroF1 scores four hand-built CB documents whose option scores
// make acc's prediction (largest log-probability) and acc_token's
// (largest per-token log-probability) differ, and checks f1_macro and
// f1_macro_token against the values worked out by hand below.
func TestCBMacroF1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cb.jsonl")
	rows := `{"premise": "p0", "hypothesis": "h0", "label": 0}
{"premise": "p1", "hypothesis": "h1", "label": 1}
{"premise": "p2", "hypothesis": "h2", "label": 2}
{"premise": "p3", "hypothesis": "h3", "label": 0}
`
	if err := os.WriteFile(path, []byte(rows), 0o644); err != nil {
		t.Fatal(err)
	}
	task, err := New("cb", Options{DataPath: path})
	if err != nil {
		t.Fatal(err)
	}
	insts, err := task.Instances(0, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Golds 0, 1, 2, 0. Raw predictions 0, 1, 0, 2; per-token 1, 1, 2, 0.
	scores := [][3][2]float64{ // per option: log-probability, tokens
		{{-2, 1}, {-3, 4}, {-4, 5}},
		{{-3, 1}, {-1, 1}, {-4, 1}},
		{{-1, 1}, {-2, 1}, {-3, 6}},
		{{-4, 8}, {-5, 8}, {-2, 1}},
	}
	stats := map[string][][]float64{}
	for i, in := range insts {
		var r eval.ChoiceResult
		for _, o := range scores[i] {
			r.Options = append(r.Options, eval.LoglikelihoodResult{LogProb: o[0], Tokens: int(o[1])})
		}
		s, err := task.Score(in, []eval.Response{r})
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range s {
			stats[k] = append(stats[k], v)
		}
	}
	// Raw: class 0 TP 1 (doc 0), FP 1 (doc 2), FN 1 (doc 3) → 0.5; class 1
	// TP 1 → 1; class 2 FP 1, FN 1 → 0; mean 0.5. Per-token: class 0 TP 1
	// (doc 3), FN 1 (doc 0) → 2/3; class 1 TP 1, FP 1 (doc 0) → 2/3;
	// class 2 TP 1 → 1; mean 7/9.
	want := map[string]float64{"f1_macro": 0.5, "f1_macro_token": 7.0 / 9, "acc": 0.5, "acc_token": 0.75}
	for _, m := range task.Spec().Metrics {
		w, ok := want[m.Name]
		if !ok {
			continue
		}
		agg, err := eval.AggregateMetric(m, stats[m.Name], 0, 1)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(agg.Value-w) > 1e-12 {
			t.Errorf("%s = %v, want %v", m.Name, agg.Value, w)
		}
		delete(want, m.Name)
	}
	if len(want) != 0 {
		t.Errorf("cb does not report %v", want)
	}
}
