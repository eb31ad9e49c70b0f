package reports

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/kshot-eval/kshot/eval"
)

// CombinedOptions control CombinedTable.
type CombinedOptions struct {
	// Percent shows mean metrics that are higher-is-better fractions
	// (acc, acc_norm, exact_match, …) as percentages with two decimals,
	// as the GPT-2 and GPT-3 papers do.
	Percent bool
	// TaskNotes are remarks about tasks of the run plan (a zero-shot-only
	// task a suite asked for k > 0, run at 0 shots), each a footnote on
	// its task's first row.
	TaskNotes []TaskNote
}

// RowKey identifies one row of a combined table: a task at one k and
// one metric.
type RowKey struct {
	Key, Task string
	Shots     int
	Metric    string
	// HigherIsBetter is the metric's direction as the first model that
	// has it records it.
	HigherIsBetter bool
}

// Rows returns every (task key, metric) some model has, sorted by task
// name, k and metric name.
func Rows(models []*Model) []RowKey {
	seen := map[[2]string]bool{}
	var rows []RowKey
	for _, m := range models {
		for _, key := range m.TaskKeys() {
			t := m.Tasks[key]
			for _, mv := range t.Metrics {
				id := [2]string{key, mv.Name}
				if seen[id] {
					continue
				}
				seen[id] = true
				rows = append(rows, RowKey{Key: key, Task: t.Task, Shots: t.Shots, Metric: mv.Name, HigherIsBetter: mv.HigherIsBetter})
			}
		}
	}
	sort.Slice(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if a.Task != b.Task {
			return a.Task < b.Task
		}
		if a.Shots != b.Shots {
			return a.Shots < b.Shots
		}
		return a.Metric < b.Metric
	})
	return rows
}

// CombinedTable lays out every model's results side by side like Table 3
// of the GPT-2 paper: one row per task, k and metric, one column per
// model in order of parameter count (as MergeRuns orders them), each cell
// "value ± stderr", the best of each row marked. Caveats (subsets of the
// documents, small n, differing task versions or prompts) become
// footnotes.
func CombinedTable(models []*Model, opt CombinedOptions) *Table {
	t := &Table{Header: []string{"Task", "n-shot", "Metric"}}
	for _, m := range models {
		t.Header = append(t.Header, fmt.Sprintf("%s (%s)", m.Label, FormatParams(m.Parameters)))
	}
	lastTask := ""
	for ri, rk := range Rows(models) {
		arrow := "↓"
		if rk.HigherIsBetter {
			arrow = "↑"
		}
		taskCell := TextCell(rk.Task)
		row := []Cell{taskCell, TextCell(fmt.Sprint(rk.Shots)), TextCell(rk.Metric + " " + arrow)}
		versions := map[string][]string{}
		hashes := map[string]bool{}
		ndocs := map[int]bool{}
		var seedRows [][]Cell // one row per seed of any model, below the mean
		var seedList []uint64
		for _, m := range models {
			if st, ok := m.SeedStat(rk.Key, rk.Metric); ok && !st.Same() {
				for _, sd := range st.Seeds {
					if !slices.Contains(seedList, sd) {
						seedList = append(seedList, sd)
					}
				}
			}
		}
		slices.Sort(seedList)
		for _, sd := range seedList {
			seedRows = append(seedRows, []Cell{TextCell(""), TextCell(""), TextCell(fmt.Sprintf("  seed %d", sd))})
		}
		for _, m := range models {
			tr, ok := m.Tasks[rk.Key]
			mv, has := MetricValue{}, false
			if ok {
				mv, has = tr.Metric(rk.Metric)
			}
			if !has {
				c := TextCell("—")
				c.Numeric = true
				row = append(row, c)
				for i := range seedRows {
					seedRows[i] = append(seedRows[i], c)
				}
				continue
			}
			versions[tr.Version] = append(versions[tr.Version], m.Label)
			hashes[tr.Hash] = true
			ndocs[tr.NDocs] = true
			var c Cell
			st, seeded := m.SeedStat(rk.Key, rk.Metric)
			if seeded && st.Same() {
				c = valueCell(mv, opt.Percent && percentable(mv))
				c.Notes = append(c.Notes, t.Note(fmt.Sprintf("the same value at each of the seeds %s", seedNames(st.Seeds))))
				for i := range seedRows {
					seedRows[i] = append(seedRows[i], TextCell(""))
				}
			} else if seeded {
				c = seedCell(st, mv, opt.Percent && percentable(mv))
				c.Notes = append(c.Notes, t.Note(fmt.Sprintf("mean ± standard deviation (n−1) across the %d seeds %s; each seed's value ± its standard error is in the rows below", len(st.Seeds), seedNames(st.Seeds))))
				for i, sd := range seedList {
					cell := TextCell("—")
					cell.Numeric = true
					for _, r := range m.Seeds[rk.Key] {
						if smv, ok := r.Task.Metric(rk.Metric); ok && r.Seed == sd {
							cell = valueCell(smv, opt.Percent && percentable(smv))
						}
					}
					seedRows[i] = append(seedRows[i], cell)
				}
			} else {
				c = valueCell(mv, opt.Percent && percentable(mv))
				for i := range seedRows {
					seedRows[i] = append(seedRows[i], TextCell(""))
				}
			}
			if tr.NTotal > 0 && tr.NDocs < tr.NTotal {
				c.Notes = append(c.Notes, t.Note(fmt.Sprintf("evaluated on %d of %d documents (--limit)", tr.NDocs, tr.NTotal)))
			}
			if tr.NDocs > 0 && tr.NDocs < 30 {
				c.Notes = append(c.Notes, t.Note(fmt.Sprintf("n=%d is small; the standard error is rough", tr.NDocs)))
			}
			row = append(row, c)
		}
		if len(versions) > 1 {
			var parts []string
			for _, v := range sortedKeys(versions) {
				parts = append(parts, fmt.Sprintf("%s: %s", versionName(v), strings.Join(versions[v], ", ")))
			}
			row[0].Notes = append(row[0].Notes, t.Note(fmt.Sprintf("%s: the models ran different task versions (%s); their values are not comparable", rk.Key, strings.Join(parts, "; "))))
		} else if len(hashes) > 1 && len(ndocs) == 1 && len(seedList) == 0 {
			row[0].Notes = append(row[0].Notes, t.Note(fmt.Sprintf("%s: the prompts differ across models (task hashes differ; another few-shot seed?)", rk.Key)))
		}
		if rk.Task != lastTask {
			for _, n := range opt.TaskNotes {
				if n.Task == rk.Task {
					row[0].Notes = append(row[0].Notes, t.Note(n.Text))
				}
			}
		}
		lastTask = rk.Task
		markBest(row[3:], rk.HigherIsBetter)
		t.Rows = append(t.Rows, row)
		t.rowKeys = append(t.rowKeys, ri)
		for _, sr := range seedRows {
			t.Rows = append(t.Rows, sr)
			t.rowKeys = append(t.rowKeys, -1)
		}
	}
	return t
}

// seedNames writes seeds as "1, 2, 3".
func seedNames(seeds []uint64) string {
	s := make([]string, len(seeds))
	for i, sd := range seeds {
		s[i] = fmt.Sprint(sd)
	}
	return strings.Join(s, ", ")
}

// seedCell formats a mean across seeds: "mean ± sd" (the spread across
// seeds, not a standard error); Stderr is NaN so that CSV and LaTeX do
// not take the spread for one.
func seedCell(st SeedStat, mv MetricValue, percent bool) Cell {
	mv.Value, mv.Stderr = st.Mean, st.SD
	c := valueCell(mv, percent)
	c.Stderr = math.NaN()
	return c
}

func versionName(v string) string {
	if v == "" {
		return "unversioned"
	}
	return "v" + v
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// percentable reports whether a metric is a higher-is-better mean of
// values in [0, 1] that papers print as a percentage.
func percentable(mv MetricValue) bool {
	return mv.HigherIsBetter && metricKind(mv) != eval.CorpusKind && mv.Value >= 0 && mv.Value <= 1
}

// metricKind returns the kind a results file gives the metric, else the
// registered kind, else "" (unknown).
func metricKind(mv MetricValue) eval.MetricKind {
	if mv.Spec != nil {
		return mv.Spec.Kind
	}
	if d, err := eval.LookupMetric(mv.Name); err == nil {
		return d.Kind
	}
	return ""
}

// valueCell formats "value ± stderr" (four decimals, or a percentage
// with two).
func valueCell(mv MetricValue, percent bool) Cell {
	v, s := mv.Value, mv.Stderr
	format := FormatValue
	if percent {
		v, s = 100*v, 100*s
		format = func(x float64) string {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return "N/A"
			}
			return fmt.Sprintf("%.2f", x)
		}
	}
	text := format(v)
	if !math.IsNaN(s) && !math.IsInf(s, 0) && !math.IsNaN(v) {
		text += " ± " + format(s)
	}
	return Cell{Text: text, Numeric: true, Value: v, Stderr: s}
}

// markBest marks the best finite value among cells, when at least two
// cells have one and the best is unique.
func markBest(cells []Cell, higherIsBetter bool) {
	best, n := -1, 0
	for i, c := range cells {
		if !c.Numeric || math.IsNaN(c.Value) || math.IsInf(c.Value, 0) {
			continue
		}
		n++
		if best < 0 || higherIsBetter && c.Value > cells[best].Value || !higherIsBetter && c.Value < cells[best].Value {
			best = i
		}
	}
	if n < 2 {
		return
	}
	for i, c := range cells {
		if i != best && c.Numeric && c.Value == cells[best].Value {
			return
		}
	}
	cells[best].Best = true
}
