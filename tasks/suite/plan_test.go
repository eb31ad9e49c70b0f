package suite

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kshot-eval/kshot/eval"
	"github.com/kshot-eval/kshot/tasks"
)

// problemLines returns err's problems as "where: what" lines.
func problemLines(t *testing.T, err error) []string {
	t.Helper()
	var ps Problems
	if !errors.As(err, &ps) {
		t.Fatalf("error %v (%T), want Problems", err, err)
	}
	var lines []string
	for _, p := range ps {
		lines = append(lines, p.String())
	}
	return lines
}

// wantProblems checks that the lines are exactly one per want, in order,
// each starting with want's key and containing its text.
func wantProblems(t *testing.T, lines []string, want [][2]string) {
	t.Helper()
	if len(lines) != len(want) {
		t.Fatalf("%d problems, want %d:\n%s", len(lines), len(want), strings.Join(lines, "\n"))
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w[0]+": ") || !strings.Contains(lines[i], w[1]) {
			t.Errorf("problem %d:\n  %s\nwant %q … %q", i, lines[i], w[0], w[1])
		}
	}
}

// TestPlanSuiteProblems: a suite with five problems gets all five back at
// once, each naming the suite file and key, with the fix. The synthetic
// tasks need no data, so the good entries build.
func TestPlanSuiteProblems(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.jsonl")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	src := `models: [m]
shots: [0, 1]
tasks:
  - synth_arithmetic
  - lambda_openai
  - {name: synth_cbt, variant: gpt3-typo}
  - {name: synth_lambada, shots: [0, 5]}
  - {name: lambada_openai, data: ` + filepath.Join(dir, "missing.jsonl") + `}
  - {name: wikitext2, data: ` + empty + `}
  - synth_arithmetic
`
	s, err := Parse([]byte(src), "suite.yaml")
	if err != nil {
		t.Fatal(err)
	}
	err = FromSuite(s, "suite.yaml").Check()
	wantProblems(t, problemLines(t, err), [][2]string{
		{"suite.yaml: tasks[1].name", `unknown task "lambda_openai" (did you mean "lambada_openai"?)`},
		{"suite.yaml: tasks[2].variant", `task synth_cbt has no prompt variant "gpt3-typo" (it has one prompt format, "default": drop the variant)`},
		{"suite.yaml: tasks[3].shots", "task synth_lambada is zero-shot only; set shots: [0]"},
		{"suite.yaml: tasks[4].data", "missing.jsonl: no such file or directory (fix the path)"},
		{"suite.yaml: tasks[5].data", "empty.jsonl is empty (0 bytes)"},
		{"suite.yaml: tasks[6]", "task synth_arithmetic (variant default) is listed twice, also as tasks[0]"},
	})
	if !strings.HasPrefix(err.Error(), "6 problems in the run plan, nothing was run:\n  suite.yaml: tasks[1].name: ") {
		t.Errorf("message starts %q", err.Error()[:80])
	}
}

// TestPlanFlagsProblems: problems in a plan from flags name the flag.
func TestPlanFlagsProblems(t *testing.T) {
	p := FromFlags([]string{"good", "bad", "good"}, []string{"synth_arithmetic", "synth_ppl", "hellaswga"},
		map[string]string{"wikitext2": "w.raw"}, map[string]string{"synth_ppl": "gpt3", "copa": "gpt3"},
		0, []int{0, eval.ShotsMax, 1, 1}, 1234, 0, filepath.Join(t.TempDir(), "nope"))
	p.CheckModel = func(m string) error {
		if m == "bad" {
			return errors.New("model directory bad has no config.json")
		}
		return nil
	}
	wantProblems(t, problemLines(t, p.Check()), [][2]string{
		{"--data wikitext2=w.raw", "task wikitext2 is not in --tasks"},
		{"--variant copa=gpt3", "task copa is not in --tasks"},
		{"--model bad", "model directory bad has no config.json"},
		{"--model good", "model good is listed twice"},
		{"--shots", "shot count 1 is listed twice"},
		{"--data-dir", "does not exist"},
		{"--variant synth_ppl=gpt3", `task synth_ppl has no prompt variant "gpt3"`},
		{"--tasks hellaswga", `unknown task "hellaswga" (did you mean "hellaswag"?)`},
	})
}

// TestPlanZeroShotOnly: with --shots 0,1,5 a zero-shot-only task runs at
// 0 shots with a note and the others at every k; the plan passes.
func TestPlanZeroShotOnly(t *testing.T) {
	p := FromFlags([]string{"m"}, []string{"synth_lambada", "synth_arithmetic", "synth_ppl"}, nil, nil, 0, []int{0, 1, 5}, 1, 3, "")
	if err := p.Check(); err != nil {
		t.Fatal(err)
	}
	want := map[string][]int{"synth_lambada": {0}, "synth_arithmetic": {0, 1, 5}, "synth_ppl": {0}}
	built := p.Built()
	if len(built) != 3 {
		t.Fatalf("built %d tasks, want 3", len(built))
	}
	for _, b := range built {
		name := b.Task.Spec().Name
		if !slices.Equal(b.Shots, want[name]) || b.Limit != 3 {
			t.Errorf("%s: shots %v limit %d, want %v and 3", name, b.Shots, b.Limit, want[name])
		}
		zs := name != "synth_arithmetic"
		if wantNote := name + " is zero-shot only: evaluated at 0 shots, not at 1, 5"; zs && b.Note != wantNote || !zs && b.Note != "" {
			t.Errorf("%s: note %q", name, b.Note)
		}
		if b.Task.Spec().Variant != "default" {
			t.Errorf("%s: variant %q, want default", name, b.Task.Spec().Variant)
		}
	}
}

// TestParseAllProblems: the format's own rules are reported together.
func TestParseAllProblems(t *testing.T) {
	_, err := Parse([]byte("models: [m]\nlimit: -1\ntasks:\n  - {name: a, shots: [0, -2]}\n  - {limit: 3}\n"), "s.yaml")
	wantProblems(t, problemLines(t, err), [][2]string{
		{"s.yaml: tasks[0].shots", "shot count -2 is negative"},
		{"s.yaml: tasks[1]", "task has no name"},
		{"s.yaml: limit", "-1 is negative"},
	})
}

// TestShippedSuitesDeclared: every task of the shipped suites is
// registered, its variant declared, and no zero-shot-only task is asked
// for k > 0 in its own shots list (what Check refuses before reading data).
func TestShippedSuitesDeclared(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join("..", "..", "suites", "*.yaml"))
	if len(paths) == 0 {
		t.Fatal("no suites/*.yaml")
	}
	for _, path := range paths {
		s, err := Read(path)
		if err != nil {
			t.Fatal(err)
		}
		for i, st := range s.Tasks {
			d, err := tasks.Declared(st.Name)
			if err != nil {
				t.Errorf("%s: tasks[%d]: %v", path, i, err)
				continue
			}
			if _, err := d.Variant(st.Name, st.Variant); err != nil {
				t.Errorf("%s: tasks[%d]: %v", path, i, err)
			}
			if d.ZeroShotOnly && slices.ContainsFunc(st.Shots, func(k int) bool { return k != 0 }) {
				t.Errorf("%s: tasks[%d]: %s is zero-shot only, shots %v", path, i, st.Name, st.Shots)
			}
		}
	}
}

// TestPlanMissingDataDirIsOneProblem: a --data-dir that does not exist is
// reported once, not again as every task's file missing inside it.
func TestPlanMissingDataDirIsOneProblem(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nope")
	p := FromFlags([]string{"m"}, []string{"lambada_openai", "wikitext2"}, nil, nil, 0, []int{0}, 1234, 0, dir)
	p.CheckModel = func(string) error { return nil }
	wantProblems(t, problemLines(t, p.Check()), [][2]string{
		{"--data-dir", "data directory " + dir + " does not exist"},
	})
}
