package reports

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/kshot-eval/kshot/eval"
	"github.com/kshot-eval/kshot/eval/results"
)

// Verdict is the outcome of comparing one task and metric.
type Verdict int

const (
	Unchanged    Verdict = iota // no significant change (or below the minimum difference)
	Better                      // significantly better, respecting the metric's direction
	Worse                       // significantly worse
	Incomparable                // the runs cannot be compared (task versions or documents differ)
	OnlyBase                    // the task or metric is only in BASE
	OnlyNew                     // the task or metric is only in NEW
)

var verdictNames = [...]struct{ text, key string }{
	{"no significant change", "unchanged"},
	{"better", "better"},
	{"worse", "worse"},
	{"not comparable", "incomparable"},
	{"only in base", "only_base"},
	{"only in new", "only_new"},
}

// String returns the verdict as printed in tables ("no significant change").
func (v Verdict) String() string { return verdictNames[v].text }

// MarshalText returns the verdict's machine name ("unchanged", "better",
// "worse", "incomparable", "only_base", "only_new").
func (v Verdict) MarshalText() ([]byte, error) { return []byte(verdictNames[v].key), nil }

// Method names the significance test used for a row.
type Method string

const (
	NoTest              Method = "none"             // no test was possible
	McNemarTest         Method = "mcnemar"          // exact McNemar on paired 0/1 outcomes
	PairedBootstrapTest Method = "paired-bootstrap" // paired bootstrap over documents
	UnpairedZTest       Method = "unpaired-z"       // z test on the two standard errors
)

// CompareOptions control Compare.
type CompareOptions struct {
	Alpha float64 // significance level, 0.05 when 0
	// MinDelta is the smallest absolute difference, in the metric's own
	// units, that counts as a change, by metric name; the "" entry is the
	// default for metrics not listed.
	MinDelta   map[string]float64
	Iterations int    // paired bootstrap resamples, 1000 when 0
	Seed       uint64 // paired bootstrap seed
}

func (o CompareOptions) minDelta(metric string) float64 {
	if d, ok := o.MinDelta[metric]; ok {
		return d
	}
	return o.MinDelta[""]
}

// Side is one run's value in a comparison row.
type Side struct {
	Present bool
	Value   float64
	Stderr  float64 // NaN when unknown
	N       int     // documents evaluated
	Version string
}

// ComparisonRow is one task, k and metric compared.
type ComparisonRow struct {
	Key, Task      string
	Shots          int
	Metric         string
	HigherIsBetter bool
	Base, New      Side
	Delta          float64 // New.Value − Base.Value
	Test           Method
	P              float64 // two-sided p-value, NaN without a test
	Paired         int     // documents in the paired test
	B, C           int     // McNemar: documents right only in BASE, only in NEW
	Low, High      float64 // paired bootstrap: 95% interval of the difference
	Verdict        Verdict
	Notes          []string // caveats for this row
}

// Comparison is the result of Compare.
type Comparison struct {
	Base, New  *Model
	Alpha      float64
	Iterations int
	Seed       uint64
	MinDelta   map[string]float64
	Rows       []ComparisonRow
	Warnings   []string // caveats about the whole comparison
}

// Count returns how many rows have verdict v.
func (c *Comparison) Count(v Verdict) int {
	n := 0
	for _, r := range c.Rows {
		if r.Verdict == v {
			n++
		}
	}
	return n
}

// Compare compares every task and metric of base and new (two models or
// two checkpoints). With per-sample logs on both sides the test is
// paired over the documents both runs scored: exact McNemar when every
// per-document value is 0 or 1, a paired bootstrap otherwise (corpus
// metrics such as perplexity or BLEU are recomputed from summed
// statistics, the metric rebuilt from the file's kind and options). Without logs it falls back to an
// unpaired z test on the standard errors and says so. Differing task
// versions are reported and never called significant.
func Compare(base, new *Model, opt CompareOptions) *Comparison {
	if opt.Alpha <= 0 {
		opt.Alpha = 0.05
	}
	if opt.Iterations <= 0 {
		opt.Iterations = 1000
	}
	c := &Comparison{Base: base, New: new, Alpha: opt.Alpha, Iterations: opt.Iterations, Seed: opt.Seed, MinDelta: opt.MinDelta}
	if base.Fingerprint != "" && base.Fingerprint == new.Fingerprint {
		c.Warnings = append(c.Warnings, "BASE and NEW are the same checkpoint (same model fingerprint)")
	}
	keys := map[string]bool{}
	for k := range base.Tasks {
		keys[k] = true
	}
	for k := range new.Tasks {
		keys[k] = true
	}
	bootstrapped := false
	for _, key := range sortedKeys(keys) {
		bt, nt := base.Tasks[key], new.Tasks[key]
		for _, name := range metricNames(bt, nt) {
			row := compareRow(key, bt, nt, name, opt)
			if row.Test == PairedBootstrapTest {
				bootstrapped = true
			}
			c.Rows = append(c.Rows, row)
		}
	}
	if bootstrapped && opt.Iterations < 1000 {
		c.Warnings = append(c.Warnings, fmt.Sprintf("paired bootstrap with only %d iterations: the smallest possible p-value is %.2g", opt.Iterations, 2/float64(opt.Iterations+1)))
	}
	tested := 0
	for _, r := range c.Rows {
		if r.Test != NoTest {
			tested++
		}
	}
	if float64(tested)*opt.Alpha >= 0.5 {
		c.Warnings = append(c.Warnings, fmt.Sprintf("%d tests at α=%g: about %.1f of them may be called better or worse by chance alone (no correction for multiple comparisons)", tested, opt.Alpha, float64(tested)*opt.Alpha))
	}
	return c
}

func metricNames(ts ...*TaskRun) []string {
	set := map[string]bool{}
	for _, t := range ts {
		if t == nil {
			continue
		}
		for _, m := range t.Metrics {
			set[m.Name] = true
		}
	}
	return sortedKeys(set)
}

func side(t *TaskRun, metric string) (Side, MetricValue) {
	if t == nil {
		return Side{Value: math.NaN(), Stderr: math.NaN()}, MetricValue{}
	}
	mv, ok := t.Metric(metric)
	if !ok {
		return Side{Value: math.NaN(), Stderr: math.NaN(), Version: t.Version}, mv
	}
	return Side{Present: true, Value: mv.Value, Stderr: mv.Stderr, N: t.NDocs, Version: t.Version}, mv
}

func compareRow(key string, bt, nt *TaskRun, metric string, opt CompareOptions) ComparisonRow {
	bs, bm := side(bt, metric)
	ns, nm := side(nt, metric)
	row := ComparisonRow{Key: key, Metric: metric, Base: bs, New: ns, Test: NoTest, P: math.NaN(),
		Low: math.NaN(), High: math.NaN(), Delta: ns.Value - bs.Value}
	for _, t := range []*TaskRun{bt, nt} {
		if t != nil {
			row.Task, row.Shots = t.Task, t.Shots
		}
	}
	switch {
	case !bs.Present:
		row.Verdict, row.HigherIsBetter = OnlyNew, nm.HigherIsBetter
		return row
	case !ns.Present:
		row.Verdict, row.HigherIsBetter = OnlyBase, bm.HigherIsBetter
		return row
	}
	row.HigherIsBetter = bm.HigherIsBetter
	if bm.HigherIsBetter != nm.HigherIsBetter {
		row.Notes = append(row.Notes, fmt.Sprintf("the files disagree on whether higher %s is better; using BASE's (%v)", metric, bm.HigherIsBetter))
	}
	if bt.Version != nt.Version {
		row.Verdict = Incomparable
		row.Notes = append(row.Notes, fmt.Sprintf("task versions differ (base %s, new %s): the prompts or scoring changed, so no difference is called significant", versionName(bt.Version), versionName(nt.Version)))
		return row
	}
	if bt.Hash != "" && nt.Hash != "" && bt.Hash != nt.Hash && bt.NDocs == nt.NDocs {
		row.Notes = append(row.Notes, "the prompts differ although the task version is the same (task hashes differ; another few-shot seed?)")
	}
	if bm.Spec != nil && nm.Spec != nil && !sameSpec(*bm.Spec, *nm.Spec) {
		row.Verdict = Incomparable
		row.Notes = append(row.Notes, fmt.Sprintf("the metric differs (base %s %s, new %s %s): the runs computed %s differently, so no difference is called significant", bm.Spec.Kind, optionsText(bm.Spec.Options), nm.Spec.Kind, optionsText(nm.Spec.Options), metric))
		return row
	}
	delta := row.Delta
	bdocs, bwhy := docStats(bt, bm)
	ndocs, nwhy := docStats(nt, nm)
	if bdocs != nil && ndocs != nil {
		var ids []int
		for id := range bdocs {
			if _, ok := ndocs[id]; ok {
				ids = append(ids, id)
			}
		}
		sort.Ints(ids)
		if len(ids) == 0 {
			nwhy = "the two runs share no document ids"
		} else {
			if mismatch := targetMismatch(bt, nt, ids); mismatch != "" {
				row.Verdict = Incomparable
				row.Notes = append(row.Notes, mismatch)
				return row
			}
			if len(ids) < len(bdocs) || len(ids) < len(ndocs) {
				row.Notes = append(row.Notes, fmt.Sprintf("paired test on the %d documents both runs scored (base %d, new %d)", len(ids), len(bdocs), len(ndocs)))
			}
			delta = pairedTest(&row, bdocs, ndocs, ids, bm, opt)
		}
	}
	if row.Test == NoTest {
		why := bwhy
		if why == "" {
			why = nwhy
		}
		row.P = UnpairedZ(bs.Value, bs.Stderr, ns.Value, ns.Stderr)
		if math.IsNaN(row.P) {
			row.Notes = append(row.Notes, why+"; no standard error either, so no test was possible")
		} else {
			row.Test = UnpairedZTest
			row.Notes = append(row.Notes, why+": fell back to an unpaired z test on the standard errors, which ignores that both runs scored the same documents and is less powerful")
		}
	}
	row.Verdict = verdict(row.P, delta, row.HigherIsBetter, opt.Alpha, opt.minDelta(metric))
	return row
}

func verdict(p, delta float64, higherIsBetter bool, alpha, minDelta float64) Verdict {
	if math.IsNaN(p) || p >= alpha || delta == 0 || math.IsNaN(delta) || math.Abs(delta) < minDelta {
		return Unchanged
	}
	if (delta > 0) == higherIsBetter {
		return Better
	}
	return Worse
}

// docStats returns each document's statistics for the metric, or nil and
// the reason when the run has no usable per-sample log.
func docStats(t *TaskRun, mv MetricValue) (map[int][]float64, string) {
	if t.Samples == nil {
		return nil, fmt.Sprintf("no per-sample log for %s", t.Key)
	}
	m, err := mv.Build()
	if err != nil {
		return nil, fmt.Sprintf("%s %s cannot be recomputed from the per-sample log: %v", t.Key, mv.Name, err)
	}
	out := make(map[int][]float64, len(t.Samples))
	width := -1
	for _, s := range t.Samples {
		st, ok := s.Stats[mv.Name]
		if !ok {
			if v, isMean := s.Metrics[mv.Name]; isMean && !m.Corpus && !math.IsNaN(v) {
				st = eval.MeanStats(v)
			} else {
				return nil, fmt.Sprintf("the per-sample log of %s has no %s statistics for document %d", t.Key, mv.Name, s.DocID)
			}
		}
		if err := m.CheckStats(st); err != nil {
			return nil, fmt.Sprintf("the per-sample log of %s has unusable %s statistics for document %d (%v)", t.Key, mv.Name, s.DocID, err)
		}
		if width >= 0 && len(st) != width {
			return nil, fmt.Sprintf("the per-sample log of %s has %s statistics of different lengths (document %d: %d, earlier: %d)", t.Key, mv.Name, s.DocID, len(st), width)
		}
		width = len(st)
		out[s.DocID] = st
	}
	return out, ""
}

// sameSpec reports whether two files define a metric the same way.
func sameSpec(a, b results.MetricSpec) bool {
	return a.Kind == b.Kind && a.Stderr == b.Stderr && optionsText(a.Options) == optionsText(b.Options)
}

// optionsText returns compact options JSON, "{}" for none.
func optionsText(o json.RawMessage) string {
	var b bytes.Buffer
	if len(o) == 0 || json.Compact(&b, o) != nil || b.String() == "null" {
		return "{}"
	}
	return b.String()
}

// targetMismatch checks that the paired documents have the same targets.
func targetMismatch(bt, nt *TaskRun, ids []int) string {
	targets := make(map[int]string, len(bt.Samples))
	for _, s := range bt.Samples {
		targets[s.DocID] = s.Target
	}
	n, first := 0, -1
	for _, s := range nt.Samples {
		if bt, ok := targets[s.DocID]; ok && bt != s.Target {
			if first < 0 {
				first = s.DocID
			}
			n++
		}
	}
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("%d paired documents have different targets (first: document %d): the runs scored different data, so no difference is called significant", n, first)
}

// pairedTest fills in the row's test and returns the paired difference.
func pairedTest(row *ComparisonRow, bdocs, ndocs map[int][]float64, ids []int, mv MetricValue, opt CompareOptions) float64 {
	m, err := mv.Build()
	if err != nil {
		row.Notes = append(row.Notes, err.Error())
		return row.Delta
	}
	bv := make([][]float64, len(ids))
	nv := make([][]float64, len(ids))
	binary := !m.Corpus
	for i, id := range ids {
		bv[i], nv[i] = bdocs[id], ndocs[id]
		if len(bv[i]) != len(nv[i]) {
			row.Notes = append(row.Notes, fmt.Sprintf("document %d has %d statistics in base and %d in new", id, len(bv[i]), len(nv[i])))
			return row.Delta
		}
		if binary && !(isBinary(bv[i]) && isBinary(nv[i])) {
			binary = false
		}
	}
	row.Paired = len(ids)
	if binary {
		for i := range ids {
			b, n := bv[i][0]/bv[i][1], nv[i][0]/nv[i][1]
			switch {
			case b == 1 && n == 0:
				row.B++
			case b == 0 && n == 1:
				row.C++
			}
		}
		row.Test = McNemarTest
		row.P = McNemarExact(row.B, row.C)
		return float64(row.C-row.B) / float64(len(ids))
	}
	res := PairedBootstrap(bv, nv, m.Score, opt.Iterations, opt.Seed)
	if math.IsNaN(res.P) {
		row.Notes = append(row.Notes, "the paired bootstrap gave no finite resamples")
		return res.Delta
	}
	row.Test, row.P, row.Low, row.High = PairedBootstrapTest, res.P, res.Low, res.High
	if row.Paired < 30 {
		row.Notes = append(row.Notes, fmt.Sprintf("paired bootstrap over only %d documents: the p-value is rough", row.Paired))
	}
	return res.Delta
}

// isBinary reports whether a mean metric's statistics (x, 1) hold a 0/1
// outcome.
func isBinary(st []float64) bool {
	return len(st) == 2 && st[1] == 1 && (st[0] == 0 || st[0] == 1)
}

// Gate selects which verdicts fail a comparison.
type Gate uint8

const (
	GateWorse        Gate = 1 << iota // a significant regression
	GateMissing                       // a task or metric of BASE missing from NEW
	GateIncomparable                  // a row that could not be compared
)

// ParseGate parses a --fail-on value: "none", or a comma-separated list
// of "worse", "missing" and "incomparable".
func ParseGate(s string) (Gate, error) {
	var g Gate
	for _, p := range strings.Split(s, ",") {
		switch strings.TrimSpace(p) {
		case "none", "":
		case "worse":
			g |= GateWorse
		case "missing":
			g |= GateMissing
		case "incomparable":
			g |= GateIncomparable
		default:
			return 0, fmt.Errorf("--fail-on: unknown value %q (want none, or worse, missing, incomparable separated by commas)", p)
		}
	}
	return g, nil
}

// Fails reports whether row fails gate g.
func (g Gate) Fails(row ComparisonRow) bool {
	switch row.Verdict {
	case Worse:
		return g&GateWorse != 0
	case OnlyBase:
		return g&GateMissing != 0
	case Incomparable:
		return g&GateIncomparable != 0
	}
	return false
}

// Failures returns the rows that fail gate g.
func (c *Comparison) Failures(g Gate) []ComparisonRow {
	var out []ComparisonRow
	for _, r := range c.Rows {
		if g.Fails(r) {
			out = append(out, r)
		}
	}
	return out
}
