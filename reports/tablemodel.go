package reports

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

// Table is a renderer-independent table: a header, rows of cells and
// numbered footnotes. The renderers (WriteText, WriteMarkdown, WriteCSV,
// WriteLaTeX and the HTML report) turn it into their formats.
type Table struct {
	Title  string
	Header []string
	Rows   [][]Cell
	Notes  []string // footnotes; Cell.Notes holds 1-based indices into it

	// rowKeys maps a CombinedTable's rows to their index in Rows(models),
	// −1 for a row of one seed's values (see AddTrends).
	rowKeys []int
}

// Cell is one table cell.
type Cell struct {
	Text string // display text without markup
	// Numeric cells carry Value ± Stderr (NaN when absent) for CSV and
	// LaTeX; Text is their display form.
	Numeric       bool
	Value, Stderr float64
	Best          bool  // best value of its row: bold where the format allows
	Notes         []int // footnote numbers (1-based)
}

// TextCell returns a plain text cell.
func TextCell(s string) Cell { return Cell{Text: s, Value: math.NaN(), Stderr: math.NaN()} }

// Note adds a footnote (reusing an identical earlier one) and returns
// its number.
func (t *Table) Note(text string) int {
	for i, n := range t.Notes {
		if n == text {
			return i + 1
		}
	}
	t.Notes = append(t.Notes, text)
	return len(t.Notes)
}

// display returns the cell text with footnote markers " [n]".
func (c Cell) display() string {
	s := c.Text
	for _, n := range c.Notes {
		s += fmt.Sprintf(" [%d]", n)
	}
	return s
}

// WriteText writes t as a boxed terminal table followed by its footnotes.
func (t *Table) WriteText(w io.Writer) error {
	tab := tablewriter.NewTable(w,
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithHeaderAutoWrap(tw.WrapNone),
	)
	return t.render(w, tab, func(c Cell) string { return c.display() }, "")
}

// WriteMarkdown writes t as a GitHub-flavoured Markdown table (best
// values in bold) followed by its footnotes.
func (t *Table) WriteMarkdown(w io.Writer) error {
	tab := tablewriter.NewTable(w,
		tablewriter.WithRenderer(renderer.NewMarkdown()),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithHeaderAutoWrap(tw.WrapNone),
	)
	cell := func(c Cell) string {
		s := markdownEscape(c.Text)
		if c.Best && s != "" {
			s = "**" + s + "**"
		}
		for _, n := range c.Notes {
			s += fmt.Sprintf(" [%d]", n)
		}
		return s
	}
	return t.render(w, tab, cell, "\n")
}

// render writes the title, the table and the notes; a non-empty
// beforeNotes marks Markdown, whose notes are escaped and separated by
// blank lines.
func (t *Table) render(w io.Writer, tab *tablewriter.Table, cell func(Cell) string, beforeNotes string) error {
	if t.Title != "" {
		if _, err := fmt.Fprintln(w, t.Title); err != nil {
			return err
		}
	}
	tab.Header(t.Header)
	for _, r := range t.Rows {
		row := make([]string, len(r))
		for i, c := range r {
			row[i] = cell(c)
		}
		if err := tab.Append(row); err != nil {
			return err
		}
	}
	if err := tab.Render(); err != nil {
		return err
	}
	if len(t.Notes) > 0 && beforeNotes != "" {
		if _, err := io.WriteString(w, beforeNotes); err != nil {
			return err
		}
	}
	for i, n := range t.Notes {
		if beforeNotes != "" {
			n = markdownEscape(n)
		}
		if _, err := fmt.Fprintf(w, "[%d] %s\n", i+1, n); err != nil {
			return err
		}
		if beforeNotes != "" && i < len(t.Notes)-1 {
			// Markdown joins consecutive lines; a hard break keeps one
			// note per line.
			io.WriteString(w, "\n")
		}
	}
	return nil
}

func markdownEscape(s string) string {
	r := strings.NewReplacer(`|`, `\|`, `*`, `\*`, `_`, `\_`, "`", "\\`", "<", "&lt;", ">", "&gt;")
	return r.Replace(s)
}

// WriteCSV writes t as CSV for spreadsheets and scripts: numeric cells
// hold raw values (empty when missing), a numeric column with standard
// errors becomes two, "<name>" and "<name>_stderr"; footnotes go in a
// final "notes" column.
func (t *Table) WriteCSV(w io.Writer) error {
	numeric, split := t.numericColumns(), t.stderrColumns()
	cw := csv.NewWriter(w)
	var head []string
	for i, h := range t.Header {
		head = append(head, h)
		if split[i] {
			head = append(head, h+"_stderr")
		}
	}
	if len(t.Notes) > 0 {
		head = append(head, "notes")
	}
	if err := cw.Write(head); err != nil {
		return err
	}
	for _, r := range t.Rows {
		var rec []string
		var notes []string
		for i, c := range r {
			for _, n := range c.Notes {
				notes = append(notes, fmt.Sprintf("[%d] %s", n, t.Notes[n-1]))
			}
			switch {
			case !numeric[i]:
				rec = append(rec, c.Text)
			case split[i]:
				rec = append(rec, csvFloat(c.Value), csvFloat(c.Stderr))
			default:
				rec = append(rec, csvFloat(c.Value))
			}
		}
		if len(t.Notes) > 0 {
			rec = append(rec, strings.Join(notes, "; "))
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func (t *Table) numericColumns() []bool {
	numeric := make([]bool, len(t.Header))
	for _, r := range t.Rows {
		for i, c := range r {
			if c.Numeric && i < len(numeric) {
				numeric[i] = true
			}
		}
	}
	return numeric
}

// stderrColumns reports the numeric columns with at least one standard
// error: CSV gives those a "<name>_stderr" column.
func (t *Table) stderrColumns() []bool {
	has := make([]bool, len(t.Header))
	for _, r := range t.Rows {
		for i, c := range r {
			if c.Numeric && i < len(has) && !math.IsNaN(c.Stderr) && !math.IsInf(c.Stderr, 0) {
				has[i] = true
			}
		}
	}
	return has
}

func csvFloat(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return ""
	}
	return fmt.Sprintf("%.6g", x)
}

// WriteLaTeX writes t as a booktabs tabular ("\usepackage{booktabs}"):
// numbers as $v \pm s$, the best of each row in bold, footnotes as
// superscripts listed below the table.
func (t *Table) WriteLaTeX(w io.Writer) error {
	numeric := t.numericColumns()
	var b strings.Builder
	if t.Title != "" {
		fmt.Fprintf(&b, "%% %s\n", t.Title)
	}
	b.WriteString("\\begin{tabular}{")
	for _, n := range numeric {
		if n {
			b.WriteByte('r')
		} else {
			b.WriteByte('l')
		}
	}
	b.WriteString("}\n\\toprule\n")
	head := make([]string, len(t.Header))
	for i, h := range t.Header {
		head[i] = latexEscape(h)
	}
	b.WriteString(strings.Join(head, " & ") + " \\\\\n\\midrule\n")
	for _, r := range t.Rows {
		cells := make([]string, len(r))
		for i, c := range r {
			cells[i] = latexCell(c)
		}
		b.WriteString(strings.Join(cells, " & ") + " \\\\\n")
	}
	b.WriteString("\\bottomrule\n\\end{tabular}\n")
	for i, n := range t.Notes {
		fmt.Fprintf(&b, "\\par\\noindent\\footnotesize{\\textsuperscript{%d}%s}\n", i+1, latexEscape(n))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func latexCell(c Cell) string {
	var s string
	if c.Numeric && !math.IsNaN(c.Value) {
		v, e, ok := strings.Cut(c.Text, " ± ")
		v = latexEscape(v)
		if c.Best {
			v = "\\mathbf{" + v + "}"
		}
		if ok {
			s = "$" + v + " \\pm " + latexEscape(e) + "$"
		} else {
			s = "$" + v + "$"
		}
	} else {
		s = latexEscape(c.Text)
		if c.Best {
			s = "\\textbf{" + s + "}"
		}
	}
	for _, n := range c.Notes {
		s += fmt.Sprintf("\\textsuperscript{%d}", n)
	}
	return s
}

func latexEscape(s string) string {
	r := strings.NewReplacer(
		`\`, `\textbackslash{}`, `&`, `\&`, `%`, `\%`, `$`, `\$`, `#`, `\#`,
		`_`, `\_`, `{`, `\{`, `}`, `\}`, `~`, `\textasciitilde{}`, `^`, `\textasciicircum{}`,
		"↑", `$\uparrow$`, "↓", `$\downarrow$`, "—", "---", "±", `$\pm$`, "→", `$\to$`, "Δ", `$\Delta$`,
	)
	return r.Replace(s)
}
