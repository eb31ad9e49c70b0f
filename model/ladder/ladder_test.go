package ladder

import (
	"bytes"
	"encoding/json"
	"os"
	"path"
	"path/filepath"
	"testing"
)

func TestExtract(t *testing.T) {
	ms, err := Models()
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	dirs, err := ExtractTo(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) != len(ms) {
		t.Fatalf("%d directories for %d models", len(dirs), len(ms))
	}
	prevParams := 0
	for i, m := range ms {
		if filepath.Base(dirs[i]) != m.Name {
			t.Errorf("directory %d is %s, want %s", i, dirs[i], m.Name)
		}
		for _, f := range modelFiles {
			got, err := os.ReadFile(filepath.Join(dirs[i], f))
			if err != nil {
				t.Fatal(err)
			}
			want, _ := files.ReadFile(path.Join("models", m.Name, f))
			if !bytes.Equal(got, want) {
				t.Errorf("%s/%s differs from the embedded file", m.Name, f)
			}
		}
		// Sizes ascend in parameters as config.json describes them.
		var cfg struct {
			ModelType string `json:"model_type"`
			V         int    `json:"vocab_size"`
			P         int    `json:"n_positions"`
			C         int    `json:"n_embd"`
			L         int    `json:"n_layer"`
			DType     string `json:"torch_dtype"`
		}
		data, _ := os.ReadFile(filepath.Join(dirs[i], "config.json"))
		if err := json.Unmarshal(data, &cfg); err != nil || cfg.ModelType != "gpt2" || cfg.DType != "float16" {
			t.Errorf("%s config.json: %+v, %v", m.Name, cfg, err)
		}
		params := cfg.V*cfg.C + cfg.P*cfg.C + cfg.L*(12*cfg.C*cfg.C+13*cfg.C) + 2*cfg.C
		if 2*int64(params) > m.Bytes || m.Bytes > 2*int64(params)+100_000 {
			t.Errorf("%s: %d bytes of float16 for %d parameters", m.Name, m.Bytes, params)
		}
		if params <= prevParams {
			t.Errorf("%s (%d parameters) is not larger than the model before it (%d)", m.Name, params, prevParams)
		}
		prevParams = params
	}
	again, err := ExtractTo(root)
	if err != nil || len(again) != len(dirs) || again[0] != dirs[0] {
		t.Errorf("second extraction: %v, %v", again, err)
	}
	entries, _ := os.ReadDir(root)
	if len(entries) != 1 {
		t.Errorf("%d entries in the cache root, want the one content-hash directory", len(entries))
	}
}
