package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kshot-eval/kshot/model/ladder"
)

// TestDefaultJob runs the main job (no model, no tasks) on three
// documents per task and checks that every embedded model is evaluated
// on every synthetic task and that results are written.
func TestDefaultJob(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	if err := run([]string{"run", "--limit", "3", "--no-cache", "--quiet", "--bootstrap-iters", "0", "--output", out}, nil, &stdout, &stderr); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	ms, err := ladder.Models()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if !strings.Contains(stdout.String(), m.Name+" (") {
			t.Errorf("no table for %s", m.Name)
		}
		files, _ := filepath.Glob(filepath.Join(out, m.Name, "results_*.json"))
		if len(files) == 0 {
			t.Errorf("no results file for %s", m.Name)
		}
	}
	for _, key := range []string{"synth_lambada", "synth_cbt", "synth_arithmetic_5shot", "synth_translate_1shot", "synth_ppl"} {
		if !strings.Contains(stdout.String(), key) {
			t.Errorf("table lacks %s", key)
		}
	}
}
