package results

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kshot-eval/kshot/eval"
)

// FuzzMergeShards feeds ReadShard and Merge corrupted versions of a real
// shard's results and samples files (the other shard intact): each must
// return an error or a merged file whose values are numbers or "N/A",
// never panic.
func FuzzMergeShards(f *testing.F) {
	dir := f.TempDir()
	docs := [][2]float64{{1, 10}, {2, 5}, {3, 10}, {0, 5}}
	var results0, samples0 []byte
	for i := range 2 {
		t := &testing.T{}
		p, err := Write(filepath.Join(dir, "seed", string(rune('0'+i))), ratioRun(i, 2), []eval.TaskResult{ratioTask(t, docs, i, 2)})
		if err != nil {
			f.Fatal(err)
		}
		if i == 0 {
			results0, _ = os.ReadFile(p)
			sp, _ := filepath.Glob(filepath.Join(filepath.Dir(p), "samples_*"))
			samples0, _ = os.ReadFile(sp[0])
		}
	}
	f.Add(results0, samples0)
	f.Add(results0, []byte(`{"doc_id":0,"stats":{"test_scaled_ratio":[1]},"request_hash":"h0"}`))
	f.Add(bytes.Replace(results0, []byte(`"kind": "corpus"`), []byte(`"kind": "mean"`), 1), samples0)
	f.Add(bytes.Replace(results0, []byte(`"Scale": 100`), []byte(`"Scale": "x"`), 1), samples0)
	one := filepath.Join(dir, "seed", "1")
	f.Fuzz(func(t *testing.T, res, samples []byte) {
		d := t.TempDir()
		stamp := Stamp(time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC))
		os.WriteFile(filepath.Join(d, "results_"+stamp+".json"), res, 0o644)
		os.WriteFile(filepath.Join(d, "samples_ratio_"+stamp+".jsonl"), samples, 0o644)
		s0, err := ReadShard(d)
		if err != nil {
			return
		}
		if s0.File.Config.BootstrapIters > 1000 {
			return // a valid file, only slow to merge
		}
		s1, err := ReadShard(one)
		if err != nil {
			t.Fatal(err)
		}
		m, _, err := Merge([]*Shard{s0, s1}, time.Unix(0, 0))
		if err != nil {
			return
		}
		if _, err := EncodeResults(m); err != nil {
			t.Fatalf("merged file does not encode: %v", err)
		}
	})
}
