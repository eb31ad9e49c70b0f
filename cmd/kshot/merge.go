package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/kshot-eval/kshot/eval"
)

// shardRun is one shard's results file and samples.
type shardRun struct {
	path    string
	results map[string]any
	samples map[string][]map[string]any // by task key
	shard   int
	shards  int
}

func cmdMerge(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("merge", stderr)
	output := fs.String("output", "", "directory for the merged results (required)")
	var dirs []string
	for len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		dirs, args = append(dirs, args[0]), args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	dirs = append(dirs, fs.Args()...)
	if len(dirs) == 0 || *output == "" {
		return usageError{"usage: kshot merge SHARD_DIR… --output DIR (each SHARD_DIR holds one shard's results_*.json and samples)"}
	}
	var runs []*shardRun
	for _, d := range dirs {
		r, err := readShard(d)
		if err != nil {
			return usageError{err.Error()}
		}
		runs = append(runs, r)
	}
	merged, samples, err := mergeShards(runs)
	if err != nil {
		return usageError{err.Error()}
	}
	path, err := writeMerged(*output, merged, samples)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "merged %d shards into %s\n", len(runs), path)
	return nil
}

// readShard reads the results file in dir (or the file itself) and its
// samples files.
func readShard(dir string) (*shardRun, error) {
	path := dir
	if fi, err := os.Stat(dir); err != nil {
		return nil, err
	} else if fi.IsDir() {
		files, _ := filepath.Glob(filepath.Join(dir, "results_*.json"))
		if len(files) != 1 {
			return nil, fmt.Errorf("%s: want exactly one results_*.json, found %d (pass the file itself)", dir, len(files))
		}
		path = files[0]
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	r := &shardRun{path: path, samples: map[string][]map[string]any{}}
	if err := json.Unmarshal(data, &r.results); err != nil {
		return nil, fmt.Errorf("%s: corrupt results file: %v", path, err)
	}
	cfg, _ := r.results["config"].(map[string]any)
	spec, _ := cfg["shard"].(string)
	if _, err := fmt.Sscanf(spec, "%d/%d", &r.shard, &r.shards); err != nil {
		return nil, fmt.Errorf("%s: not a shard's results (config.shard missing; run with --shard i/n)", path)
	}
	stamp := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(path), "results_"), ".json")
	res, _ := r.results["results"].(map[string]any)
	for key := range res {
		sp := filepath.Join(filepath.Dir(path), "samples_"+key+"_"+stamp+".jsonl")
		f, err := os.Open(sp)
		if err != nil {
			return nil, fmt.Errorf("%s: per-sample log missing (%v): merging needs the samples files beside the results", path, err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<30)
		line := 0
		for sc.Scan() {
			line++
			var s map[string]any
			if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
				f.Close()
				return nil, fmt.Errorf("%s:%d: corrupt sample: %v", sp, line, err)
			}
			r.samples[key] = append(r.samples[key], s)
		}
		f.Close()
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("%s: %v", sp, err)
		}
	}
	return r, nil
}

// runIdentity is the part of a results file that must agree between the
// shards of one run.
func runIdentity(res map[string]any) map[string]any {
	cfg := map[string]any{}
	for k, v := range res["config"].(map[string]any) {
		if k != "shard" {
			cfg[k] = v
		}
	}
	return map[string]any{
		"config": cfg, "versions": res["versions"], "n-shot": res["n-shot"], "task_hashes": res["task_hashes"],
		"model_fingerprint": res["model_fingerprint"], "kshot_version": res["kshot_version"],
		"higher_is_better": res["higher_is_better"],
	}
}

func mergeShards(runs []*shardRun) (map[string]any, map[string][]map[string]any, error) {
	n := runs[0].shards
	seen := map[int]string{}
	id0 := runIdentity(runs[0].results)
	for _, r := range runs {
		if r.shards != n {
			return nil, nil, fmt.Errorf("%s is shard %d/%d but %s is one of %d shards: not the same run", r.path, r.shard, r.shards, runs[0].path, n)
		}
		if prev, dup := seen[r.shard]; dup {
			return nil, nil, fmt.Errorf("shard %d/%d given twice (%s and %s)", r.shard, n, prev, r.path)
		}
		seen[r.shard] = r.path
		if id := runIdentity(r.results); !reflect.DeepEqual(id, id0) {
			for k := range id {
				if !reflect.DeepEqual(id[k], id0[k]) {
					return nil, nil, fmt.Errorf("%s and %s are shards of different runs: their %s differ", runs[0].path, r.path, k)
				}
			}
		}
	}
	for i := 0; i < n; i++ {
		if _, ok := seen[i]; !ok {
			return nil, nil, fmt.Errorf("shard %d/%d is missing", i, n)
		}
	}
	merged := map[string]any{}
	for k, v := range runs[0].results {
		merged[k] = v
	}
	cfg := id0["config"].(map[string]any)
	merged["config"] = cfg
	seed, _ := cfg["random_seed"].(float64)
	iters, _ := cfg["bootstrap_iters"].(float64)
	hib := merged["higher_is_better"].(map[string]any)
	oldRes := merged["results"].(map[string]any)
	newRes := map[string]any{}
	samples := map[string][]map[string]any{}
	nsamples := map[string]any{}
	for key, v := range oldRes {
		var all []map[string]any
		for _, r := range runs {
			all = append(all, r.samples[key]...)
		}
		sort.SliceStable(all, func(a, b int) bool { return all[a]["doc_id"].(float64) < all[b]["doc_id"].(float64) })
		hashes := make([]string, len(all))
		for i, s := range all {
			hashes[i], _ = s["request_hash"].(string)
		}
		if got, want := eval.CombineHashes(hashes), merged["task_hashes"].(map[string]any)[key]; got != want {
			return nil, nil, fmt.Errorf("task %s: the shards' samples do not cover the run's documents (request hash %s, run's %v)", key, got, want)
		}
		out := map[string]any{"alias": v.(map[string]any)["alias"]}
		for name, h := range hib[key].(map[string]any) {
			m := eval.LookupMetric(name, h.(bool))
			stats := make([][]float64, len(all))
			for i, s := range all {
				raw, ok := s["stats"].(map[string]any)[name].([]any)
				if !ok {
					return nil, nil, fmt.Errorf("task %s, document %v: no %s statistics in the samples", key, s["doc_id"], name)
				}
				stats[i] = make([]float64, len(raw))
				for j, x := range raw {
					stats[i][j], _ = x.(float64)
				}
			}
			agg := eval.AggregateMetric(m, stats, int(iters), uint64(seed))
			out[name+",none"] = eval.JSONFloat(agg.Value)
			out[name+"_stderr,none"] = eval.JSONFloat(agg.Stderr)
		}
		newRes[key] = out
		samples[key] = all
		orig := merged["n-samples"].(map[string]any)[key].(map[string]any)["original"]
		nsamples[key] = map[string]any{"original": orig, "effective": float64(len(all))}
	}
	merged["results"] = newRes
	merged["n-samples"] = nsamples
	now := time.Now()
	merged["date"] = float64(now.UnixNano()) / 1e9
	merged["date_iso"] = now.UTC().Format(time.RFC3339)
	var parts []string
	for _, r := range runs {
		parts = append(parts, r.path)
	}
	merged["run"] = map[string]any{"merged_from": parts}
	return merged, samples, nil
}

func writeMerged(dir string, merged map[string]any, samples map[string][]map[string]any) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	sec := merged["date"].(float64)
	stamp := time.Unix(int64(sec), int64((sec-math.Floor(sec))*1e9)).UTC().Format("2006-01-02T15-04-05.000000")
	for key, ss := range samples {
		var b bytes.Buffer
		for _, s := range ss {
			line, err := json.Marshal(s)
			if err != nil {
				return "", err
			}
			b.Write(line)
			b.WriteByte('\n')
		}
		if err := eval.WriteFileAtomic(filepath.Join(dir, "samples_"+key+"_"+stamp+".jsonl"), b.Bytes()); err != nil {
			return "", err
		}
	}
	data, err := json.MarshalIndent(merged, "", "  ")
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "results_"+stamp+".json")
	return path, eval.WriteFileAtomic(path, append(data, '\n'))
}
