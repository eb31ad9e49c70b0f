package results

import (
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/kshot-eval/kshot/eval"
	"github.com/kshot-eval/kshot/eval/results/resultstest"
)

// TestFilterKeys: a metric declared with an lm-evaluation-harness filter
// is written under lm-eval's key ("exact_match,remove_whitespace", as in
// an lm-eval triviaqa results file), read back as the metric itself, and
// a merge of shards writes the same keys. A metric without a filter keeps
// ",none".
func TestFilterKeys(t *testing.T) {
	values := []float64{1, 0, 1, 1} // mean 0.75
	task := func(i, n int) eval.TaskResult {
		r := resultstest.BinaryTask("triviaqa", "1", 0, "exact_match", true, values)
		r.Spec.Metrics[0] = r.Spec.Metrics[0].Filtered("remove_whitespace")
		var keep []eval.Sample
		var docs [][]float64
		var hashes []string
		for _, s := range r.Samples {
			s.RequestHash = fmt.Sprint("h", s.DocID)
			hashes = append(hashes, s.RequestHash)
			if eval.InShard(s.DocID, i, n) {
				keep = append(keep, s)
				docs = append(docs, s.Stats["exact_match"])
			}
		}
		r.Samples, r.NDocs, r.RequestHash = keep, len(keep), eval.CombineHashes(hashes)
		r.Metrics[0].Aggregate = resultstest.MustAggregate(r.Spec.Metrics[0], docs, 0)
		return r
	}
	dir := t.TempDir()
	whole, err := Write(filepath.Join(dir, "whole"), ratioRun(0, 0), []eval.TaskResult{task(0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	run, err := ReadRun(whole)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range run.File.Results["triviaqa"].Values {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if want := []string{"exact_match,remove_whitespace", "exact_match_stderr,remove_whitespace"}; !slices.Equal(keys, want) {
		t.Fatalf("results keys %q, want lm-eval's %q", keys, want)
	}
	mv, ok := run.Tasks[0].Metric("exact_match")
	if !ok || mv.Value != 0.75 {
		t.Fatalf("read back %+v (found %v), want exact_match 0.75", mv, ok)
	}
	if m, err := mv.Build(); err != nil || m.Filter != "remove_whitespace" {
		t.Errorf("rebuilt metric has filter %q (%v), want remove_whitespace", m.Filter, err)
	}
	var shards []*Shard
	for i := range 2 {
		p, err := Write(filepath.Join(dir, fmt.Sprint("shard", i)), ratioRun(i, 2), []eval.TaskResult{task(i, 2)})
		if err != nil {
			t.Fatal(err)
		}
		s, err := ReadShard(p)
		if err != nil {
			t.Fatal(err)
		}
		shards = append(shards, s)
	}
	merged, _, err := Merge(shards, time.Date(2025, 6, 2, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if got := merged.Results["triviaqa"].Values; len(got) != 2 || got["exact_match,remove_whitespace"] != 0.75 {
		t.Errorf("merged values %v, want exact_match,remove_whitespace 0.75 and its stderr", got)
	}
	// An lm-eval file's filter that is not the metric's own stays part of
	// the name, as before.
	if ValueKey("acc", "") != "acc,none" || StderrKey("acc", "strict-match") != "acc_stderr,strict-match" {
		t.Errorf("ValueKey/StderrKey: %q %q", ValueKey("acc", ""), StderrKey("acc", "strict-match"))
	}
}
