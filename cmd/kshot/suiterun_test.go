package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kshot-eval/kshot/internal/sharedtest"
)

// TestSuiteRunSeedsSkipsAndNotes runs a suite as a new user would with
// ../shared: two fixture models, two seeds, shots 0 and 1, a zero-shot-only
// task and a task whose data is not in the data directory. The absent task
// is skipped before the run with one line naming the file to fetch (and
// named again at the end); the report shows each task as mean ± sd across
// the seeds with each seed's value, carries the zero-shot-only footnote,
// and warns of no "later run"; kshot compare on the output directory
// reads each run once. On main the absent task stopped the whole run.
func TestSuiteRunSeedsSkipsAndNotes(t *testing.T) {
	small := sharedtest.Path(t, "fixtures/models/gpt2-tiny")
	large := sharedtest.Path(t, "fixtures/models/gpt2-lambada-tiny")
	data := sharedtest.Path(t, "data")
	if _, err := os.Stat(filepath.Join(data, "cbt", "cbtest_CN_test_2500ex.txt")); err == nil {
		t.Skip("the shared data holds CBT; this test needs a task whose data is absent")
	}
	out := filepath.Join(t.TempDir(), "out")
	suiteFile := filepath.Join(t.TempDir(), "s.yaml")
	src := "name: s\nmodels: [" + small + ", " + large + "]\ntasks: [lambada_openai, arc_easy, cbt_cn]\n" +
		"shots: [0, 1]\nseeds: [1, 2]\nlimit: 5\ndata_dir: " + data + "\noutput: " + out + "\n"
	if err := os.WriteFile(suiteFile, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if err := run([]string{"run", suiteFile, "--quiet", "--no-cache"}, nil, &stdout, &stderr); err != nil {
		t.Fatalf("kshot run: %v\n%s", err, stderr.String())
	}
	log := stderr.String()
	skip := "kshot: skipped cbt_cn: its data is not here; put cbt/cbtest_CN_test_2500ex.txt (the Children's Book Test CN file) in " + data + ", or give data: PATH for cbt_cn\n"
	if i, j := strings.Index(log, skip), strings.Index(log, "kshot: wrote"); i < 0 || j < 0 || i > j {
		t.Errorf("no skip line before the run:\n%s", log)
	}
	if !strings.Contains(log, "kshot: 1 task(s) of the suite were not run because their data is not here: cbt_cn") {
		t.Errorf("the end of the run does not name the skipped task:\n%s", log)
	}
	if strings.Contains(log, "later run") {
		t.Errorf("seeds reported as 'the later run':\n%s", log)
	}
	table, err := os.ReadFile(filepath.Join(out, "report", "table.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"seed 1", "seed 2", "mean ± standard deviation (n−1) across the 2 seeds 1, 2",
		"lambada_openai is zero-shot only: evaluated at 0 shots, not at 1"} {
		if !strings.Contains(string(table), want) {
			t.Errorf("report table lacks %q:\n%s", want, table)
		}
	}
	stdout.Reset()
	stderr.Reset()
	err = run([]string{"compare", "--base-model", "gpt2-tiny", "--new-model", "gpt2-lambada-tiny", out, out}, nil, &stdout, &stderr)
	if err != nil {
		t.Fatalf("kshot compare: %v\n%s", err, stderr.String())
	}
	if strings.Contains(stderr.String(), "same seed") || strings.Contains(stderr.String(), "report/data") {
		t.Errorf("compare read the report's copies:\n%s", stderr.String())
	}
}
