package reports

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"strings"
)

// Table lays the comparison out as a table: task, k, metric, both values,
// the difference, the test, its p-value and the verdict, with row caveats
// and comparison-wide warnings as footnotes.
func (c *Comparison) Table() *Table {
	t := &Table{Header: []string{"Task", "n-shot", "Metric", "Base", "New", "Δ", "Test", "p", "Verdict"}}
	for _, r := range c.Rows {
		arrow := "↓"
		if r.HigherIsBetter {
			arrow = "↑"
		}
		verdict := TextCell(r.Verdict.String())
		for _, n := range r.Notes {
			verdict.Notes = append(verdict.Notes, t.Note(r.Key+" "+r.Metric+": "+n))
		}
		t.Rows = append(t.Rows, []Cell{
			TextCell(r.Task), TextCell(fmt.Sprint(r.Shots)), TextCell(r.Metric + " " + arrow),
			sideCell(r.Base), sideCell(r.New), TextCell(formatDelta(r)),
			TextCell(testName(r)), TextCell(formatP(r.P)), verdict,
		})
	}
	for _, w := range c.Warnings {
		t.Note(w)
	}
	return t
}

func sideCell(s Side) Cell {
	if !s.Present {
		c := TextCell("—")
		c.Numeric = true
		return c
	}
	return valueCell(MetricValue{Value: s.Value, Stderr: s.Stderr}, false)
}

func formatDelta(r ComparisonRow) string {
	if !r.Base.Present || !r.New.Present || math.IsNaN(r.Delta) {
		return "—"
	}
	s := fmt.Sprintf("%+.4f", r.Delta)
	if s == "+0.0000" || s == "-0.0000" {
		s = "0.0000"
	}
	if r.Base.Value != 0 && !math.IsInf(r.Delta/r.Base.Value, 0) {
		s += fmt.Sprintf(" (%+.1f%%)", 100*r.Delta/math.Abs(r.Base.Value))
	}
	return s
}

func testName(r ComparisonRow) string {
	switch r.Test {
	case McNemarTest:
		return fmt.Sprintf("McNemar b=%d c=%d", r.B, r.C)
	case PairedBootstrapTest:
		return fmt.Sprintf("paired bootstrap n=%d", r.Paired)
	case UnpairedZTest:
		return "unpaired z"
	}
	return "—"
}

func formatP(p float64) string {
	switch {
	case math.IsNaN(p):
		return "—"
	case p < 0.0001:
		return fmt.Sprintf("%.1e", p)
	}
	return fmt.Sprintf("%.4f", p)
}

func (c *Comparison) title() string {
	return fmt.Sprintf("%s (%s) → %s (%s), α=%g", c.Base.Label, FormatParams(c.Base.Parameters), c.New.Label, FormatParams(c.New.Parameters), c.Alpha)
}

// Summary returns a one-line count of the verdicts, e.g.
// "1 worse, 2 better, 5 no significant change".
func (c *Comparison) Summary() string {
	var parts []string
	for _, v := range []Verdict{Worse, Better, Unchanged, Incomparable, OnlyBase, OnlyNew} {
		if n := c.Count(v); n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, v))
		}
	}
	if len(parts) == 0 {
		return "nothing to compare"
	}
	return strings.Join(parts, ", ")
}

// WriteText writes the comparison as a terminal table.
func (c *Comparison) WriteText(w io.Writer) error {
	if _, err := fmt.Fprintf(w, "%s\n%s\n", c.title(), c.Summary()); err != nil {
		return err
	}
	return c.Table().WriteText(w)
}

// WriteMarkdown writes the comparison as Markdown for a pull-request
// comment or $GITHUB_STEP_SUMMARY.
func (c *Comparison) WriteMarkdown(w io.Writer) error {
	if _, err := fmt.Fprintf(w, "### kshot compare: %s\n\n**%s**\n\n", markdownEscape(c.title()), c.Summary()); err != nil {
		return err
	}
	return c.Table().WriteMarkdown(w)
}

// jsonFloat encodes NaN and ±Inf as null.
type jsonFloat float64

func (f jsonFloat) MarshalJSON() ([]byte, error) {
	if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
		return []byte("null"), nil
	}
	return json.Marshal(float64(f))
}

type jsonSide struct {
	Value   jsonFloat `json:"value"`
	Stderr  jsonFloat `json:"stderr"`
	N       int       `json:"n"`
	Version string    `json:"version"`
}

type jsonRow struct {
	Key            string     `json:"key"`
	Task           string     `json:"task"`
	Shots          int        `json:"n_shot"`
	Metric         string     `json:"metric"`
	HigherIsBetter bool       `json:"higher_is_better"`
	Base           *jsonSide  `json:"base"`
	New            *jsonSide  `json:"new"`
	Delta          jsonFloat  `json:"delta"`
	Test           Method     `json:"test"`
	P              jsonFloat  `json:"p_value"`
	Paired         int        `json:"paired_documents"`
	B              *int       `json:"mcnemar_b,omitempty"`
	C              *int       `json:"mcnemar_c,omitempty"`
	Low            *jsonFloat `json:"delta_ci_low,omitempty"`
	High           *jsonFloat `json:"delta_ci_high,omitempty"`
	Verdict        Verdict    `json:"verdict"`
	Notes          []string   `json:"notes"`
}

type jsonModel struct {
	Label       string   `json:"label"`
	Name        string   `json:"name"`
	Parameters  int64    `json:"parameters"`
	Fingerprint string   `json:"fingerprint"`
	Files       []string `json:"files"`
}

func modelJSON(m *Model) jsonModel {
	j := jsonModel{Label: m.Label, Name: m.Name, Parameters: m.Parameters, Fingerprint: m.Fingerprint, Files: []string{}}
	for _, r := range m.Runs {
		j.Files = append(j.Files, r.Path)
	}
	return j
}

// WriteJSON writes the comparison as indented JSON; missing numbers are
// null. failed tells whether the gate failed.
func (c *Comparison) WriteJSON(w io.Writer, g Gate) error {
	rows := make([]jsonRow, len(c.Rows))
	for i, r := range c.Rows {
		j := jsonRow{Key: r.Key, Task: r.Task, Shots: r.Shots, Metric: r.Metric, HigherIsBetter: r.HigherIsBetter,
			Delta: jsonFloat(r.Delta), Test: r.Test, P: jsonFloat(r.P), Paired: r.Paired, Verdict: r.Verdict, Notes: r.Notes}
		if j.Notes == nil {
			j.Notes = []string{}
		}
		if r.Base.Present {
			j.Base = &jsonSide{jsonFloat(r.Base.Value), jsonFloat(r.Base.Stderr), r.Base.N, r.Base.Version}
		}
		if r.New.Present {
			j.New = &jsonSide{jsonFloat(r.New.Value), jsonFloat(r.New.Stderr), r.New.N, r.New.Version}
		}
		if r.Test == McNemarTest {
			b, cc := r.B, r.C
			j.B, j.C = &b, &cc
		}
		if r.Test == PairedBootstrapTest {
			lo, hi := jsonFloat(r.Low), jsonFloat(r.High)
			j.Low, j.High = &lo, &hi
		}
		rows[i] = j
	}
	counts := map[string]int{}
	for _, v := range []Verdict{Unchanged, Better, Worse, Incomparable, OnlyBase, OnlyNew} {
		k, _ := v.MarshalText()
		counts[string(k)] = c.Count(v)
	}
	warnings := c.Warnings
	if warnings == nil {
		warnings = []string{}
	}
	minDelta := map[string]float64{} // the default under "*"
	for k, v := range c.MinDelta {
		if k == "" {
			k = "*"
		}
		minDelta[k] = v
	}
	doc := map[string]any{
		"base": modelJSON(c.Base), "new": modelJSON(c.New),
		"alpha": c.Alpha, "min_delta": minDelta, "bootstrap_iterations": c.Iterations, "seed": c.Seed,
		"rows": rows, "counts": counts, "warnings": warnings,
		"failures": len(c.Failures(g)), "failed": len(c.Failures(g)) > 0,
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Classname string        `xml:"classname,attr"`
	Name      string        `xml:"name,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

// WriteJUnit writes the comparison as JUnit XML: one test case per task
// and metric (class "kshot.<task key>", name the metric). A row that
// fails gate g, and any regression, is a failure; rows that could not be
// tested (only on one side, not comparable) are skipped unless the gate
// fails them.
func (c *Comparison) WriteJUnit(w io.Writer, g Gate) error {
	suite := junitSuite{Name: "kshot compare " + c.Base.Label + " → " + c.New.Label}
	suite.Properties = []junitProperty{
		{"alpha", fmt.Sprint(c.Alpha)}, {"base", c.Base.Label}, {"new", c.New.Label},
		{"bootstrap_iterations", fmt.Sprint(c.Iterations)}, {"seed", fmt.Sprint(c.Seed)},
	}
	for _, r := range c.Rows {
		tc := junitCase{Classname: "kshot." + r.Key, Name: r.Metric}
		msg := fmt.Sprintf("%s: base %s, new %s, Δ %s, %s p=%s", r.Verdict, sideCell(r.Base).Text, sideCell(r.New).Text, formatDelta(r), testName(r), formatP(r.P))
		detail := strings.Join(r.Notes, "\n")
		switch {
		case r.Verdict == Worse || g.Fails(r):
			tc.Failure = &junitMessage{Message: msg, Type: string(mustText(r.Verdict)), Text: detail}
			suite.Failures++
		case r.Verdict == OnlyBase || r.Verdict == OnlyNew || r.Verdict == Incomparable:
			tc.Skipped = &junitMessage{Message: msg, Text: detail}
			suite.Skipped++
		default:
			tc.SystemOut = msg
			if detail != "" {
				tc.SystemOut += "\n" + detail
			}
		}
		suite.Cases = append(suite.Cases, tc)
	}
	suite.Tests = len(suite.Cases)
	doc := junitSuites{Name: "kshot compare", Tests: suite.Tests, Failures: suite.Failures, Skipped: suite.Skipped, Suites: []junitSuite{suite}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func mustText(v Verdict) []byte {
	b, _ := v.MarshalText()
	return b
}
