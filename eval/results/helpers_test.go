package results

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/kshot-eval/kshot/eval"
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
	path, err := Write(filepath.Join(dir, m.Name), resultstest.RunInfo(m), tasks)
	if err != nil {
		t.Fatal(err)
	}
	return path
}

func near(a, b, tol float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Abs(a-b) <= tol
}
