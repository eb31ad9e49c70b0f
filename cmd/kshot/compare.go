package main

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/kshot-eval/kshot/eval/results"
	"github.com/kshot-eval/kshot/reports"
)

// parseMinDelta parses "0.01" or "acc=0.01,perplexity=2" (a bare number
// is the default for metrics not named).
func parseMinDelta(s string) (map[string]float64, error) {
	out := map[string]float64{}
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		name, val, ok := strings.Cut(p, "=")
		if !ok {
			name, val = "", p
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
		if err != nil || v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, usageError{fmt.Sprintf("--min-delta: %q is not a non-negative number (want 0.01 or acc=0.01,perplexity=2)", p)}
		}
		out[strings.TrimSpace(name)] = v
	}
	return out, nil
}

// loadSide reads BASE or NEW: a results file or a directory holding one
// model's runs, or the model called pick (label or name) when the
// directory holds several.
func loadSide(which, path, pick string, stderr io.Writer) (*reports.Model, error) {
	runs, err := results.LoadRuns([]string{path})
	if err != nil {
		return nil, badInput(fmt.Errorf("%s: %w", which, err))
	}
	models, warnings := reports.MergeRuns(runs)
	for _, r := range runs {
		warnings = append(warnings, r.Warnings...)
	}
	for _, w := range warnings {
		fmt.Fprintf(stderr, "kshot: warning: %s: %s\n", which, w)
	}
	labels := make([]string, len(models))
	for i, m := range models {
		labels[i] = m.Label
	}
	for _, m := range models {
		if seeds := m.SeedList(); strings.Contains(seeds, ",") && (pick == "" || m.Label == pick || m.Name == pick) {
			fmt.Fprintf(stderr, "kshot: warning: %s: %s was evaluated with the seeds %s; compare pairs the documents of one run, so it uses each task's latest run (pass one seed's results directory to choose)\n", which, m.Label, seeds)
		}
	}
	if pick != "" {
		for _, m := range models {
			if m.Label == pick || m.Name == pick {
				return m, nil
			}
		}
		return nil, badInput(fmt.Errorf("%s: %s has no model %q (it holds %s)", which, path, pick, strings.Join(labels, ", ")))
	}
	if len(models) != 1 {
		flag := "--" + strings.ToLower(which) + "-model"
		return nil, badInput(fmt.Errorf("%s: %s holds %d models (%s); pick one with %s or pass one model's results file", which, path, len(models), strings.Join(labels, ", "), flag))
	}
	return models[0], nil
}

func cmdCompare(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("compare", stderr)
	alpha := fs.Float64("alpha", 0.05, "significance level of the tests")
	minDelta := fs.String("min-delta", "0", "smallest absolute difference that counts, in the metric's units: 0.01, or acc=0.01,perplexity=2")
	failOn := fs.String("fail-on", "none", "exit 1 on: none, or worse, missing, incomparable (comma-separated)")
	iters := fs.Int("iterations", 1000, "paired bootstrap resamples")
	seed := fs.Uint64("seed", 1234, "paired bootstrap seed")
	format := fs.String("format", "text", "stdout format: text, markdown, json or junit")
	mdPath := fs.String("markdown", "", "also write Markdown to this file (for a pull-request comment or $GITHUB_STEP_SUMMARY)")
	jsonPath := fs.String("json", "", "also write JSON to this file")
	junitPath := fs.String("junit", "", "also write JUnit XML to this file (one test case per task and metric)")
	baseModel := fs.String("base-model", "", "the model of BASE to use when BASE is a directory (a report) holding several")
	newModel := fs.String("new-model", "", "the model of NEW to use when NEW is a directory holding several")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usageError{fmt.Sprintf("kshot compare needs BASE and NEW, got %d argument(s)", len(pos))}
	}
	if !(*alpha > 0 && *alpha < 1) {
		return usageError{fmt.Sprintf("--alpha %g: want a level between 0 and 1, e.g. 0.05", *alpha)}
	}
	if *iters < 1 {
		return usageError{fmt.Sprintf("--iterations %d: want at least 1", *iters)}
	}
	deltas, err := parseMinDelta(*minDelta)
	if err != nil {
		return err
	}
	gate, err := reports.ParseGate(*failOn)
	if err != nil {
		return usageError{err.Error()}
	}
	writers := map[string]func(*reports.Comparison, io.Writer) error{
		"text":     (*reports.Comparison).WriteText,
		"markdown": (*reports.Comparison).WriteMarkdown,
		"json":     func(c *reports.Comparison, w io.Writer) error { return c.WriteJSON(w, gate) },
		"junit":    func(c *reports.Comparison, w io.Writer) error { return c.WriteJUnit(w, gate) },
	}
	print, ok := writers[*format]
	if !ok {
		return usageError{fmt.Sprintf("--format %q: want text, markdown, json or junit", *format)}
	}
	base, err := loadSide("BASE", pos[0], *baseModel, stderr)
	if err != nil {
		return err
	}
	nw, err := loadSide("NEW", pos[1], *newModel, stderr)
	if err != nil {
		return err
	}
	c := reports.Compare(base, nw, reports.CompareOptions{Alpha: *alpha, MinDelta: deltas, Iterations: *iters, Seed: *seed})
	for _, r := range c.Rows {
		if r.Verdict == reports.Incomparable {
			for _, n := range r.Notes {
				fmt.Fprintf(stderr, "kshot: warning: %s %s: %s\n", r.Key, r.Metric, n)
			}
		}
	}
	for _, f := range []struct {
		path string
		w    func(*reports.Comparison, io.Writer) error
	}{{*mdPath, writers["markdown"]}, {*jsonPath, writers["json"]}, {*junitPath, writers["junit"]}} {
		if f.path == "" {
			continue
		}
		var b bytes.Buffer
		if err := f.w(c, &b); err != nil {
			return err
		}
		if err := os.WriteFile(f.path, b.Bytes(), 0o644); err != nil {
			return err
		}
	}
	if err := print(c, stdout); err != nil {
		return err
	}
	if fails := c.Failures(gate); len(fails) > 0 {
		names := make([]string, len(fails))
		for i, r := range fails {
			names[i] = fmt.Sprintf("%s %s (%s)", r.Key, r.Metric, r.Verdict)
		}
		return exitError{code: 1, msg: fmt.Sprintf("%d gated failure(s) (--fail-on %s): %s", len(fails), *failOn, strings.Join(names, ", "))}
	}
	return nil
}
