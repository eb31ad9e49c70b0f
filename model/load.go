package model

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/kshot-eval/kshot/internal/kernels"
)

// Checkpoint is the set of open safetensors files holding one model's
// tensors: model.safetensors, or else the shards named by
// model.safetensors.index.json. Close unmaps every file.
type Checkpoint struct {
	Dir   string
	Index string             // path of the shard index, "" when unsharded
	Files []*SafetensorsFile // model.safetensors, or the shards sorted by name
	where map[string]*SafetensorsFile
}

// OpenCheckpoint opens the safetensors checkpoint in dir: model.safetensors
// when present, else the shards listed by model.safetensors.index.json,
// whose weight_map must agree exactly with the shards' contents.
func OpenCheckpoint(dir string) (*Checkpoint, error) {
	single := filepath.Join(dir, SafetensorsFileName)
	if _, err := os.Stat(single); !errors.Is(err, fs.ErrNotExist) {
		f, err := OpenSafetensors(single)
		if err != nil {
			return nil, err
		}
		c := &Checkpoint{Dir: dir, Files: []*SafetensorsFile{f}, where: map[string]*SafetensorsFile{}}
		for _, t := range f.Header.Tensors {
			c.where[t.Name] = f
		}
		return c, nil
	}
	index := filepath.Join(dir, IndexFileName)
	data, err := os.ReadFile(index)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &FileError{File: dir, Msg: fmt.Sprintf("no %s or %s", SafetensorsFileName, IndexFileName), Hint: "kshot reads safetensors checkpoints; convert pytorch_model.bin with save_pretrained(safe_serialization=True)"}
	}
	if err != nil {
		return nil, &FileError{File: index, Msg: "cannot read: " + unwrapPathError(err)}
	}
	weightMap, err := ParseShardIndex(data, index)
	if err != nil {
		return nil, err
	}
	c := &Checkpoint{Dir: dir, Index: index, where: map[string]*SafetensorsFile{}}
	shards := map[string]*SafetensorsFile{}
	for _, name := range sortedKeys(weightMap) {
		shard := weightMap[name]
		if _, ok := shards[shard]; ok {
			continue
		}
		f, err := OpenSafetensors(filepath.Join(dir, shard))
		if err != nil {
			c.Close()
			if fe, ok := err.(*FileError); ok && fe.Hint == "" {
				fe.Hint = fmt.Sprintf("%s lists it as the shard of %q", IndexFileName, name)
			}
			return nil, err
		}
		shards[shard] = f
	}
	for _, shard := range sortedKeys(shards) {
		c.Files = append(c.Files, shards[shard])
	}
	for _, name := range sortedKeys(weightMap) {
		f := shards[weightMap[name]]
		if _, ok := f.Tensor(name); !ok {
			c.Close()
			return nil, &FileError{File: index, Tensor: name, Msg: fmt.Sprintf("listed in shard %q, which does not hold it", weightMap[name])}
		}
		c.where[name] = f
	}
	for _, f := range c.Files {
		for _, t := range f.Header.Tensors {
			if c.where[t.Name] != f {
				c.Close()
				return nil, &FileError{File: f.Path, Tensor: t.Name, Msg: "not listed for this shard in " + IndexFileName}
			}
		}
	}
	return c, nil
}

// ParseShardIndex parses a model.safetensors.index.json and returns its
// weight_map (tensor name → shard file name). Shard names must stay inside
// the model directory. file names the file in errors.
func ParseShardIndex(data []byte, file string) (map[string]string, error) {
	var idx struct {
		WeightMap map[string]string `json:"weight_map"`
	}
	if err := json.Unmarshal(data, &idx); err != nil {
		return nil, &FileError{File: file, Msg: "not a valid shard index: " + err.Error()}
	}
	if len(idx.WeightMap) == 0 {
		return nil, &FileError{File: file, Field: "weight_map", Msg: "missing or empty"}
	}
	for name, shard := range idx.WeightMap {
		if !filepath.IsLocal(shard) || strings.Contains(shard, `\`) {
			return nil, &FileError{File: file, Field: "weight_map", Tensor: name, Msg: fmt.Sprintf("shard path %q escapes the model directory", shard)}
		}
	}
	return idx.WeightMap, nil
}

// Names returns the names of all tensors in the checkpoint, sorted.
func (c *Checkpoint) Names() []string { return sortedKeys(c.where) }

// Tensor returns the description of the named tensor and the file that
// holds it.
func (c *Checkpoint) Tensor(name string) (TensorInfo, *SafetensorsFile, bool) {
	f, ok := c.where[name]
	if !ok {
		return TensorInfo{}, nil, false
	}
	t, _ := f.Tensor(name)
	return t, f, true
}

// ReadFloat32 decodes the named tensor into dst (see
// SafetensorsFile.ReadFloat32).
func (c *Checkpoint) ReadFloat32(dst []float32, name string) error {
	f, ok := c.where[name]
	if !ok {
		return &FileError{File: c.Dir, Tensor: name, Msg: "no such tensor"}
	}
	return f.ReadFloat32(dst, name)
}

// ReadBits16 copies the bits of the named F16 or BF16 tensor into dst
// (see SafetensorsFile.ReadBits16).
func (c *Checkpoint) ReadBits16(dst []uint16, name string) error {
	f, ok := c.where[name]
	if !ok {
		return &FileError{File: c.Dir, Tensor: name, Msg: "no such tensor"}
	}
	return f.ReadBits16(dst, name)
}

// Close unmaps every file of the checkpoint.
func (c *Checkpoint) Close() error {
	var errs []error
	for _, f := range c.Files {
		if err := f.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Load reads the model in dir: config.json (see ParseConfig) and its
// safetensors checkpoint (see OpenCheckpoint). Tensors are mapped by an
// explicit name table per architecture after stripping an optional
// "transformer." prefix; attention-mask buffers are ignored; every other
// tensor must be expected, and every expected tensor must be present with
// the exact shape config.json implies. Weight matrices stored as F16 or
// BF16 stay 16-bit in memory (kernels.PackKN16) and are widened inside the
// matrix kernels, which multiply exactly the stored values, so scores are
// those of the same checkpoint widened to float32, at half the memory;
// the other tensors (embeddings of an untied model, biases, LayerNorms)
// are decoded to float32. Tensors are packed one at a time, and the files
// are unmapped before Load returns, so the result owns all its memory.
//
// With tie_word_embeddings (the default) the LM head is the token
// embedding, as in Hugging Face, and a stored lm_head.weight is checked for
// shape but not used; otherwise lm_head.weight is required.
func Load(dir string) (*Config, *Weights, error) {
	cfg, err := ReadConfig(filepath.Join(dir, ConfigFileName))
	if err != nil {
		return nil, nil, err
	}
	ck, err := OpenCheckpoint(dir)
	if err != nil {
		return nil, nil, err
	}
	w, err := loadWeights(cfg, ck)
	if cerr := ck.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, nil, err
	}
	return cfg, w, nil
}

// tensorSpec is one expected tensor: canonical name (no "transformer."
// prefix) and shape.
type tensorSpec struct {
	name  string
	shape []int
}

// ignoredBuffer matches the causal-mask buffers older checkpoints store.
var ignoredBuffer = regexp.MustCompile(`^h\.[0-9]+\.attn\.(attention\.)?(bias|masked_bias)$`)

// archNames holds the per-architecture tensor names that differ.
type archNames struct {
	wte, wpe string
	lnf      bool // has ln_f
}

var namesByArch = map[Arch]archNames{
	ArchGPT2:      {wte: "wte.weight", wpe: "wpe.weight", lnf: true},
	ArchOpenAIGPT: {wte: "tokens_embed.weight", wpe: "positions_embed.weight"},
	ArchGPTNeo:    {wte: "wte.weight", wpe: "wpe.weight", lnf: true},
}

// expectedTensors returns the name table for cfg: every tensor Load needs,
// in load order, with its shape.
func expectedTensors(cfg *Config) []tensorSpec {
	V, P, C, F := cfg.VocabSize, cfg.NPositions, cfg.NEmbd, cfg.NInner
	an := namesByArch[cfg.Arch]
	specs := []tensorSpec{{an.wte, []int{V, C}}, {an.wpe, []int{P, C}}}
	add := func(name string, shape ...int) { specs = append(specs, tensorSpec{name, shape}) }
	for i := range cfg.NLayer {
		h := fmt.Sprintf("h.%d.", i)
		add(h+"ln_1.weight", C)
		add(h+"ln_1.bias", C)
		if cfg.Arch == ArchGPTNeo {
			add(h+"attn.attention.q_proj.weight", C, C)
			add(h+"attn.attention.k_proj.weight", C, C)
			add(h+"attn.attention.v_proj.weight", C, C)
			add(h+"attn.attention.out_proj.weight", C, C)
			add(h+"attn.attention.out_proj.bias", C)
		} else {
			add(h+"attn.c_attn.weight", C, 3*C)
			add(h+"attn.c_attn.bias", 3*C)
			add(h+"attn.c_proj.weight", C, C)
			add(h+"attn.c_proj.bias", C)
		}
		add(h+"ln_2.weight", C)
		add(h+"ln_2.bias", C)
		if cfg.Arch == ArchGPTNeo { // nn.Linear: [out, in]
			add(h+"mlp.c_fc.weight", F, C)
			add(h+"mlp.c_proj.weight", C, F)
		} else { // Conv1D: [in, out]
			add(h+"mlp.c_fc.weight", C, F)
			add(h+"mlp.c_proj.weight", F, C)
		}
		add(h+"mlp.c_fc.bias", F)
		add(h+"mlp.c_proj.bias", C)
	}
	if an.lnf {
		add("ln_f.weight", C)
		add("ln_f.bias", C)
	}
	return specs
}

// weightLoader decodes a checkpoint's tensors by canonical name.
type weightLoader struct {
	cfg       *Config
	ck        *Checkpoint
	stored    map[string]string // canonical name → stored name
	need      int               // values of the largest matrix packed from scratch
	scratch   []float32         // need values, made on first use
	scratch16 []uint16          // need values, made on first use
}

// f32 returns scratch room for n ≤ need float32 values.
func (l *weightLoader) f32(n int) []float32 {
	if l.scratch == nil {
		l.scratch = make([]float32, l.need)
	}
	return l.scratch[:n]
}

func loadWeights(cfg *Config, ck *Checkpoint) (*Weights, error) {
	l := &weightLoader{cfg: cfg, ck: ck, stored: map[string]string{}}
	specs := expectedTensors(cfg)
	const lmHead = "lm_head.weight"
	expected := map[string]bool{lmHead: true}
	for _, s := range specs {
		expected[s.name] = true
	}
	for _, name := range ck.Names() {
		canon := strings.TrimPrefix(name, "transformer.")
		if prev, dup := l.stored[canon]; dup {
			_, f, _ := ck.Tensor(name)
			return nil, &FileError{File: f.Path, Tensor: name, Msg: fmt.Sprintf("duplicates tensor %q once the \"transformer.\" prefix is stripped", prev)}
		}
		if ignoredBuffer.MatchString(canon) {
			continue
		}
		if !expected[canon] {
			_, f, _ := ck.Tensor(name)
			return nil, &FileError{File: f.Path, Tensor: name, Msg: fmt.Sprintf("unexpected tensor for model_type %q", cfg.ModelType), Hint: "config.json may not describe this checkpoint"}
		}
		l.stored[canon] = name
	}
	need := 0 // largest matrix that is packed from scratch
	for _, s := range specs {
		if err := l.check(s); err != nil {
			return nil, err
		}
		if len(s.shape) == 2 && s.name != namesByArch[cfg.Arch].wte && s.name != namesByArch[cfg.Arch].wpe {
			need = max(need, s.shape[0]*s.shape[1])
		}
	}
	if cfg.Arch == ArchGPTNeo {
		need = max(need, 3*cfg.NEmbd*cfg.NEmbd)
	}
	headSpec := tensorSpec{lmHead, []int{cfg.VocabSize, cfg.NEmbd}}
	if _, ok := l.stored[lmHead]; ok {
		if err := l.check(headSpec); err != nil {
			return nil, err
		}
		if !cfg.TieWordEmbeddings {
			need = max(need, cfg.VocabSize*cfg.NEmbd)
		}
	} else if !cfg.TieWordEmbeddings {
		return nil, l.missing(headSpec, "config.json sets tie_word_embeddings false, so the LM head must be stored")
	}
	if cfg.TieWordEmbeddings {
		need = max(need, cfg.VocabSize*cfg.NEmbd) // the head is packed from the embedding
	}
	l.need = need
	w, err := l.build()
	l.scratch, l.scratch16 = nil, nil
	return w, err
}

// check verifies that the tensor of spec s is present, readable as
// float32 and exactly shaped.
func (l *weightLoader) check(s tensorSpec) error {
	name, ok := l.stored[s.name]
	if !ok {
		return l.missing(s, "")
	}
	t, f, _ := l.ck.Tensor(name)
	if !slices.Equal(t.Shape, s.shape) {
		return &FileError{File: f.Path, Tensor: name, Msg: fmt.Sprintf("has shape %v, config.json implies %v", t.Shape, s.shape), Hint: l.dims()}
	}
	switch t.DType {
	case "F32", "F16", "BF16":
	default:
		return &FileError{File: f.Path, Tensor: name, Msg: fmt.Sprintf("has dtype %s", t.DType), Hint: "kshot reads F32, F16 and BF16 weights"}
	}
	return nil
}

func (l *weightLoader) missing(s tensorSpec, hint string) error {
	file := l.ck.Index
	if file == "" {
		file = l.ck.Files[0].Path
	}
	if hint == "" {
		hint = "the checkpoint does not match config.json's model_type " + l.cfg.ModelType
	}
	return &FileError{File: file, Tensor: s.name, Msg: fmt.Sprintf("missing (want shape %v)", s.shape), Hint: hint}
}

// dims describes the sizes config.json implies, for shape errors.
func (l *weightLoader) dims() string {
	c := l.cfg
	return fmt.Sprintf("config.json gives V=%d, positions=%d, C=%d, F=%d, layers=%d", c.VocabSize, c.NPositions, c.NEmbd, c.NInner, c.NLayer)
}

// vec decodes a tensor into a new slice.
func (l *weightLoader) vec(canon string, n int) ([]float32, error) {
	v := make([]float32, n)
	return v, l.ck.ReadFloat32(v, l.stored[canon])
}

// into decodes a tensor into dst.
func (l *weightLoader) into(dst []float32, canon string) error {
	return l.ck.ReadFloat32(dst, l.stored[canon])
}

// dtype16 returns the kernels' 16-bit type of a tensor stored as F16 or
// BF16, and false for F32.
func (l *weightLoader) dtype16(canon string) (kernels.DType, bool) {
	t, _, _ := l.ck.Tensor(l.stored[canon])
	switch t.DType {
	case "F16":
		return kernels.F16, true
	case "BF16":
		return kernels.BF16, true
	}
	return kernels.F32, false
}

// bits16 returns scratch room for n ≤ need 16-bit values.
func (l *weightLoader) bits16(n int) []uint16 {
	if l.scratch16 == nil {
		l.scratch16 = make([]uint16, l.need)
	}
	return l.scratch16[:n]
}

// matrix loads a 2-D weight of rows×cols as stored and packs it: as a K×N
// matrix when kn (Conv1D, [in, out]), else as the transpose of an N×K
// one (nn.Linear, [out, in]); 16-bit values stay 16-bit.
func (l *weightLoader) matrix(canon string, rows, cols int, kn bool) (*kernels.Packed, error) {
	if dt, ok := l.dtype16(canon); ok {
		buf := l.bits16(rows * cols)
		if err := l.ck.ReadBits16(buf, l.stored[canon]); err != nil {
			return nil, err
		}
		if kn {
			return kernels.PackKN16(buf, rows, cols, dt), nil
		}
		return kernels.PackNK16(buf, rows, cols, dt), nil
	}
	buf := l.f32(rows * cols)
	if err := l.into(buf, canon); err != nil {
		return nil, err
	}
	if kn {
		return kernels.PackKN(buf, rows, cols), nil
	}
	return kernels.PackNK(buf, rows, cols), nil
}

// conv1D loads a Hugging Face Conv1D (weight [in, out]) and its bias.
func (l *weightLoader) conv1D(prefix string, in, out int) (Linear, error) {
	w, err := l.matrix(prefix+".weight", in, out, true)
	if err != nil {
		return Linear{}, err
	}
	b, err := l.vec(prefix+".bias", out)
	return Linear{W: w, B: b}, err
}

// linear loads an nn.Linear (weight [out, in]) and its bias.
func (l *weightLoader) linear(prefix string, in, out int) (Linear, error) {
	w, err := l.matrix(prefix+".weight", out, in, false)
	if err != nil {
		return Linear{}, err
	}
	b, err := l.vec(prefix+".bias", out)
	return Linear{W: w, B: b}, err
}

func (l *weightLoader) layerNorm(prefix string) (LayerNorm, error) {
	C := l.cfg.NEmbd
	g, err := l.vec(prefix+".weight", C)
	if err != nil {
		return LayerNorm{}, err
	}
	b, err := l.vec(prefix+".bias", C)
	return LayerNorm{Gain: g, Bias: b}, err
}

func (l *weightLoader) build() (*Weights, error) {
	cfg := l.cfg
	V, P, C, F := cfg.VocabSize, cfg.NPositions, cfg.NEmbd, cfg.NInner
	an := namesByArch[cfg.Arch]
	w := &Weights{Blocks: make([]Block, cfg.NLayer)}
	var err error
	if cfg.TieWordEmbeddings {
		// The packed head is the only copy kept: embeddings are read
		// from it (Weights.TokenEmbedding), so memory stays near the
		// weight size of the checkpoint's dtype.
		if w.LMHead.W, err = l.matrix(an.wte, V, C, false); err != nil {
			return nil, err
		}
	} else if w.WTE, err = l.vec(an.wte, V*C); err != nil {
		return nil, err
	}
	if w.WPE, err = l.vec(an.wpe, P*C); err != nil {
		return nil, err
	}
	for i := range w.Blocks {
		b := &w.Blocks[i]
		h := fmt.Sprintf("h.%d.", i)
		var errs [6]error
		b.LN1, errs[0] = l.layerNorm(h + "ln_1")
		if cfg.Arch == ArchGPTNeo {
			a := h + "attn.attention."
			b.Attn.QKV, errs[1] = l.neoQKV(a)
			b.Attn.Proj, errs[2] = l.linear(a+"out_proj", C, C)
			b.MLP.FC, errs[3] = l.linear(h+"mlp.c_fc", C, F)
			b.MLP.Proj, errs[4] = l.linear(h+"mlp.c_proj", F, C)
		} else {
			b.Attn.QKV, errs[1] = l.conv1D(h+"attn.c_attn", C, 3*C)
			b.Attn.Proj, errs[2] = l.conv1D(h+"attn.c_proj", C, C)
			b.MLP.FC, errs[3] = l.conv1D(h+"mlp.c_fc", C, F)
			b.MLP.Proj, errs[4] = l.conv1D(h+"mlp.c_proj", F, C)
		}
		b.LN2, errs[5] = l.layerNorm(h + "ln_2")
		if err := errors.Join(errs[:]...); err != nil {
			return nil, err
		}
	}
	if an.lnf {
		if w.LNF, err = l.layerNorm("ln_f"); err != nil {
			return nil, err
		}
	}
	if !cfg.TieWordEmbeddings {
		if w.LMHead.W, err = l.matrix("lm_head.weight", V, C, false); err != nil {
			return nil, err
		}
	}
	return w, nil
}

// neoQKV stacks GPT-Neo's bias-free q_proj, k_proj and v_proj ([C, C]
// each, nn.Linear layout) into one [C, 3C] projection.
func (l *weightLoader) neoQKV(prefix string) (Linear, error) {
	C := l.cfg.NEmbd
	parts := []string{"q_proj", "k_proj", "v_proj"}
	dt, ok := l.dtype16(prefix + parts[0] + ".weight")
	for _, p := range parts[1:] {
		if d, ok16 := l.dtype16(prefix + p + ".weight"); !ok16 || d != dt {
			ok = false // mixed dtypes: widened to float32
		}
	}
	if ok {
		buf := l.bits16(3 * C * C)
		for j, p := range parts {
			if err := l.ck.ReadBits16(buf[j*C*C:(j+1)*C*C], l.stored[prefix+p+".weight"]); err != nil {
				return Linear{}, err
			}
		}
		return Linear{W: kernels.PackNK16(buf, 3*C, C, dt)}, nil
	}
	buf := l.f32(3 * C * C) // [3C, C]: q rows, then k rows, then v rows
	for j, p := range parts {
		if err := l.into(buf[j*C*C:(j+1)*C*C], prefix+p+".weight"); err != nil {
			return Linear{}, err
		}
	}
	return Linear{W: kernels.PackNK(buf, 3*C, C)}, nil
}
