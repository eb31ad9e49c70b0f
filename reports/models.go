package reports

import (
	"fmt"
	"sort"
	"strings"
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
// tasks of each model's runs; a task evaluated in several runs takes the
// latest run's results, with a warning. Models come back ordered by
// parameter count, then label.
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
		for _, r := range m.Runs {
			if r.Model.Parameters != 0 {
				m.Parameters = r.Model.Parameters
			}
			for _, t := range r.Tasks {
				if prev, ok := from[t.Key]; ok {
					warnings = append(warnings, fmt.Sprintf("%s: %s is in both %s and %s; using the later run (%s)", m.Label, t.Key, prev.Path, r.Path, r.Path))
				}
				m.Tasks[t.Key] = t
				from[t.Key] = r
			}
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
