package reports

import (
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/kshot-eval/kshot/eval"
)

// TaskNote is a remark about one task of a run (say, that it ran at
// fewer shot counts than asked), shown as a footnote of RunTable.
type TaskNote struct {
	Task string // the task's name (TaskSpec.Name)
	Text string
}

// RunTable writes one run's results as lm-evaluation-harness's Markdown
// table (Tasks, Version, Filter, n-shot, Metric, ↑/↓, Value, ±, Stderr),
// followed by the statistical caveats and the task notes as numbered
// footnotes; a note is marked once, on its task's first row.
func RunTable(w io.Writer, results []eval.TaskResult, taskNotes ...TaskNote) error {
	t := tablewriter.NewTable(w,
		tablewriter.WithRenderer(renderer.NewMarkdown()),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
	)
	t.Header([]string{"Tasks", "Version", "Filter", "n-shot", "Metric", "", "Value", "", "Stderr"})
	var notes []string
	marked := map[int]bool{}
	for _, r := range results {
		for i, m := range r.Metrics {
			task, version, filter, shots := r.Key, r.Spec.Version, "none", fmt.Sprint(r.Shots)
			if i > 0 {
				task, version, filter, shots = "", "", "", ""
			}
			for j, tn := range taskNotes {
				if i == 0 && tn.Task == r.Spec.Name && !marked[j] {
					marked[j] = true
					notes = append(notes, tn.Text)
					task += fmt.Sprintf(" [%d]", len(notes))
				}
			}
			arrow := "↓"
			if m.HigherIsBetter {
				arrow = "↑"
			}
			name := m.Name
			for _, wn := range m.Warnings {
				notes = append(notes, wn)
				name += fmt.Sprintf(" [%d]", len(notes))
			}
			if err := t.Append([]string{task, version, filter, shots, name, arrow, FormatValue(m.Value), "±", FormatValue(m.Stderr)}); err != nil {
				return err
			}
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	for i, n := range notes {
		if _, err := fmt.Fprintf(w, "[%d] %s\n", i+1, n); err != nil {
			return err
		}
	}
	return nil
}

// FormatValue prints a metric value with four decimals, or "N/A".
func FormatValue(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "N/A"
	}
	s := fmt.Sprintf("%.4f", x)
	if strings.HasPrefix(s, "-0.0000") {
		s = s[1:]
	}
	return s
}

// RunResultsTable lays one run's results out like RunTable (Tasks,
// Version, Filter, n-shot, Metric, ↑/↓, Value, ±, Stderr; statistical
// caveats as footnotes) as a Table, so that it can be rendered as text,
// Markdown, CSV or LaTeX.
func RunResultsTable(results []eval.TaskResult) *Table {
	t := &Table{Header: []string{"Tasks", "Version", "Filter", "n-shot", "Metric", "", "Value", "", "Stderr"}}
	for _, r := range results {
		for i, m := range r.Metrics {
			task, version, filter, shots := r.Key, r.Spec.Version, "none", fmt.Sprint(r.Shots)
			if i > 0 {
				task, version, filter, shots = "", "", "", ""
			}
			arrow := "↓"
			if m.HigherIsBetter {
				arrow = "↑"
			}
			name := TextCell(m.Name)
			for _, wn := range m.Warnings {
				name.Notes = append(name.Notes, t.Note(wn))
			}
			value := Cell{Text: FormatValue(m.Value), Numeric: true, Value: m.Value, Stderr: math.NaN()}
			stderr := Cell{Text: FormatValue(m.Stderr), Numeric: true, Value: m.Stderr, Stderr: math.NaN()}
			t.Rows = append(t.Rows, []Cell{TextCell(task), TextCell(version), TextCell(filter), TextCell(shots),
				name, TextCell(arrow), value, TextCell("±"), stderr})
		}
	}
	return t
}
