package reports

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/kshot-eval/kshot/eval"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
)

// ReportOptions control WriteReport.
type ReportOptions struct {
	Title   string // page title; "kshot report" when empty
	Percent bool   // see CombinedOptions
	// TaskNotes are footnotes about tasks of the run plan (see
	// CombinedOptions).
	TaskNotes []TaskNote
	// Fit draws a trend on scaling plots: log-linear for higher-is-better
	// metrics, a power law for lower-is-better ones (perplexity, loss).
	Fit bool
	// Extrapolate extends the trends to these parameter counts (and
	// implies Fit).
	Extrapolate      []float64
	References       []*Reference
	ReferenceColumns []ReferenceColumn // extra column mappings for References
	// MaxSamples is how many documents per task and model the HTML shows
	// (0: none).
	MaxSamples int
	// Width and Height are the plots' size; 6 × 4 inches when zero.
	Width, Height vg.Length
}

// Report lists what WriteReport wrote.
type Report struct {
	Dir      string
	Files    []string // relative to Dir
	Models   []*Model
	Table    *Table
	Warnings []string
}

// WriteReport merges runs into one report directory: the combined table
// as table.txt, table.md, table.csv and table.tex; scaling and shots
// plots under plots/ as PNG and SVG; report.html with everything inline;
// and a copy of every results and samples file under data/<model>/ so
// that the directory can itself be compared or reported on later.
func WriteReport(dir string, runs []*Run, opt ReportOptions) (*Report, error) {
	if len(runs) == 0 {
		return nil, fmt.Errorf("reports: no results to report")
	}
	if opt.Title == "" {
		opt.Title = "kshot report"
	}
	if opt.Width == 0 || opt.Height == 0 {
		opt.Width, opt.Height = 6*vg.Inch, 4*vg.Inch
	}
	if len(opt.Extrapolate) > 0 {
		opt.Fit = true
	}
	models, warnings := MergeRuns(runs)
	for _, r := range runs {
		warnings = append(warnings, r.Warnings...)
	}
	for _, ref := range opt.References {
		warnings = append(warnings, ref.Warnings...)
	}
	rep := &Report{Dir: dir, Models: models, Table: CombinedTable(models, CombinedOptions{Percent: opt.Percent, TaskNotes: opt.TaskNotes})}
	if opt.Fit {
		AddTrends(rep.Table, models, opt.Extrapolate)
	}
	if err := os.MkdirAll(filepath.Join(dir, "plots"), 0o755); err != nil {
		return nil, err
	}
	write := func(name string, f func(io.Writer) error) error {
		var b bytes.Buffer
		if err := f(&b); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b.Bytes(), 0o644); err != nil {
			return err
		}
		rep.Files = append(rep.Files, name)
		return nil
	}
	for _, f := range []struct {
		name string
		fn   func(io.Writer) error
	}{{"table.txt", rep.Table.WriteText}, {"table.md", rep.Table.WriteMarkdown}, {"table.csv", rep.Table.WriteCSV}, {"table.tex", rep.Table.WriteLaTeX}} {
		if err := write(f.name, f.fn); err != nil {
			return nil, err
		}
	}
	page := &Page{Title: opt.Title, Models: models, Table: rep.Table}
	for _, spec := range plotSpecs(models, opt) {
		p, fits, notes, err := spec.build()
		warnings = append(warnings, prefixAll(spec.title+": ", notes)...)
		if err != nil {
			warnings = append(warnings, fmt.Sprintf("%s: not drawn: %v", spec.title, err))
			continue
		}
		view := PlotView{Title: spec.title, Fits: fits, Notes: notes}
		for _, format := range []string{"svg", "png"} {
			name := "plots/" + spec.file + "." + format
			var b bytes.Buffer
			if err := WritePlot(&b, p, format, opt.Width, opt.Height); err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			if format == "svg" {
				view.SVG = InlineSVG(b.Bytes())
			}
			if err := os.WriteFile(filepath.Join(dir, name), b.Bytes(), 0o644); err != nil {
				return nil, err
			}
			rep.Files = append(rep.Files, name)
			view.Files = append(view.Files, name)
		}
		page.Plots = append(page.Plots, view)
	}
	copied, err := copyRuns(dir, models)
	if err != nil {
		return nil, err
	}
	rep.Files = append(rep.Files, copied...)
	for _, m := range models {
		for _, r := range m.Runs {
			page.Runs = append(page.Runs, runView(m, r))
		}
	}
	page.Samples = sampleViews(models, opt.MaxSamples)
	page.Warnings = warnings
	page.Files = append(append([]string(nil), rep.Files...), "report.html")
	if err := write("report.html", page.WriteHTML); err != nil {
		return nil, err
	}
	rep.Warnings = warnings
	return rep, nil
}

func prefixAll(p string, xs []string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = p + x
	}
	return out
}

// plotSpec is one plot to draw.
type plotSpec struct {
	title, file string
	build       func() (p *plot.Plot, fits []SeriesFit, notes []string, err error)
}

func fileSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.' {
			return r
		}
		return '_'
	}, s)
}

// plotSpecs decides which plots a report gets: per metric, a scaling
// plot with one line per task key; per task and metric evaluated at
// several k, a scaling plot with one line per k and a shots plot with
// one line per model. Scaling plots need two model sizes or reference
// points.
func plotSpecs(models []*Model, opt ReportOptions) []plotSpec {
	rows := Rows(models)
	var specs []plotSpec
	byMetric := map[string][]RowKey{}
	byTaskMetric := map[[2]string][]RowKey{}
	for _, r := range rows {
		byMetric[r.Metric] = append(byMetric[r.Metric], r)
		byTaskMetric[[2]string{r.Task, r.Metric}] = append(byTaskMetric[[2]string{r.Task, r.Metric}], r)
	}
	scaling := func(title string, hib bool, metric string, series []Series) plotSpec {
		sp := &ScalingPlot{Title: title, YLabel: metric, HigherIsBetter: hib, Series: series,
			LogY: !hib && strings.Contains(metric, "perplexity"), Extrapolate: opt.Extrapolate, Range: eval.MetricRange(metric)}
		if opt.Fit {
			sp.Fit = FitLogLinear
			if !hib {
				sp.Fit = FitPowerLaw
			}
		}
		return plotSpec{title: title, build: sp.Plot}
	}
	for _, metric := range sortedKeys(byMetric) {
		rs := byMetric[metric]
		var series []Series
		for _, r := range rs {
			label := r.Task
			if r.Shots > 0 {
				label = fmt.Sprintf("%s (%d-shot)", r.Task, r.Shots)
			}
			series = append(series, scalingSeries(models, r, label, opt))
		}
		if drawable(series) {
			s := scaling(metric+" against model size", rs[0].HigherIsBetter, metric, series)
			s.file = "scaling-" + fileSafe(metric)
			specs = append(specs, s)
		}
	}
	for _, tm := range sortedPairs(byTaskMetric) {
		rs := byTaskMetric[tm]
		if len(rs) < 2 {
			continue
		}
		var series []Series
		for _, r := range rs {
			series = append(series, scalingSeries(models, r, fmt.Sprintf("%d-shot", r.Shots), opt))
		}
		if len(byMetric[tm[1]]) > len(rs) && drawable(series) {
			s := scaling(fmt.Sprintf("%s %s against model size", tm[0], tm[1]), rs[0].HigherIsBetter, tm[1], series)
			s.file = "scaling-" + fileSafe(tm[0]) + "-" + fileSafe(tm[1])
			specs = append(specs, s)
		}
		var shots []Series
		for _, m := range models {
			ser := Series{Label: fmt.Sprintf("%s (%s)", m.Label, FormatParams(m.Parameters))}
			for _, r := range rs {
				if mv, ok := m.Value(r.Key, r.Metric); ok {
					ser.Points = append(ser.Points, Point{X: float64(r.Shots), Y: mv.Value, Err: mv.Stderr})
				}
			}
			if len(ser.Points) > 0 {
				shots = append(shots, ser)
			}
		}
		sp := &ShotsPlot{Title: fmt.Sprintf("%s %s against k", tm[0], tm[1]), YLabel: tm[1], HigherIsBetter: rs[0].HigherIsBetter,
			Series: shots, LogY: !rs[0].HigherIsBetter && strings.Contains(tm[1], "perplexity")}
		specs = append(specs, plotSpec{title: sp.Title, file: "shots-" + fileSafe(tm[0]) + "-" + fileSafe(tm[1]),
			build: func() (*plot.Plot, []SeriesFit, []string, error) {
				p, err := sp.Plot()
				return p, nil, nil, err
			}})
	}
	return specs
}

func sortedPairs[V any](m map[[2]string]V) [][2]string {
	keys := make([][2]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i][0] != keys[j][0] {
			return keys[i][0] < keys[j][0]
		}
		return keys[i][1] < keys[j][1]
	})
	return keys
}

// scalingSeries collects one row's values across models, X = parameters.
func scalingSeries(models []*Model, r RowKey, label string, opt ReportOptions) Series {
	ser := Series{Label: label}
	for _, m := range models {
		if mv, ok := m.Value(r.Key, r.Metric); ok {
			ser.Points = append(ser.Points, Point{X: float64(m.Parameters), Y: mv.Value, Err: mv.Stderr})
		}
	}
	var names []string
	for _, ref := range opt.References {
		if pts := ref.Points(r.Key, r.Metric, opt.ReferenceColumns); len(pts) > 0 {
			ser.Reference = append(ser.Reference, pts...)
			names = append(names, ref.Name)
		}
	}
	if len(names) > 0 {
		ser.RefLabel = label + ": " + strings.Join(names, ", ")
	}
	return ser
}

// drawable reports whether a scaling plot shows something: a series at
// two model sizes, or a point next to reference values.
func drawable(series []Series) bool {
	for _, s := range series {
		sizes := map[float64]bool{}
		for _, p := range s.Points {
			if p.X > 0 && !math.IsNaN(p.Y) {
				sizes[p.X] = true
			}
		}
		if len(sizes) >= 2 || len(sizes) >= 1 && len(s.Reference) > 0 {
			return true
		}
	}
	return false
}

// copyRuns copies every results and samples file into dir/data/<model>/.
func copyRuns(dir string, models []*Model) ([]string, error) {
	var out []string
	for _, m := range models {
		sub := filepath.Join("data", fileSafe(m.Label))
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return nil, err
		}
		for _, r := range m.Runs {
			files := []string{r.Path}
			for _, t := range r.Tasks {
				if t.SamplesPath != "" {
					files = append(files, t.SamplesPath)
				}
			}
			for _, f := range files {
				dst := filepath.Join(sub, filepath.Base(f))
				if err := copyFile(filepath.Join(dir, dst), f); err != nil {
					return nil, err
				}
				out = append(out, filepath.ToSlash(dst))
			}
		}
	}
	return out, nil
}

func copyFile(dst, src string) error {
	if a, err1 := filepath.Abs(dst); err1 == nil {
		if b, err2 := filepath.Abs(src); err2 == nil && a == b {
			return nil // reporting on a report's own data
		}
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func runView(m *Model, r *Run) RunView {
	v := RunView{Model: m.Label, File: filepath.Base(r.Path), Version: r.KshotVersion, Fingerprint: r.Model.Fingerprint,
		CommandLine: r.CommandLine, Parameters: FormatParams(r.Model.Parameters)}
	if !r.Date.IsZero() {
		v.Date = r.Date.UTC().Format("2006-01-02 15:04:05 UTC")
	}
	var parts []string
	for _, k := range []string{"limit", "random_seed", "bootstrap_iters", "batch_size", "shots"} {
		if x, ok := r.Config[k]; ok {
			if k == "limit" && fmt.Sprint(x) == "0" {
				parts = append(parts, "no limit")
				continue
			}
			parts = append(parts, fmt.Sprintf("%s=%v", k, x))
		}
	}
	v.Config = strings.Join(parts, ", ")
	return v
}

// sampleViews builds the per-sample view: per task key, per model, the
// first max documents.
func sampleViews(models []*Model, max int) []TaskSamples {
	keys := map[string]bool{}
	for _, m := range models {
		for k := range m.Tasks {
			keys[k] = true
		}
	}
	var out []TaskSamples
	for _, k := range sortedKeys(keys) {
		ts := TaskSamples{Key: k}
		for _, m := range models {
			t, ok := m.Tasks[k]
			if !ok {
				continue
			}
			g := SampleGroup{Model: m.Label, Total: len(t.Samples), Missing: t.Samples == nil}
			for i := 0; i < len(t.Samples) && i < max; i++ {
				g.Samples = append(g.Samples, ViewSample(t.Samples[i]))
			}
			g.Shown = len(g.Samples)
			ts.Groups = append(ts.Groups, g)
		}
		out = append(out, ts)
	}
	return out
}
