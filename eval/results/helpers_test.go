package results

import (
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/kshot-eval/kshot/eval"
)

// testModel describes a hand-built run for Write.
type testModel struct {
	name        string
	params      int64
	fingerprint string
	date        time.Time
}

// binaryTask builds a task whose metric is a mean of the given 0/1 (or
// any) per-document values, each document a loglikelihood request.
func binaryTask(name, version string, k int, metric string, higherIsBetter bool, values []float64) eval.TaskResult {
	m := eval.Mean(metric, higherIsBetter)
	r := eval.TaskResult{Key: eval.ResultKey(name, k), Spec: eval.TaskSpec{Name: name, Version: version, Metrics: []eval.Metric{m}},
		Shots: k, NDocs: len(values), NTotal: len(values), RequestHash: "hash-" + name}
	var docs [][]float64
	for i, v := range values {
		st := eval.MeanStats(v)
		docs = append(docs, st)
		r.Samples = append(r.Samples, eval.Sample{
			DocID: i, Doc: map[string]any{"text": "document", "i": i}, Target: " word" + string(rune('a'+i%26)),
			Arguments: []eval.Request{eval.Loglikelihood{Context: "context of document", Continuation: " word"}},
			Responses: []eval.Response{eval.LoglikelihoodResult{LogProb: -1.5, Greedy: v == 1}},
			Metrics:   map[string]float64{metric: v}, Stats: map[string][]float64{metric: st},
		})
	}
	r.Metrics = []eval.MetricResult{{Name: metric, HigherIsBetter: higherIsBetter, Aggregate: mustAggregate(m, docs, 0)}}
	return r
}

// mustAggregate aggregates test documents with seed 1; an error is a
// broken test.
func mustAggregate(m eval.Metric, docs [][]float64, iters int) eval.Aggregate {
	agg, err := eval.AggregateMetric(m, docs, iters, 1)
	if err != nil {
		panic("reports test: " + err.Error())
	}
	return agg
}

// perplexityTask builds a task with a corpus perplexity over documents
// with the given log-likelihoods (one token-weighted unit each).
func perplexityTask(name, version string, logliks []float64) eval.TaskResult {
	m := eval.Perplexity()
	r := eval.TaskResult{Key: name, Spec: eval.TaskSpec{Name: name, Version: version, Metrics: []eval.Metric{m}},
		NDocs: len(logliks), NTotal: len(logliks), RequestHash: "hash-" + name}
	var docs [][]float64
	for i, ll := range logliks {
		st := eval.WeightedStats(ll, 1)
		docs = append(docs, st)
		r.Samples = append(r.Samples, eval.Sample{
			DocID: i, Doc: map[string]any{"i": i}, Target: "text",
			Arguments: []eval.Request{eval.Rolling{Text: "a text"}},
			Responses: []eval.Response{eval.RollingResult{LogProb: ll, Tokens: 3}},
			Metrics:   map[string]float64{}, Stats: map[string][]float64{"perplexity": st},
		})
	}
	r.Metrics = []eval.MetricResult{{Name: "perplexity", Aggregate: mustAggregate(m, docs, 100)}}
	return r
}

// writeTestRun writes tasks as m's results into dir/<name> and returns
// the results file.
func writeTestRun(t testing.TB, dir string, m testModel, tasks ...eval.TaskResult) string {
	t.Helper()
	if m.date.IsZero() {
		m.date = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	}
	run := eval.RunInfo{
		Model:   eval.ModelInfo{Name: m.name, Source: "/models/" + m.name, Parameters: m.params, MaxLength: 1024, Fingerprint: m.fingerprint},
		Options: eval.Options{Seed: 1234, Limit: 0, BootstrapIters: 100, BatchSize: 8, Shots: []int{0}}, KshotVersion: "test", Date: m.date,
		CommandLine: []string{"kshot", "run", "--model", m.name},
	}
	path, err := Write(filepath.Join(dir, m.name), run, tasks)
	if err != nil {
		t.Fatal(err)
	}
	return path
}

func near(a, b, tol float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Abs(a-b) <= tol
}
