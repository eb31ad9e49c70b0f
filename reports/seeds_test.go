package reports

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSeedsMeanSD checks that a task run with several seeds is reported
// as the mean ± standard deviation across seeds with each seed's value
// below it, not as "the later run" with a warning.
func TestSeedsMeanSD(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	// winograd 1-shot at seeds 1, 2, 3: 2, 3 and 4 of 4 right, so 0.5,
	// 0.75, 1: mean 0.75, sd √((0.25²+0+0.25²)/2) = 0.25. Each seed's
	// standard error: √(p(1−p)/(n−1)) = 0.2887, 0.25, 0.
	for i, ones := range []int{2, 3, 4} {
		seed := uint64(i + 1)
		paths = append(paths, writeTestRun(t, filepath.Join(dir, fmt.Sprintf("seed-%d", seed)), testModel{Name: "small", Params: 1e6, Fingerprint: "fa", Seed: seed},
			binaryTask("winograd", "1.0", 1, "acc", true, outcomes(4, ones)), binaryTask("copa", "1.0", 0, "acc", true, outcomes(4, 1))))
	}
	runs, err := LoadRuns(paths)
	if err != nil {
		t.Fatal(err)
	}
	models, warnings := MergeRuns(runs)
	if len(warnings) != 0 {
		t.Errorf("warnings %q", warnings)
	}
	st, ok := models[0].SeedStat("winograd_1shot", "acc")
	if !ok || !near(st.Mean, 0.75, 1e-12) || !near(st.SD, 0.25, 1e-12) || fmt.Sprint(st.Seeds) != "[1 2 3]" {
		t.Fatalf("seed stat %+v %v", st, ok)
	}
	rep, err := WriteReport(filepath.Join(dir, "report"), runs, ReportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range rep.Warnings {
		if strings.Contains(w, "later run") {
			t.Errorf("warning %q", w)
		}
	}
	text, err := os.ReadFile(filepath.Join(dir, "report", "table.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(string(text), "\n") {
		lines = append(lines, strings.Join(strings.Fields(l), " "))
	}
	s := strings.Join(lines, "\n")
	for _, want := range []string{
		"│ winograd │ 1 │ acc ↑ │ 0.7500 ± 0.2500 [3] [2] │",
		"│ │ │ seed 1 │ 0.5000 ± 0.2887 │",
		"│ │ │ seed 2 │ 0.7500 ± 0.2500 │",
		"│ │ │ seed 3 │ 1.0000 ± 0.0000 │",
		"mean ± standard deviation (n−1) across the 3 seeds 1, 2, 3; each seed's value ± its standard error is in the rows below",
		// copa 0-shot: 1 of 4 at every seed, shown once with its standard
		// error √(0.25·0.75/3) = 0.25.
		"│ copa │ 0 │ acc ↑ │ 0.2500 ± 0.2500 [1] [2] │\n│ winograd │",
		"the same value at each of the seeds 1, 2, 3",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("table.txt lacks %q:\n%s", want, s)
		}
	}
}
