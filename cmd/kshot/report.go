package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/kshot-eval/kshot/eval/results"
	"github.com/kshot-eval/kshot/reports"
)

// badInput marks an unreadable or inconsistent input file: exit status 2.
func badInput(err error) error { return exitError{code: 2, msg: err.Error()} }

// parseFloatList parses "1.3e9,175e9".
func parseFloatList(flagName, s string) ([]float64, error) {
	var out []float64
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		v, err := strconv.ParseFloat(p, 64)
		if err != nil || !(v > 0) || math.IsInf(v, 0) {
			return nil, usageError{fmt.Sprintf("%s: %q is not a positive number (e.g. 1.3e9,175e9)", flagName, p)}
		}
		out = append(out, v)
	}
	return out, nil
}

func cmdReport(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("report", stderr)
	var refs, refMaps listFlag
	output := fs.String("output", "kshot-report", "report directory to write")
	title := fs.String("title", "kshot report", "title of report.html")
	percent := fs.Bool("percent", false, "show accuracies as percentages, as the GPT-2 and GPT-3 papers do")
	fit := fs.Bool("fit", false, "draw fitted trends on scaling plots (log-linear for accuracy, power law for perplexity)")
	extrapolate := fs.String("extrapolate", "", "extend the trends to these parameter counts, comma-separated (e.g. 1.3e9,175e9); implies --fit")
	fs.Var(&refs, "reference", "CSV of published numbers with a params column, drawn as crosses (repeatable)")
	fs.Var(&refMaps, "reference-map", "COLUMN=TASK/METRIC[*SCALE]: plot a reference column against a task's metric (repeatable)")
	maxSamples := fs.Int("max-samples", 25, "documents per task and model in the per-sample view of report.html")
	format := fs.String("format", "text", "combined table printed on stdout: text, markdown, csv, latex or none")
	inputs, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(inputs) == 0 {
		return usageError{"kshot report needs at least one results file or directory (kshot report --output DIR RESULTS...)"}
	}
	if *maxSamples < 0 {
		return usageError{fmt.Sprintf("--max-samples %d is negative", *maxSamples)}
	}
	var print func(*reports.Table, io.Writer) error
	switch *format {
	case "text":
		print = (*reports.Table).WriteText
	case "markdown":
		print = (*reports.Table).WriteMarkdown
	case "csv":
		print = (*reports.Table).WriteCSV
	case "latex":
		print = (*reports.Table).WriteLaTeX
	case "none":
	default:
		return usageError{fmt.Sprintf("--format %q: want text, markdown, csv, latex or none", *format)}
	}
	opt := reports.ReportOptions{Title: *title, Percent: *percent, Fit: *fit, MaxSamples: *maxSamples}
	if opt.Extrapolate, err = parseFloatList("--extrapolate", *extrapolate); err != nil {
		return err
	}
	for _, m := range refMaps {
		rc, err := reports.ParseReferenceColumn(m)
		if err != nil {
			return usageError{"--reference-map: " + err.Error()}
		}
		opt.ReferenceColumns = append(opt.ReferenceColumns, rc)
	}
	for _, path := range refs {
		f, err := os.Open(path)
		if err != nil {
			return badInput(err)
		}
		ref, err := reports.ParseReference(f, path)
		f.Close()
		if err != nil {
			return badInput(err)
		}
		opt.References = append(opt.References, ref)
	}
	runs, err := results.LoadRuns(inputs)
	if err != nil {
		return badInput(err)
	}
	rep, err := reports.WriteReport(*output, runs, opt)
	if err != nil {
		return err
	}
	for _, w := range rep.Warnings {
		fmt.Fprintln(stderr, "kshot: warning:", w)
	}
	if print != nil {
		if err := print(rep.Table, stdout); err != nil {
			return err
		}
	}
	fmt.Fprintf(stderr, "kshot: wrote %s (%d models, %d files)\n", filepath.Join(*output, "report.html"), len(rep.Models), len(rep.Files))
	return nil
}
