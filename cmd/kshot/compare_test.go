package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kshot-eval/kshot/eval"
	"github.com/kshot-eval/kshot/eval/results"
)

func init() {
	// Golden files are rewritten with go test -update; another test file
	// of the package may already define the flag.
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files in testdata")
	}
}

func cmpUpdate() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// cmpTask builds a task whose metric is the mean of per-document 0/1
// outcomes, with its samples.
func cmpTask(name, version string, values []float64) eval.TaskResult {
	m := eval.Mean("acc", true)
	r := eval.TaskResult{Key: name, Spec: eval.TaskSpec{Name: name, Version: version, Metrics: []eval.Metric{m}},
		NDocs: len(values), NTotal: len(values), RequestHash: "h-" + name}
	var docs [][]float64
	for i, v := range values {
		st := eval.MeanStats(v)
		docs = append(docs, st)
		r.Samples = append(r.Samples, eval.Sample{DocID: i, Doc: map[string]any{"i": i}, Target: "t",
			Arguments: []eval.Request{eval.Loglikelihood{Context: "c", Continuation: " t"}},
			Responses: []eval.Response{eval.LoglikelihoodResult{LogProb: -1}},
			Metrics:   map[string]float64{"acc": v}, Stats: map[string][]float64{"acc": st}})
	}
	r.Metrics = []eval.MetricResult{{Name: "acc", HigherIsBetter: true, Aggregate: mustAggregate(m, docs)}}
	return r
}

// mustAggregate aggregates test documents without a bootstrap; an error
// is a broken test.
func mustAggregate(m eval.Metric, docs [][]float64) eval.Aggregate {
	agg, err := eval.AggregateMetric(m, docs, 0, 1)
	if err != nil {
		panic("compare test: " + err.Error())
	}
	return agg
}

// cmpWriteRun writes a model's results under dir and returns the file.
func cmpWriteRun(t *testing.T, dir, model string, params int64, tasks ...eval.TaskResult) string {
	t.Helper()
	run := eval.RunInfo{Model: eval.ModelInfo{Name: model, Parameters: params, Fingerprint: "fp-" + model},
		Options: eval.Options{Seed: 1234}, KshotVersion: "test", Date: time.Date(2025, 5, 6, 7, 8, 9, 0, time.UTC)}
	p, err := results.Write(filepath.Join(dir, model), run, tasks)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// cmpOutcomes returns b documents right only in BASE and c only in NEW,
// then 5 both right and 5 both wrong.
func cmpOutcomes(b, c int) (base, new []float64) {
	for range b {
		base, new = append(base, 1), append(new, 0)
	}
	for range c {
		base, new = append(base, 0), append(new, 1)
	}
	for i := range 10 {
		v := float64(1 - i/5)
		base, new = append(base, v), append(new, v)
	}
	return
}

// runCLI runs kshot with args and returns stdout, stderr and the exit
// status.
func runCLI(args ...string) (string, string, int) {
	var out, errb bytes.Buffer
	err := run(args, strings.NewReader(""), &out, &errb)
	code := exitCode(err, &errb)
	return out.String(), errb.String(), code
}

func TestCompareCommand(t *testing.T) {
	dir := t.TempDir()
	b10, c0 := cmpOutcomes(10, 0) // McNemar p = 2/1024: a regression
	b8, c2 := cmpOutcomes(8, 2)   // p = 0.109375: not significant
	base := cmpWriteRun(t, dir, "base", 124e6, cmpTask("winograd", "1.0", b10), cmpTask("piqa", "1.0", b8), cmpTask("arc_easy", "1.0", b8))
	worse := cmpWriteRun(t, dir, "new", 124e6, cmpTask("winograd", "1.0", c0), cmpTask("piqa", "1.0", c2), cmpTask("hellaswag", "1.0", c2))
	same := cmpWriteRun(t, dir, "same", 124e6, cmpTask("winograd", "1.0", b10), cmpTask("piqa", "1.0", c2))
	bumped := cmpWriteRun(t, dir, "bumped", 124e6, cmpTask("winograd", "2.0", c0))
	corrupt := filepath.Join(dir, "results_corrupt.json")
	os.WriteFile(corrupt, []byte("{\n  \"results\": {\n    \"winograd\": {\"acc,none\": 0.5,\n"), 0o644)
	two := filepath.Join(dir, "two")
	cmpWriteRun(t, two, "a", 1, cmpTask("winograd", "1.0", b8))
	cmpWriteRun(t, two, "b", 2, cmpTask("winograd", "1.0", b8))

	cases := []struct {
		name     string
		args     []string
		code     int
		stdout   []string
		stderr   []string
		noStdout bool
	}{
		{"regression not gated", []string{base, worse}, 0, []string{"McNemar b=10 c=0", "0.0020", "worse", "0.1094", "only in base", "only in new"}, nil, false},
		{"regression gated", []string{"--fail-on", "worse", base, worse}, 1, []string{"1 worse"}, []string{"1 gated failure(s) (--fail-on worse): winograd acc (worse)"}, false},
		{"flags after arguments", []string{base, worse, "--fail-on=worse", "--alpha", "0.001"}, 0, []string{"α=0.001"}, nil, false},
		{"min delta", []string{"--fail-on", "worse", "--min-delta", "acc=0.6", base, worse}, 0, nil, nil, false},
		{"missing task gated", []string{"--fail-on", "missing", base, worse}, 1, nil, []string{"arc_easy acc (only in base)"}, false},
		{"no change", []string{"--fail-on", "worse", base, same}, 0, []string{"McNemar b=0 c=0", "1.0000"}, nil, false},
		{"version bump warns", []string{"--fail-on", "worse", base, bumped}, 0, []string{"not comparable"}, []string{"task versions differ (base v1.0, new v2.0)"}, false},
		{"version bump gated", []string{"--fail-on", "incomparable", base, bumped}, 1, nil, []string{"winograd acc (not comparable)"}, false},
		{"corrupt json", []string{base, corrupt}, 2, nil, []string{"NEW: " + corrupt + ":4: invalid JSON"}, true},
		{"missing file", []string{base, filepath.Join(dir, "nope.json")}, 2, nil, []string{"no such file"}, true},
		{"two models", []string{base, two}, 2, nil, []string{"holds 2 models (a, b); pick one with --new-model"}, true},
		{"two models, one picked", []string{"--new-model", "b", base, two}, 0, []string{"base (124M) → b (2)"}, nil, false},
		{"picked model absent", []string{"--base-model", "c", two, base}, 2, nil, []string{`has no model "c" (it holds a, b)`}, true},
		{"one argument", []string{base}, 2, nil, []string{"needs BASE and NEW, got 1"}, true},
		{"bad alpha", []string{"--alpha", "2", base, worse}, 2, nil, []string{"--alpha 2"}, true},
		{"bad gate", []string{"--fail-on", "regress", base, worse}, 2, nil, []string{`unknown value "regress"`}, true},
		{"bad min delta", []string{"--min-delta", "acc=-1", base, worse}, 2, nil, []string{"--min-delta"}, true},
		{"bad format", []string{"--format", "xls", base, worse}, 2, nil, []string{`--format "xls"`}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			stdout, stderr, code := runCLI(append([]string{"compare"}, c.args...)...)
			if code != c.code {
				t.Errorf("exit status %d, want %d\nstdout:\n%s\nstderr:\n%s", code, c.code, stdout, stderr)
			}
			for _, s := range c.stdout {
				if !strings.Contains(stdout, s) {
					t.Errorf("stdout lacks %q:\n%s", s, stdout)
				}
			}
			for _, s := range c.stderr {
				if !strings.Contains(stderr, s) {
					t.Errorf("stderr lacks %q:\n%s", s, stderr)
				}
			}
			if c.noStdout && stdout != "" {
				t.Errorf("stdout on error:\n%s", stdout)
			}
		})
	}
}

func TestCompareCommandOutputs(t *testing.T) {
	dir := t.TempDir()
	b10, c0 := cmpOutcomes(10, 0)
	base := cmpWriteRun(t, dir, "base", 124e6, cmpTask("winograd", "1.0", b10))
	nw := cmpWriteRun(t, dir, "new", 355e6, cmpTask("winograd", "1.0", c0), cmpTask("piqa", "1.0", c0))
	md, js, ju := filepath.Join(dir, "c.md"), filepath.Join(dir, "c.json"), filepath.Join(dir, "c.xml")
	stdout, stderr, code := runCLI("compare", "--fail-on", "worse", "--markdown", md, "--json", js, "--junit", ju, base, nw)
	if code != 1 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	golden := filepath.Join("testdata", "compare_text.stdout")
	if cmpUpdate() {
		os.MkdirAll("testdata", 0o755)
		os.WriteFile(golden, []byte(stdout), 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (go test -update creates it)", err)
	}
	if stdout != string(want) {
		t.Errorf("stdout differs from %s:\n%s", golden, stdout)
	}
	mdText, _ := os.ReadFile(md)
	if !strings.HasPrefix(string(mdText), "### kshot compare: base (124M) → new (355M), α=0.05\n\n**1 worse, 1 only in new**") ||
		!strings.Contains(string(mdText), "| winograd | 0      | acc ↑  | 0.7500 ± 0.0993 | 0.2500 ± 0.0993 |") {
		t.Errorf("markdown:\n%s", mdText)
	}
	var doc struct {
		Failed bool
		Rows   []struct{ Key, Verdict string }
	}
	data, _ := os.ReadFile(js)
	if err := json.Unmarshal(data, &doc); err != nil || !doc.Failed || len(doc.Rows) != 2 || doc.Rows[1].Verdict != "worse" {
		t.Errorf("json %+v (%v):\n%s", doc, err, data)
	}
	var suites struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Skipped  int `xml:"skipped,attr"`
	}
	data, _ = os.ReadFile(ju)
	if err := xml.Unmarshal(data, &suites); err != nil || suites.Tests != 2 || suites.Failures != 1 || suites.Skipped != 1 {
		t.Errorf("junit %+v (%v):\n%s", suites, err, data)
	}
	// The same results in JSON on stdout.
	stdout, _, _ = runCLI("compare", "--format", "json", base, nw)
	if !json.Valid([]byte(stdout)) || !strings.Contains(stdout, `"verdict": "worse"`) {
		t.Errorf("--format json:\n%s", stdout)
	}
	stdout, _, _ = runCLI("compare", "--format", "junit", base, nw)
	if !strings.HasPrefix(stdout, xml.Header) {
		t.Errorf("--format junit:\n%s", stdout)
	}
}
