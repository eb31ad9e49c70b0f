package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kshot-eval/kshot/eval/cache"
	"github.com/kshot-eval/kshot/internal/sharedtest"
)

// comparable returns a results directory's results file without the run
// settings and timings ("run", "date", "date_iso", "command_line") and
// its samples files' contents by task key.
func comparable(t *testing.T, dir string) (map[string]any, map[string]string) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "results_*.json"))
	if len(files) != 1 {
		t.Fatalf("%s: %d results files", dir, len(files))
	}
	var res map[string]any
	b, _ := os.ReadFile(files[0])
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"run", "date", "date_iso"} {
		delete(res, k)
	}
	stamp := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(files[0]), "results_"), ".json")
	samples := map[string]string{}
	sf, _ := filepath.Glob(filepath.Join(dir, "samples_*.jsonl"))
	for _, f := range sf {
		b, _ := os.ReadFile(f)
		key := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "samples_"), "_"+stamp+".jsonl")
		samples[key] = string(b)
	}
	return res, samples
}

func kshotRun(t *testing.T, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if err := run(append(append([]string{"run"}, args...), "--quiet"), nil, &stdout, &stderr); err != nil {
		t.Fatalf("kshot run %v: %v\n%s", args, err, stderr.String())
	}
	return stdout.String()
}

func sameResults(t *testing.T, what, dirA, dirB string) {
	t.Helper()
	ra, sa := comparable(t, dirA)
	rb, sb := comparable(t, dirB)
	if !reflect.DeepEqual(ra, rb) {
		ja, _ := json.MarshalIndent(ra, "", " ")
		jb, _ := json.MarshalIndent(rb, "", " ")
		t.Errorf("%s: results differ:\n%s\nvs\n%s", what, ja, jb)
	}
	for k := range sa {
		if sa[k] != sb[k] {
			la, lb := strings.Split(sa[k], "\n"), strings.Split(sb[k], "\n")
			for i := range la {
				if i >= len(lb) || la[i] != lb[i] {
					other := "(missing)"
					if i < len(lb) {
						other = lb[i]
					}
					t.Errorf("%s: samples of %s differ at line %d:\n%.400s\nvs\n%.400s", what, k, i+1, la[i], other)
					break
				}
			}
		}
	}
	if len(sa) != len(sb) {
		t.Errorf("%s: %d samples files vs %d", what, len(sa), len(sb))
	}
}

// suiteArgs are a small suite of three request kinds on the fixture model
// (lambadaLimit LAMBADA documents).
func suiteArgs(t *testing.T, lambadaLimit int) []string {
	suite := fmt.Sprintf(`name: durable-test
models: [%s]
data_dir: %s
bootstrap_iters: 200
tasks:
  - name: lambada_openai
    limit: %d
  - name: winograd
    limit: 16
  - name: wikitext2
    limit: 1
`, sharedtest.Path(t, "fixtures/models/gpt2-lambada-tiny"), sharedtest.Path(t, "data"), lambadaLimit)
	path := filepath.Join(t.TempDir(), "suite.yaml")
	if err := os.WriteFile(path, []byte(suite), 0o644); err != nil {
		t.Fatal(err)
	}
	return []string{path}
}

// TestDeterminism: the results file is the same for any batch size,
// thread count, with or without the cache (cold and warm).
func TestDeterminism(t *testing.T) {
	base := suiteArgs(t, 24)
	cacheDir := t.TempDir()
	out := t.TempDir()
	variants := [][]string{
		{"--batch-size", "1", "--threads", "1", "--no-cache"},
		{"--batch-size", "64", "--threads", "2", "--cache-dir", cacheDir},
		{"--batch-size", "5", "--threads", "2", "--cache-dir", cacheDir}, // warm cache
	}
	var dirs []string
	for i, v := range variants {
		o := filepath.Join(out, string(rune('a'+i)))
		kshotRun(t, append(append(append([]string{}, base...), v...), "--output", o)...)
		dirs = append(dirs, filepath.Join(o, "gpt2-lambada-tiny"))
	}
	sameResults(t, "batch 1, 1 thread, no cache vs batch 64, 2 threads, cold cache", dirs[0], dirs[1])
	sameResults(t, "vs warm cache, batch 5", dirs[0], dirs[2])
}

// TestShardMerge: three shards merged equal one run.
func TestShardMerge(t *testing.T) {
	base := append(suiteArgs(t, 24), "--no-cache")
	out := t.TempDir()
	kshotRun(t, append(append([]string{}, base...), "--output", filepath.Join(out, "whole"))...)
	var shardDirs []string
	for i := 0; i < 3; i++ {
		kshotRun(t, append(append([]string{}, base...), "--shard", []string{"0/3", "1/3", "2/3"}[i], "--output", filepath.Join(out, "shards"))...)
		shardDirs = append(shardDirs, filepath.Join(out, "shards", "gpt2-lambada-tiny", []string{"shard-0-of-3", "shard-1-of-3", "shard-2-of-3"}[i]))
	}
	var stdout, stderr bytes.Buffer
	if err := run(append(append([]string{"merge"}, shardDirs...), "--output", filepath.Join(out, "merged")), nil, &stdout, &stderr); err != nil {
		t.Fatalf("merge: %v %s", err, stderr.String())
	}
	sameResults(t, "merged shards vs single run", filepath.Join(out, "whole", "gpt2-lambada-tiny"), filepath.Join(out, "merged"))
	// Two shards of three, or the same shard twice: errors.
	if err := run(append([]string{"merge"}, shardDirs[0], shardDirs[0], "--output", t.TempDir()), nil, &stdout, &stderr); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("duplicate shard: %v", err)
	}
	if err := run(append([]string{"merge"}, shardDirs[0], shardDirs[1], "--output", t.TempDir()), nil, &stdout, &stderr); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("missing shard: %v", err)
	}
}

// TestKillResume kills a real run with SIGKILL once the cache holds some
// batches, reruns the same command, and checks the results equal an
// uninterrupted run and that the rerun reused the cached batches.
func TestKillResume(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary; skipped with -short")
	}
	bin := builtKshot(t)
	args := append(suiteArgs(t, 160), "--batch-size", "4", "--quiet")
	cacheDir, out := t.TempDir(), t.TempDir()
	killed := append(append([]string{"run"}, args...), "--cache-dir", cacheDir, "--output", filepath.Join(out, "resumed"))
	cmd := exec.Command(bin, killed...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait until some batches are committed, then kill -9.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("no cache entries after 2 minutes")
		}
		time.Sleep(200 * time.Millisecond)
		if c, err := cache.Open(cacheDir); err == nil {
			st, _ := c.Stats()
			c.Close()
			if len(st) > 0 && st[0].Entries >= 40 {
				break
			}
		}
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	if files, _ := filepath.Glob(filepath.Join(out, "resumed", "*", "results_*.json")); len(files) != 0 {
		t.Skip("the run finished before it could be killed")
	}
	var stderr bytes.Buffer
	rerun := exec.Command(bin, append(killed[:len(killed):len(killed)], "--quiet=false")...)
	rerun.Stderr = &stderr
	if err := rerun.Run(); err != nil {
		t.Fatalf("rerun: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "requests answered from") || strings.Contains(stderr.String(), "cache: 0 requests answered") {
		t.Errorf("rerun did not reuse the cache:\n%s", stderr.String())
	}
	whole := exec.Command(bin, append(append([]string{"run"}, args...), "--no-cache", "--output", filepath.Join(out, "whole"))...)
	if b, err := whole.CombinedOutput(); err != nil {
		t.Fatalf("uninterrupted run: %v\n%s", err, b)
	}
	sameResults(t, "resumed after kill -9 vs uninterrupted", filepath.Join(out, "resumed", "gpt2-lambada-tiny"), filepath.Join(out, "whole", "gpt2-lambada-tiny"))
}
