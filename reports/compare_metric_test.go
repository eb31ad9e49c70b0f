package reports

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kshot-eval/kshot/eval"
	"github.com/kshot-eval/kshot/eval/results/resultstest"
)

func ratioTaskResult(scale float64, docs [][2]float64) eval.TaskResult {
	m := resultstest.Ratio(resultstest.RatioOptions{Scale: scale})
	r := eval.TaskResult{Key: "ratio", Spec: eval.TaskSpec{Name: "ratio", Version: "1", Metrics: []eval.Metric{m}},
		NDocs: len(docs), NTotal: len(docs), RequestHash: "hash-ratio"}
	var stats [][]float64
	for i, d := range docs {
		st := []float64{d[0], d[1]}
		stats = append(stats, st)
		r.Samples = append(r.Samples, eval.Sample{DocID: i, Doc: map[string]any{"i": i}, Target: "t",
			Arguments: []eval.Request{eval.Rolling{Text: "t"}}, Responses: []eval.Response{eval.RollingResult{LogProb: -1, Tokens: 1}},
			Metrics: map[string]float64{}, Stats: map[string][]float64{resultstest.RatioName: st}})
	}
	r.Metrics = []eval.MetricResult{{Name: m.Name, HigherIsBetter: true, Aggregate: mustAggregate(m, stats, 100)}}
	return r
}

// TestCompareRebuildsMetricFromFile: compare recomputes a corpus metric
// kshot's readers never heard of, with the options the file gives. Base
// 100·(1+2+3)/(10+10+10) = 20, new 100·(2+2+4)/30 = 26.67: Δ = 6.67 on the
// paired documents (a mean of a/b would give 0.0667, scale 1 0.0667).
// Different options on the two sides are not comparable.
func TestCompareRebuildsMetricFromFile(t *testing.T) {
	dir := t.TempDir()
	base := writeTestRun(t, dir, testModel{Name: "base", Params: 1}, ratioTaskResult(100, [][2]float64{{1, 10}, {2, 10}, {3, 10}}))
	nw := writeTestRun(t, dir, testModel{Name: "new", Params: 1}, ratioTaskResult(100, [][2]float64{{2, 10}, {2, 10}, {4, 10}}))
	other := writeTestRun(t, dir, testModel{Name: "other", Params: 1}, ratioTaskResult(1, [][2]float64{{2, 10}, {2, 10}, {4, 10}}))
	c := Compare(readTestModel(t, base), readTestModel(t, nw), CompareOptions{Iterations: 200, Seed: 1})
	r := c.Rows[0]
	if r.Test != PairedBootstrapTest || math.Abs(r.Delta-20.0/3) > 1e-9 || r.Base.Value != 20 || math.Abs(r.New.Value-80.0/3) > 1e-9 {
		t.Errorf("row %+v", r)
	}
	c = Compare(readTestModel(t, base), readTestModel(t, other), CompareOptions{Iterations: 200, Seed: 1})
	if r := c.Rows[0]; r.Verdict != Incomparable || !strings.Contains(strings.Join(r.Notes, " "), `{"Scale":100}`) {
		t.Errorf("different options: %+v", r)
	}
}

// FuzzCompareSamples feeds the samples reader corrupted versions of a
// real samples file and compares what it accepts with the intact run:
// an error or a comparison, never a panic (a one-element statistics
// vector used to panic with index out of range).
func FuzzCompareSamples(f *testing.F) {
	dir := f.TempDir()
	base := writeTestRun(f, filepath.Join(dir, "base"), testModel{Name: "m", Params: 5},
		binaryTask("winograd", "1.0", 0, "acc", true, []float64{1, 0, 1}), perplexityTask("lambada", "1.0", []float64{-1, -2, -3}))
	files, _ := filepath.Glob(filepath.Join(filepath.Dir(base), "samples_*"))
	for _, p := range files {
		data, _ := os.ReadFile(p)
		f.Add(filepath.Base(p), data)
		f.Add(filepath.Base(p), bytes.Replace(data, []byte(`[1,1]`), []byte(`[1]`), 1))
		f.Add(filepath.Base(p), bytes.Replace(data, []byte(`,1]`), []byte(`,0]`), 1))
	}
	results, _ := os.ReadFile(base)
	baseModel := readTestModel(f, base)
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		if strings.ContainsAny(name, `/\`) || !strings.HasPrefix(name, "samples_") {
			return
		}
		d := t.TempDir()
		p := filepath.Join(d, filepath.Base(base))
		os.WriteFile(p, results, 0o644)
		for _, src := range files {
			b, _ := os.ReadFile(src)
			os.WriteFile(filepath.Join(d, filepath.Base(src)), b, 0o644)
		}
		os.WriteFile(filepath.Join(d, name), data, 0o644)
		runs, err := LoadRuns([]string{p})
		if err != nil {
			return
		}
		models, _ := MergeRuns(runs)
		c := Compare(baseModel, models[0], CompareOptions{Iterations: 20, Seed: 1})
		var b bytes.Buffer
		if err := c.WriteText(&b); err != nil {
			t.Fatal(err)
		}
	})
}
