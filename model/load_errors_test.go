package model

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/kshot-eval/kshot/internal/sharedtest"
)

// ckptSynthGPT2 returns the config.json fields and tensors of a small random
// gpt2 model: V=11, P=5, C=8, H=2, one layer, F=32, F32 weights.
func ckptSynthGPT2() (map[string]any, []ckptTensor) {
	cfg := map[string]any{"model_type": "gpt2", "vocab_size": 11, "n_positions": 5, "n_embd": 8, "n_head": 2, "n_layer": 1}
	rng := rand.New(rand.NewPCG(1, 2))
	t := func(name string, shape ...int) ckptTensor {
		n := 1
		for _, d := range shape {
			n *= d
		}
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(rng.NormFloat64())
		}
		return ckptTensor{name, "F32", shape, ckptF32Bytes(v...)}
	}
	return cfg, []ckptTensor{
		t("wte.weight", 11, 8), t("wpe.weight", 5, 8),
		t("h.0.ln_1.weight", 8), t("h.0.ln_1.bias", 8),
		t("h.0.attn.bias", 1, 1, 5, 5),
		t("h.0.attn.c_attn.weight", 8, 24), t("h.0.attn.c_attn.bias", 24),
		t("h.0.attn.c_proj.weight", 8, 8), t("h.0.attn.c_proj.bias", 8),
		t("h.0.ln_2.weight", 8), t("h.0.ln_2.bias", 8),
		t("h.0.mlp.c_fc.weight", 8, 32), t("h.0.mlp.c_fc.bias", 32),
		t("h.0.mlp.c_proj.weight", 32, 8), t("h.0.mlp.c_proj.bias", 8),
		t("ln_f.weight", 8), t("ln_f.bias", 8),
	}
}

// ckptWriteModel writes config.json and model.safetensors into dir.
func ckptWriteModel(tb testing.TB, dir string, cfg map[string]any, ts []ckptTensor, patch ...func(map[string]any)) {
	tb.Helper()
	js, err := json.Marshal(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	ckptWriteFile(tb, filepath.Join(dir, ConfigFileName), js)
	ckptWriteFile(tb, filepath.Join(dir, SafetensorsFileName), ckptBuild(tb, ts, map[string]string{"format": "pt"}, patch...))
}

// ckptWriteSharded writes config.json, one shard per group of tensors and an
// index mapping every tensor to its shard; edit may change the index.
func ckptWriteSharded(tb testing.TB, dir string, cfg map[string]any, groups [][]ckptTensor, edit func(weightMap map[string]string)) {
	tb.Helper()
	js, _ := json.Marshal(cfg)
	ckptWriteFile(tb, filepath.Join(dir, ConfigFileName), js)
	wm := map[string]string{}
	for i, g := range groups {
		shard := fmt.Sprintf("model-%05d-of-%05d.safetensors", i+1, len(groups))
		ckptWriteFile(tb, filepath.Join(dir, shard), ckptBuild(tb, g, nil))
		for _, t := range g {
			wm[t.name] = shard
		}
	}
	if edit != nil {
		edit(wm)
	}
	idx, _ := json.Marshal(map[string]any{"metadata": map[string]any{"total_size": 0}, "weight_map": wm})
	ckptWriteFile(tb, filepath.Join(dir, IndexFileName), idx)
}

func ckptWithout(ts []ckptTensor, name string) []ckptTensor {
	return slices.DeleteFunc(slices.Clone(ts), func(t ckptTensor) bool { return t.name == name })
}

func ckptReplaced(ts []ckptTensor, name string, nt ckptTensor) []ckptTensor {
	out := slices.Clone(ts)
	for i := range out {
		if out[i].name == name {
			out[i] = nt
		}
	}
	return out
}

func ckptWith(cfg map[string]any, kv ...any) map[string]any {
	out := map[string]any{}
	for k, v := range cfg {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

func TestLoadErrors(t *testing.T) {
	cfg, ts := ckptSynthGPT2()
	cases := []struct {
		name  string
		setup func(t *testing.T, dir string)
		want  []string
	}{
		{"missing config", func(t *testing.T, dir string) {
			ckptWriteFile(t, filepath.Join(dir, SafetensorsFileName), ckptBuild(t, ts, nil))
		}, []string{"config.json", "cannot read", "no such file"}},
		{"no checkpoint", func(t *testing.T, dir string) {
			js, _ := json.Marshal(cfg)
			ckptWriteFile(t, filepath.Join(dir, ConfigFileName), js)
		}, []string{"no model.safetensors or model.safetensors.index.json", "pytorch_model.bin"}},
		{"unknown model_type", func(t *testing.T, dir string) {
			ckptWriteModel(t, dir, ckptWith(cfg, "model_type", "llama"), ts)
		}, []string{"config.json", `"model_type"`, `"llama"`, "gpt2, gpt_neo, openai-gpt"}},
		{"bad config field", func(t *testing.T, dir string) {
			ckptWriteModel(t, dir, ckptWith(cfg, "n_head", 3), ts)
		}, []string{"config.json", `"n_embd"`, "head count 3"}},
		{"truncated file", func(t *testing.T, dir string) {
			ckptWriteModel(t, dir, cfg, ts)
			p := filepath.Join(dir, SafetensorsFileName)
			raw, _ := os.ReadFile(p)
			ckptWriteFile(t, p, raw[:len(raw)-5])
		}, []string{"model.safetensors", `"ln_f.bias"`, "out of range", "truncated"}},
		{"header length past end", func(t *testing.T, dir string) {
			ckptWriteModel(t, dir, cfg, ts)
			p := filepath.Join(dir, SafetensorsFileName)
			raw, _ := os.ReadFile(p)
			raw[5] = 1 // length += 2^40
			ckptWriteFile(t, p, raw)
		}, []string{"model.safetensors", "header length", "past the end"}},
		{"offsets out of range", func(t *testing.T, dir string) {
			ckptWriteModel(t, dir, cfg, ts, func(h map[string]any) {
				h["ln_f.bias"].(map[string]any)["data_offsets"] = []int{1 << 20, 1<<20 + 32}
			})
		}, []string{"model.safetensors", `"ln_f.bias"`, "out of range"}},
		{"overlapping tensors", func(t *testing.T, dir string) {
			ckptWriteModel(t, dir, cfg, ts, func(h map[string]any) {
				h["wpe.weight"].(map[string]any)["data_offsets"] = []int{16, 16 + 160}
			})
		}, []string{"model.safetensors", `"wpe.weight"`, `overlap tensor "wte.weight"`}},
		{"dtype disagrees with file size", func(t *testing.T, dir string) {
			ckptWriteModel(t, dir, cfg, ts, func(h map[string]any) { h["wte.weight"].(map[string]any)["dtype"] = "F16" })
		}, []string{`"wte.weight"`, "needs 176 bytes", "span 352"}},
		{"unreadable dtype", func(t *testing.T, dir string) {
			ckptWriteModel(t, dir, cfg, ckptReplaced(ts, "wpe.weight", ckptTensor{"wpe.weight", "I32", []int{5, 8}, make([]byte, 160)}))
		}, []string{"model.safetensors", `"wpe.weight"`, "dtype I32", "F32, F16 and BF16"}},
		{"missing tensor", func(t *testing.T, dir string) {
			ckptWriteModel(t, dir, cfg, ckptWithout(ts, "h.0.mlp.c_fc.bias"))
		}, []string{"model.safetensors", `"h.0.mlp.c_fc.bias"`, "missing", "[32]"}},
		{"misshapen tensor", func(t *testing.T, dir string) {
			ckptWriteModel(t, dir, cfg, ckptReplaced(ts, "h.0.attn.c_attn.weight", ckptTensor{"h.0.attn.c_attn.weight", "F32", []int{8, 16}, make([]byte, 512)}))
		}, []string{"model.safetensors", `"h.0.attn.c_attn.weight"`, "shape [8 16]", "implies [8 24]"}},
		{"transposed conv1d", func(t *testing.T, dir string) {
			ckptWriteModel(t, dir, cfg, ckptReplaced(ts, "h.0.mlp.c_fc.weight", ckptTensor{"h.0.mlp.c_fc.weight", "F32", []int{32, 8}, make([]byte, 1024)}))
		}, []string{`"h.0.mlp.c_fc.weight"`, "shape [32 8]", "implies [8 32]"}},
		{"vocab disagrees with config", func(t *testing.T, dir string) {
			ckptWriteModel(t, dir, ckptWith(cfg, "vocab_size", 12), ts)
		}, []string{`"wte.weight"`, "shape [11 8]", "implies [12 8]", "V=12"}},
		{"extra layer", func(t *testing.T, dir string) {
			ckptWriteModel(t, dir, cfg, append(slices.Clone(ts), ckptTensor{"h.1.ln_1.weight", "F32", []int{8}, make([]byte, 32)}))
		}, []string{`"h.1.ln_1.weight"`, "unexpected tensor", `"gpt2"`}},
		{"wrong architecture", func(t *testing.T, dir string) {
			ckptWriteModel(t, dir, ckptWith(cfg, "model_type", "gpt_neo", "hidden_size", 8, "num_heads", 2, "num_layers", 1,
				"max_position_embeddings", 5, "attention_layers", []string{"global"}), ts)
		}, []string{"unexpected tensor", `"gpt_neo"`}},
		{"duplicate after prefix", func(t *testing.T, dir string) {
			ckptWriteModel(t, dir, cfg, append(slices.Clone(ts), ckptTensor{"transformer.wte.weight", "F32", []int{11, 8}, make([]byte, 352)}))
		}, []string{"duplicates"}},
		{"untied without lm_head", func(t *testing.T, dir string) {
			ckptWriteModel(t, dir, ckptWith(cfg, "tie_word_embeddings", false), ts)
		}, []string{`"lm_head.weight"`, "missing", "tie_word_embeddings false"}},
		{"misshapen lm_head", func(t *testing.T, dir string) {
			ckptWriteModel(t, dir, cfg, append(slices.Clone(ts), ckptTensor{"lm_head.weight", "F32", []int{8, 11}, make([]byte, 352)}))
		}, []string{`"lm_head.weight"`, "shape [8 11]", "implies [11 8]"}},
		{"sharded: missing shard", func(t *testing.T, dir string) {
			ckptWriteSharded(t, dir, cfg, [][]ckptTensor{ts[:6], ts[6:]}, nil)
			os.Remove(filepath.Join(dir, "model-00002-of-00002.safetensors"))
		}, []string{"model-00002-of-00002.safetensors", "no such file", "model.safetensors.index.json lists it"}},
		{"sharded: path escapes", func(t *testing.T, dir string) {
			ckptWriteSharded(t, dir, cfg, [][]ckptTensor{ts}, func(wm map[string]string) { wm["wte.weight"] = "../other/model.safetensors" })
		}, []string{IndexFileName, `"wte.weight"`, "escapes the model directory"}},
		{"sharded: absolute path", func(t *testing.T, dir string) {
			ckptWriteSharded(t, dir, cfg, [][]ckptTensor{ts}, func(wm map[string]string) { wm["wte.weight"] = "/etc/passwd" })
		}, []string{"escapes the model directory"}},
		{"sharded: tensor not in its shard", func(t *testing.T, dir string) {
			ckptWriteSharded(t, dir, cfg, [][]ckptTensor{ts[:6], ts[6:]}, func(wm map[string]string) {
				wm["wte.weight"] = "model-00002-of-00002.safetensors"
			})
		}, []string{IndexFileName, `"wte.weight"`, "does not hold it"}},
		{"sharded: unlisted tensor", func(t *testing.T, dir string) {
			ckptWriteSharded(t, dir, cfg, [][]ckptTensor{ts[:6], ts[6:]}, func(wm map[string]string) { delete(wm, "ln_f.bias") })
		}, []string{"model-00002-of-00002.safetensors", `"ln_f.bias"`, "not listed"}},
		{"sharded: bad index", func(t *testing.T, dir string) {
			ckptWriteSharded(t, dir, cfg, [][]ckptTensor{ts}, nil)
			ckptWriteFile(t, filepath.Join(dir, IndexFileName), []byte(`{"weight_map": [1]}`))
		}, []string{IndexFileName, "not a valid shard index"}},
		{"sharded: empty index", func(t *testing.T, dir string) {
			ckptWriteSharded(t, dir, cfg, [][]ckptTensor{ts}, nil)
			ckptWriteFile(t, filepath.Join(dir, IndexFileName), []byte(`{"metadata": {}}`))
		}, []string{IndexFileName, `"weight_map"`, "missing or empty"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			c.setup(t, dir)
			_, _, err := Load(dir)
			if err == nil {
				t.Fatal("no error")
			}
			t.Log(err)
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Errorf("error %q is not a *FileError", err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

// TestLoadSynthetic checks a valid synthetic model end to end, including
// the ignored mask buffer and the LM head under both tying settings.
func TestLoadSynthetic(t *testing.T) {
	cfg, ts := ckptSynthGPT2()
	wte := ts[0]
	head := ckptTensor{"lm_head.weight", "F32", []int{11, 8}, ckptF32Bytes(slices.Repeat([]float32{0.5, -1}, 44)...)}
	headT := ckptTranspose(slices.Repeat([]float32{0.5, -1}, 44), 11, 8)
	wteVals := make([]float32, 88)
	for i := range wteVals {
		wteVals[i] = math.Float32frombits(binary.LittleEndian.Uint32(wte.data[4*i:]))
	}
	cases := []struct {
		name string
		cfg  map[string]any
		ts   []ckptTensor
		want []float32 // LM head as [C, V]
	}{
		{"tied", cfg, ts, ckptTranspose(wteVals, 11, 8)},
		{"tied ignores stored head", cfg, append(slices.Clone(ts), head), ckptTranspose(wteVals, 11, 8)},
		{"untied uses stored head", ckptWith(cfg, "tie_word_embeddings", false), append(slices.Clone(ts), head), headT},
		{"prefixed names", cfg, ckptPrefixed(ts), ckptTranspose(wteVals, 11, 8)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			ckptWriteModel(t, dir, c.cfg, c.ts)
			_, w, err := Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			if got := ckptUnpack(w.LMHead.W); !slices.Equal(got, c.want) {
				t.Errorf("LM head differs")
			}
			if !slices.Equal(w.EmbeddingMatrix(), wteVals) {
				t.Errorf("WTE differs")
			}
		})
	}
}

func ckptPrefixed(ts []ckptTensor) []ckptTensor {
	out := slices.Clone(ts)
	for i := range out {
		out[i].name = "transformer." + out[i].name
	}
	return out
}

// TestLoadSharded splits a fixture into two shards with an index and
// checks that loading gives exactly the weights of the single file.
func TestLoadSharded(t *testing.T) {
	src := sharedtest.Path(t, "fixtures/models/gpt2-tiny-f16")
	rc := ckptReadRaw(t, filepath.Join(src, "model.safetensors"))
	var groups [2][]ckptTensor
	for _, name := range sortedKeys(rc.hdr) {
		h := rc.hdr[name]
		g := 0
		if strings.Contains(name, "h.1.") || strings.Contains(name, "h.2.") || strings.Contains(name, "ln_f") {
			g = 1
		}
		groups[g] = append(groups[g], ckptTensor{name, h.DType, h.Shape, rc.data[h.Offsets[0]:h.Offsets[1]]})
	}
	var cfg map[string]any
	data, err := os.ReadFile(filepath.Join(src, ConfigFileName))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &cfg); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ckptWriteSharded(t, dir, cfg, groups[:], nil)
	ck, err := OpenCheckpoint(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ck.Files) != 2 || ck.Index == "" || len(ck.Names()) != len(rc.hdr) {
		t.Errorf("checkpoint has %d files, index %q, %d tensors", len(ck.Files), ck.Index, len(ck.Names()))
	}
	ck.Close()
	c1, w1, err := Load(src)
	if err != nil {
		t.Fatal(err)
	}
	c2, w2, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c1, c2) || !reflect.DeepEqual(w1, w2) {
		t.Error("sharded load differs from the single-file load")
	}
}

func FuzzParseShardIndex(f *testing.F) {
	f.Add([]byte(`{"metadata": {"total_size": 8}, "weight_map": {"a": "model-00001-of-00002.safetensors", "b": "sub/x.safetensors"}}`))
	f.Add([]byte(`{"weight_map": {"a": "../x"}}`))
	f.Add([]byte(`{"weight_map": {}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		wm, err := ParseShardIndex(data, "index.json")
		if err != nil {
			return
		}
		if len(wm) == 0 {
			t.Fatal("accepted an empty weight_map")
		}
		for _, shard := range wm {
			if !filepath.IsLocal(shard) {
				t.Fatalf("accepted shard path %q", shard)
			}
		}
	})
}
