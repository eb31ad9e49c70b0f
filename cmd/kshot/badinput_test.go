package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kshot-eval/kshot/eval"
	"github.com/kshot-eval/kshot/eval/results"
)

// rewrite replaces old by new in the file matching pattern (once).
func rewrite(t *testing.T, pattern, old, new string) string {
	t.Helper()
	files, _ := filepath.Glob(pattern)
	if len(files) != 1 {
		t.Fatalf("%s: %d files", pattern, len(files))
	}
	b, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), old) {
		t.Fatalf("%s has no %q", files[0], old)
	}
	if err := os.WriteFile(files[0], []byte(strings.Replace(string(b), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	return files[0]
}

// writeShards writes the acc task over 4 documents as 2 shards.
func writeShards(t *testing.T, dir string) []string {
	t.Helper()
	all := cmpTask("winograd", "1.0", []float64{1, 0, 1, 1})
	var dirs []string
	for i := range 2 {
		r := all
		r.Samples = nil
		var docs [][]float64
		for _, s := range all.Samples {
			if eval.InShard(s.DocID, i, 2) {
				r.Samples = append(r.Samples, s)
				docs = append(docs, s.Stats["acc"])
			}
		}
		r.NDocs = len(r.Samples)
		r.Metrics = []eval.MetricResult{{Name: "acc", HigherIsBetter: true, Aggregate: mustAggregate(eval.Mean("acc", true), docs)}}
		run := eval.RunInfo{Model: eval.ModelInfo{Name: "m"}, Options: eval.Options{Seed: 1, Shard: i, Shards: 2},
			KshotVersion: "test", Date: time.Date(2025, 5, 6, 7, 8, i, 0, time.UTC)}
		d := filepath.Join(dir, "shard"+string(rune('0'+i)))
		if _, err := results.Write(d, run, []eval.TaskResult{r}); err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, d)
	}
	// The shards' request hashes must combine to the run's.
	var hs []string
	for _, s := range all.Samples {
		hs = append(hs, s.RequestHash)
	}
	for _, d := range dirs {
		rewrite(t, filepath.Join(d, "results_*.json"), `"winograd": "h-winograd"`, `"winograd": "`+eval.CombineHashes(hs)+`"`)
	}
	return dirs
}

// TestBadInputExitsTwo: files a user can hand kshot that used to crash
// it (a one-element statistics vector panicked kshot compare with index
// out of range; a malformed higher_is_better panicked kshot merge on a
// type assertion) give exit status 2 and one line naming file and field.
func TestBadInputExitsTwo(t *testing.T) {
	dir := t.TempDir()
	good, _ := cmpOutcomes(3, 0)
	base := cmpWriteRun(t, dir, "base", 1, cmpTask("winograd", "1.0", good))
	// Every document's vector one element long on both sides: the old
	// code summed them and read sum[1].
	var shortSamples string
	for _, m := range []string{"short", "short2"} {
		cmpWriteRun(t, dir, m, 1, cmpTask("winograd", "1.0", good))
		for range good {
			p := rewrite(t, filepath.Join(dir, m, "samples_*.jsonl"), `,1]}`, `]}`)
			if m == "short" {
				shortSamples = p
			}
		}
	}
	shards := writeShards(t, filepath.Join(dir, "shards"))
	merged := filepath.Join(dir, "merged")
	if _, stderr, code := runCLI("merge", shards[0], shards[1], "--output", merged); code != 0 {
		t.Fatalf("merge of good shards: exit %d: %s", code, stderr)
	}
	hib := writeShards(t, filepath.Join(dir, "hib"))
	// Both shards alike, so that they agree and the old code reached its
	// type assertion.
	rewrite(t, filepath.Join(hib[1], "results_*.json"), `"acc": true`, `"acc": 5`)
	hibFile := rewrite(t, filepath.Join(hib[0], "results_*.json"), `"acc": true`, `"acc": 5`)
	noStats := writeShards(t, filepath.Join(dir, "nostats"))
	noStatsFile := rewrite(t, filepath.Join(noStats[0], "samples_*.jsonl"), `"stats":{"acc":[1,1]}`, `"stats":{"acc":[2]}`)
	kind := writeShards(t, filepath.Join(dir, "kind"))
	kindFile := rewrite(t, filepath.Join(kind[0], "results_*.json"), `"kind": "mean"`, `"kind": "median"`)

	cases := []struct {
		name string
		args []string
		want string
	}{
		{"compare one-element stats", []string{"compare", filepath.Join(dir, "short"), filepath.Join(dir, "short2")}, shortSamples + `:1: field "stats.acc": acc wants 2 statistics per document, got 1`},
		{"report one-element stats", []string{"report", "--output", filepath.Join(dir, "rep"), filepath.Join(dir, "short")}, shortSamples + `:1: field "stats.acc"`},
		{"merge bad higher_is_better", []string{"merge", hib[0], hib[1], "--output", filepath.Join(dir, "m1")}, hibFile + `: field "higher_is_better": want bool`},
		{"merge one-element stats", []string{"merge", noStats[0], noStats[1], "--output", filepath.Join(dir, "m2")}, noStatsFile + `:1: field "stats.acc": acc wants 2 statistics per document, got 1`},
		{"merge unknown kind", []string{"merge", kind[0], kind[1], "--output", filepath.Join(dir, "m3")}, kindFile + `: field "metrics.winograd.acc.kind": "median" is not a metric kind`},
		{"merge not a shard", []string{"merge", filepath.Dir(base), "--output", filepath.Join(dir, "m4")}, `field "config.shard"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, stderr, code := runCLI(c.args...)
			if code != 2 || !strings.Contains(stderr, c.want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
				t.Errorf("exit %d, stderr %q; want 2 and one line containing %q", code, stderr, c.want)
			}
		})
	}
}
