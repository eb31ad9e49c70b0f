package hub

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tinySafetensorsSHA256 is the sha256 of shared/data/tiny_gpt2/model.safetensors
// as recorded in shared/data/SOURCES.md.
const tinySafetensorsSHA256 = "7d1972427300cb3b6b21136431e4960528956fdbaa1c39890effde8b5a55d0f7"

// tinyModelFiles returns the tiny GPT-2 checkpoint of the shared data as a
// Hub repository: model.safetensors in LFS, the rest in git.
func tinyModelFiles(t *testing.T) map[string]*fakeFile {
	files := map[string]*fakeFile{}
	for _, name := range []string{"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "vocab.json"} {
		files[name] = &fakeFile{data: sharedFile(t, "data/tiny_gpt2/"+name), lfs: name == "model.safetensors"}
	}
	files["README.md"] = &fakeFile{data: []byte("# tiny\n")}
	return files
}

// sameFiles checks that every fixture file reads back identically from dir.
func sameFiles(t *testing.T, dir string, files map[string]*fakeFile, names ...string) {
	t.Helper()
	for _, name := range names {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !bytes.Equal(got, files[name].data) {
			t.Errorf("%s: content differs from the fixture (%d bytes, want %d)", name, len(got), len(files[name].data))
		}
	}
}

func TestHubModel(t *testing.T) {
	f := newFakeHub(t)
	files := tinyModelFiles(t)
	repo := f.addRepo("model", "tiny/gpt2", files)
	h := f.hub(t)
	h.Token = "hf_public_token_not_for_cdn"
	dir, err := modelDir(context.Background(), h, "tiny/gpt2")
	if err != nil {
		t.Fatal(err)
	}
	commit := repo.refs["main"]
	if want := filepath.Join(h.CacheDir, "models--tiny--gpt2", "snapshots", commit); dir != want {
		t.Errorf("dir = %s, want %s", dir, want)
	}
	sameFiles(t, dir, files, "config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "vocab.json")
	data, _ := os.ReadFile(filepath.Join(dir, "model.safetensors"))
	if s := sha256.Sum256(data); hex.EncodeToString(s[:]) != tinySafetensorsSHA256 {
		t.Errorf("model.safetensors sha256 = %x, want %s (SOURCES.md)", s, tinySafetensorsSHA256)
	}
	if _, err := os.Stat(filepath.Join(dir, "README.md")); err == nil {
		t.Error("README.md was downloaded; only checkpoint and tokenizer files should be")
	}
	if _, _, auth := f.stats(); len(auth) > 0 {
		t.Errorf("the token was sent to the CDN host: %q", auth)
	}

	// A second call finds every file in the snapshot: one API request, no
	// HEAD and no download.
	before := f.count("GET cdn/" + tinySafetensorsSHA256)
	if dir2, err := modelDir(context.Background(), h, "tiny/gpt2"); err != nil || dir2 != dir {
		t.Fatalf("second call: %q, %v", dir2, err)
	}
	if n := f.count("HEAD config.json"); n != 1 {
		t.Errorf("config.json had %d HEAD requests over two calls, want 1", n)
	}
	if n := f.count("GET cdn/" + tinySafetensorsSHA256); n != before {
		t.Errorf("model.safetensors downloaded again (%d GETs, want %d)", n, before)
	}
}

func TestHubModelRevision(t *testing.T) {
	f := newFakeHub(t)
	files := tinyModelFiles(t)
	repo := f.addRepo("model", "tiny/gpt2", files)
	commit := repo.refs["main"]
	f.set(func() { repo.refs["refs/pr/1"] = commit })
	h := f.hub(t)
	for _, spec := range []string{"tiny/gpt2@refs/pr/1", "tiny/gpt2@" + commit} {
		dir, err := modelDir(context.Background(), h, spec)
		if err != nil {
			t.Fatalf("%s: %v", spec, err)
		}
		if filepath.Base(dir) != commit {
			t.Errorf("%s: dir %s, want the snapshot of %s", spec, dir, commit)
		}
	}
	ref, err := os.ReadFile(filepath.Join(h.CacheDir, "models--tiny--gpt2", "refs", "refs", "pr", "1"))
	if err != nil || string(ref) != commit {
		t.Errorf("refs/refs/pr/1 = %q, %v; want %s", ref, err, commit)
	}
	if _, err := os.Stat(filepath.Join(h.CacheDir, "models--tiny--gpt2", "refs", commit)); err == nil {
		t.Error("a ref named after a commit hash was written")
	}
}

// TestHubModelLegacyID checks a bare legacy id ("gpt2") that the Hub
// serves from a renamed repository through relative redirects: the cache
// folder is named after the id the user gave, as huggingface_hub does.
func TestHubModelLegacyID(t *testing.T) {
	f := newFakeHub(t)
	files := tinyModelFiles(t)
	f.addRepo("model", "openai-community/gpt2", files)
	f.set(func() { f.aliases["gpt2"] = "openai-community/gpt2" })
	h := f.hub(t)
	dir, err := modelDir(context.Background(), h, "gpt2")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(dir, filepath.Join(h.CacheDir, "models--gpt2", "snapshots")+string(filepath.Separator)) {
		t.Errorf("dir = %s, want it under models--gpt2", dir)
	}
	sameFiles(t, dir, files, "config.json", "model.safetensors")
}

// TestHubModelNoSiblings checks a Hub answer without the file list: every
// candidate file is asked for, and the absent ones are recorded in
// .no_exist/<commit>/ so they are not asked for again.
func TestHubModelNoSiblings(t *testing.T) {
	f := newFakeHub(t)
	files := tinyModelFiles(t)
	repo := f.addRepo("model", "tiny/gpt2", files)
	f.set(func() { repo.noSiblings = true })
	h := f.hub(t)
	dir, err := modelDir(context.Background(), h, "tiny/gpt2")
	if err != nil {
		t.Fatal(err)
	}
	sameFiles(t, dir, files, "config.json", "model.safetensors", "vocab.json")
	marker := filepath.Join(h.CacheDir, "models--tiny--gpt2", ".no_exist", repo.refs["main"], "merges.txt")
	if fi, err := os.Stat(marker); err != nil || fi.Size() != 0 {
		t.Errorf("no empty .no_exist marker for merges.txt: %v", err)
	}
	if _, err := modelDir(context.Background(), h, "tiny/gpt2"); err != nil {
		t.Fatal(err)
	}
	if n := f.count("GET /tiny/gpt2/resolve/" + repo.refs["main"] + "/merges.txt"); n != 0 {
		t.Errorf("merges.txt was fetched %d times", n)
	}
	if n := f.count("HEAD /tiny/gpt2/resolve/" + repo.refs["main"] + "/merges.txt"); n != 1 {
		t.Errorf("merges.txt had %d HEAD requests over two calls, want 1 (then .no_exist)", n)
	}
}

func TestHubModelSharded(t *testing.T) {
	shard1, shard2 := []byte("shard one bytes"), []byte("shard two, a little longer")
	index := `{"metadata": {"total_size": 41}, "weight_map": {"wte.weight": "model-00001-of-00002.safetensors",
		"wpe.weight": "model-00002-of-00002.safetensors", "h.0.ln_1.weight": "model-00001-of-00002.safetensors"}}`
	f := newFakeHub(t)
	files := map[string]*fakeFile{
		"config.json":                      {data: []byte(`{"model_type": "gpt2"}`)},
		"model.safetensors.index.json":     {data: []byte(index)},
		"model-00001-of-00002.safetensors": {data: shard1, lfs: true},
		"model-00002-of-00002.safetensors": {data: shard2, lfs: true},
	}
	f.addRepo("model", "big/sharded", files)
	h := f.hub(t)
	dir, err := modelDir(context.Background(), h, "big/sharded")
	if err != nil {
		t.Fatal(err)
	}
	sameFiles(t, dir, files, "model.safetensors.index.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors")

	t.Run("escaping shard", func(t *testing.T) {
		f.addRepo("model", "evil/sharded", map[string]*fakeFile{
			"config.json":                  {data: []byte(`{}`)},
			"model.safetensors.index.json": {data: []byte(`{"weight_map": {"w": "../../../../outside.safetensors"}}`)},
		})
		_, err := modelDir(context.Background(), h, "evil/sharded")
		if err == nil || !strings.Contains(err.Error(), "escapes the cache directory") {
			t.Fatalf("err = %v, want an escape error", err)
		}
		if _, err := os.Stat(filepath.Join(h.CacheDir, "outside.safetensors")); err == nil {
			t.Error("a file was written outside the repository folder")
		}
	})
}

func TestHubModelErrors(t *testing.T) {
	f := newFakeHub(t)
	f.addRepo("model", "tiny/gpt2", tinyModelFiles(t))
	f.addRepo("model", "old/pytorch-only", map[string]*fakeFile{
		"config.json":       {data: []byte(`{}`)},
		"pytorch_model.bin": {data: []byte("pickle"), lfs: true},
		"tf_model.h5":       {data: []byte("hdf5"), lfs: true},
	})
	private := f.addRepo("model", "acme/private", tinyModelFiles(t))
	f.set(func() { private.token = "hf_right_token_1234" })
	tests := []struct {
		name, spec, token string
		want              []string // substrings of the error
		not               string   // must not appear in the error
		is                error
	}{
		{name: "unknown repository", spec: "nobody/nothing", want: []string{"model nobody/nothing", "repository not found", "404"}, is: ErrNotFound},
		{name: "unknown revision", spec: "tiny/gpt2@v9", want: []string{"model tiny/gpt2", "revision not found"}, is: ErrNotFound},
		{name: "path, not an id", spec: "./models/gpt2", want: []string{"not a Hub repository id"}},
		{name: "too many slashes", spec: "a/b/c", want: []string{"not a Hub repository id", "owner/name"}},
		{name: "revision escaping refs", spec: "tiny/gpt2@../../x", want: []string{"revision", "not allowed"}},
		{name: "only pytorch weights", spec: "old/pytorch-only",
			want: []string{"model old/pytorch-only (file model.safetensors)", "file not found in the repository"}, is: ErrNotFound},
		{name: "private without token", spec: "acme/private", want: []string{"unauthorized", "HF_TOKEN", "401"}},
		{name: "private with a wrong token", spec: "acme/private", token: "hf_wrong_secret_5678",
			want: []string{"unauthorized", "was refused"}, not: "hf_wrong_secret_5678"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := f.hub(t)
			h.Token = tc.token
			_, err := modelDir(context.Background(), h, tc.spec)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if tc.not != "" && strings.Contains(err.Error(), tc.not) {
				t.Errorf("error %q reveals %q", err, tc.not)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("errors.Is(%v, %v) is false", err, tc.is)
			}
		})
	}
	t.Run("private with the right token", func(t *testing.T) {
		h := f.hub(t)
		h.Token = "hf_right_token_1234"
		if _, err := modelDir(context.Background(), h, "acme/private"); err != nil {
			t.Fatal(err)
		}
		if _, _, auth := f.stats(); len(auth) > 0 {
			t.Errorf("the token was sent to the CDN: %q", auth)
		}
	})
}

// TestHubModelOffline checks HF_HUB_OFFLINE with a warm cache (no
// request at all) and a cold one (the error names what is missing).
func TestHubModelOffline(t *testing.T) {
	f := newFakeHub(t)
	repo := f.addRepo("model", "tiny/gpt2", tinyModelFiles(t))
	h := f.hub(t)
	dir, err := modelDir(context.Background(), h, "tiny/gpt2")
	if err != nil {
		t.Fatal(err)
	}
	off := &Client{CacheDir: h.CacheDir, Offline: true, HTTP: &http.Client{Transport: failTransport{t}}}
	t.Run("warm", func(t *testing.T) {
		got, err := modelDir(context.Background(), off, "tiny/gpt2")
		if err != nil || got != dir {
			t.Fatalf("Model = %q, %v; want %s", got, err, dir)
		}
		if got, err := modelDir(context.Background(), off, "tiny/gpt2@"+repo.refs["main"]); err != nil || got != dir {
			t.Fatalf("by commit: %q, %v", got, err)
		}
	})
	t.Run("cold repository", func(t *testing.T) {
		_, err := modelDir(context.Background(), off, "other/model")
		if !errors.Is(err, ErrNotCached) || !strings.Contains(err.Error(), "HF_HUB_OFFLINE") ||
			!strings.Contains(err.Error(), filepath.Join("models--other--model", "refs", "main")) {
			t.Fatalf("err = %v, want ErrNotCached naming refs/main", err)
		}
	})
	t.Run("cold revision", func(t *testing.T) {
		_, err := modelDir(context.Background(), off, "tiny/gpt2@v2")
		if !errors.Is(err, ErrNotCached) || !strings.Contains(err.Error(), "revision v2") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("missing weights", func(t *testing.T) {
		if err := os.Remove(filepath.Join(dir, "model.safetensors")); err != nil {
			t.Fatal(err)
		}
		_, err := modelDir(context.Background(), off, "tiny/gpt2")
		if !errors.Is(err, ErrNotCached) || !strings.Contains(err.Error(), filepath.Join(dir, "model.safetensors")) {
			t.Fatalf("err = %v, want ErrNotCached naming the missing file", err)
		}
	})
}

// failTransport fails the test on any request: offline mode must make
// none.
type failTransport struct{ t *testing.T }

func (ft failTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	ft.t.Errorf("offline mode made a request: %s %s", r.Method, r.URL)
	return nil, errors.New("offline")
}

// modelDir plays the caller's part (package model's Download) for these
// tests, with the file names written out here: it resolves spec, fetches
// config.json, model.safetensors or the shard index and the shards it
// names, and the tokenizer files the repository has, then commits the
// snapshot.
func modelDir(ctx context.Context, h *Client, spec string) (string, error) {
	snap, err := h.Model(ctx, spec)
	if err != nil {
		return "", err
	}
	if _, err := snap.Fetch(ctx, "config.json"); err != nil {
		return "", err
	}
	if _, err := snap.Fetch(ctx, "model.safetensors"); errors.Is(err, fs.ErrNotExist) {
		p, ierr := snap.Fetch(ctx, "model.safetensors.index.json")
		if errors.Is(ierr, fs.ErrNotExist) {
			return "", err
		}
		if ierr != nil {
			return "", ierr
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return "", err
		}
		var idx struct {
			WeightMap map[string]string `json:"weight_map"`
		}
		if err := json.Unmarshal(data, &idx); err != nil {
			return "", err
		}
		for _, s := range idx.WeightMap {
			if _, err := snap.Fetch(ctx, s); err != nil {
				return "", err
			}
		}
	} else if err != nil {
		return "", err
	}
	for _, f := range []string{"tokenizer.json", "vocab.json", "merges.txt", "encoder.json", "vocab.bpe", "tokenizer_config.json", "special_tokens_map.json"} {
		if _, err := snap.Fetch(ctx, f); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
	}
	return snap.Commit()
}
