package tasks

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/kshot-eval/kshot/eval"
	"github.com/kshot-eval/kshot/internal/sharedtest"
)

// TestGPT3RequestHashes is the prompt-stability golden of the GPT-3 suite
// and GPT-1 probes: the hash of every task's requests on the shared data,
// or on the small hand-written files in testdata/gpt3 for the tasks whose
// data kshot does not ship. A change means the prompts changed: bump the
// task's version and rerun with -update.
func TestGPT3RequestHashes(t *testing.T) {
	dataDir := sharedtest.Path(t, "data")
	fixture := func(name string) string { return filepath.Join("testdata", "gpt3", name) }
	type hashCase struct {
		task    string
		k       int
		variant string
		data    string // DataPath; "" reads the default file in dataDir
	}
	cases := []hashCase{
		{"hellaswag", 0, "", filepath.Join(dataDir, "hellaswag/hellaswag_val_full.part0.txt")},
		{"hellaswag", 1, "", filepath.Join(dataDir, "hellaswag/hellaswag_val_full.part0.txt")},
		{"piqa", 0, "", ""}, {"piqa", 1, "gpt3", ""},
		{"winogrande", 0, "", ""}, {"winogrande", 1, "", ""},
		{"arc_easy", 0, "", ""}, {"arc_challenge", 1, "", ""}, {"openbookqa", 0, "", ""},
		{"copa", 0, "", ""}, {"copa", 1, "", ""}, {"copa", 0, "gpt3", ""}, {"copa", 1, "gpt3", ""},
		{"boolq", 0, "", ""}, {"boolq", 1, "gpt3", ""},
		{"storycloze", 0, "", fixture("storycloze.csv")}, {"storycloze", 1, "", fixture("storycloze.csv")},
		{"lambada_openai_cloze", 0, "", ""}, {"lambada_openai_cloze", 1, "", ""}, {"lambada_openai_cloze", 1, "gpt3", ""},
		{"arithmetic_2da", 1, "gpt3", ""}, {"arithmetic_2da", 0, "generated", ""}, {"arithmetic_1dc", 1, "gpt3+generated:5", ""},
		{"cycle_letters", 1, "gpt3", ""}, {"anagrams1", 1, "generated", ""},
		{"wmt14_fr_en", 0, "gpt3", ""}, {"wmt14_en_fr", 1, "gpt3", ""},
		{"triviaqa", 0, "", fixture("triviaqa.jsonl")}, {"triviaqa", 1, "", fixture("triviaqa.jsonl")},
		{"triviaqa", 1, "gpt3", fixture("triviaqa.jsonl")},
		{"nq_open", 1, "", fixture("nq_open.jsonl")}, {"nq_open", 1, "gpt3", fixture("nq_open.jsonl")},
		{"gpt1_sst2", 0, "", fixture("sst2.jsonl")}, {"gpt1_race", 0, "", fixture("race.jsonl")},
		{"gpt1_winograd", 0, "", ""}, {"gpt1_cola", 0, "", fixture("cola.jsonl")},
	}
	for _, s := range arithmeticSpecs {
		cases = append(cases, hashCase{"arithmetic_" + s.code, 0, "", ""})
	}
	for _, s := range wordSpecs {
		cases = append(cases, hashCase{s.name, 0, "", ""})
	}
	got := map[string]string{}
	for _, c := range cases {
		task, err := New(c.task, Options{DataDir: dataDir, DataPath: c.data, Variant: c.variant})
		if err != nil {
			t.Fatal(err)
		}
		in, err := task.Instances(c.k, 1234)
		if err != nil {
			t.Fatal(err)
		}
		got[fmt.Sprintf("%s@v%s/%dshot", c.task, task.Spec().Version, c.k)] = eval.RequestHash(in)
	}
	// --shots max, packed into 1024 tokens counted as bytes.
	for _, name := range []string{"arithmetic_2da", "copa"} {
		task, err := New(name, Options{DataDir: dataDir})
		if err != nil {
			t.Fatal(err)
		}
		task.(eval.WindowedTask).SetContextWindow(eval.ContextWindow{Tokens: 1024, Count: eval.ApproxTokens})
		in, err := task.Instances(eval.ShotsMax, 1234)
		if err != nil {
			t.Fatal(err)
		}
		got[fmt.Sprintf("%s@v%s/maxshot-1024-bytes", name, task.Spec().Version)] = eval.RequestHash(in)
	}
	checkGolden(t, filepath.Join("testdata", "request_hashes_gpt3.golden"), got)
}

// checkGolden compares hashes with a golden file of "key hash" lines,
// rewriting it with -update. Keys are task@vVERSION/…: -update adds and
// drops keys but refuses to change the hash of a key it keeps, since a
// task whose requests change must change its version.
func checkGolden(t *testing.T, golden string, got map[string]string) {
	t.Helper()
	want, err := readGolden(golden)
	if err != nil && !(*update && os.IsNotExist(err)) {
		t.Fatal(err)
	}
	if *update {
		if err := updateGolden(want, got); err != nil {
			t.Fatalf("%s not rewritten: %v", golden, err)
		}
		if err := os.WriteFile(golden, []byte(formatGolden(got)), 0o644); err != nil {
			t.Fatal(err)
		}
		want = got
	}
	for k, v := range got {
		if want[k] != v {
			t.Errorf("%s: requests changed (hash %s, golden %q): bump the task version and rerun with -update", k, v, want[k])
		}
	}
	if len(want) != len(got) {
		t.Errorf("golden %s has %d entries, the test makes %d: rerun with -update", golden, len(want), len(got))
	}
}

// readGolden reads a golden file of "key hash" lines.
func readGolden(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), " ")
		out[k] = v
	}
	return out, sc.Err()
}

// formatGolden writes hashes as sorted "key hash" lines.
func formatGolden(hashes map[string]string) string {
	keys := make([]string, 0, len(hashes))
	for k := range hashes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s %s\n", k, hashes[k])
	}
	return b.String()
}

// updateGolden reports the keys whose hash -update would change: a key
// names the task's version, so a changed hash under the same key is a
// prompt change without a version bump.
func updateGolden(old, got map[string]string) error {
	var changed []string
	for k, v := range got {
		if w, ok := old[k]; ok && w != v {
			changed = append(changed, k)
		}
	}
	if len(changed) == 0 {
		return nil
	}
	sort.Strings(changed)
	return fmt.Errorf("the requests of %s changed but their task versions did not: bump each task's version (its Spec().Version), then rerun with -update", strings.Join(changed, ", "))
}

// TestUpdateGoldenRefuses checks -update's rule: new keys and dropped keys
// (a version bump) are accepted, a changed hash under a kept key is not.
func TestUpdateGoldenRefuses(t *testing.T) {
	old := map[string]string{"copa@v1.0/0shot": "aa", "copa@v1.0/1shot": "bb"}
	for _, c := range []struct {
		name string
		got  map[string]string
		ok   bool
	}{
		{"unchanged", map[string]string{"copa@v1.0/0shot": "aa", "copa@v1.0/1shot": "bb"}, true},
		{"new case", map[string]string{"copa@v1.0/0shot": "aa", "copa@v1.0/1shot": "bb", "copa@v1.0/2shot": "cc"}, true},
		{"version bumped", map[string]string{"copa@v1.1/0shot": "dd", "copa@v1.1/1shot": "ee"}, true},
		{"changed without bump", map[string]string{"copa@v1.0/0shot": "aa", "copa@v1.0/1shot": "ff"}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := updateGolden(old, c.got)
			if (err == nil) != c.ok {
				t.Fatalf("error %v, want ok=%v", err, c.ok)
			}
			if err != nil && !strings.Contains(err.Error(), "copa@v1.0/1shot") {
				t.Errorf("error %q does not name the key", err)
			}
		})
	}
	// The file round trip that -update writes and the check reads.
	path := filepath.Join(t.TempDir(), "g.golden")
	if err := os.WriteFile(path, []byte(formatGolden(old)), 0o644); err != nil {
		t.Fatal(err)
	}
	if back, err := readGolden(path); err != nil || fmt.Sprint(back) != fmt.Sprint(old) {
		t.Errorf("read back %v, %v", back, err)
	}
}

// TestGoldensCoverRegistry checks that every registered task has at least
// one request hash in the goldens.
func TestGoldensCoverRegistry(t *testing.T) {
	covered := map[string]bool{}
	for _, g := range []string{"request_hashes.golden", "request_hashes_gpt3.golden", "request_hashes_papertasks.golden", "request_hashes_scorers.golden"} {
		hashes, err := readGolden(filepath.Join("testdata", g))
		if err != nil {
			t.Fatal(err)
		}
		for k := range hashes {
			name, _, _ := strings.Cut(k, "@")
			covered[name] = true
		}
	}
	for _, name := range Names() {
		if !covered[name] {
			t.Errorf("task %s has no request-hash golden: add a case to TestRequestHashes", name)
		}
	}
}
