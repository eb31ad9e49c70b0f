package reports

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"math"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"
)

// HTML returns the table as an HTML <table> (best values in bold,
// footnote markers as superscripts) followed by its footnotes.
func (t *Table) HTML() template.HTML {
	var b strings.Builder
	esc := template.HTMLEscapeString
	b.WriteString("<table>\n<thead><tr>")
	numeric := t.numericColumns()
	for i, h := range t.Header {
		cls := ""
		if numeric[i] {
			cls = ` class="num"`
		}
		fmt.Fprintf(&b, "<th%s>%s</th>", cls, esc(h))
	}
	b.WriteString("</tr></thead>\n<tbody>\n")
	for _, r := range t.Rows {
		b.WriteString("<tr>")
		for i, c := range r {
			cls := ""
			if i < len(numeric) && numeric[i] {
				cls = ` class="num"`
			}
			s := esc(c.Text)
			if c.Best {
				s = "<b>" + s + "</b>"
			}
			for _, n := range c.Notes {
				s += fmt.Sprintf("<sup>[%d]</sup>", n)
			}
			fmt.Fprintf(&b, "<td%s>%s</td>", cls, s)
		}
		b.WriteString("</tr>\n")
	}
	b.WriteString("</tbody>\n</table>\n")
	if len(t.Notes) > 0 {
		b.WriteString(`<ol class="notes">`)
		for _, n := range t.Notes {
			fmt.Fprintf(&b, "<li>%s</li>", esc(n))
		}
		b.WriteString("</ol>\n")
	}
	return template.HTML(b.String())
}

// svgPrelude matches what gonum's SVG canvas writes before the <svg>
// element, and xmlnsAttr the namespace attributes an inline SVG in HTML
// does not need (they are the page's only http:// strings).
var (
	svgPrelude = regexp.MustCompile(`(?s)^.*?(<svg\b)`)
	xmlnsAttr  = regexp.MustCompile(`\s+xmlns(:xlink)?="[^"]*"`)
)

// InlineSVG turns an SVG document into markup to embed in an HTML page:
// without the XML declaration, comments before <svg> or namespace
// attributes, and scaled to the page width.
func InlineSVG(svg []byte) template.HTML {
	s := svgPrelude.ReplaceAllString(string(svg), "$1")
	s = xmlnsAttr.ReplaceAllString(s, "")
	s = strings.Replace(s, "<svg ", `<svg role="img" style="max-width:100%;height:auto" `, 1)
	return template.HTML(s)
}

// PlotView is a plot as the HTML report shows it.
type PlotView struct {
	Title string
	SVG   template.HTML
	Files []string // the PNG and SVG files, relative to the report
	Fits  []SeriesFit
	Notes []string
}

// RunView is one results file's metadata in the HTML report.
type RunView struct {
	Model, File, Date, Version, Fingerprint, CommandLine string
	Parameters                                           string
	Config                                               string
}

// SampleView is one document of the per-sample view.
type SampleView struct {
	DocID   int
	Prompt  string
	Target  string
	Answer  string
	Correct string // "✓", "✗", a score, or "" when the task has no per-document score
	Class   string // "ok", "bad" or ""
}

// SampleGroup is the first documents of one task for one model.
type SampleGroup struct {
	Model   string
	Samples []SampleView
	Shown   int
	Total   int
	Missing bool // no samples file
}

// TaskSamples groups the per-sample views of one task key.
type TaskSamples struct {
	Key    string
	Groups []SampleGroup
}

// Page is everything the HTML report shows.
type Page struct {
	Title    string
	Models   []*Model
	Table    *Table
	Plots    []PlotView
	Runs     []RunView
	Samples  []TaskSamples
	Warnings []string
	Files    []string // the other files of the report, relative paths
}

// WriteHTML writes the page as one self-contained HTML document: inline
// CSS and SVG, no scripts, no external resources. Text from results files
// is escaped, and "://" is written as "&#58;//" so that no http(s)
// reference appears even where the evaluated data quotes a URL.
func (p *Page) WriteHTML(w io.Writer) error {
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, p); err != nil {
		return err
	}
	_, err := w.Write(bytes.ReplaceAll(buf.Bytes(), []byte("://"), []byte("&#58;//")))
	return err
}

var pageTemplate = template.Must(template.New("page").Funcs(template.FuncMap{
	"params": FormatParams,
	"short": func(s string) string {
		if len(s) > 12 {
			return s[:12]
		}
		return s
	},
	"value": func(x float64) string {
		if math.Abs(x) >= 1e4 || (math.Abs(x) < 1e-3 && x != 0) {
			return fmt.Sprintf("%.4g", x)
		}
		return FormatValue(x)
	},
	"paramsf": func(x float64) string { return FormatParams(int64(math.Round(x))) },
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2em auto;max-width:1100px;padding:0 1em;color:#222;background:#fff}
h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;margin:1em 0;font-size:.9em}
th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}
th{background:#f0f0f0}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
ol.notes,ul.warn{font-size:.85em;color:#555}ul.warn{color:#8a4b00}
figure{margin:1.5em 0}figcaption{font-size:.9em;color:#444}
.plots{display:grid;grid-template-columns:repeat(auto-fit,minmax(480px,1fr));gap:1em}
details{margin:.5em 0}summary{cursor:pointer;font-weight:600}
td.prompt{max-width:520px;white-space:pre-wrap;word-break:break-word;font-family:ui-monospace,monospace;font-size:.85em}
td.ok{color:#176117;font-weight:700}td.bad{color:#a11;font-weight:700}
code{font-size:.9em}
</style>
</head>
<body>
<h1>{{.Title}}</h1>
<p>{{len .Models}} model(s), {{len .Runs}} results file(s).</p>
<table>
<thead><tr><th>Model</th><th class="num">Parameters</th><th>Fingerprint</th><th class="num">Tasks</th></tr></thead>
<tbody>
{{range .Models}}<tr><td>{{.Label}}</td><td class="num">{{params .Parameters}}</td><td><code>{{short .Fingerprint}}</code></td><td class="num">{{len .Tasks}}</td></tr>
{{end}}</tbody>
</table>
{{if .Warnings}}<ul class="warn">{{range .Warnings}}<li>{{.}}</li>{{end}}</ul>{{end}}
<h2 id="results">Results</h2>
{{.Table.HTML}}
{{if .Plots}}<h2 id="plots">Plots</h2>
<div class="plots">
{{range .Plots}}<figure>
{{.SVG}}
<figcaption>{{.Title}}{{range .Files}} · {{.}}{{end}}
{{range .Fits}}<br>{{.Label}}: {{if .NoTrend}}{{.NoTrend}}{{else}}{{.Fit}} (R² {{printf "%.3f" .Fit.R2}}){{range .Predictions}}; at {{paramsf .X}}: {{.}}{{end}}{{end}}{{end}}
{{range .Notes}}<br><i>{{.}}</i>{{end}}</figcaption>
</figure>
{{end}}</div>
{{end}}
<h2 id="runs">Runs</h2>
<table>
<thead><tr><th>Model</th><th class="num">Parameters</th><th>File</th><th>Date</th><th>kshot</th><th>Fingerprint</th><th>Settings</th></tr></thead>
<tbody>
{{range .Runs}}<tr><td>{{.Model}}</td><td class="num">{{.Parameters}}</td><td>{{.File}}</td><td>{{.Date}}</td><td>{{.Version}}</td><td><code>{{short .Fingerprint}}</code></td><td>{{.Config}}{{if .CommandLine}}<br><code>{{.CommandLine}}</code>{{end}}</td></tr>
{{end}}</tbody>
</table>
<h2 id="samples">Samples</h2>
{{range .Samples}}<details>
<summary>{{.Key}}</summary>
{{range .Groups}}<details>
<summary>{{.Model}}{{if .Missing}} (no per-sample log){{else}} ({{.Shown}} of {{.Total}} documents){{end}}</summary>
{{if .Samples}}<table>
<thead><tr><th class="num">Doc</th><th>Prompt</th><th>Target</th><th>Model answer</th><th>Correct</th></tr></thead>
<tbody>
{{range .Samples}}<tr><td class="num">{{.DocID}}</td><td class="prompt">{{.Prompt}}</td><td class="prompt">{{.Target}}</td><td class="prompt">{{.Answer}}</td><td class="{{.Class}}">{{.Correct}}</td></tr>
{{end}}</tbody>
</table>{{end}}
</details>
{{end}}</details>
{{end}}
{{if .Files}}<h2 id="files">Files</h2>
<ul>{{range .Files}}<li><code>{{.}}</code></li>{{end}}</ul>{{end}}
</body>
</html>
`))

// promptChars is how much of a prompt the sample view keeps (its end).
const promptChars = 400

func tail(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return "…" + string(r[len(r)-n:])
}

// ViewSample describes one logged document for the per-sample view: the
// prompt (end of the context), the target, the model's answer (generated
// text or log-likelihoods) and whether it was right.
func ViewSample(s SampleRecord) SampleView {
	v := SampleView{DocID: s.DocID, Target: tail(s.Target, promptChars)}
	var prompts, answers []string
	for i, a := range s.Arguments {
		var resp json.RawMessage
		if i < len(s.Resps) {
			resp = s.Resps[i]
		}
		p, ans := describeRequest(a, resp)
		prompts, answers = append(prompts, p), append(answers, ans)
	}
	v.Prompt = tail(strings.Join(prompts, "\n—\n"), promptChars)
	v.Answer = strings.Join(answers, "\n")
	names := make([]string, 0, len(s.Metrics))
	for k := range s.Metrics {
		names = append(names, k)
	}
	sort.Slice(names, func(i, j int) bool { // acc first, then alphabetical
		if (names[i] == "acc") != (names[j] == "acc") {
			return names[i] == "acc"
		}
		return names[i] < names[j]
	})
	if len(names) > 0 {
		x := s.Metrics[names[0]]
		switch {
		case x == 1:
			v.Correct, v.Class = "✓", "ok"
		case x == 0:
			v.Correct, v.Class = "✗", "bad"
		default:
			v.Correct = fmt.Sprintf("%s %.4g", names[0], x)
		}
	}
	return v
}

// describeRequest renders one logged request and its response.
func describeRequest(a RequestRecord, resp json.RawMessage) (prompt, answer string) {
	switch a.Kind {
	case "loglikelihood":
		var args [2]string
		var r []any
		json.Unmarshal(a.Args, &args)
		json.Unmarshal(resp, &r)
		return args[0] + "⟨" + args[1] + "⟩", "log P(target) = " + numAt(r, 0) + greedyNote(r)
	case "multiple_choice":
		var args [][2]string
		var r [][]any
		json.Unmarshal(a.Args, &args)
		json.Unmarshal(resp, &r)
		best, bestLP := -1, math.Inf(-1)
		for i := range r {
			if len(r[i]) > 0 {
				if lp, ok := r[i][0].(float64); ok && lp > bestLP {
					best, bestLP = i, lp
				}
			}
		}
		shared := len(args) > 0
		for _, o := range args {
			shared = shared && o[0] == args[0][0]
		}
		var lines []string
		for i, o := range args {
			mark := "  "
			if i == best {
				mark = "▶ "
			}
			lp := ""
			if i < len(r) {
				lp = numAt(r[i], 0)
			}
			label := o[1]
			if !shared {
				label = tail(o[0], 60) + "⟨" + o[1] + "⟩"
			}
			lines = append(lines, fmt.Sprintf("%s%s: %s", mark, strings.TrimSpace(label), lp))
		}
		p := ""
		if shared {
			p = args[0][0]
		} else if len(args) > 0 {
			p = args[0][0] + " / …"
		}
		return p, strings.Join(lines, "\n")
	case "loglikelihood_rolling":
		var args struct {
			Text string `json:"text"`
		}
		var r []any
		json.Unmarshal(a.Args, &args)
		json.Unmarshal(resp, &r)
		return args.Text, fmt.Sprintf("log P = %s over %s tokens", numAt(r, 0), numAt(r, 1))
	case "generate_until":
		var args struct {
			Context string `json:"context"`
		}
		var r string
		json.Unmarshal(a.Args, &args)
		if json.Unmarshal(resp, &r) != nil {
			r = string(resp)
		}
		return args.Context, r
	}
	return string(a.Args), string(resp)
}

func numAt(r []any, i int) string {
	if i < len(r) {
		if f, ok := r[i].(float64); ok {
			if f == math.Trunc(f) && math.Abs(f) < 1e15 {
				return fmt.Sprintf("%.0f", f)
			}
			return fmt.Sprintf("%.4f", f)
		}
	}
	return "?"
}

func greedyNote(r []any) string {
	if len(r) > 1 {
		if g, ok := r[1].(bool); ok && g {
			return " (greedy: the model's own prediction)"
		}
	}
	return ""
}
