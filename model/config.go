package model

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/kshot-eval/kshot/internal/suggest"
	"math"
	"os"
	"slices"
	"strings"
)

// supportedModelTypes lists the config.json "model_type" values kshot
// computes, sorted.
var supportedModelTypes = []string{"gpt2", "gpt_neo", "openai-gpt"}

// supportedActivations lists the activation names (Hugging Face ACT2FN
// keys) the decoder computes, sorted.
var supportedActivations = []string{"gelu", "gelu_fast", "gelu_new", "gelu_pytorch_tanh", "quick_gelu", "relu", "silu", "swish"}

// openAIGPTActivations maps openai-gpt's "afn" values to the function
// Hugging Face's modeling_openai.py applies (its ACT_FNS table): there
// "gelu" is the tanh approximation, gelu_new, not the erf GELU.
var openAIGPTActivations = map[string]string{"gelu": "gelu_new", "relu": "relu", "silu": "silu", "swish": "silu"}

// ReadConfig reads and validates the Hugging Face config.json at path (see
// ParseConfig).
func ReadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &FileError{File: path, Msg: "cannot read: " + unwrapPathError(err), Hint: "a model directory needs config.json"}
	}
	return ParseConfig(data, path)
}

// ParseConfig parses config.json bytes for model_type "gpt2", "openai-gpt"
// or "gpt_neo", filling absent fields with the defaults of Hugging Face's
// GPT2Config, OpenAIGPTConfig and GPTNeoConfig. Fields that do not change
// the computed scores (dropout, initializer_range, …) are ignored. file
// names the file in errors.
func ParseConfig(data []byte, file string) (*Config, error) {
	r := &configReader{file: file}
	if err := json.Unmarshal(data, &r.m); err != nil || r.m == nil {
		msg := "not a JSON object"
		var typeErr *json.UnmarshalTypeError
		var se *json.SyntaxError
		switch {
		case errors.As(err, &se):
			line, col := lineColumn(data, se.Offset)
			return nil, &FileError{File: fmt.Sprintf("%s:%d:%d", file, line, col), Msg: "not valid JSON: " + se.Error(),
				Hint: "look for a missing or trailing comma, or a missing quote, at or just before that point"}
		case err != nil && !errors.As(err, &typeErr):
			msg = "not valid JSON: " + err.Error()
		}
		return nil, &FileError{File: file, Msg: msg, Hint: `config.json is one JSON object, {"model_type": "gpt2", ...}`}
	}
	mt, ok := r.m["model_type"]
	if !ok {
		return nil, &FileError{File: file, Field: "model_type", Msg: "missing", Hint: "supported: " + strings.Join(supportedModelTypes, ", ")}
	}
	var modelType string
	if err := json.Unmarshal(mt, &modelType); err != nil {
		return nil, &FileError{File: file, Field: "model_type", Msg: "must be a string, got " + string(mt)}
	}
	c := &Config{ModelType: modelType}
	switch modelType {
	case "gpt2":
		r.gpt2(c)
	case "openai-gpt":
		r.openAIGPT(c)
	case "gpt_neo":
		r.gptNeo(c)
	default:
		hint := "supported: " + strings.Join(supportedModelTypes, ", ")
		if s := suggest.Closest(modelType, supportedModelTypes); s != "" {
			hint = fmt.Sprintf("did you mean %q? %s", s, hint)
		}
		return nil, &FileError{File: file, Field: "model_type", Msg: fmt.Sprintf("unsupported value %q", modelType), Hint: hint}
	}
	if r.err != nil {
		return nil, r.err
	}
	if c.NEmbd%c.NHead != 0 {
		field := map[Arch]string{ArchGPT2: "n_embd", ArchOpenAIGPT: "n_embd", ArchGPTNeo: "hidden_size"}[c.Arch]
		return nil, &FileError{File: file, Field: field, Msg: fmt.Sprintf("%d is not a multiple of the head count %d", c.NEmbd, c.NHead)}
	}
	if c.LocalWindow == nil {
		c.LocalWindow = make([]int, c.NLayer)
	}
	return c, nil
}

func (r *configReader) gpt2(c *Config) {
	c.Arch = ArchGPT2
	c.VocabSize = r.positive("vocab_size", 50257)
	c.NPositions = r.positive("n_positions", 1024)
	c.NEmbd = r.positive("n_embd", 768)
	c.NLayer = r.positive("n_layer", 12)
	c.NHead = r.positive("n_head", 12)
	c.NInner = r.positive("n_inner", 4*c.NEmbd)
	c.LayerNormEps = r.epsilon("layer_norm_epsilon", 1e-5)
	c.Activation = r.activation("activation_function", "gelu_new")
	c.AttnScale = 1
	if r.boolean("scale_attn_weights", true) && c.NHead > 0 {
		c.AttnScale = float32(1 / math.Sqrt(float64(c.NEmbd/c.NHead)))
	}
	c.ScaleByInverseLayerIdx = r.boolean("scale_attn_by_inverse_layer_idx", false)
	c.TieWordEmbeddings = r.boolean("tie_word_embeddings", true)
	c.BOS = r.tokenID("bos_token_id", 50256)
	c.EOS = r.tokenID("eos_token_id", 50256)
}

func (r *configReader) openAIGPT(c *Config) {
	c.Arch = ArchOpenAIGPT
	c.VocabSize = r.positive("vocab_size", 40478)
	c.NPositions = r.positive("n_positions", 512)
	c.NEmbd = r.positive("n_embd", 768)
	c.NLayer = r.positive("n_layer", 12)
	c.NHead = r.positive("n_head", 12)
	c.NInner = 4 * c.NEmbd // modeling_openai.py: MLP(4 * n_embd)
	c.LayerNormEps = r.epsilon("layer_norm_epsilon", 1e-5)
	afn := r.str("afn", "gelu")
	if act, ok := openAIGPTActivations[afn]; ok {
		c.Activation = act
	} else if r.err == nil {
		r.fail("afn", fmt.Sprintf("unsupported activation %q", afn), "openai-gpt supports: "+strings.Join(sortedKeys(openAIGPTActivations), ", "))
	}
	// OpenAIGPTModel builds its blocks with scale=True.
	if c.NHead > 0 {
		c.AttnScale = float32(1 / math.Sqrt(float64(c.NEmbd/c.NHead)))
	}
	c.TieWordEmbeddings = r.boolean("tie_word_embeddings", true)
	c.BOS = r.tokenID("bos_token_id", -1)
	c.EOS = r.tokenID("eos_token_id", -1)
}

func (r *configReader) gptNeo(c *Config) {
	c.Arch = ArchGPTNeo
	c.VocabSize = r.positive("vocab_size", 50257)
	c.NPositions = r.positive("max_position_embeddings", 2048)
	c.NEmbd = r.positive("hidden_size", 2048)
	c.NLayer = r.positive("num_layers", 24)
	c.NHead = r.positive("num_heads", 16)
	c.NInner = r.positive("intermediate_size", 4*c.NEmbd)
	c.LayerNormEps = r.epsilon("layer_norm_epsilon", 1e-5)
	c.Activation = r.activation("activation_function", "gelu_new")
	c.AttnScale = 1 // GPT-Neo does not scale attention scores
	c.TieWordEmbeddings = r.boolean("tie_word_embeddings", true)
	c.BOS = r.tokenID("bos_token_id", 50256)
	c.EOS = r.tokenID("eos_token_id", 50256)
	if r.err != nil {
		return
	}
	// Hugging Face expands attention_types into attention_layers, then lets
	// an explicit attention_layers in config.json override the expansion.
	kinds, field := r.attentionLayers(c.NLayer)
	if r.err != nil {
		return
	}
	if len(kinds) != c.NLayer {
		hint := ""
		if _, ok := r.present(field); !ok {
			hint = `absent, so GPTNeoConfig's default [[["global", "local"], 12]] applies; set attention_layers or attention_types`
		}
		r.fail(field, fmt.Sprintf("describes %d layers but num_layers is %d", len(kinds), c.NLayer), hint)
		return
	}
	window := 0
	if slices.Contains(kinds, "local") {
		window = r.positive("window_size", 256)
	}
	c.LocalWindow = make([]int, c.NLayer)
	for i, k := range kinds {
		switch k {
		case "global":
		case "local":
			c.LocalWindow[i] = window
		default:
			r.fail(field, fmt.Sprintf("layer %d has unknown attention kind %q", i, k), `use "global" or "local"`)
			return
		}
	}
}

// attentionLayers returns gpt_neo's per-layer attention kinds and the field
// they came from: attention_layers when present (Hugging Face lets it
// override the expansion of attention_types), else attention_types
// expanded, else GPTNeoConfig's default [[["global", "local"], 12]].
func (r *configReader) attentionLayers(nLayer int) ([]string, string) {
	if raw, ok := r.present("attention_layers"); ok {
		var layers []string
		if err := json.Unmarshal(raw, &layers); err != nil {
			r.fail("attention_layers", "must be a list of strings: "+err.Error(), "")
			return nil, ""
		}
		return layers, "attention_layers"
	}
	raw, ok := r.present("attention_types")
	if !ok {
		raw = json.RawMessage(`[[["global", "local"], 12]]`)
	}
	var types [][2]json.RawMessage
	if err := json.Unmarshal(raw, &types); err != nil {
		r.fail("attention_types", "must be a list of [[kinds...], repeat] pairs: "+err.Error(), "")
		return nil, ""
	}
	var expanded []string
	for _, t := range types {
		var kinds []string
		var rep int
		if json.Unmarshal(t[0], &kinds) != nil || json.Unmarshal(t[1], &rep) != nil || rep < 0 || len(expanded)+rep*len(kinds) > max(nLayer, 24) {
			r.fail("attention_types", fmt.Sprintf("entry [%s, %s] is not a [[kinds...], repeat] pair describing at most num_layers = %d layers", t[0], t[1], nLayer), "")
			return nil, ""
		}
		for range rep {
			expanded = append(expanded, kinds...)
		}
	}
	return expanded, "attention_types"
}

// configReader reads typed fields out of a config.json object, keeping the
// first error.
type configReader struct {
	file string
	m    map[string]json.RawMessage
	err  error
}

func (r *configReader) fail(field, msg, hint string) {
	if r.err == nil {
		r.err = &FileError{File: r.file, Field: field, Msg: msg, Hint: hint}
	}
}

// present returns the field's raw value unless it is absent or null.
func (r *configReader) present(field string) (json.RawMessage, bool) {
	raw, ok := r.m[field]
	if !ok || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return nil, false
	}
	return raw, true
}

// positive reads a positive integer; absent or null gives def.
func (r *configReader) positive(field string, def int) int {
	raw, ok := r.present(field)
	if !ok {
		return def
	}
	var v int
	if err := json.Unmarshal(raw, &v); err != nil {
		r.fail(field, "must be an integer, got "+string(raw), "")
		return def
	}
	if v <= 0 {
		r.fail(field, fmt.Sprintf("must be positive, got %d", v), "")
		return def
	}
	if v > 1<<24 {
		r.fail(field, fmt.Sprintf("%d is implausibly large", v), "")
		return def
	}
	return v
}

// epsilon reads a positive finite number; absent or null gives def.
func (r *configReader) epsilon(field string, def float64) float64 {
	raw, ok := r.present(field)
	if !ok {
		return def
	}
	var v float64
	if err := json.Unmarshal(raw, &v); err != nil || !(v > 0) || math.IsInf(v, 0) {
		r.fail(field, "must be a positive number, got "+string(raw), "")
		return def
	}
	return v
}

// boolean reads a JSON boolean; absent or null gives def.
func (r *configReader) boolean(field string, def bool) bool {
	raw, ok := r.present(field)
	if !ok {
		return def
	}
	var v bool
	if err := json.Unmarshal(raw, &v); err != nil {
		r.fail(field, "must be true or false, got "+string(raw), "")
		return def
	}
	return v
}

// str reads a string; absent or null gives def.
func (r *configReader) str(field, def string) string {
	raw, ok := r.present(field)
	if !ok {
		return def
	}
	var v string
	if err := json.Unmarshal(raw, &v); err != nil {
		r.fail(field, "must be a string, got "+string(raw), "")
		return def
	}
	return v
}

// activation reads an activation name and checks the decoder computes it.
func (r *configReader) activation(field, def string) string {
	v := r.str(field, def)
	if r.err == nil && !slices.Contains(supportedActivations, v) {
		r.fail(field, fmt.Sprintf("unsupported activation %q", v), "supported: "+strings.Join(supportedActivations, ", "))
	}
	return v
}

// tokenID reads a token id: absent gives def, null gives -1.
func (r *configReader) tokenID(field string, def int) int {
	raw, ok := r.m[field]
	if !ok {
		return def
	}
	if _, ok := r.present(field); !ok {
		return -1
	}
	var v int
	if err := json.Unmarshal(raw, &v); err != nil || v < -1 {
		r.fail(field, "must be a token id or null, got "+string(raw), "")
		return def
	}
	return v
}

// lineColumn returns the 1-based line and column of the byte a JSON
// decoder stopped at, given its offset (the bytes read, the offending one
// included).
func lineColumn(data []byte, offset int64) (line, col int) {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	line, col = 1, 0
	for _, b := range data[:offset] {
		if b == '\n' {
			line, col = line+1, 0
			continue
		}
		if b&0xC0 != 0x80 { // count characters, not UTF-8 continuation bytes
			col++
		}
	}
	return line, max(col, 1)
}
