package model

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// mapRepo is a Repository held in memory: Fetch writes the file into dir
// and records the request.
type mapRepo struct {
	files   map[string]string
	listed  bool // Files lists the repository; else it returns nil
	dir     string
	fetched []string
}

func (r *mapRepo) Fetch(_ context.Context, file string) (string, error) {
	r.fetched = append(r.fetched, file)
	data, ok := r.files[file]
	if !ok {
		return "", fmt.Errorf("model test/repo (file %s): not found: %w", file, fs.ErrNotExist)
	}
	p := filepath.Join(r.dir, file)
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		return "", err
	}
	return p, nil
}

func (r *mapRepo) Files() []string {
	if !r.listed {
		return nil
	}
	var names []string
	for n := range r.files {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func (r *mapRepo) String() string { return "model test/repo@main" }

func TestDownload(t *testing.T) {
	index := `{"weight_map": {"wte.weight": "model-00001-of-00002.safetensors", "wpe.weight": "model-00002-of-00002.safetensors", "h.0.ln_1.weight": "model-00001-of-00002.safetensors"}}`
	tests := []struct {
		name    string
		files   map[string]string
		listed  bool
		fetched []string // files asked for, in order
		err     []string // substrings of the error; nil for success
	}{
		{name: "single file with tokenizer",
			files: map[string]string{"config.json": "{}", "model.safetensors": "w", "vocab.json": "{}", "merges.txt": "", "README.md": ""},
			fetched: []string{"config.json", "model.safetensors", "tokenizer.json", "vocab.json", "merges.txt", "encoder.json", "vocab.bpe",
				"tokenizer_config.json", "special_tokens_map.json"}},
		{name: "sharded",
			files: map[string]string{"config.json": "{}", IndexFileName: index, "model-00001-of-00002.safetensors": "a", "model-00002-of-00002.safetensors": "b"},
			fetched: []string{"config.json", "model.safetensors", IndexFileName, "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors",
				"tokenizer.json", "vocab.json", "merges.txt", "encoder.json", "vocab.bpe", "tokenizer_config.json", "special_tokens_map.json"}},
		{name: "missing shard",
			files: map[string]string{"config.json": "{}", IndexFileName: index, "model-00001-of-00002.safetensors": "a"},
			err:   []string{"file model-00002-of-00002.safetensors", "not found"}},
		{name: "escaping shard",
			files: map[string]string{"config.json": "{}", IndexFileName: `{"weight_map": {"w": "../../outside.safetensors"}}`},
			err:   []string{IndexFileName + `: tensor "w": field "weight_map": shard path "../../outside.safetensors" escapes the model directory`}},
		{name: "no config", files: map[string]string{"model.safetensors": "w"}, err: []string{"file config.json", "not found"}},
		{name: "only pytorch weights", listed: true,
			files: map[string]string{"config.json": "{}", "pytorch_model.bin": "p", "tf_model.h5": "t"},
			err: []string{"model test/repo@main: no safetensors weights (model.safetensors or model.safetensors.index.json); the repository has pytorch_model.bin, tf_model.h5",
				"safetensors/convert", "use test/repo@refs/pr/<N>", `from_pretrained("test/repo")`, "safe_serialization=True"}},
		{name: "no weights, unlisted", files: map[string]string{"config.json": "{}"},
			err: []string{"model test/repo@main: no safetensors weights", "(file model.safetensors): not found"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			r := &mapRepo{files: tt.files, listed: tt.listed, dir: dir}
			err := Download(context.Background(), r)
			if tt.err == nil {
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(r.fetched, tt.fetched) {
					t.Errorf("fetched %q\nwant    %q", r.fetched, tt.fetched)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error; fetched %q", r.fetched)
			}
			for _, w := range tt.err {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q spans lines", err)
			}
		})
	}
}

// TestFileTableAgreement checks that the loader, the fingerprint and the
// download agree on the tokenizer files: a model directory holding every
// file in TokenizerFiles gets all of them fetched and all of them hashed
// (changing any one changes the fingerprint).
func TestFileTableAgreement(t *testing.T) {
	files := map[string]string{ConfigFileName: `{"model_type": "gpt2"}`, SafetensorsFileName: safetensorsWithHeader(`{}`)}
	for _, f := range TokenizerFiles {
		files[f] = "content of " + f
	}
	dir := t.TempDir()
	r := &mapRepo{files: files, dir: dir}
	if err := Download(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	for _, f := range TokenizerFiles {
		if !slices.Contains(r.fetched, f) {
			t.Errorf("Download did not fetch %s", f)
		}
	}
	base, err := Fingerprint(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range TokenizerFiles {
		p := filepath.Join(dir, f)
		os.WriteFile(p, []byte("changed"), 0o644)
		if fp, err := Fingerprint(dir); err != nil || fp == base {
			t.Errorf("changing %s left the fingerprint unchanged (%v)", f, err)
		}
		os.WriteFile(p, []byte(files[f]), 0o644)
	}
}

// safetensorsWithHeader returns a safetensors file with the given JSON
// header and no tensor data.
func safetensorsWithHeader(header string) string {
	n := len(header)
	return string([]byte{byte(n), byte(n >> 8), byte(n >> 16), byte(n >> 24), 0, 0, 0, 0}) + header
}

// Download's errors for absent files keep the repository's error, so a
// caller can still match it (hub.ErrNotFound, hub.ErrNotCached).
func TestDownloadKeepsRepositoryError(t *testing.T) {
	r := &mapRepo{files: map[string]string{"config.json": "{}"}, dir: t.TempDir()}
	err := Download(context.Background(), r)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("errors.Is(%v, fs.ErrNotExist) = false", err)
	}
}
