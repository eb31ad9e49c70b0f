package hub

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestHubFromEnv(t *testing.T) {
	home := t.TempDir()
	hfHome := filepath.Join(home, "hfhome")
	os.MkdirAll(hfHome, 0o755)
	os.WriteFile(filepath.Join(hfHome, "token"), []byte("hf_from_file\n"), 0o600)
	tokenPath := filepath.Join(home, "elsewhere-token")
	os.WriteFile(tokenPath, []byte("  hf_from_token_path  "), 0o600)
	vars := []string{"HF_ENDPOINT", "HF_HOME", "XDG_CACHE_HOME", "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_TOKEN",
		"HUGGING_FACE_HUB_TOKEN", "HF_TOKEN_PATH", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HUB_DISABLE_PROGRESS_BARS"}
	tests := []struct {
		name     string
		env      map[string]string
		endpoint string
		cache    string
		token    string
		offline  bool
		progress bool
		err      string
	}{
		{name: "defaults", env: nil, endpoint: DefaultEndpoint, cache: filepath.Join(home, ".cache", "huggingface", "hub"), progress: true},
		{name: "XDG_CACHE_HOME", env: map[string]string{"XDG_CACHE_HOME": filepath.Join(home, "xdg")},
			endpoint: DefaultEndpoint, cache: filepath.Join(home, "xdg", "huggingface", "hub"), progress: true},
		{name: "HF_HOME and its token file", env: map[string]string{"HF_HOME": hfHome},
			endpoint: DefaultEndpoint, cache: filepath.Join(hfHome, "hub"), token: "hf_from_file", progress: true},
		{name: "HF_HUB_CACHE wins over HF_HOME", env: map[string]string{"HF_HOME": hfHome, "HF_HUB_CACHE": filepath.Join(home, "c")},
			endpoint: DefaultEndpoint, cache: filepath.Join(home, "c"), token: "hf_from_file", progress: true},
		{name: "legacy HUGGINGFACE_HUB_CACHE", env: map[string]string{"HUGGINGFACE_HUB_CACHE": filepath.Join(home, "old")},
			endpoint: DefaultEndpoint, cache: filepath.Join(home, "old"), progress: true},
		{name: "~ expanded", env: map[string]string{"HF_HUB_CACHE": "~/hubcache"},
			endpoint: DefaultEndpoint, cache: filepath.Join(home, "hubcache"), progress: true},
		{name: "HF_TOKEN wins", env: map[string]string{"HF_HOME": hfHome, "HF_TOKEN": "hf_env", "HUGGING_FACE_HUB_TOKEN": "hf_old"},
			endpoint: DefaultEndpoint, cache: filepath.Join(hfHome, "hub"), token: "hf_env", progress: true},
		{name: "HUGGING_FACE_HUB_TOKEN", env: map[string]string{"HF_HOME": hfHome, "HUGGING_FACE_HUB_TOKEN": "hf_old"},
			endpoint: DefaultEndpoint, cache: filepath.Join(hfHome, "hub"), token: "hf_old", progress: true},
		{name: "HF_TOKEN_PATH", env: map[string]string{"HF_HOME": hfHome, "HF_TOKEN_PATH": tokenPath},
			endpoint: DefaultEndpoint, cache: filepath.Join(hfHome, "hub"), token: "hf_from_token_path", progress: true},
		{name: "endpoint without trailing slash", env: map[string]string{"HF_ENDPOINT": "https://hf-mirror.example/"},
			endpoint: "https://hf-mirror.example", cache: filepath.Join(home, ".cache", "huggingface", "hub"), progress: true},
		{name: "bad endpoint", env: map[string]string{"HF_ENDPOINT": "hf-mirror.example"}, err: "HF_ENDPOINT"},
		{name: "offline 1", env: map[string]string{"HF_HUB_OFFLINE": "1"},
			endpoint: DefaultEndpoint, cache: filepath.Join(home, ".cache", "huggingface", "hub"), offline: true, progress: true},
		{name: "offline TRUE", env: map[string]string{"HF_HUB_OFFLINE": "TRUE"},
			endpoint: DefaultEndpoint, cache: filepath.Join(home, ".cache", "huggingface", "hub"), offline: true, progress: true},
		{name: "offline 0", env: map[string]string{"HF_HUB_OFFLINE": "0"},
			endpoint: DefaultEndpoint, cache: filepath.Join(home, ".cache", "huggingface", "hub"), progress: true},
		{name: "TRANSFORMERS_OFFLINE", env: map[string]string{"TRANSFORMERS_OFFLINE": "yes"},
			endpoint: DefaultEndpoint, cache: filepath.Join(home, ".cache", "huggingface", "hub"), offline: true, progress: true},
		{name: "progress disabled", env: map[string]string{"HF_HUB_DISABLE_PROGRESS_BARS": "on"},
			endpoint: DefaultEndpoint, cache: filepath.Join(home, ".cache", "huggingface", "hub")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("HOME", home)
			t.Setenv("USERPROFILE", home)
			for _, v := range vars {
				t.Setenv(v, tc.env[v])
			}
			h, err := FromEnv()
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if h.Endpoint != tc.endpoint || h.CacheDir != tc.cache || h.Token != tc.token || h.Offline != tc.offline || (h.Progress != nil) != tc.progress {
				t.Errorf("got endpoint %q cache %q token %q offline %t progress %t\nwant endpoint %q cache %q token %q offline %t progress %t",
					h.Endpoint, h.CacheDir, h.Token, h.Offline, h.Progress != nil, tc.endpoint, tc.cache, tc.token, tc.offline, tc.progress)
			}
		})
	}
}

func TestHubStringHidesToken(t *testing.T) {
	h := &Client{Endpoint: DefaultEndpoint, CacheDir: "/c", Token: "hf_very_secret"}
	for _, s := range []string{fmt.Sprint(h), fmt.Sprintf("%v %+v %#v %s", h, h, h, h)} {
		if strings.Contains(s, "hf_very_secret") {
			t.Errorf("printing a Hub reveals the token: %s", s)
		}
	}
}

// TestHubReusesCache builds, by hand and following the documented layout,
// the cache huggingface_hub would have left after downloading a model, and
// checks that kshot uses it offline, and online without downloading.
func TestHubReusesCache(t *testing.T) {
	f := newFakeHub(t)
	files := tinyModelFiles(t)
	repo := f.addRepo("model", "tiny/gpt2", files)
	commit := repo.refs["main"]
	cache := t.TempDir()
	repoDir := filepath.Join(cache, "models--tiny--gpt2")
	for _, name := range []string{"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "vocab.json"} {
		etag := files[name].etag()
		os.MkdirAll(filepath.Join(repoDir, "blobs"), 0o755)
		os.WriteFile(filepath.Join(repoDir, "blobs", etag), files[name].data, 0o644)
		os.MkdirAll(filepath.Join(repoDir, "snapshots", commit), 0o755)
		if err := os.Symlink("../../blobs/"+etag, filepath.Join(repoDir, "snapshots", commit, name)); err != nil {
			t.Fatal(err)
		}
	}
	os.MkdirAll(filepath.Join(repoDir, "refs"), 0o755)
	os.WriteFile(filepath.Join(repoDir, "refs", "main"), []byte(commit), 0o644)
	want := filepath.Join(repoDir, "snapshots", commit)

	off := &Client{CacheDir: cache, Offline: true}
	if dir, err := modelDir(context.Background(), off, "tiny/gpt2"); err != nil || dir != want {
		t.Fatalf("offline: %q, %v; want %s", dir, err, want)
	}
	on := &Client{Endpoint: f.srv.URL, CacheDir: cache}
	if dir, err := modelDir(context.Background(), on, "tiny/gpt2"); err != nil || dir != want {
		t.Fatalf("online: %q, %v; want %s", dir, err, want)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for k, n := range f.hits {
		if k != "GET /api/models/tiny/gpt2/revision/main" {
			t.Errorf("unexpected request %s (%d times): the cached files should have been used", k, n)
		}
	}
}
