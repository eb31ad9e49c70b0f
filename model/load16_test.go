package model

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/kshot-eval/kshot/eval"
	"github.com/kshot-eval/kshot/internal/kernels"
	"github.com/kshot-eval/kshot/internal/sharedtest"
)

// nearest16 rounds f to the nearest value of a 16-bit float format (ties
// to the even bit pattern) by binary search over the format's positive
// bit patterns [0, inf], which widen in increasing order: a reference
// that does not share the kernels' or the loader's conversion code.
func nearest16(f float32, widen func(uint16) float32, inf uint16) uint16 {
	sign := uint16(0)
	if math.Signbit(float64(f)) {
		sign, f = 0x8000, -f
	}
	lo, hi := uint16(0), inf // widen(lo) ≤ f < widen(hi) after the search
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		if widen(mid) <= f {
			lo = mid
		} else {
			hi = mid
		}
	}
	dl, dh := float64(f)-float64(widen(lo)), float64(widen(hi))-float64(f)
	if dh < dl || (dh == dl && hi%2 == 0) {
		return sign | hi
	}
	return sign | lo
}

// copyCheckpoint writes a copy of the model in src to a new directory with
// every floating-point tensor stored as dtype ("F32", "F16" or "BF16"),
// its values rounded to nearest; edit may change config.json and add
// tensors (name → values, F32 of shape [len/cols, cols]).
func copyCheckpoint(t *testing.T, src, dtype string, edit func(cfg map[string]any, add map[string][]float32)) string {
	t.Helper()
	f, err := OpenSafetensors(filepath.Join(src, SafetensorsFileName))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cfg map[string]any
	raw, err := os.ReadFile(filepath.Join(src, ConfigFileName))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	add := map[string][]float32{}
	if edit != nil {
		edit(cfg, add)
	}
	var ts []ckptTensor
	encode := func(name string, shape []int, v []float32) {
		var b []byte
		for _, x := range v {
			switch dtype {
			case "F32":
				b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
			case "F16":
				b = binary.LittleEndian.AppendUint16(b, nearest16(x, F16ToFloat32, 0x7c00))
			case "BF16":
				b = binary.LittleEndian.AppendUint16(b, nearest16(x, BF16ToFloat32, 0x7f80))
			}
		}
		ts = append(ts, ckptTensor{name, dtype, shape, b})
	}
	for _, ti := range f.Header.Tensors {
		switch ti.DType {
		case "F32", "F16", "BF16":
			v := make([]float32, ti.NumElements())
			if err := f.ReadFloat32(v, ti.Name); err != nil {
				t.Fatal(err)
			}
			encode(ti.Name, ti.Shape, v)
		default:
			ts = append(ts, ckptTensor{ti.Name, ti.DType, ti.Shape, slices.Clone(f.data[ti.Begin:ti.End])})
		}
	}
	for name, v := range add {
		cols := int(cfg["n_embd"].(float64))
		encode(name, []int{len(v) / cols, cols}, v)
	}
	dir := t.TempDir()
	ckptWriteModel(t, dir, cfg, ts)
	return dir
}

// weightMatrices returns every packed matrix of w.
func weightMatrices(w *Weights) []*kernels.Packed {
	ps := []*kernels.Packed{w.LMHead.W}
	for _, b := range w.Blocks {
		ps = append(ps, b.Attn.QKV.W, b.Attn.Proj.W, b.MLP.FC.W, b.MLP.Proj.W)
	}
	return ps
}

// TestLoad16Bit checks, for every fixture model converted to F16 and to
// BF16 (the fixtures already stored so are used as they are), that the
// weight matrices stay 16-bit in memory, at half the bytes of the float32
// load, and that the scores on every kernel path are bit for bit those of
// the same values stored as F32 (what loading a 16-bit checkpoint gave
// before: its values widened to float32 at load time). An untied LM head
// (lm_head.weight stored) is checked the same way.
func TestLoad16Bit(t *testing.T) {
	root := sharedtest.Path(t, "fixtures/models")
	files, _ := filepath.Glob(filepath.Join(root, "*", SafetensorsFileName))
	if len(files) < 6 {
		t.Fatalf("found %d fixture checkpoints under %s, want at least 6", len(files), root)
	}
	type variant struct {
		name string
		edit func(map[string]any, map[string][]float32)
	}
	for _, file := range files {
		src := filepath.Dir(file)
		variants := []variant{{filepath.Base(src), nil}}
		if filepath.Base(src) == "gpt2-tiny" {
			untie := func(cfg map[string]any, add map[string][]float32) {
				cfg["tie_word_embeddings"] = false
				_, w, err := Load(src)
				if err != nil {
					t.Fatal(err)
				}
				head := w.EmbeddingMatrix()
				for i := range head {
					head[i] = -head[i] // differs from the embedding
				}
				add["lm_head.weight"] = head
			}
			variants = append(variants, variant{"gpt2-tiny-untied", untie})
		}
		for _, v := range variants {
			for _, dtype := range []string{"F16", "BF16"} {
				t.Run(v.name+"/"+dtype, func(t *testing.T) {
					dir16 := copyCheckpoint(t, src, dtype, v.edit)
					twin := copyCheckpoint(t, dir16, "F32", nil) // the 16-bit values, widened, stored as F32
					cfg, w16, err := Load(dir16)
					if err != nil {
						t.Fatal(err)
					}
					_, w32, err := Load(twin)
					if err != nil {
						t.Fatal(err)
					}
					m16, m32 := weightMatrices(w16), weightMatrices(w32)
					for i, p := range m16 {
						if p.DType().String() != dtype || 2*p.Bytes() != m32[i].Bytes() {
							t.Fatalf("matrix %d: %v, %d bytes; the F32 load's: %v, %d bytes", i, p.DType(), p.Bytes(), m32[i].DType(), m32[i].Bytes())
						}
					}
					d16, err := NewDecoder(cfg, w16)
					if err != nil {
						t.Fatal(err)
					}
					d32, err := NewDecoder(cfg, w32)
					if err != nil {
						t.Fatal(err)
					}
					var seqs []eval.TokenSeq
					for _, n := range []int{2, 5, min(cfg.NPositions+1, 40)} {
						toks := make([]int, n)
						for i := range toks {
							toks[i] = (i*7919 + n) % cfg.VocabSize
						}
						seqs = append(seqs, eval.TokenSeq{Tokens: toks, From: 1})
					}
					for _, path := range kernels.Paths() {
						old := kernels.Path()
						if err := kernels.SetPath(path); err != nil {
							t.Fatal(err)
						}
						got, err1 := d16.Score(context.Background(), seqs)
						want, err2 := d32.Score(context.Background(), seqs)
						kernels.SetPath(old)
						if err1 != nil || err2 != nil {
							t.Fatal(err1, err2)
						}
						for i := range want {
							if !slices.Equal(got[i].LogProbs, want[i].LogProbs) || !slices.Equal(got[i].Greedy, want[i].Greedy) {
								t.Errorf("%s: sequence %d: scores of the %s load differ from the widened F32 load\ngot  %v\nwant %v", path, i, dtype, got[i].LogProbs, want[i].LogProbs)
							}
						}
					}
				})
			}
		}
	}
}
