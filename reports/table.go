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

// RunTable writes one run's results (RunResultsTable) as
// lm-evaluation-harness prints them: a Markdown table (Tasks, Version,
// Filter, n-shot, Metric, ↑/↓, Value, ±, Stderr) with cells as they are,
// followed by the statistical caveats and the task notes as numbered
// footnotes; a task note is marked once, on its task's first row.
func RunTable(w io.Writer, results []eval.TaskResult, taskNotes ...TaskNote) error {
	tab := tablewriter.NewTable(w,
		tablewriter.WithRenderer(renderer.NewMarkdown()),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
	)
	return RunResultsTable(results, taskNotes...).render(w, tab, func(c Cell) string { return c.display() }, "")
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
func RunResultsTable(results []eval.TaskResult, taskNotes ...TaskNote) *Table {
	t := &Table{Header: []string{"Tasks", "Version", "Filter", "n-shot", "Metric", "", "Value", "", "Stderr"}}
	marked := map[int]bool{}
	for _, r := range results {
		for i, m := range r.Metrics {
			task, version, filter, shots := r.Key, r.Spec.Version, "none", eval.ShotsLabel(r.Shots)
			if i > 0 {
				task, version, filter, shots = "", "", "", ""
			}
			taskCell := TextCell(task)
			for j, tn := range taskNotes {
				if i == 0 && tn.Task == r.Spec.Name && !marked[j] {
					marked[j] = true
					t.Notes = append(t.Notes, tn.Text)
					taskCell.Notes = append(taskCell.Notes, len(t.Notes))
				}
			}
			arrow := "↓"
			if m.HigherIsBetter {
				arrow = "↑"
			}
			name := TextCell(m.Name)
			for _, wn := range m.Warnings {
				// One footnote per warning, repeated texts included, as
				// kshot run has always printed them.
				t.Notes = append(t.Notes, wn)
				name.Notes = append(name.Notes, len(t.Notes))
			}
			value := Cell{Text: FormatValue(m.Value), Numeric: true, Value: m.Value, Stderr: math.NaN()}
			stderr := Cell{Text: FormatValue(m.Stderr), Numeric: true, Value: m.Stderr, Stderr: math.NaN()}
			t.Rows = append(t.Rows, []Cell{taskCell, TextCell(version), TextCell(filter), TextCell(shots),
				name, TextCell(arrow), value, TextCell("±"), stderr})
		}
	}
	return t
}
