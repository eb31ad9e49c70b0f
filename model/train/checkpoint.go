package train

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"

	"github.com/kshot-eval/kshot/eval"
	"github.com/kshot-eval/kshot/model"
)

// DType is a floating-point storage type of a written checkpoint.
type DType string

// Storage types of WriteCheckpoint.
const (
	F32 DType = "F32"
	F16 DType = "F16"
)

// namedTensor is one tensor to write: row-major float32 values.
type namedTensor struct {
	name  string
	shape []int
	data  []float32
}

// writeSafetensors writes tensors (sorted by name) in dtype with the
// given metadata, atomically. The file is byte-for-byte a function of its
// arguments.
func writeSafetensors(path string, tensors []namedTensor, dtype DType, meta map[string]string) error {
	sort.Slice(tensors, func(i, j int) bool { return tensors[i].name < tensors[j].name })
	size := 4
	if dtype == F16 {
		size = 2
	}
	header := map[string]any{}
	if meta != nil {
		header["__metadata__"] = meta
	}
	var off int64
	for _, t := range tensors {
		n := int64(len(t.data) * size)
		header[t.name] = map[string]any{"dtype": string(dtype), "shape": t.shape, "data_offsets": []int64{off, off + n}}
		off += n
	}
	h, err := json.Marshal(header)
	if err != nil {
		return err
	}
	for len(h)%8 != 0 {
		h = append(h, ' ')
	}
	var buf bytes.Buffer
	buf.Grow(8 + len(h) + int(off))
	binary.Write(&buf, binary.LittleEndian, uint64(len(h)))
	buf.Write(h)
	var b [4]byte
	for _, t := range tensors {
		for _, x := range t.data {
			if dtype == F16 {
				binary.LittleEndian.PutUint16(b[:2], Float32ToF16(x))
				buf.Write(b[:2])
			} else {
				binary.LittleEndian.PutUint32(b[:], math.Float32bits(x))
				buf.Write(b[:])
			}
		}
	}
	return eval.WriteFileAtomic(path, buf.Bytes())
}

// Float32ToF16 rounds x to the nearest IEEE half-precision value (ties to
// even); values beyond the half range become infinities, NaN stays NaN.
func Float32ToF16(x float32) uint16 {
	bits := math.Float32bits(x)
	sign := uint16(bits>>16) & 0x8000
	exp := int(bits>>23&0xff) - 127 + 15
	mant := bits & 0x7fffff
	switch {
	case bits&0x7fffffff > 0x7f800000: // NaN
		return sign | 0x7e00
	case bits&0x7fffffff == 0x7f800000:
		return sign | 0x7c00
	case exp >= 31:
		return sign | 0x7c00
	case exp <= 0:
		if exp < -10 {
			return sign
		}
		mant |= 0x800000
		shift := uint(14 - exp)
		half := uint32(1) << (shift - 1)
		r := mant >> shift
		rem := mant & (1<<shift - 1)
		if rem > half || (rem == half && r&1 == 1) {
			r++
		}
		return sign | uint16(r)
	}
	r := uint32(exp)<<10 | mant>>13
	rem := mant & 0x1fff
	if rem > 0x1000 || (rem == 0x1000 && r&1 == 1) {
		r++ // may carry into the exponent, up to infinity: correct rounding
	}
	return sign | uint16(r)
}

// hfConfig is the config.json of a GPT-2 checkpoint, fields in a fixed
// order.
type hfConfig struct {
	ActivationFunction string   `json:"activation_function"`
	Architectures      []string `json:"architectures"`
	BOSTokenID         int      `json:"bos_token_id"`
	EOSTokenID         int      `json:"eos_token_id"`
	LayerNormEpsilon   float64  `json:"layer_norm_epsilon"`
	ModelType          string   `json:"model_type"`
	NCtx               int      `json:"n_ctx"`
	NEmbd              int      `json:"n_embd"`
	NHead              int      `json:"n_head"`
	NLayer             int      `json:"n_layer"`
	NPositions         int      `json:"n_positions"`
	TieWordEmbeddings  bool     `json:"tie_word_embeddings"`
	TorchDType         string   `json:"torch_dtype"`
	VocabSize          int      `json:"vocab_size"`
}

// WriteCheckpoint writes m as a Hugging Face GPT-2 checkpoint in dir:
// config.json, model.safetensors (tensor names "transformer.…", the LM
// head tied and not stored) in dtype, and the tokenizer's vocab.json and
// merges.txt.
func WriteCheckpoint(dir string, m *Model, bpe *BPE, dtype DType) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	c := m.Cfg
	torch := "float32"
	if dtype == F16 {
		torch = "float16"
	}
	cfg := hfConfig{ActivationFunction: "gelu_new", Architectures: []string{"GPT2LMHeadModel"},
		BOSTokenID: c.VocabSize - 1, EOSTokenID: c.VocabSize - 1, LayerNormEpsilon: 1e-5, ModelType: "gpt2",
		NCtx: c.NPositions, NEmbd: c.NEmbd, NHead: c.NHead, NLayer: c.NLayer, NPositions: c.NPositions,
		TieWordEmbeddings: true, TorchDType: torch, VocabSize: c.VocabSize}
	js, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return err
	}
	if err := eval.WriteFileAtomic(filepath.Join(dir, model.ConfigFileName), append(js, '\n')); err != nil {
		return err
	}
	var ts []namedTensor
	for _, t := range m.tensors {
		ts = append(ts, namedTensor{"transformer." + t.name, t.shape, m.Params[t.off : t.off+t.size()]})
	}
	if err := writeSafetensors(filepath.Join(dir, model.SafetensorsFileName), ts, dtype, map[string]string{"format": "pt"}); err != nil {
		return err
	}
	return bpe.WriteFiles(dir)
}

// StateFile is the name of the resumable training state inside a
// checkpoint directory.
const StateFile = "state.safetensors"

// saveState writes the parameters, the optimizer moments and the step
// count to dir/state.safetensors, with a checksum and the run's identity
// (ident must equal on resume) in the metadata.
func saveState(dir string, m *Model, o *adamW, step int, ident string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	n := len(m.Params)
	meta := map[string]string{"format": "kshot-train", "step": strconv.Itoa(step), "run": ident,
		"sha256": stateSum(m.Params, o.m, o.v)}
	return writeSafetensors(filepath.Join(dir, StateFile), []namedTensor{
		{"adam_m", []int{n}, o.m}, {"adam_v", []int{n}, o.v}, {"params", []int{n}, m.Params},
	}, F32, meta)
}

func stateSum(xs ...[]float32) string {
	h := sha256.New()
	var b [4]byte
	for _, x := range xs {
		for _, v := range x {
			binary.LittleEndian.PutUint32(b[:], math.Float32bits(v))
			h.Write(b[:])
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// loadState reads dir/state.safetensors into m and o and returns the
// number of steps done. Every problem is an error naming the file.
func loadState(dir string, m *Model, o *adamW, ident string) (int, error) {
	path := filepath.Join(dir, StateFile)
	f, err := model.OpenSafetensors(path)
	if err != nil {
		return 0, fmt.Errorf("cannot resume: %w", err)
	}
	defer f.Close()
	bad := func(msg string) error {
		return fmt.Errorf("cannot resume: %s: %s (delete it to start afresh, or drop --resume)", path, msg)
	}
	meta := f.Header.Metadata
	if meta["format"] != "kshot-train" {
		return 0, bad("not a kshot training checkpoint")
	}
	if meta["run"] != ident {
		return 0, bad("written by a run with other settings: " + meta["run"] + "; this run is " + ident)
	}
	step, err := strconv.Atoi(meta["step"])
	if err != nil || step < 0 {
		return 0, bad(fmt.Sprintf("bad step count %q", meta["step"]))
	}
	n := len(m.Params)
	for _, x := range []struct {
		name string
		dst  []float32
	}{{"params", m.Params}, {"adam_m", o.m}, {"adam_v", o.v}} {
		t, ok := f.Tensor(x.name)
		if !ok {
			return 0, bad("no tensor " + x.name)
		}
		if t.DType != "F32" || len(t.Shape) != 1 || t.Shape[0] != n {
			return 0, bad(fmt.Sprintf("tensor %s is %s %v, want F32 [%d]", x.name, t.DType, t.Shape, n))
		}
		if err := f.ReadFloat32(x.dst, x.name); err != nil {
			return 0, fmt.Errorf("cannot resume: %w", err)
		}
	}
	if stateSum(m.Params, o.m, o.v) != meta["sha256"] {
		return 0, bad("checksum mismatch: the file is corrupt")
	}
	return step, nil
}
