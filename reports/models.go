package reports

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/stat"
)

// Model is every run of one model merged: one column of a combined table,
// one point per task on a scaling plot.
type Model struct {
	// Label names the model in tables and plots: its name, with the first
	// 8 characters of the fingerprint appended when two different
	// checkpoints share a name.
	Label       string
	Name        string
	Parameters  int64
	Fingerprint string
	Runs        []*Run              // in date order
	Tasks       map[string]*TaskRun // by results key; the latest run wins
	// Seeds holds, for a task key evaluated with several seeds (a suite's
	// seeds: list), each seed's result in seed order. Tables and plots
	// then show the mean across seeds (see Value); Tasks holds the
	// latest run's, whose documents the per-sample view shows.
	Seeds map[string][]SeedRun
}

// SeedRun is one seed's result of a task key.
type SeedRun struct {
	Seed uint64
	Task *TaskRun
}

// SeedStat is one metric of a task key across seeds: the mean and the
// sample standard deviation (n−1) of the seeds' values.
type SeedStat struct {
	Mean, SD float64
	Seeds    []uint64
	Values   []float64 // in Seeds order
}

// SeedStat returns metric's mean and standard deviation across the seeds
// of key, and false when key was not evaluated with several seeds (or
// a seed lacks the metric).
func (m *Model) SeedStat(key, metric string) (SeedStat, bool) {
	runs := m.Seeds[key]
	if len(runs) < 2 {
		return SeedStat{}, false
	}
	var st SeedStat
	for _, r := range runs {
		mv, ok := r.Task.Metric(metric)
		if !ok {
			return SeedStat{}, false
		}
		st.Seeds = append(st.Seeds, r.Seed)
		st.Values = append(st.Values, mv.Value)
	}
	st.Mean, st.SD = stat.MeanStdDev(st.Values, nil)
	return st, true
}

// Same reports whether every seed gave the same value (a zero-shot
// prompt draws no examples, so its seeds agree).
func (st SeedStat) Same() bool {
	for _, v := range st.Values {
		if v != st.Values[0] {
			return false
		}
	}
	return true
}

// SeedList returns the seeds of m's tasks with several seeds, sorted
// and comma-separated ("" when none has).
func (m *Model) SeedList() string {
	var seeds []uint64
	for _, runs := range m.Seeds {
		for _, r := range runs {
			if !slices.Contains(seeds, r.Seed) {
				seeds = append(seeds, r.Seed)
			}
		}
	}
	slices.Sort(seeds)
	s := make([]string, len(seeds))
	for i, v := range seeds {
		s[i] = strconv.FormatUint(v, 10)
	}
	return strings.Join(s, ", ")
}

// Value returns what tables and plots show for key and metric: the mean
// across seeds (Stderr NaN: the spread across seeds is SeedStat's SD,
// not a standard error) when key has several seeds that disagree, else
// the task's own value and standard error.
func (m *Model) Value(key, metric string) (MetricValue, bool) {
	t, ok := m.Tasks[key]
	if !ok {
		return MetricValue{}, false
	}
	mv, ok := t.Metric(metric)
	if !ok {
		return mv, false
	}
	if st, ok := m.SeedStat(key, metric); ok && !st.Same() {
		mv.Value, mv.Stderr = st.Mean, math.NaN()
	}
	return mv, true
}

// TaskKeys returns the model's task keys, sorted.
func (m *Model) TaskKeys() []string {
	keys := make([]string, 0, len(m.Tasks))
	for k := range m.Tasks {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// MergeRuns groups runs by model (name and fingerprint) and merges the
// tasks of each model's runs. A task evaluated in runs with different
// seeds (a suite's seeds: list) keeps every seed's result in Seeds; one
// evaluated twice with the same seed takes the latest run's results, with
// a warning. Models come back ordered by parameter count, then label.
func MergeRuns(runs []*Run) ([]*Model, []string) {
	type id struct{ name, fp string }
	byID := map[id]*Model{}
	var order []id
	for _, r := range runs {
		k := id{r.Model.Name, r.Model.Fingerprint}
		m, ok := byID[k]
		if !ok {
			m = &Model{Name: r.Model.Name, Label: r.Model.Name, Parameters: r.Model.Parameters, Fingerprint: r.Model.Fingerprint, Tasks: map[string]*TaskRun{}}
			byID[k] = m
			order = append(order, k)
		}
		m.Runs = append(m.Runs, r)
	}
	// Different checkpoints under one name get the fingerprint in their
	// label.
	names := map[string]int{}
	for _, k := range order {
		names[k.name]++
	}
	var warnings []string
	models := make([]*Model, 0, len(order))
	for _, k := range order {
		m := byID[k]
		if names[k.name] > 1 {
			fp := k.fp
			if len(fp) > 8 {
				fp = fp[:8]
			}
			if fp == "" {
				fp = "unknown"
			}
			m.Label = m.Name + "@" + fp
		}
		sort.SliceStable(m.Runs, func(i, j int) bool { return m.Runs[i].Date.Before(m.Runs[j].Date) })
		from := map[string]*Run{}
		bySeed := map[string]map[uint64]*TaskRun{}
		for _, r := range m.Runs {
			if r.Model.Parameters != 0 {
				m.Parameters = r.Model.Parameters
			}
			seed, seeded := runSeed(r)
			for _, t := range r.Tasks {
				if bySeed[t.Key] == nil {
					bySeed[t.Key] = map[uint64]*TaskRun{}
				}
				if prev, ok := from[t.Key]; ok && (!seeded || bySeed[t.Key][seed] != nil) {
					warnings = append(warnings, fmt.Sprintf("%s: %s is in both %s and %s with the same seed; using the later run (%s)", m.Label, t.Key, prev.Path, r.Path, r.Path))
				}
				if seeded {
					bySeed[t.Key][seed] = t
				}
				m.Tasks[t.Key] = t
				from[t.Key] = r
			}
		}
		for key, seeds := range bySeed {
			if len(seeds) < 2 {
				continue
			}
			if m.Seeds == nil {
				m.Seeds = map[string][]SeedRun{}
			}
			for s, t := range seeds {
				m.Seeds[key] = append(m.Seeds[key], SeedRun{Seed: s, Task: t})
			}
			sort.Slice(m.Seeds[key], func(i, j int) bool { return m.Seeds[key][i].Seed < m.Seeds[key][j].Seed })
		}
		models = append(models, m)
	}
	sort.SliceStable(models, func(i, j int) bool {
		if models[i].Parameters != models[j].Parameters {
			return models[i].Parameters < models[j].Parameters
		}
		return models[i].Label < models[j].Label
	})
	return models, warnings
}

// runSeed returns the seed a run was made with (its config's
// random_seed), and false when the file does not say.
func runSeed(r *Run) (uint64, bool) {
	switch v := r.Config["random_seed"].(type) {
	case float64:
		if v >= 0 && v == math.Trunc(v) {
			return uint64(v), true
		}
	case json.Number:
		if n, err := strconv.ParseUint(string(v), 10, 64); err == nil {
			return n, true
		}
	}
	return 0, false
}

// FormatParams writes a parameter count the way papers do: 117M, 1.5B.
func FormatParams(n int64) string {
	switch {
	case n <= 0:
		return "?"
	case n >= 1e9:
		return trimZero(fmt.Sprintf("%.1f", float64(n)/1e9)) + "B"
	case n >= 1e6:
		return trimZero(fmt.Sprintf("%.1f", float64(n)/1e6)) + "M"
	case n >= 1e3:
		return trimZero(fmt.Sprintf("%.1f", float64(n)/1e3)) + "K"
	}
	return fmt.Sprint(n)
}

func trimZero(s string) string { return strings.TrimSuffix(s, ".0") }
