package reports

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/kshot-eval/kshot/eval"
	"github.com/kshot-eval/kshot/internal/sharedtest"
)

// metricsTask builds a task result with given aggregates and no samples.
func metricsTask(name, version string, ndocs, ntotal int, metrics ...eval.MetricResult) eval.TaskResult {
	return eval.TaskResult{Key: name, Spec: eval.TaskSpec{Name: name, Version: version}, NDocs: ndocs, NTotal: ntotal, Metrics: metrics, RequestHash: "h"}
}

func metric(name string, hib bool, v, se float64) eval.MetricResult {
	return eval.MetricResult{Name: name, HigherIsBetter: hib, Aggregate: eval.Aggregate{Value: v, Stderr: se}}
}

// gpt2Runs writes one run per model of the GPT-2 paper's Table 3 with
// its published LAMBADA and CBT-CN numbers (accuracies as fractions),
// in a shuffled order, and returns the reference and the merged models.
func gpt2Runs(t *testing.T) (*Reference, []*Model) {
	t.Helper()
	f, err := os.Open(sharedtest.Path(t, "papers/gpt2_table3.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ref, err := ParseReference(f, "gpt2_table3.csv")
	if err != nil {
		t.Fatal(err)
	}
	col := func(name string) int {
		for i, c := range ref.Columns {
			if c == name {
				return i
			}
		}
		t.Fatalf("no column %s", name)
		return -1
	}
	dir := t.TempDir()
	var paths []string
	for _, i := range []int{2, 0, 3, 1} {
		row := ref.Values[i]
		paths = append(paths, writeTestRun(t, dir, testModel{Name: ref.Models[i], Params: ref.Params[i], Fingerprint: ref.Models[i]},
			metricsTask("lambada_openai", "1.0", 5153, 5153,
				metric("perplexity", false, row[col("lambada_ppl")], math.NaN()),
				metric("acc", true, row[col("lambada_acc")]/100, 0.0065)),
			metricsTask("cbt_cn", "1.0", 2500, 2500, metric("acc", true, row[col("cbt_cn_acc")]/100, math.NaN()))))
	}
	runs, err := LoadRuns(paths)
	if err != nil {
		t.Fatal(err)
	}
	models, _ := MergeRuns(runs)
	return ref, models
}

func TestCombinedTableLikeGPT2Table3(t *testing.T) {
	_, models := gpt2Runs(t)
	tab := CombinedTable(models, CombinedOptions{Percent: true})
	wantHeader := "Task|n-shot|Metric|gpt2-117M (117M)|gpt2-345M (345M)|gpt2-762M (762M)|gpt2-1542M (1.5B)"
	if got := strings.Join(tab.Header, "|"); got != wantHeader {
		t.Errorf("header = %s", got)
	}
	// The cells must read as the paper's Table 3 (gpt2_table3.csv).
	want := [][]string{
		{"cbt_cn", "0", "acc ↑", "87.65", "92.35", "*93.45", "93.30"},
		{"lambada_openai", "0", "acc ↑", "45.99 ± 0.65", "55.48 ± 0.65", "60.12 ± 0.65", "*63.24 ± 0.65"},
		{"lambada_openai", "0", "perplexity ↓", "35.1300", "15.6000", "10.8700", "*8.6300"},
	}
	if len(tab.Rows) != len(want) {
		t.Fatalf("%d rows", len(tab.Rows))
	}
	for i, w := range want {
		for j, c := range tab.Rows[i] {
			text := c.Text
			if c.Best {
				text = "*" + text
			}
			if text != w[j] {
				t.Errorf("row %d column %d = %q, want %q", i, j, text, w[j])
			}
		}
	}
	if len(tab.Notes) != 0 {
		t.Errorf("notes = %q", tab.Notes)
	}
	t.Run("csv", func(t *testing.T) {
		var b bytes.Buffer
		if err := tab.WriteCSV(&b); err != nil {
			t.Fatal(err)
		}
		want := "Task,n-shot,Metric,gpt2-117M (117M),gpt2-117M (117M)_stderr,gpt2-345M (345M),gpt2-345M (345M)_stderr,gpt2-762M (762M),gpt2-762M (762M)_stderr,gpt2-1542M (1.5B),gpt2-1542M (1.5B)_stderr\n" +
			"cbt_cn,0,acc ↑,87.65,,92.35,,93.45,,93.3,\n" +
			"lambada_openai,0,acc ↑,45.99,0.65,55.48,0.65,60.12,0.65,63.24,0.65\n" +
			"lambada_openai,0,perplexity ↓,35.13,,15.6,,10.87,,8.63,\n"
		if b.String() != want {
			t.Errorf("csv:\n%s\nwant:\n%s", b.String(), want)
		}
	})
	t.Run("markdown", func(t *testing.T) {
		var b bytes.Buffer
		if err := tab.WriteMarkdown(&b); err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{"| cbt\\_cn ", "**93.45**", "**63.24 ± 0.65**", "**8.6300**", "| 45.99 ± 0.65 "} {
			if !strings.Contains(b.String(), s) {
				t.Errorf("markdown lacks %q:\n%s", s, b.String())
			}
		}
	})
	t.Run("latex", func(t *testing.T) {
		var b bytes.Buffer
		if err := tab.WriteLaTeX(&b); err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{"\\begin{tabular}{lllrrrr}", "lambada\\_openai & 0 & acc $\\uparrow$ & $45.99 \\pm 0.65$", "$\\mathbf{63.24} \\pm 0.65$", "$\\mathbf{93.45}$", "\\bottomrule"} {
			if !strings.Contains(b.String(), s) {
				t.Errorf("latex lacks %q:\n%s", s, b.String())
			}
		}
	})
	t.Run("text", func(t *testing.T) {
		var b bytes.Buffer
		if err := tab.WriteText(&b); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), "│ lambada_openai │ 0      │ acc ↑        │ 45.99 ± 0.65     │") {
			t.Errorf("text:\n%s", b.String())
		}
	})
}

func TestCombinedTableNotes(t *testing.T) {
	dir := t.TempDir()
	a := writeTestRun(t, dir, testModel{Name: "a", Params: 2e6},
		metricsTask("winograd", "1.0", 20, 273, metric("acc", true, 0.5, 0.1)),
		metricsTask("piqa", "1.0", 100, 100, metric("acc", true, 0.6, 0.05)))
	b := writeTestRun(t, dir, testModel{Name: "b", Params: 1e6},
		metricsTask("winograd", "2.0", 273, 273, metric("acc", true, 0.5, 0.03)))
	runs, err := LoadRuns([]string{a, b})
	if err != nil {
		t.Fatal(err)
	}
	models, _ := MergeRuns(runs)
	tab := CombinedTable(models, CombinedOptions{})
	want := []string{
		"evaluated on 20 of 273 documents (--limit)",
		"n=20 is small; the standard error is rough",
		"winograd: the models ran different task versions (v1.0: a; v2.0: b); their values are not comparable",
	}
	if fmt.Sprint(tab.Notes) != fmt.Sprint(want) {
		t.Errorf("notes = %q", tab.Notes)
	}
	// piqa: b has no value; winograd: a tie, so no best.
	piqa, wino := tab.Rows[0], tab.Rows[1]
	if piqa[3].Text != "—" || piqa[4].Text != "0.6000 ± 0.0500" || piqa[4].Best {
		t.Errorf("piqa = %+v", piqa)
	}
	if wino[3].Best || wino[4].Best || fmt.Sprint(wino[0].Notes) != "[3]" || fmt.Sprint(wino[4].Notes) != "[1 2]" {
		t.Errorf("winograd = %+v", wino)
	}
}

func TestRunResultsTable(t *testing.T) {
	// acc of (1, 0, 1, 1): 0.75 with stderr √(0.25)/2 = 0.25 and
	// eval's small-n caveat; one perplexity document: no standard error.
	results := []eval.TaskResult{
		binaryTask("winograd", "1.0", 0, "acc", true, []float64{1, 0, 1, 1}),
		metricsTask("lambada_openai", "2.0", 1, 10, metric("perplexity", false, 12.5, math.NaN())),
	}
	results[1].Metrics[0].Warnings = []string{"perplexity: only 1 document, no standard error"}
	tab := RunResultsTable(results)
	var b bytes.Buffer
	if err := tab.WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	want := "Tasks,Version,Filter,n-shot,Metric,,Value,,Stderr,notes\n" +
		"winograd,1.0,none,0,acc,↑,0.75,±,0.25,[1] acc: n=4 is small; the standard error is rough\n" +
		"lambada_openai,2.0,none,0,perplexity,↓,12.5,±,,\"[2] perplexity: only 1 document, no standard error\"\n"
	if b.String() != want {
		t.Errorf("csv:\n%s\nwant:\n%s", b.String(), want)
	}
	b.Reset()
	if err := tab.WriteMarkdown(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "| lambada\\_openai | 2.0     | none   | 0      | perplexity [2] | ↓ | 12.5000 | ± | N/A    |") {
		t.Errorf("markdown:\n%s", b.String())
	}
}

// TestRunResultsTableShotsMax: a task run with --shots max shows "max" in
// the n-shot column, not ShotsMax's -1.
func TestRunResultsTableShotsMax(t *testing.T) {
	r := binaryTask("winograd", "1.0", 0, "acc", true, []float64{1, 0, 1, 1})
	r.Shots = eval.ShotsMax
	var b bytes.Buffer
	if err := RunResultsTable([]eval.TaskResult{r}).WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "\nwinograd,1.0,none,max,acc,") {
		t.Errorf("csv:\n%s\nwant an n-shot cell max", b.String())
	}
}
