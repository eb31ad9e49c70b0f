package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kshot-eval/kshot/internal/sharedtest"
)

// TestZeroShotOnlyInFewShotRun: lambada_openai (zero-shot only) in a run
// with --shots 0,1,5 is evaluated at 0 shots — the per-document
// log-likelihoods of the independent reference (fixtures/tasks) — while
// a few-shot task next to it runs at every k; the table says so once in a
// footnote and the results file records each task's variant. Before, the
// run stopped at k=1 and threw the 0-shot results away.
func TestZeroShotOnlyInFewShotRun(t *testing.T) {
	modelDir := sharedtest.Path(t, "fixtures/models/gpt2-lambada-tiny")
	lambada := sharedtest.Path(t, "data/lambada/lambada_test.jsonl")
	var ref taskReference
	b, err := os.ReadFile(sharedtest.Path(t, "fixtures/tasks/reference.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	err = run([]string{"run", "--model", modelDir, "--tasks", "lambada_openai,synth_arithmetic", "--shots", "0,1,5",
		"--data", "lambada_openai=" + lambada, "--limit", "8", "--output", out, "--quiet", "--no-cache"}, nil, &stdout, &stderr)
	if err != nil {
		t.Fatalf("kshot run: %v\n%s", err, stderr.String())
	}
	res, _ := filepath.Glob(filepath.Join(out, "*", "results_*.json"))
	if len(res) != 1 {
		t.Fatalf("results files %v", res)
	}
	var results struct {
		Results map[string]any            `json:"results"`
		Configs map[string]map[string]any `json:"configs"`
	}
	b, _ = os.ReadFile(res[0])
	if err := json.Unmarshal(b, &results); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"lambada_openai", "synth_arithmetic", "synth_arithmetic_1shot", "synth_arithmetic_5shot"} {
		if _, ok := results.Results[key]; !ok {
			t.Errorf("results lack %s", key)
		}
		if v := results.Configs[key]["variant"]; v != "default" {
			t.Errorf("configs[%s].variant = %v, want default", key, v)
		}
	}
	if len(results.Results) != 4 {
		t.Errorf("results keys %v, want 4 (no few-shot lambada_openai)", keys(results.Results))
	}
	smp, _ := filepath.Glob(filepath.Join(out, "*", "samples_lambada_openai_*.jsonl"))
	if len(smp) != 1 {
		t.Fatalf("samples files %v", smp)
	}
	b, _ = os.ReadFile(smp[0])
	docs := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(docs) != 8 {
		t.Fatalf("%d lambada samples, want 8", len(docs))
	}
	for i, line := range docs {
		var s struct {
			Resps [][]any `json:"resps"`
		}
		if err := json.Unmarshal([]byte(line), &s); err != nil {
			t.Fatal(err)
		}
		if ll := s.Resps[0][0].(float64); !relClose(ll, ref.Lambada.DocLoglik[i], 1e-4) {
			t.Errorf("doc %d: loglik %v, reference %v", i, ll, ref.Lambada.DocLoglik[i])
		}
	}
	note := "lambada_openai is zero-shot only: evaluated at 0 shots, not at 1, 5"
	if n := strings.Count(stdout.String(), note); n != 1 {
		t.Errorf("the table has the note %d times, want once:\n%s", n, stdout.String())
	}
	if !strings.Contains(stdout.String(), "| lambada_openai [") {
		t.Errorf("lambada_openai's row has no footnote mark:\n%s", stdout.String())
	}
}

func keys(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

// TestPlanProblemsAllAtOnce: a bad model directory, an unknown variant, an
// unknown task and a missing data file are reported together, one line
// each, with exit status 2 and nothing computed — from flags and from a
// suite file. Before, the first problem stopped the run (and the variant
// was silently ignored).
func TestPlanProblemsAllAtOnce(t *testing.T) {
	noConfig := t.TempDir()
	missing := filepath.Join(t.TempDir(), "lambada.jsonl")
	suiteFile := filepath.Join(t.TempDir(), "s.yaml")
	src := "models: [" + noConfig + "]\nshots: [0, 1]\ntasks:\n  - synth_arithmetic\n  - {name: arc_easy, variant: gpt3-typo}\n" +
		"  - lambda\n  - {name: lambada_openai, data: " + missing + "}\n"
	if err := os.WriteFile(suiteFile, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		args []string
		want []string
	}{
		{"flags", []string{"run", "--model", noConfig, "--tasks", "synth_arithmetic,arc_easy,lambda,lambada_openai",
			"--variant", "arc_easy=gpt3-typo", "--data", "lambada_openai=" + missing, "--shots", "0,1"},
			[]string{
				"kshot: 4 problems in the run plan, nothing was run:",
				"  --model " + noConfig + ": model directory " + noConfig + " has no config.json",
				`  --variant arc_easy=gpt3-typo: task arc_easy has no prompt variant "gpt3-typo" (it has one prompt format, "default": drop the variant)`,
				`  --tasks lambda: unknown task "lambda" (did you mean "lambada_openai"?)`,
				"  --data lambada_openai=" + missing + ": open " + missing + ": no such file or directory (fix the path)",
			}},
		{"suite", []string{"run", suiteFile},
			[]string{
				"kshot: 4 problems in the run plan, nothing was run:",
				"  " + suiteFile + ": models[0]: model directory " + noConfig + " has no config.json",
				"  " + suiteFile + `: tasks[1].variant: task arc_easy has no prompt variant "gpt3-typo"`,
				"  " + suiteFile + `: tasks[2].name: unknown task "lambda" (did you mean "lambada_openai"?)`,
				"  " + suiteFile + ": tasks[3].data: open " + missing + ": no such file or directory (fix the path)",
			}},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := t.TempDir()
			var stdout, stderr bytes.Buffer
			err := run(append(c.args, "--output", out, "--quiet", "--no-cache"), nil, &stdout, &stderr)
			if code := exitCode(err, &stderr); code != 2 {
				t.Errorf("exit status %d, want 2 (%v)", code, err)
			}
			lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
			if len(lines) != len(c.want) {
				t.Fatalf("stderr:\n%s\nwant %d lines", stderr.String(), len(c.want))
			}
			for i, w := range c.want {
				if !strings.HasPrefix(lines[i], w) {
					t.Errorf("line %d:\n  %s\nwant\n  %s", i, lines[i], w)
				}
			}
			if stdout.Len() > 0 {
				t.Errorf("something was run:\n%s", stdout.String())
			}
			if ents, _ := os.ReadDir(out); len(ents) > 0 {
				t.Errorf("output written: %v", ents)
			}
		})
	}
}

// TestUnknownCommand: a misspelt command gets a did-you-mean.
func TestUnknownCommand(t *testing.T) {
	for _, c := range []struct{ cmd, want string }{
		{"rn", `unknown command "rn" (did you mean "run"? kshot help lists them)`},
		{"reprot", `unknown command "reprot" (did you mean "report"? kshot help lists them)`},
		{"xyzzy", `unknown command "xyzzy" (run kshot help for the list)`},
	} {
		var stdout, stderr bytes.Buffer
		err := run([]string{c.cmd}, nil, &stdout, &stderr)
		if err == nil || err.Error() != c.want || exitCode(err, &stderr) != 2 {
			t.Errorf("kshot %s: %v, want %q with exit 2", c.cmd, err, c.want)
		}
	}
}
