package model

import (
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/kshot-eval/kshot/internal/sharedtest"
)

func TestParseConfig(t *testing.T) {
	inv := func(d float64) float32 { return float32(1 / math.Sqrt(d)) }
	good := []struct {
		name, json string
		want       Config
	}{
		{
			// Every default from Hugging Face's GPT2Config.
			"gpt2 defaults", `{"model_type": "gpt2"}`,
			Config{Arch: ArchGPT2, ModelType: "gpt2", VocabSize: 50257, NPositions: 1024, NEmbd: 768, NLayer: 12, NHead: 12,
				NInner: 3072, LayerNormEps: 1e-5, Activation: "gelu_new", AttnScale: inv(64), LocalWindow: make([]int, 12),
				TieWordEmbeddings: true, BOS: 50256, EOS: 50256},
		},
		{
			"gpt2 explicit", `{"model_type": "gpt2", "vocab_size": 61, "n_positions": 16, "n_embd": 32, "n_layer": 2, "n_head": 2,
				"n_inner": 64, "layer_norm_epsilon": 1e-6, "activation_function": "relu", "scale_attn_weights": false,
				"scale_attn_by_inverse_layer_idx": true, "tie_word_embeddings": false, "bos_token_id": null, "eos_token_id": 7,
				"n_ctx": 16, "attn_pdrop": 0.1}`,
			Config{Arch: ArchGPT2, ModelType: "gpt2", VocabSize: 61, NPositions: 16, NEmbd: 32, NLayer: 2, NHead: 2,
				NInner: 64, LayerNormEps: 1e-6, Activation: "relu", AttnScale: 1, ScaleByInverseLayerIdx: true, LocalWindow: []int{0, 0},
				TieWordEmbeddings: false, BOS: -1, EOS: 7},
		},
		{
			"gpt2 null n_inner", `{"model_type": "gpt2", "n_embd": 16, "n_head": 4, "n_layer": 1, "n_inner": null}`,
			Config{Arch: ArchGPT2, ModelType: "gpt2", VocabSize: 50257, NPositions: 1024, NEmbd: 16, NLayer: 1, NHead: 4,
				NInner: 64, LayerNormEps: 1e-5, Activation: "gelu_new", AttnScale: 0.5, LocalWindow: []int{0},
				TieWordEmbeddings: true, BOS: 50256, EOS: 50256},
		},
		{
			// OpenAIGPTConfig defaults; afn "gelu" is gelu_new in modeling_openai.py's ACT_FNS.
			"openai-gpt defaults", `{"model_type": "openai-gpt"}`,
			Config{Arch: ArchOpenAIGPT, ModelType: "openai-gpt", VocabSize: 40478, NPositions: 512, NEmbd: 768, NLayer: 12, NHead: 12,
				NInner: 3072, LayerNormEps: 1e-5, Activation: "gelu_new", AttnScale: inv(64), LocalWindow: make([]int, 12),
				TieWordEmbeddings: true, BOS: -1, EOS: -1},
		},
		{
			"openai-gpt swish", `{"model_type": "openai-gpt", "n_embd": 8, "n_head": 2, "n_layer": 1, "afn": "swish"}`,
			Config{Arch: ArchOpenAIGPT, ModelType: "openai-gpt", VocabSize: 40478, NPositions: 512, NEmbd: 8, NLayer: 1, NHead: 2,
				NInner: 32, LayerNormEps: 1e-5, Activation: "silu", AttnScale: 0.5, LocalWindow: []int{0},
				TieWordEmbeddings: true, BOS: -1, EOS: -1},
		},
		{
			// GPTNeoConfig defaults: 24 layers alternating global/local, window 256, unscaled scores.
			"gpt_neo defaults", `{"model_type": "gpt_neo"}`,
			Config{Arch: ArchGPTNeo, ModelType: "gpt_neo", VocabSize: 50257, NPositions: 2048, NEmbd: 2048, NLayer: 24, NHead: 16,
				NInner: 8192, LayerNormEps: 1e-5, Activation: "gelu_new", AttnScale: 1,
				LocalWindow:       []int{0, 256, 0, 256, 0, 256, 0, 256, 0, 256, 0, 256, 0, 256, 0, 256, 0, 256, 0, 256, 0, 256, 0, 256},
				TieWordEmbeddings: true, BOS: 50256, EOS: 50256},
		},
		{
			"gpt_neo attention_types", `{"model_type": "gpt_neo", "hidden_size": 8, "num_heads": 2, "num_layers": 3, "window_size": 5,
				"attention_types": [[["local"], 1], [["global", "local"], 1]], "intermediate_size": 20}`,
			Config{Arch: ArchGPTNeo, ModelType: "gpt_neo", VocabSize: 50257, NPositions: 2048, NEmbd: 8, NLayer: 3, NHead: 2,
				NInner: 20, LayerNormEps: 1e-5, Activation: "gelu_new", AttnScale: 1, LocalWindow: []int{5, 0, 5},
				TieWordEmbeddings: true, BOS: 50256, EOS: 50256},
		},
		{
			"gpt_neo attention_layers wins", `{"model_type": "gpt_neo", "hidden_size": 8, "num_heads": 2, "num_layers": 2,
				"attention_types": [[["local"], 7]], "attention_layers": ["global", "global"], "window_size": -3}`,
			Config{Arch: ArchGPTNeo, ModelType: "gpt_neo", VocabSize: 50257, NPositions: 2048, NEmbd: 8, NLayer: 2, NHead: 2,
				NInner: 32, LayerNormEps: 1e-5, Activation: "gelu_new", AttnScale: 1, LocalWindow: []int{0, 0},
				TieWordEmbeddings: true, BOS: 50256, EOS: 50256},
		},
	}
	for _, c := range good {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseConfig([]byte(c.json), "config.json")
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*got, c.want) {
				t.Errorf("got  %+v\nwant %+v", *got, c.want)
			}
		})
	}

	bad := []struct {
		name, json string
		want       []string
	}{
		{"not json", `{"model_type": `, []string{"/m/config.json:1:15: not valid JSON"}},
		{"trailing comma", "{\n  \"model_type\": \"gpt2\",\n  \"n_layer\": 2,\n}\n", []string{"/m/config.json:4:1: not valid JSON", "trailing comma"}},
		{"missing comma", "{\"model_type\": \"gpt2\"\n \"n_layer\": 2}", []string{"/m/config.json:2:2: not valid JSON"}},
		{"not an object", `[]`, []string{"not a JSON object"}},
		{"null", `null`, []string{"not a JSON object"}},
		{"no model_type", `{"n_embd": 8}`, []string{`"model_type"`, "missing", "gpt2, gpt_neo, openai-gpt"}},
		{"model_type not a string", `{"model_type": 3}`, []string{`"model_type"`, "must be a string"}},
		{"unknown model_type", `{"model_type": "llama"}`, []string{`"model_type"`, `"llama"`, "supported: gpt2, gpt_neo, openai-gpt"}},
		{"did you mean", `{"model_type": "gpt-neo"}`, []string{`did you mean "gpt_neo"`}},
		{"zero n_embd", `{"model_type": "gpt2", "n_embd": 0}`, []string{`"n_embd"`, "positive"}},
		{"negative n_layer", `{"model_type": "gpt2", "n_layer": -2}`, []string{`"n_layer"`, "positive"}},
		{"string n_head", `{"model_type": "gpt2", "n_head": "12"}`, []string{`"n_head"`, "integer"}},
		{"fractional vocab", `{"model_type": "gpt2", "vocab_size": 10.5}`, []string{`"vocab_size"`, "integer"}},
		{"huge positions", `{"model_type": "gpt2", "n_positions": 1000000000}`, []string{`"n_positions"`, "implausibly large"}},
		{"indivisible heads", `{"model_type": "gpt2", "n_embd": 10, "n_head": 4}`, []string{`"n_embd"`, "multiple of the head count 4"}},
		{"neo indivisible", `{"model_type": "gpt_neo", "hidden_size": 10, "num_heads": 4, "num_layers": 1, "attention_layers": ["global"]}`, []string{`"hidden_size"`}},
		{"zero n_inner", `{"model_type": "gpt2", "n_inner": 0}`, []string{`"n_inner"`, "positive"}},
		{"bad epsilon", `{"model_type": "gpt2", "layer_norm_epsilon": -1}`, []string{`"layer_norm_epsilon"`, "positive number"}},
		{"bad bool", `{"model_type": "gpt2", "scale_attn_weights": "yes"}`, []string{`"scale_attn_weights"`, "true or false"}},
		{"bad activation", `{"model_type": "gpt2", "activation_function": "tanh"}`, []string{`"activation_function"`, `"tanh"`, "gelu_new"}},
		{"openai-gpt bad afn", `{"model_type": "openai-gpt", "afn": "gelu_new"}`, []string{`"afn"`, `"gelu_new"`, "gelu, relu, silu, swish"}},
		{"neo bad activation", `{"model_type": "gpt_neo", "activation_function": "elu"}`, []string{`"activation_function"`, `"elu"`}},
		{"bad token id", `{"model_type": "gpt2", "eos_token_id": [1, 2]}`, []string{`"eos_token_id"`}},
		{"neo layers count", `{"model_type": "gpt_neo", "num_layers": 3, "attention_layers": ["global", "local"]}`, []string{`"attention_layers"`, "2 layers", "num_layers is 3"}},
		{"neo default types count", `{"model_type": "gpt_neo", "num_layers": 4}`, []string{`"attention_types"`, "24 layers", "absent"}},
		{"neo unknown kind", `{"model_type": "gpt_neo", "num_layers": 2, "attention_layers": ["global", "sparse"]}`, []string{`"attention_layers"`, `"sparse"`, "layer 1"}},
		{"neo bad types", `{"model_type": "gpt_neo", "num_layers": 2, "attention_types": [["global", 2]]}`, []string{`"attention_types"`}},
		{"neo bad types shape", `{"model_type": "gpt_neo", "attention_types": 5}`, []string{`"attention_types"`, "pairs"}},
		{"neo window", `{"model_type": "gpt_neo", "num_layers": 2, "attention_layers": ["global", "local"], "window_size": 0}`, []string{`"window_size"`, "positive"}},
		{"neo layers not strings", `{"model_type": "gpt_neo", "attention_layers": [1, 2]}`, []string{`"attention_layers"`, "list of strings"}},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(c.json), "/m/config.json")
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range append(c.want, "/m/config.json") {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func FuzzParseConfig(f *testing.F) {
	paths, _ := filepath.Glob(filepath.Join(sharedtest.Path(f, "fixtures/models"), "*", "config.json"))
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		for _, s := range sharedtest.Damage(data) {
			f.Add(s)
		}
	}
	f.Add([]byte(`{"model_type": "gpt_neo", "num_layers": 2, "attention_types": [[["global", "local"], 1]], "window_size": 3}`))
	f.Add([]byte(`{"model_type": "openai-gpt", "afn": "relu", "n_embd": 6, "n_head": 3}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig(data, "config.json")
		if err != nil {
			return
		}
		if c.VocabSize <= 0 || c.NPositions <= 0 || c.NEmbd <= 0 || c.NLayer <= 0 || c.NHead <= 0 || c.NInner <= 0 ||
			c.NEmbd%c.NHead != 0 || len(c.LocalWindow) != c.NLayer || !(c.LayerNormEps > 0) || !(c.AttnScale > 0) {
			t.Fatalf("accepted an invalid config: %+v", c)
		}
		if !slices.Contains(supportedActivations, c.Activation) {
			t.Fatalf("accepted activation %q", c.Activation)
		}
		for _, w := range c.LocalWindow {
			if w < 0 {
				t.Fatalf("negative window in %v", c.LocalWindow)
			}
		}
	})
}
