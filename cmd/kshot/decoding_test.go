package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kshot-eval/kshot/internal/sharedtest"
)

// TestRunDecodingBadInput: every bad decoding rule — from --decoding, from
// a suite's decoding key, or sampling without a seed in a --seed 0 run —
// ends kshot run with exit status 2 and one line naming it, before the
// model is loaded: the model directory's weights are not a safetensors
// file, so loading them would fail with another error.
func TestRunDecodingBadInput(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "model")
	if err := os.MkdirAll(model, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"config.json", "vocab.json", "merges.txt"} {
		b, err := os.ReadFile(sharedtest.Path(t, "fixtures/models/gpt2-tiny/"+f))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(model, f), b, 0o644)
	}
	os.WriteFile(filepath.Join(model, "model.safetensors"), []byte("not weights"), 0o644)
	suiteFile := filepath.Join(dir, "s.yaml")
	os.WriteFile(suiteFile, []byte("models: ["+model+"]\ntasks:\n  - {name: synth_translate, decoding: {method: sample, top_k: 0}}\n"), 0o644)
	base := []string{"run", "--model", model, "--tasks", "synth_translate", "--output", "-", "--no-cache", "--quiet"}
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"top-k 0", []string{"--decoding", "synth_translate=sample(top_k=0)"}, "--decoding synth_translate=sample(top_k=0): \"sample(top_k=0)\": decoding: top-k 0 is out of range"},
		{"beam width 0", []string{"--decoding", "synth_translate=beam(width=0)"}, "beam width 0 is out of range"},
		{"top-p above 1", []string{"--decoding", "synth_translate=sample(top_p=1.2)"}, "top-p 1.2 is out of range: use a value in (0, 1]"},
		{"top-p 0", []string{"--decoding", "synth_translate=sample(top_p=0)"}, "top-p 0 is out of range"},
		{"negative temperature", []string{"--decoding", "synth_translate=sample(temperature=-1)"}, "temperature -1 is out of range"},
		{"task not in the run", []string{"--decoding", "synth_translat=greedy"}, "task synth_translat is not in the run (did you mean synth_translate?)"},
		{"not a generation task", []string{"--tasks", "synth_cbt", "--decoding", "synth_cbt=greedy"}, "--decoding synth_cbt=greedy: task synth_cbt sends no generation requests"},
		{"unseeded sampling, seed 0", []string{"--seed", "0", "--decoding", "synth_translate=sample(top_k=2)"}, "task synth_translate: document 0: decoding: sampling without a seed"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, stderr, code := runCLI(append(base, c.args...)...)
			if code != 2 || !strings.Contains(stderr, c.want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
				t.Errorf("exit %d, stderr %q; want 2 and one line containing %q", code, stderr, c.want)
			}
		})
	}
	t.Run("suite key", func(t *testing.T) {
		_, stderr, code := runCLI("run", suiteFile, "--output", "-", "--no-cache", "--quiet")
		if code != 2 || !strings.Contains(stderr, suiteFile+": tasks[0].decoding: decoding: top-k 0 is out of range") {
			t.Errorf("exit %d, stderr %q", code, stderr)
		}
	})
}

// TestRunDecodingRecorded: the rule --decoding chooses reaches the model
// and the results file's configs; sampling without a seed of its own
// takes the run's --seed.
func TestRunDecodingRecorded(t *testing.T) {
	model := sharedtest.Path(t, "fixtures/models/gpt2-tiny")
	for _, c := range []struct{ rule, want string }{
		{"beam(width=2,length_penalty=0.6)", "beam(width=2,length_penalty=0.6)"},
		{"sample(top_k=3)", "sample(temperature=1,top_k=3,top_p=1,seed=77)"},
	} {
		res, _ := runKshot(t, "synth_translate", "--model", model, "--tasks", "synth_translate", "--limit", "2", "--seed", "77",
			"--decoding", "synth_translate="+c.rule)
		cfg, _ := res["configs"].(map[string]any)["synth_translate"].(map[string]any)
		if got := cfg["decoding"]; got != c.want {
			t.Errorf("--decoding %s: configs.synth_translate.decoding = %v, want %q", c.rule, got, c.want)
		}
	}
}
