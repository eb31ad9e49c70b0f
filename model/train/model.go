package train

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Config holds a model's shape.
type Config struct {
	VocabSize  int // V
	NPositions int // P, context window in tokens
	NEmbd      int // C
	NLayer     int // L
	NHead      int // H; C must be a multiple of H
}

// Validate checks that the shape is usable.
func (c Config) Validate() error {
	switch {
	case c.VocabSize < 2:
		return fmt.Errorf("vocabulary size %d is too small", c.VocabSize)
	case c.NPositions < 2:
		return fmt.Errorf("context window %d is too small", c.NPositions)
	case c.NEmbd < 1 || c.NLayer < 1 || c.NHead < 1:
		return fmt.Errorf("n_embd %d, n_layer %d and n_head %d must be positive", c.NEmbd, c.NLayer, c.NHead)
	case c.NEmbd%c.NHead != 0:
		return fmt.Errorf("n_embd %d is not a multiple of n_head %d", c.NEmbd, c.NHead)
	}
	return nil
}

// tensor is one parameter tensor inside Model.Params.
type tensor struct {
	name  string // Hugging Face name without the "transformer." prefix
	shape []int
	off   int  // offset in Params, elements
	decay bool // AdamW applies weight decay
}

func (t tensor) size() int {
	n := 1
	for _, d := range t.shape {
		n *= d
	}
	return n
}

// Model holds all parameters and their gradients in two flat slices, in
// the order of its tensors (Hugging Face names, Conv1D layout [in, out]).
type Model struct {
	Cfg     Config
	Params  []float32
	Grads   []float32
	tensors []tensor
	byName  map[string]int
}

// NewModel lays out the parameters of cfg, all zero.
func NewModel(cfg Config) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	V, P, C, F := cfg.VocabSize, cfg.NPositions, cfg.NEmbd, 4*cfg.NEmbd
	m := &Model{Cfg: cfg, byName: map[string]int{}}
	off := 0
	add := func(name string, decay bool, shape ...int) {
		t := tensor{name: name, shape: shape, off: off, decay: decay}
		m.byName[name] = len(m.tensors)
		m.tensors = append(m.tensors, t)
		off += t.size()
	}
	add("wte.weight", false, V, C)
	add("wpe.weight", false, P, C)
	for l := range cfg.NLayer {
		h := fmt.Sprintf("h.%d.", l)
		add(h+"ln_1.weight", false, C)
		add(h+"ln_1.bias", false, C)
		add(h+"attn.c_attn.weight", true, C, 3*C)
		add(h+"attn.c_attn.bias", false, 3*C)
		add(h+"attn.c_proj.weight", true, C, C)
		add(h+"attn.c_proj.bias", false, C)
		add(h+"ln_2.weight", false, C)
		add(h+"ln_2.bias", false, C)
		add(h+"mlp.c_fc.weight", true, C, F)
		add(h+"mlp.c_fc.bias", false, F)
		add(h+"mlp.c_proj.weight", true, F, C)
		add(h+"mlp.c_proj.bias", false, C)
	}
	add("ln_f.weight", false, C)
	add("ln_f.bias", false, C)
	const maxParams = 1 << 31
	if off > maxParams {
		return nil, fmt.Errorf("model of %d parameters is too large to train here", off)
	}
	m.Params = make([]float32, off)
	m.Grads = make([]float32, off)
	return m, nil
}

// NumParams returns the number of parameters (the tied LM head counted
// once, as kshot's decoder counts them).
func (m *Model) NumParams() int { return len(m.Params) }

// ParamCount returns the parameter count of cfg without allocating it.
func ParamCount(cfg Config) int {
	C := cfg.NEmbd
	return cfg.VocabSize*C + cfg.NPositions*C + cfg.NLayer*(12*C*C+13*C) + 2*C
}

// P returns the parameters of the named tensor; it panics on an unknown
// name.
func (m *Model) P(name string) []float32 { return m.slice(m.Params, name) }

// G returns the gradient of the named tensor.
func (m *Model) G(name string) []float32 { return m.slice(m.Grads, name) }

func (m *Model) slice(buf []float32, name string) []float32 {
	i, ok := m.byName[name]
	if !ok {
		panic("train: no tensor " + name)
	}
	t := m.tensors[i]
	return buf[t.off : t.off+t.size()]
}

// Init sets GPT-2's initialisation: weights normal with s.d. 0.02 (the
// residual projections 0.02/√(2L)), position embeddings s.d. 0.01, biases
// zero, LayerNorm gains one. The draw depends only on seed.
func (m *Model) Init(seed uint64) {
	r := rand.New(rand.NewPCG(seed, 0x1a17))
	projStd := 0.02 / math.Sqrt(2*float64(m.Cfg.NLayer))
	for _, t := range m.tensors {
		p := m.Params[t.off : t.off+t.size()]
		std := 0.0
		switch {
		case len(t.shape) == 1 && (hasSuffix(t.name, "ln_1.weight") || hasSuffix(t.name, "ln_2.weight") || t.name == "ln_f.weight"):
			for i := range p {
				p[i] = 1
			}
			continue
		case len(t.shape) == 1:
			clear(p)
			continue
		case t.name == "wpe.weight":
			std = 0.01
		case hasSuffix(t.name, "c_proj.weight"):
			std = projStd
		default:
			std = 0.02
		}
		for i := range p {
			p[i] = float32(r.NormFloat64() * std)
		}
	}
}

func hasSuffix(s, suf string) bool { return len(s) >= len(suf) && s[len(s)-len(suf):] == suf }

// layer holds views of one block's tensors in a flat buffer.
type layer struct {
	ln1g, ln1b, qkvW, qkvB, projW, projB, ln2g, ln2b, fcW, fcB, fcpW, fcpB []float32
}

func (m *Model) layer(buf []float32, l int) layer {
	h := fmt.Sprintf("h.%d.", l)
	s := func(n string) []float32 { return m.slice(buf, h+n) }
	return layer{s("ln_1.weight"), s("ln_1.bias"), s("attn.c_attn.weight"), s("attn.c_attn.bias"),
		s("attn.c_proj.weight"), s("attn.c_proj.bias"), s("ln_2.weight"), s("ln_2.bias"),
		s("mlp.c_fc.weight"), s("mlp.c_fc.bias"), s("mlp.c_proj.weight"), s("mlp.c_proj.bias")}
}
