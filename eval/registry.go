package eval

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"

	"github.com/kshot-eval/kshot/eval/sacrebleu"
	"github.com/kshot-eval/kshot/internal/suggest"
)

// MetricKind says how per-document statistics become a task score.
type MetricKind string

const (
	// MeanKind is a mean over documents: each document's statistics are
	// MeanStats(x) and the score is Σx/Σ1.
	MeanKind MetricKind = "mean"
	// CorpusKind is a formula over summed sufficient statistics
	// (perplexity, corpus BLEU, the oracle threshold metrics).
	CorpusKind MetricKind = "corpus"
)

// StderrMethod names how a metric's standard error is estimated.
type StderrMethod string

const (
	// StderrOfMean is the sample standard deviation (n−1) over √n.
	StderrOfMean StderrMethod = "mean"
	// StderrBootstrap is the standard deviation of the metric over seeded
	// bootstrap resamples of the documents.
	StderrBootstrap StderrMethod = "bootstrap"
)

// MetricDef is one registered metric: what a results file needs to
// rebuild it from per-document statistics.
type MetricDef struct {
	Name           string
	Kind           MetricKind
	HigherIsBetter bool
	Stderr         StderrMethod
	// New builds the metric from its options as a results file records
	// them (JSON; nil, "null" or "{}" select the defaults). A mean metric
	// leaves it nil.
	New func(options json.RawMessage) (Metric, error)
}

var (
	metricMu  sync.RWMutex
	metricReg = map[string]MetricDef{}
)

// RegisterMetric makes a metric known to the readers of results files
// (merge, compare, report). It panics when the name is registered twice,
// is empty, or the definition is inconsistent (a corpus metric without
// New, a kind or standard-error method it does not know).
func RegisterMetric(d MetricDef) {
	if d.Name == "" || strings.ContainsAny(d.Name, ", ") {
		panic(fmt.Sprintf("eval: RegisterMetric with a bad name %q", d.Name))
	}
	switch {
	case d.Kind == MeanKind && d.Stderr == StderrOfMean:
	case d.Kind == CorpusKind && d.Stderr == StderrBootstrap && d.New != nil:
	default:
		panic(fmt.Sprintf("eval: RegisterMetric(%q): kind %q, stderr %q, New set %v is not a valid definition", d.Name, d.Kind, d.Stderr, d.New != nil))
	}
	metricMu.Lock()
	defer metricMu.Unlock()
	if _, dup := metricReg[d.Name]; dup {
		panic(fmt.Sprintf("eval: metric %q registered twice", d.Name))
	}
	metricReg[d.Name] = d
}

// MetricNames returns the registered metric names, sorted.
func MetricNames() []string {
	metricMu.RLock()
	defer metricMu.RUnlock()
	names := make([]string, 0, len(metricReg))
	for n := range metricReg {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// UnknownMetricError reports a metric name that is not registered.
type UnknownMetricError struct {
	Name    string
	Suggest string // closest registered name, "" when none is close
}

func (e *UnknownMetricError) Error() string {
	if e.Suggest != "" {
		return fmt.Sprintf("unknown metric %q (did you mean %q?)", e.Name, e.Suggest)
	}
	return fmt.Sprintf("unknown metric %q (not registered in this kshot; a newer kshot may know it)", e.Name)
}

// LookupMetric returns the registered definition of name, or an
// *UnknownMetricError with a did-you-mean.
func LookupMetric(name string) (MetricDef, error) {
	metricMu.RLock()
	d, ok := metricReg[name]
	metricMu.RUnlock()
	if !ok {
		return MetricDef{}, &UnknownMetricError{Name: name, Suggest: closestName(name, MetricNames())}
	}
	return d, nil
}

// Range is the interval a metric's value lies in, Lo ≤ v ≤ Hi (Hi is
// +Inf when unbounded above). The zero Range means the range is not known.
type Range struct{ Lo, Hi float64 }

// Known reports whether r is a range (not the zero Range).
func (r Range) Known() bool { return r.Lo < r.Hi }

// Clamp returns v moved into r, and whether it had to be moved; v is
// returned unchanged when r is not known.
func (r Range) Clamp(v float64) (float64, bool) {
	switch {
	case !r.Known() || math.IsNaN(v):
		return v, false
	case v < r.Lo:
		return r.Lo, true
	case v > r.Hi:
		return r.Hi, true
	}
	return v, false
}

// metricRanges are the ranges of the registered metrics: every mean
// kshot's tasks report is a fraction of documents or a per-document score
// in [0, 1] (eval/textscore reports F1 and EM as fractions), perplexities
// are at least 1, bits per byte and TER at least 0, BLEU and chrF are
// 0–100, the Matthews correlation is in [−1, 1].
var metricRanges = map[string]Range{
	"perplexity": {1, math.Inf(1)}, "word_perplexity": {1, math.Inf(1)}, "byte_perplexity": {1, math.Inf(1)},
	"bits_per_byte": {0, math.Inf(1)}, "ter": {0, math.Inf(1)},
	"bleu": {0, 100}, "chrf": {0, 100},
	"oracle_mcc": {-1, 1},
}

// MetricRange returns the range of the registered metric name: [0, 1]
// for a registered mean or a corpus fraction, the metric's own otherwise,
// and the zero Range for a name it does not know.
func MetricRange(name string) Range {
	if r, ok := metricRanges[name]; ok {
		return r
	}
	if _, err := LookupMetric(name); err == nil {
		return Range{0, 1}
	}
	return Range{}
}

// BuildMetric rebuilds a metric as a results file describes it: its name,
// kind ("" when the file does not say: the registered kind) and options.
// A mean needs no registration; a corpus metric must be registered, and
// its options must be ones its New accepts.
func BuildMetric(name string, kind MetricKind, higherIsBetter bool, options json.RawMessage) (Metric, error) {
	d, err := LookupMetric(name)
	if err != nil {
		if kind == MeanKind && isDefaultOptions(options) {
			return Mean(name, higherIsBetter), nil // a mean needs nothing registered
		}
		return Metric{}, err
	}
	if kind != "" && kind != d.Kind {
		return Metric{}, fmt.Errorf("metric %q is a %s metric here, not %s", name, d.Kind, kind)
	}
	if d.Kind == MeanKind {
		if !isDefaultOptions(options) {
			return Metric{}, fmt.Errorf("metric %q takes no options, got %s", name, options)
		}
		return Mean(name, higherIsBetter), nil
	}
	m, err := d.New(options)
	if err != nil {
		return Metric{}, fmt.Errorf("metric %q: options %s: %w", name, options, err)
	}
	return m, nil
}

func isDefaultOptions(o json.RawMessage) bool {
	o = bytes.TrimSpace(o)
	return len(o) == 0 || string(o) == "null" || string(o) == "{}"
}

// DecodeOptions decodes a metric's options into dst (a pointer to the
// metric's options struct), rejecting unknown fields; empty options leave
// dst at its defaults.
func DecodeOptions(options json.RawMessage, dst any) error {
	if isDefaultOptions(options) {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(options))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("trailing data after the options object")
	}
	return nil
}

// closestName returns the candidate nearest to s in edit distance, or ""
// when none is within a third of the longer length.
func closestName(s string, candidates []string) string {
	best, bestD := "", 1<<30
	for _, c := range candidates {
		d := suggest.Distance(s, c)
		if strings.HasPrefix(c, s) && len(s) >= 3 {
			d = min(d, 1)
		}
		if d < bestD {
			best, bestD = c, d
		}
	}
	if bestD > max(len(s), len(best))/3+1 {
		return ""
	}
	return best
}

func registerMean(names ...string) {
	for _, n := range names {
		RegisterMetric(MetricDef{Name: n, Kind: MeanKind, HigherIsBetter: true, Stderr: StderrOfMean})
	}
}

func registerCorpus(name string, higherIsBetter bool, build func(json.RawMessage) (Metric, error)) {
	RegisterMetric(MetricDef{Name: name, Kind: CorpusKind, HigherIsBetter: higherIsBetter, Stderr: StderrBootstrap, New: build})
}

// noOptions wraps a metric that takes no options.
func noOptions(m func() Metric) func(json.RawMessage) (Metric, error) {
	return func(o json.RawMessage) (Metric, error) {
		if !isDefaultOptions(o) {
			return Metric{}, fmt.Errorf("takes no options")
		}
		return m(), nil
	}
}

func init() {
	// Every metric name kshot's tasks report.
	registerMean("acc", "acc_norm", "acc_bytes", "acc_token", "acc_uncond", "exact_match", "f1")
	// The official-scorer metrics (eval/textscore): lm-evaluation-harness's
	// names where it has the task (coqa, drop, record: em and f1; squadv2:
	// exact, f1 and the HasAns/NoAns splits; cnn_dailymail: rouge1, rouge2,
	// rougeL), SuperGLUE's f1a for MultiRC.
	registerMean("em", "exact", "rouge1", "rouge2", "rougeL", "rougeLsum")
	for _, n := range []string{"HasAns_exact", "HasAns_f1", "NoAns_exact", "NoAns_f1"} {
		registerCorpus(n, true, noOptions(func() Metric { return SubsetMean(n) }))
	}
	registerCorpus("f1a", true, noOptions(F1aMetric))
	// CB's macro F1 over its three classes, of the prediction acc uses
	// (lm-evaluation-harness's cb f1) and of the one acc_token uses.
	registerCorpus("f1_macro", true, noOptions(func() Metric { return MacroF1("f1_macro", 3) }))
	registerCorpus("f1_macro_token", true, noOptions(func() Metric { return MacroF1("f1_macro_token", 3) }))
	registerCorpus("perplexity", false, noOptions(Perplexity))
	registerCorpus("word_perplexity", false, noOptions(func() Metric { return WeightedPerplexity("word_perplexity") }))
	registerCorpus("byte_perplexity", false, noOptions(func() Metric { return WeightedPerplexity("byte_perplexity") }))
	registerCorpus("bits_per_byte", false, noOptions(BitsPerByte))
	registerCorpus("oracle_mcc", true, noOptions(OracleMCC))
	registerCorpus("oracle_acc", true, noOptions(OracleAcc))
	registerCorpus("bleu", true, func(o json.RawMessage) (Metric, error) {
		var opt sacrebleu.BLEUOptions
		if err := DecodeOptions(o, &opt); err != nil {
			return Metric{}, err
		}
		if err := opt.Validate(); err != nil {
			return Metric{}, err
		}
		return BLEUMetric(opt), nil
	})
	registerCorpus("chrf", true, func(o json.RawMessage) (Metric, error) {
		var opt sacrebleu.CHRFOptions
		if err := DecodeOptions(o, &opt); err != nil {
			return Metric{}, err
		}
		if err := opt.Validate(); err != nil {
			return Metric{}, err
		}
		return CHRFMetric(opt), nil
	})
	registerCorpus("ter", false, func(o json.RawMessage) (Metric, error) {
		var opt sacrebleu.TEROptions
		if err := DecodeOptions(o, &opt); err != nil {
			return Metric{}, err
		}
		return TERMetric(opt), nil
	})
}
