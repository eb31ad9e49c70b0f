package reports

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/kshot-eval/kshot/eval"
	"github.com/kshot-eval/kshot/eval/results"
	"github.com/kshot-eval/kshot/eval/results/resultstest"
)

// testModel describes a hand-built run.
type testModel = resultstest.Model

var (
	binaryTask     = resultstest.BinaryTask
	perplexityTask = resultstest.PerplexityTask
	mustAggregate  = resultstest.MustAggregate
)

// writeTestRun writes tasks as m's results into dir/<name> and returns
// the results file.
func writeTestRun(t testing.TB, dir string, m testModel, tasks ...eval.TaskResult) string {
	t.Helper()
	path, err := results.Write(filepath.Join(dir, m.Name), resultstest.RunInfo(m), tasks)
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// readTestModel reads results files into one merged model.
func readTestModel(t testing.TB, paths ...string) *Model {
	t.Helper()
	runs, err := LoadRuns(paths)
	if err != nil {
		t.Fatal(err)
	}
	models, _ := MergeRuns(runs)
	if len(models) != 1 {
		t.Fatalf("want one model, got %d", len(models))
	}
	return models[0]
}

// outcomes returns n values: the first ones ones, the rest zeros.
func outcomes(n, ones int) []float64 {
	v := make([]float64, n)
	for i := range ones {
		v[i] = 1
	}
	return v
}

func near(a, b, tol float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Abs(a-b) <= tol
}
