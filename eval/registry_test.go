package eval

import (
	"context"
	"encoding/json"
	"errors"
	"github.com/kshot-eval/kshot/eval/sacrebleu"
	"math"
	"strings"
	"testing"
)

func TestRegisterMetricPanics(t *testing.T) {
	cases := []struct {
		name string
		def  MetricDef
		want string
	}{
		{"duplicate", MetricDef{Name: "acc", Kind: MeanKind, Stderr: StderrOfMean}, `"acc" registered twice`},
		{"empty name", MetricDef{Kind: MeanKind, Stderr: StderrOfMean}, "bad name"},
		{"corpus without New", MetricDef{Name: "x_corpus", Kind: CorpusKind, Stderr: StderrBootstrap}, "not a valid definition"},
		{"mean with bootstrap", MetricDef{Name: "x_mean", Kind: MeanKind, Stderr: StderrBootstrap}, "not a valid definition"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if s, _ := r.(string); !strings.Contains(s, c.want) || !strings.HasPrefix(s, "eval: ") {
					t.Errorf("panic %v, want one containing %q", r, c.want)
				}
			}()
			RegisterMetric(c.def)
		})
	}
}

func TestLookupMetric(t *testing.T) {
	// Every metric name kshot's tasks report today (grep of tasks/).
	for _, name := range []string{"acc", "acc_norm", "acc_token", "acc_uncond", "exact_match", "perplexity",
		"word_perplexity", "byte_perplexity", "bits_per_byte", "bleu", "chrf", "ter", "oracle_mcc", "oracle_acc"} {
		if _, err := LookupMetric(name); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	_, err := LookupMetric("perplexty")
	var ue *UnknownMetricError
	if !errors.As(err, &ue) || err.Error() != `unknown metric "perplexty" (did you mean "perplexity"?)` {
		t.Errorf("err = %v", err)
	}
	if _, err := LookupMetric("zzzzzzzzzz"); err == nil || strings.Contains(err.Error(), "did you mean") {
		t.Errorf("far name: %v", err)
	}
	names := MetricNames()
	for i := 1; i < len(names); i++ {
		if names[i-1] >= names[i] {
			t.Fatalf("MetricNames not sorted: %v", names)
		}
	}
}

func TestBuildMetric(t *testing.T) {
	cases := []struct {
		name    string
		kind    MetricKind
		options string
		wantErr string
		check   func(t *testing.T, m Metric)
	}{
		{"mean unregistered", MeanKind, "", "", func(t *testing.T, m Metric) {
			if m.Corpus || m.Score([]float64{3, 4}) != 0.75 {
				t.Errorf("metric %+v", m)
			}
		}},
		{"perplexity", "", "null", "", func(t *testing.T, m Metric) {
			if got := m.Score([]float64{-6, 3}); math.Abs(got-math.Exp(2)) > 1e-12 {
				t.Errorf("perplexity %v, want e²", got)
			}
		}},
		{"chrf", CorpusKind, `{"WordOrder": 2, "Beta": 1}`, "", func(t *testing.T, m Metric) {
			o := m.Options.(sacrebleu.CHRFOptions)
			if o.WordOrder != 2 || o.Beta != 1 {
				t.Errorf("options %+v", o)
			}
		}},
		{"chrf", CorpusKind, `{"MaxOrder": 2}`, `unknown field "MaxOrder"`, nil},
		{"bleu", CorpusKind, `{"Tokenize": "nope"}`, "nope", nil},
		{"perplexity", MeanKind, "", "is a corpus metric here, not mean", nil},
		{"perplexity", CorpusKind, `{"x": 1}`, "takes no options", nil},
		{"blue", CorpusKind, "", `did you mean "bleu"`, nil},
	}
	for _, c := range cases {
		t.Run(c.name+c.options, func(t *testing.T) {
			m, err := BuildMetric(c.name, c.kind, true, json.RawMessage(c.options))
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			c.check(t, m)
		})
	}
}

func TestAggregateMetricErrors(t *testing.T) {
	cases := []struct {
		name string
		m    Metric
		docs [][]float64
		want string
	}{
		// An empty task used to score NaN (merge) or a plain number.
		{"no documents", WeightedPerplexity("word_perplexity"), nil, "no documents"},
		{"no documents mean", Mean("acc", true), [][]float64{}, "no documents"},
		// One-element statistics used to panic with index out of range.
		{"short mean stats", Mean("acc", true), [][]float64{{1, 1}, {1}}, "document 1: acc wants 2 statistics per document, got 1"},
		{"short bleu stats", BLEUMetric(sacrebleu.BLEUOptions{}), [][]float64{{1, 2, 3}}, "bleu wants 2 lengths"},
		{"ragged chrf", CHRFMetric(sacrebleu.CHRFOptions{}), [][]float64{{1, 1, 1}, {1, 1, 1, 1, 1, 1}}, "document 1 has 6 statistics, document 0 has 3"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			agg, err := AggregateMetric(c.m, c.docs, 10, 1)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
			if !math.IsNaN(agg.Value) {
				t.Errorf("value %v with an error, want NaN", agg.Value)
			}
		})
	}
}

// emptyTask has no documents.
type emptyTask struct{}

func (emptyTask) Spec() TaskSpec {
	return TaskSpec{Name: "empty", Version: "1", Metrics: []Metric{WeightedPerplexity("word_perplexity")}}
}
func (emptyTask) Instances(k int, seed uint64) ([]Instance, error) { return nil, nil }
func (emptyTask) Score(Instance, []Response) (map[string][]float64, error) {
	panic("eval test: Score called for a task without documents")
}

func TestEvaluateEmptyTask(t *testing.T) {
	_, err := Evaluate(context.Background(), nil, []Task{emptyTask{}}, Options{})
	if !errors.Is(err, ErrNoDocuments) || !strings.Contains(err.Error(), "task empty (0-shot): word_perplexity") {
		t.Fatalf("err = %v, want no documents for task empty", err)
	}
	// A shard may hold none of a task's documents: no number, a warning.
	res, err := Evaluate(context.Background(), nil, []Task{emptyTask{}}, Options{Shard: 1, Shards: 3})
	if err != nil {
		t.Fatal(err)
	}
	if m := res[0].Metrics[0]; !math.IsNaN(m.Value) || len(m.Warnings) != 1 || !strings.Contains(m.Warnings[0], "no documents") {
		t.Errorf("shard metric %+v", m)
	}
}

// TestMetricRange checks the ranges trends are held to: every registered
// metric has one, fractions in [0, 1], perplexities at least 1 (the
// exponential of a non-negative mean negative log-likelihood), BLEU and
// chrF 0–100 (sacreBLEU's scale).
func TestMetricRange(t *testing.T) {
	inf := math.Inf(1)
	for _, c := range []struct {
		name string
		want Range
	}{{"acc", Range{0, 1}}, {"exact_match", Range{0, 1}}, {"f1a", Range{0, 1}}, {"perplexity", Range{1, inf}},
		{"word_perplexity", Range{1, inf}}, {"bits_per_byte", Range{0, inf}}, {"bleu", Range{0, 100}},
		{"oracle_mcc", Range{-1, 1}}, {"no_such_metric", Range{}}} {
		if got := MetricRange(c.name); got != c.want {
			t.Errorf("MetricRange(%s) = %v, want %v", c.name, got, c.want)
		}
	}
	for _, n := range MetricNames() {
		if !MetricRange(n).Known() {
			t.Errorf("metric %s has no range", n)
		}
	}
	if v, capped := (Range{0, 1}).Clamp(1.2); v != 1 || !capped {
		t.Errorf("Clamp(1.2) = %g, %v", v, capped)
	}
}
