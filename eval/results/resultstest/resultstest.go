// Package resultstest builds hand-made evaluation results for the tests of
// the packages that write and read results files (eval/results, reports):
// tasks whose per-document values the test chooses, and the run metadata
// to write them under.
package resultstest

import (
	"encoding/json"
	"time"

	"github.com/kshot-eval/kshot/eval"
)

// Model describes a hand-built run.
type Model struct {
	Name        string
	Params      int64
	Fingerprint string
	Date        time.Time // 2025-01-02T03:04:05Z when zero
	Seed        uint64    // the run's seed; 1234 when zero
}

// RunInfo returns the run metadata tests write m's results under.
func RunInfo(m Model) eval.RunInfo {
	if m.Date.IsZero() {
		m.Date = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	}
	if m.Seed == 0 {
		m.Seed = 1234
	}
	return eval.RunInfo{
		Model:   eval.ModelInfo{Name: m.Name, Source: "/models/" + m.Name, Parameters: m.Params, MaxLength: 1024, Fingerprint: m.Fingerprint},
		Options: eval.Options{Seed: m.Seed, Limit: 0, BootstrapIters: 100, BatchSize: 8, Shots: []int{0}}, KshotVersion: "test", Date: m.Date,
		CommandLine: []string{"kshot", "run", "--model", m.Name},
	}
}

// BinaryTask builds a task whose metric is a mean of the given 0/1 (or
// any) per-document values, each document a loglikelihood request.
func BinaryTask(name, version string, k int, metric string, higherIsBetter bool, values []float64) eval.TaskResult {
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
	r.Metrics = []eval.MetricResult{{Name: metric, HigherIsBetter: higherIsBetter, Aggregate: MustAggregate(m, docs, 0)}}
	return r
}

// MustAggregate aggregates test documents with seed 1; an error is a
// broken test and panics.
func MustAggregate(m eval.Metric, docs [][]float64, iters int) eval.Aggregate {
	agg, err := eval.AggregateMetric(m, docs, iters, 1)
	if err != nil {
		panic("resultstest: " + err.Error())
	}
	return agg
}

// PerplexityTask builds a task with a corpus perplexity over documents
// with the given log-likelihoods (one token-weighted unit each).
func PerplexityTask(name, version string, logliks []float64) eval.TaskResult {
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
	r.Metrics = []eval.MetricResult{{Name: "perplexity", Aggregate: MustAggregate(m, docs, 100)}}
	return r
}

// RatioName names Ratio, a corpus metric kshot does not ship: it stands
// for a metric added after the readers were written. Importing this
// package registers it.
const RatioName = "test_ratio"

// RatioOptions are Ratio's options.
type RatioOptions struct{ Scale float64 }

// Ratio is Scale · Σa / Σb over documents with statistics (a, b).
func Ratio(o RatioOptions) eval.Metric {
	return eval.Metric{Name: RatioName, HigherIsBetter: true, Corpus: true, Options: o, Width: 2,
		Score: func(s []float64) float64 { return o.Scale * s[0] / s[1] }}
}

func init() {
	eval.RegisterMetric(eval.MetricDef{Name: RatioName, Kind: eval.CorpusKind, HigherIsBetter: true, Stderr: eval.StderrBootstrap,
		New: func(raw json.RawMessage) (eval.Metric, error) {
			o := RatioOptions{Scale: 1}
			if err := eval.DecodeOptions(raw, &o); err != nil {
				return eval.Metric{}, err
			}
			return Ratio(o), nil
		}})
}
