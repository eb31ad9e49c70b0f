package results

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kshot-eval/kshot/eval"
	"github.com/kshot-eval/kshot/eval/results/resultstest"
)

// ratioTask evaluates docs (a, b) with resultstest.Ratio at scale 100 and
// a mean acc, keeping the documents of shard i of n.
func ratioTask(t *testing.T, docs [][2]float64, i, n int) eval.TaskResult {
	t.Helper()
	ratio, acc := resultstest.Ratio(resultstest.RatioOptions{Scale: 100}), eval.Mean("acc", true)
	r := eval.TaskResult{Key: "ratio", Spec: eval.TaskSpec{Name: "ratio", Version: "1", Metrics: []eval.Metric{ratio, acc}}, NTotal: len(docs)}
	var hashes []string
	var rs, as [][]float64
	for id, d := range docs {
		h := fmt.Sprintf("h%d", id)
		hashes = append(hashes, h)
		if !eval.InShard(id, i, n) {
			continue
		}
		st := map[string][]float64{resultstest.RatioName: {d[0], d[1]}, "acc": eval.MeanStats(eval.Bool(d[0] > d[1]/2))}
		rs, as = append(rs, st[resultstest.RatioName]), append(as, st["acc"])
		r.Samples = append(r.Samples, eval.Sample{DocID: id, Doc: map[string]any{"id": id}, Target: "t",
			Arguments: []eval.Request{eval.Loglikelihood{Context: "c", Continuation: " t"}},
			Responses: []eval.Response{eval.LoglikelihoodResult{LogProb: -1}},
			Metrics:   map[string]float64{"acc": st["acc"][0]}, Stats: st, RequestHash: h})
	}
	r.NDocs = len(r.Samples)
	r.RequestHash = eval.CombineHashes(hashes)
	for _, x := range []struct {
		m    eval.Metric
		docs [][]float64
	}{{ratio, rs}, {acc, as}} {
		agg, err := eval.AggregateMetric(x.m, x.docs, 50, 1234)
		if err != nil && !(errors.Is(err, eval.ErrNoDocuments) && n > 1) {
			t.Fatal(err)
		}
		r.Metrics = append(r.Metrics, eval.MetricResult{Name: x.m.Name, HigherIsBetter: true, Aggregate: agg})
	}
	return r
}

func ratioRun(i, n int) eval.RunInfo {
	return eval.RunInfo{Model: eval.ModelInfo{Name: "m", Fingerprint: "fp"}, KshotVersion: "test",
		Options: eval.Options{Seed: 1234, BootstrapIters: 50, Shard: i, Shards: n}, Date: time.Date(2025, 6, 1, 0, 0, i, 0, time.UTC)}
}

// TestCorpusMetricRoundTrip: a corpus metric with non-default options,
// registered after the readers were written, goes through write → read
// → merge with its value: 100 · Σa/Σb = 100 · 10/40 = 25 (default options,
// scale 1, would give 0.25; a plain mean of a/b 0.2722…).
func TestCorpusMetricRoundTrip(t *testing.T) {
	docs := [][2]float64{{1, 10}, {2, 5}, {3, 10}, {0, 5}, {4, 10}}
	dir := t.TempDir()
	whole, err := Write(filepath.Join(dir, "whole"), ratioRun(0, 0), []eval.TaskResult{ratioTask(t, docs, 0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	run, err := ReadRun(whole)
	if err != nil {
		t.Fatal(err)
	}
	mv, _ := run.Tasks[0].Metric(resultstest.RatioName)
	var opts bytes.Buffer
	if mv.Spec != nil {
		json.Compact(&opts, mv.Spec.Options)
	}
	if mv.Value != 25 || mv.Spec == nil || mv.Spec.Kind != eval.CorpusKind || opts.String() != `{"Scale":100}` {
		t.Fatalf("read back %+v (spec %+v)", mv, mv.Spec)
	}
	m, err := mv.Build()
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Score(eval.SumStats(statsOf(run.Tasks[0], resultstest.RatioName), nil)); got != 25 {
		t.Errorf("rebuilt metric scores %v, want 25", got)
	}
	var shards []*Shard
	for i := range 3 {
		p, err := Write(filepath.Join(dir, fmt.Sprint("shard", i)), ratioRun(i, 3), []eval.TaskResult{ratioTask(t, docs, i, 3)})
		if err != nil {
			t.Fatal(err)
		}
		s, err := ReadShard(p)
		if err != nil {
			t.Fatal(err)
		}
		shards = append(shards, s)
	}
	merged, samples, err := Merge(shards, time.Date(2025, 6, 2, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	wf := run.File
	for _, k := range []string{resultstest.RatioName + ",none", resultstest.RatioName + "_stderr,none", "acc,none", "acc_stderr,none"} {
		if got, want := merged.Results["ratio"].Values[k], wf.Results["ratio"].Values[k]; got != want {
			t.Errorf("merged %s = %v, whole run %v", k, got, want)
		}
	}
	if merged.Results["ratio"].Values[resultstest.RatioName+",none"] != 25 {
		t.Errorf("merged value %v, want 25", merged.Results["ratio"].Values[resultstest.RatioName+",none"])
	}
	// The merged files are the whole run's apart from dates and run settings.
	mp, err := WriteFiles(filepath.Join(dir, "merged"), MergedStamp(merged), merged, samples)
	if err != nil {
		t.Fatal(err)
	}
	a, b := readJSON(t, whole), readJSON(t, mp)
	for _, k := range []string{"date", "date_iso", "run"} {
		delete(a, k)
		delete(b, k)
	}
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Errorf("merged results differ from the whole run:\n%v\n%v", a, b)
	}
}

func statsOf(t *TaskRun, name string) [][]float64 {
	var out [][]float64
	for _, s := range t.Samples {
		out = append(out, s.Stats[name])
	}
	return out
}

func readJSON(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestReadLMEvalResults reads a results file lm-evaluation-harness
// wrote (testdata/lm-eval/SOURCE.md): the fields both formats have.
func TestReadLMEvalResults(t *testing.T) {
	run, err := ReadRun("testdata/lm-eval/results_2025-01-21T00-40-03.356274.json")
	if err != nil {
		t.Fatal(err)
	}
	if run.Model.Name != "/home/cs29824/matthew/lm-evaluation-harness/examples/dog_steer.csv" || run.Config["bootstrap_iters"] != 100000.0 || run.File.Config.FewshotSeed != 1234 {
		t.Errorf("model %+v config %v", run.Model, run.Config)
	}
	if want := time.Unix(1737419939, 488845800).UTC(); run.Date.Sub(want).Abs() > time.Microsecond {
		t.Errorf("date %v, want %v", run.Date, want)
	}
	if len(run.Tasks) != 1 {
		t.Fatalf("%d tasks", len(run.Tasks))
	}
	tr := run.Tasks[0]
	if tr.Key != "mmlu_abstract_algebra" || tr.Task != "mmlu_abstract_algebra" || tr.Version != "1.0" || tr.NDocs != 100 || tr.NTotal != 100 || tr.Shots != 0 {
		t.Errorf("task %+v", tr)
	}
	acc, ok := tr.Metric("acc")
	if !ok || len(tr.Metrics) != 1 || acc.Value != 0.34 || acc.Stderr != 0.047609522856952344 || !acc.HigherIsBetter || acc.Spec != nil {
		t.Errorf("metrics %+v", tr.Metrics)
	}
	if len(run.Warnings) != 1 || !strings.Contains(run.Warnings[0], "no per-sample log for mmlu_abstract_algebra") {
		t.Errorf("warnings %q", run.Warnings)
	}
	if m, err := acc.Build(); err != nil || m.Corpus {
		t.Errorf("acc rebuilds as %+v, %v", m, err)
	}
}

// TestDecodingRecorded checks that a generation task's decoding rule is
// written into its configs entry and read back, and that a task without
// one has no decoding key.
func TestDecodingRecorded(t *testing.T) {
	m := testModel{Name: "m", Params: 1e6}
	gen := binaryTask("summ", "1", 0, "acc", true, []float64{1, 0})
	gen.Decoding = "sample(temperature=1,top_k=2,top_p=1,seed=1234)"
	other := binaryTask("copa", "1", 0, "acc", true, []float64{1, 1})
	path := writeTestRun(t, t.TempDir(), m, gen, other)
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Configs map[string]map[string]any `json:"configs"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	if got := f.Configs["summ"]["decoding"]; got != gen.Decoding {
		t.Errorf("configs.summ.decoding = %v, want %q", got, gen.Decoding)
	}
	if _, ok := f.Configs["copa"]["decoding"]; ok {
		t.Errorf("configs.copa has a decoding key: %v", f.Configs["copa"])
	}
	back, err := DecodeResults(raw, path)
	if err != nil {
		t.Fatal(err)
	}
	if got := back.Configs["summ"].Decoding; got != gen.Decoding {
		t.Errorf("read back decoding %q, want %q", got, gen.Decoding)
	}
}
