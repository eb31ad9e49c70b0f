package model

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kshot-eval/kshot/internal/kernels"
	"github.com/kshot-eval/kshot/internal/sharedtest"
)

// TestScoreKey checks that the cache key of a model names its content,
// changes with the weights' bytes and with the kernel path, and is stable.
func TestScoreKey(t *testing.T) {
	src := sharedtest.Path(t, "fixtures/models/gpt2-tiny")
	dir := t.TempDir()
	for _, name := range []string{"config.json", "model.safetensors"} {
		b, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	key, err := ScoreKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	hash, err := ContentHash(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(key, hash+" ") || !strings.HasSuffix(key, " "+kernels.Path()) {
		t.Errorf("ScoreKey = %q, want the content hash %s, the arithmetic version and the path %s", key, hash, kernels.Path())
	}
	if again, _ := ScoreKey(dir); again != key {
		t.Errorf("ScoreKey changed between two calls: %q, %q", key, again)
	}
	if paths := kernels.Paths(); len(paths) > 1 {
		old := kernels.Path()
		if err := kernels.SetPath(paths[0]); err != nil {
			t.Fatal(err)
		}
		other, _ := ScoreKey(dir)
		kernels.SetPath(old)
		if other == key {
			t.Errorf("ScoreKey is the same on paths %s and %s", paths[0], old)
		}
	}
	// One changed weight byte changes the key.
	f := filepath.Join(dir, "model.safetensors")
	b, _ := os.ReadFile(f)
	b[len(b)-1] ^= 1
	if err := os.WriteFile(f, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if changed, _ := ScoreKey(dir); changed == key {
		t.Error("ScoreKey did not change with the weights")
	}
}
