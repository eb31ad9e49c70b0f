package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kshot-eval/kshot/internal/sharedtest"
)

// TestRunHubModelOffline runs --model owner/name from a Hugging Face cache
// laid out as huggingface_hub writes it (models--owner--name/refs/main →
// snapshots/<commit>/…), with HF_HUB_OFFLINE=1, and checks the output —
// model name included — equals that of the same checkpoint given as a
// directory.
func TestRunHubModelOffline(t *testing.T) {
	src := sharedtest.Path(t, "fixtures/models/gpt2-lambada-tiny")
	cache := t.TempDir()
	const commit = "0123456789abcdef0123456789abcdef01234567"
	repo := filepath.Join(cache, "models--kshot-test--gpt2-lambada-tiny")
	snap := filepath.Join(repo, "snapshots", commit)
	if err := os.MkdirAll(snap, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"config.json", "model.safetensors", "vocab.json", "merges.txt"} {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(snap, f), b, 0o644)
	}
	os.MkdirAll(filepath.Join(repo, "refs"), 0o755)
	os.WriteFile(filepath.Join(repo, "refs", "main"), []byte(commit), 0o644)
	t.Setenv("HF_HUB_CACHE", cache)
	t.Setenv("HF_HUB_OFFLINE", "1")
	t.Setenv("HF_TOKEN", "")
	data := sharedtest.Path(t, "data")
	table := func(model string) string {
		var out, errb bytes.Buffer
		err := run([]string{"run", "--model", model, "--tasks", "lambada_openai", "--data-dir", data, "--limit", "8", "--no-cache", "--quiet", "--output", "-"}, nil, &out, &errb)
		if err != nil {
			t.Fatalf("kshot run --model %s: %v\n%s", model, err, errb.String())
		}
		// The header ends with the run's wall time ("…, seed 1234, 0.1s"),
		// which may differ between the two runs.
		head, rest, _ := strings.Cut(out.String(), "\n")
		if i := strings.LastIndex(head, ", "); i >= 0 {
			head = head[:i]
		}
		return head + "\n" + rest
	}
	if hub, dir := table("kshot-test/gpt2-lambada-tiny"), table(src); hub != dir {
		t.Errorf("Hub id and directory give different tables:\n%s\nvs\n%s", hub, dir)
	}
	var out, errb bytes.Buffer
	err := run([]string{"run", "--model", "kshot-test/absent", "--tasks", "lambada_openai", "--data-dir", data, "--no-cache", "--quiet"}, nil, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "absent") {
		t.Errorf("uncached model offline: error %v, want one naming the model", err)
	}
}
