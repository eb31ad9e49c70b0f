package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kshot-eval/kshot/internal/sharedtest"
)

func TestReportCommand(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "out")
	// Two GPT-2 sizes with their LAMBADA accuracy of the GPT-2 paper
	// (Table 3: 45.99% and 55.48%), one run of the larger model written
	// separately.
	cmpWriteRun(t, in, "gpt2", 117e6, cmpTask("lambada_openai", "1.0", concatOnes(46, 54)))
	cmpWriteRun(t, in, "gpt2-medium", 345e6, cmpTask("lambada_openai", "1.0", concatOnes(55, 45)))
	bad := filepath.Join(dir, "results_bad.json")
	os.WriteFile(bad, []byte(`{"results": {"x": {"acc,none": "high"}}, "model_name": "m"}`), 0o644)
	noParams := filepath.Join(dir, "ref.csv")
	os.WriteFile(noParams, []byte("model,acc\na,1\n"), 0o644)
	table3 := sharedtest.Path(t, "papers/gpt2_table3.csv")

	cases := []struct {
		name   string
		args   []string
		code   int
		stdout []string
		stderr []string
		files  []string
	}{
		{"text table and files", []string{in}, 0,
			[]string{"│ lambada_openai │ 0      │ acc ↑  │ 0.4600 ± 0.0501 │ 0.5500 ± 0.0500    │"},
			[]string{"report.html (2 models"},
			[]string{"report.html", "table.md", "table.csv", "table.tex", "plots/scaling-acc.png", "plots/scaling-acc.svg"}},
		{"markdown, flags last", []string{in, "--format", "markdown", "--percent"}, 0,
			[]string{"| lambada\\_openai | 0      | acc ↑  | 46.00 ± 5.01 | **55.00 ± 5.00**   |"}, nil, nil},
		{"reference and extrapolation", []string{"--reference", table3, "--extrapolate", "1.5e9,175e9", "--format", "none", in}, 0, nil,
			[]string{"prior_sota has no parameter count"}, []string{"plots/scaling-acc.svg"}},
		{"user reference mapping", []string{"--reference", table3, "--reference-map", "cbt_cn_acc=lambada_openai/acc*0.01", "--format", "csv", in}, 0,
			[]string{"Task,n-shot,Metric,gpt2 (117M),gpt2 (117M)_stderr"}, nil, nil},
		{"no inputs", nil, 2, nil, []string{"needs at least one results file"}, nil},
		{"corrupt results", []string{in, bad}, 2, nil, []string{bad + `: field "results.x.acc,none": want a number`}, nil},
		{"missing input", []string{filepath.Join(dir, "nothing")}, 2, nil, []string{"no such file"}, nil},
		{"reference without params", []string{"--reference", noParams, in}, 2, nil, []string{"no params column"}, nil},
		{"bad extrapolation", []string{"--extrapolate", "big", in}, 2, nil, []string{`--extrapolate: "big"`}, nil},
		{"bad mapping", []string{"--reference-map", "x", in}, 2, nil, []string{"want COLUMN=TASK/METRIC"}, nil},
		{"bad format", []string{"--format", "pdf", in}, 2, nil, []string{`--format "pdf"`}, nil},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			outDir := filepath.Join(dir, "report", string(rune('a'+i)))
			stdout, stderr, code := runCLI(append([]string{"report", "--output", outDir}, c.args...)...)
			if code != c.code {
				t.Fatalf("exit status %d, want %d\nstdout:\n%s\nstderr:\n%s", code, c.code, stdout, stderr)
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
			for _, f := range c.files {
				if _, err := os.Stat(filepath.Join(outDir, f)); err != nil {
					t.Error(err)
				}
			}
		})
	}
	// A report directory's data can be compared directly.
	outDir := filepath.Join(dir, "report", "a")
	_, stderr, code := runCLI("compare", filepath.Join(outDir, "data", "gpt2"), filepath.Join(outDir, "data", "gpt2-medium"))
	if code != 0 {
		t.Errorf("compare of report data: exit %d: %s", code, stderr)
	}
}

// concatOnes returns ones 1s followed by zeros 0s.
func concatOnes(ones, zeros int) []float64 {
	v := make([]float64, ones+zeros)
	for i := range ones {
		v[i] = 1
	}
	return v
}
