package reports

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoadRuns(t *testing.T) {
	dir := t.TempDir()
	writeTestRun(t, dir, testModel{Name: "b", Params: 20}, binaryTask("winograd", "1.0", 0, "acc", true, []float64{1, 0}))
	writeTestRun(t, dir, testModel{Name: "a", Params: 10}, binaryTask("winograd", "1.0", 0, "acc", true, []float64{1, 1}))
	runs, err := LoadRuns([]string{dir})
	if err != nil || len(runs) != 2 || runs[0].Model.Name != "a" || runs[1].Model.Name != "b" {
		t.Fatalf("runs %v err %v", runs, err)
	}
	empty := t.TempDir()
	if _, err := LoadRuns([]string{empty}); err == nil || !strings.Contains(err.Error(), "no results_*.json") {
		t.Errorf("empty directory: %v", err)
	}
	if _, err := LoadRuns([]string{filepath.Join(empty, "nope.json")}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	bad := filepath.Join(empty, "results_x.json")
	os.WriteFile(bad, []byte(`{"results": `), 0o644)
	if _, err := LoadRuns([]string{bad}); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("corrupt file: %v", err)
	}
}

func TestMergeRuns(t *testing.T) {
	dir := t.TempDir()
	early := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	late := early.Add(time.Hour)
	p1 := writeTestRun(t, dir, testModel{Name: "big", Params: 345e6, Fingerprint: "f1", Date: early},
		binaryTask("winograd", "1.0", 0, "acc", true, []float64{0, 0}), binaryTask("piqa", "1.0", 0, "acc", true, []float64{1}))
	p2 := writeTestRun(t, filepath.Join(dir, "later"), testModel{Name: "big", Params: 345e6, Fingerprint: "f1", Date: late},
		binaryTask("winograd", "1.0", 0, "acc", true, []float64{1, 1}))
	p3 := writeTestRun(t, dir, testModel{Name: "small", Params: 117e6, Fingerprint: "f2"}, binaryTask("winograd", "1.0", 0, "acc", true, []float64{1}))
	p4 := writeTestRun(t, filepath.Join(dir, "other"), testModel{Name: "small", Params: 117e6, Fingerprint: "f3abcdef99"}, binaryTask("winograd", "1.0", 0, "acc", true, []float64{1}))
	runs, err := LoadRuns([]string{p2, p1, p3, p4})
	if err != nil {
		t.Fatal(err)
	}
	models, warnings := MergeRuns(runs)
	var labels []string
	for _, m := range models {
		labels = append(labels, m.Label)
	}
	if got := strings.Join(labels, " "); got != "small@f2 small@f3abcdef big" {
		t.Errorf("labels = %s", got)
	}
	big := models[2]
	if acc, _ := big.Tasks["winograd"].Metric("acc"); acc.Value != 1 || len(big.Tasks) != 2 || len(big.Runs) != 2 {
		t.Errorf("big: winograd acc %g (want the later run's 1), %d tasks", acc.Value, len(big.Tasks))
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "using the later run") {
		t.Errorf("warnings = %q", warnings)
	}
}

func TestFormatParams(t *testing.T) {
	for _, c := range []struct {
		n    int64
		want string
	}{{0, "?"}, {999, "999"}, {5184960, "5.2M"}, {117000000, "117M"}, {1542000000, "1.5B"}, {175e9, "175B"}, {2000, "2K"}} {
		if got := FormatParams(c.n); got != c.want {
			t.Errorf("FormatParams(%d) = %s, want %s", c.n, got, c.want)
		}
	}
}

// TestLoadRunsSkipsReportCopies checks that a run output directory with
// its report inside (a suite's OUT/report) is read once: the report's
// data/ copies are left out, and the report alone still reads.
func TestLoadRunsSkipsReportCopies(t *testing.T) {
	out := t.TempDir()
	a := writeTestRun(t, out, testModel{Name: "small", Params: 1e6, Fingerprint: "fa"}, binaryTask("winograd", "1.0", 0, "acc", true, []float64{1, 0}))
	b := writeTestRun(t, out, testModel{Name: "large", Params: 8e6, Fingerprint: "fb"}, binaryTask("winograd", "1.0", 0, "acc", true, []float64{1, 1}))
	runs, err := LoadRuns([]string{a, b})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := WriteReport(filepath.Join(out, "report"), runs, ReportOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{out, filepath.Join(out, "report")} {
		runs, err := LoadRuns([]string{dir})
		if err != nil {
			t.Fatal(err)
		}
		_, warnings := MergeRuns(runs)
		if len(runs) != 2 || len(warnings) != 0 {
			t.Errorf("%s: %d runs (want 2), warnings %q", dir, len(runs), warnings)
		}
	}
}
