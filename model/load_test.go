package model

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"testing"

	"github.com/kshot-eval/kshot/internal/kernels"
	"github.com/kshot-eval/kshot/internal/sharedtest"
)

// ckptFixture is one shared checkpoint with the configuration its
// config.json spells out (read by eye, not by the code under test).
type ckptFixture struct {
	dir       string // under the shared directory
	want      Config
	reference bool // has reference.json
}

func ckptFixtures() []ckptFixture {
	s := func(d float64) float32 { return float32(1 / math.Sqrt(d)) }
	gpt2 := func(v, p, c, l, h, f int) Config {
		return Config{Arch: ArchGPT2, ModelType: "gpt2", VocabSize: v, NPositions: p, NEmbd: c, NLayer: l, NHead: h, NInner: f,
			LayerNormEps: 1e-5, Activation: "gelu_new", AttnScale: s(float64(c / h)), LocalWindow: make([]int, l),
			TieWordEmbeddings: true, BOS: 50256, EOS: 50256}
	}
	return []ckptFixture{
		{"fixtures/models/gpt2-tiny", gpt2(50257, 64, 32, 2, 4, 128), true},
		{"fixtures/models/gpt2-tiny-f16", gpt2(50257, 64, 48, 3, 6, 192), true},
		{"fixtures/models/gpt2-tiny-bf16", gpt2(50257, 48, 32, 2, 2, 128), true},
		{"fixtures/models/gpt2-lambada-tiny", gpt2(50257, 256, 96, 3, 4, 384), false},
		{"data/tiny_gpt2_loractl", gpt2(61, 16, 32, 2, 2, 64), false},
		{"fixtures/models/openai-gpt-tiny", Config{Arch: ArchOpenAIGPT, ModelType: "openai-gpt", VocabSize: 512, NPositions: 40,
			NEmbd: 32, NLayer: 3, NHead: 4, NInner: 128, LayerNormEps: 1e-5, Activation: "gelu_new", AttnScale: s(8),
			LocalWindow: make([]int, 3), TieWordEmbeddings: true, BOS: -1, EOS: -1}, true},
		{"fixtures/models/gpt-neo-tiny", Config{Arch: ArchGPTNeo, ModelType: "gpt_neo", VocabSize: 50257, NPositions: 64,
			NEmbd: 32, NLayer: 4, NHead: 4, NInner: 128, LayerNormEps: 1e-5, Activation: "gelu_new", AttnScale: 1,
			LocalWindow: []int{0, 4, 0, 4}, TieWordEmbeddings: true, BOS: 50256, EOS: 50256}, true},
	}
}

// ckptRaw is a safetensors file read with encoding/json and by-hand
// decoding only, as an independent reference for the loader.
type ckptRaw struct {
	hdr map[string]struct {
		DType   string   `json:"dtype"`
		Shape   []int    `json:"shape"`
		Offsets [2]int64 `json:"data_offsets"`
	}
	data []byte
}

func ckptReadRaw(tb testing.TB, path string) *ckptRaw {
	tb.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	n := binary.LittleEndian.Uint64(raw)
	var hdr map[string]json.RawMessage
	if err := json.Unmarshal(raw[8:8+n], &hdr); err != nil {
		tb.Fatal(err)
	}
	delete(hdr, "__metadata__")
	rc := &ckptRaw{data: raw[8+n:]}
	js, _ := json.Marshal(hdr)
	if err := json.Unmarshal(js, &rc.hdr); err != nil {
		tb.Fatal(err)
	}
	return rc
}

// ckptRefF16 evaluates binary16 bits with the textbook formula.
func ckptRefF16(b uint16) float64 {
	s, e, m := b>>15, int(b>>10)&0x1f, float64(b&0x3ff)
	v := math.Ldexp(1+m/1024, e-15)
	if e == 0 {
		v = math.Ldexp(m/1024, -14)
	}
	if s == 1 {
		v = -v
	}
	return v
}

// values decodes the tensor stored under name, or under
// "transformer."+name.
func (rc *ckptRaw) values(tb testing.TB, name string) ([]float32, []int) {
	tb.Helper()
	h, ok := rc.hdr[name]
	if !ok {
		if h, ok = rc.hdr["transformer."+name]; !ok {
			tb.Fatalf("raw checkpoint lacks %q", name)
		}
	}
	b := rc.data[h.Offsets[0]:h.Offsets[1]]
	var out []float32
	switch h.DType {
	case "F32":
		for i := 0; i < len(b); i += 4 {
			out = append(out, math.Float32frombits(binary.LittleEndian.Uint32(b[i:])))
		}
	case "F16":
		for i := 0; i < len(b); i += 2 {
			out = append(out, float32(ckptRefF16(binary.LittleEndian.Uint16(b[i:]))))
		}
	case "BF16":
		for i := 0; i < len(b); i += 2 {
			out = append(out, math.Float32frombits(uint32(binary.LittleEndian.Uint16(b[i:]))<<16))
		}
	default:
		tb.Fatalf("%s: dtype %s", name, h.DType)
	}
	return out, h.Shape
}

// transpose returns the transpose of the r×c row-major matrix m.
func ckptTranspose(m []float32, r, c int) []float32 {
	out := make([]float32, len(m))
	for i := range r {
		for j := range c {
			out[j*r+i] = m[i*c+j]
		}
	}
	return out
}

// unpack recovers a packed K×N matrix by multiplying the identity by it.
func ckptUnpack(p *kernels.Packed) []float32 {
	id := make([]float32, p.K*p.K)
	for i := range p.K {
		id[i*p.K+i] = 1
	}
	out := make([]float32, p.K*p.N)
	kernels.MatMul(out, id, p.K, p, nil)
	return out
}

func ckptLoadFixture(t *testing.T, fc ckptFixture) (*Config, *Weights, string) {
	t.Helper()
	dir := sharedtest.Path(t, fc.dir)
	cfg, w, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return cfg, w, dir
}

// TestLoadFixtures checks every fixture's config and every tensor's shape
// and values against the file decoded independently.
func TestLoadFixtures(t *testing.T) {
	for _, fc := range ckptFixtures() {
		t.Run(filepath.Base(fc.dir), func(t *testing.T) {
			cfg, w, dir := ckptLoadFixture(t, fc)
			if !reflect.DeepEqual(*cfg, fc.want) {
				t.Fatalf("config\n got %+v\nwant %+v", *cfg, fc.want)
			}
			rc := ckptReadRaw(t, filepath.Join(dir, "model.safetensors"))
			V, P, C, F := cfg.VocabSize, cfg.NPositions, cfg.NEmbd, cfg.NInner
			wte, wpe := "wte.weight", "wpe.weight"
			if cfg.Arch == ArchOpenAIGPT {
				wte, wpe = "tokens_embed.weight", "positions_embed.weight"
			}
			vec := func(name string, got []float32, n int) {
				t.Helper()
				want, _ := rc.values(t, name)
				if len(got) != n || !slices.Equal(got, want) {
					t.Errorf("%s: len %d (want %d), values differ from the file", name, len(got), n)
				}
			}
			// mat checks a packed matrix against want, [K, N] row-major.
			mat := func(name string, l Linear, k, n int, want []float32, bias bool) {
				t.Helper()
				if l.W == nil || l.W.K != k || l.W.N != n {
					t.Fatalf("%s: packed as %v, want %d×%d", name, l.W, k, n)
				}
				if got := ckptUnpack(l.W); !slices.Equal(got, want) {
					t.Errorf("%s: packed matrix differs from the file", name)
				}
				if bias {
					vec(name+".bias", l.B, n)
				} else if l.B != nil {
					t.Errorf("%s: bias %v, want none", name, l.B)
				}
			}
			conv := func(name string, l Linear, k, n int) {
				t.Helper()
				m, shape := rc.values(t, name+".weight")
				if !slices.Equal(shape, []int{k, n}) {
					t.Fatalf("%s stored as %v", name, shape)
				}
				mat(name, l, k, n, m, true)
			}
			lin := func(name string, l Linear, k, n int) { // nn.Linear stores [out, in]
				t.Helper()
				m, _ := rc.values(t, name+".weight")
				mat(name, l, k, n, ckptTranspose(m, n, k), true)
			}
			ln := func(name string, l LayerNorm) {
				t.Helper()
				vec(name+".weight", l.Gain, C)
				vec(name+".bias", l.Bias, C)
			}
			vec(wte, w.EmbeddingMatrix(), V*C)
			vec(wpe, w.WPE, P*C)
			if len(w.Blocks) != cfg.NLayer {
				t.Fatalf("%d blocks, want %d", len(w.Blocks), cfg.NLayer)
			}
			for i, b := range w.Blocks {
				h := "h." + strconv.Itoa(i) + "."
				ln(h+"ln_1", b.LN1)
				ln(h+"ln_2", b.LN2)
				if cfg.Arch == ArchGPTNeo {
					var qkv []float32
					for _, p := range []string{"q_proj", "k_proj", "v_proj"} {
						m, _ := rc.values(t, h+"attn.attention."+p+".weight")
						qkv = append(qkv, m...) // [3C, C] as out × in
					}
					mat(h+"attn.attention.qkv", b.Attn.QKV, C, 3*C, ckptTranspose(qkv, 3*C, C), false)
					lin(h+"attn.attention.out_proj", b.Attn.Proj, C, C)
					lin(h+"mlp.c_fc", b.MLP.FC, C, F)
					lin(h+"mlp.c_proj", b.MLP.Proj, F, C)
				} else {
					conv(h+"attn.c_attn", b.Attn.QKV, C, 3*C)
					conv(h+"attn.c_proj", b.Attn.Proj, C, C)
					conv(h+"mlp.c_fc", b.MLP.FC, C, F)
					conv(h+"mlp.c_proj", b.MLP.Proj, F, C)
				}
			}
			if cfg.Arch == ArchOpenAIGPT {
				if w.LNF.Gain != nil || w.LNF.Bias != nil {
					t.Error("openai-gpt has a final LayerNorm")
				}
			} else {
				ln("ln_f", w.LNF)
			}
			m, _ := rc.values(t, wte)
			mat("lm_head", w.LMHead, C, V, ckptTranspose(m, V, C), false)
		})
	}
}

// TestLoadMatchesReference runs a plain float64 forward pass (float32 only
// inside the packed matrix products) over the loaded weights and compares
// it with each fixture's reference.json, computed by an independent
// implementation of Hugging Face's semantics. It checks the loader's
// layout choices (transposes, the q/k/v stacking, tying) and the
// config.json interpretation (activation, attention scale, local windows).
func TestLoadMatchesReference(t *testing.T) {
	for _, fc := range ckptFixtures() {
		if !fc.reference {
			continue
		}
		t.Run(filepath.Base(fc.dir), func(t *testing.T) {
			cfg, w, dir := ckptLoadFixture(t, fc)
			var ref struct {
				Sequences []struct {
					InputIDs    []int       `json:"input_ids"`
					LogSumExp   []float64   `json:"logsumexp"`
					ProbeIDs    []int       `json:"probe_ids"`
					ProbeLogits [][]float64 `json:"probe_logits"`
				} `json:"sequences"`
			}
			data, err := os.ReadFile(filepath.Join(dir, "reference.json"))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(data, &ref); err != nil {
				t.Fatal(err)
			}
			worst := 0.0
			for si, s := range ref.Sequences {
				logits := ckptRefForward(cfg, w, s.InputIDs)
				for p := range s.InputIDs {
					row := logits[p*cfg.VocabSize : (p+1)*cfg.VocabSize]
					worst = max(worst, ckptRelErr(ckptRefLogSumExp(row), s.LogSumExp[p]))
					for j, id := range s.ProbeIDs {
						worst = max(worst, ckptRelErr(float64(row[id]), s.ProbeLogits[p][j]))
					}
				}
				if worst > 1e-4 {
					t.Fatalf("sequence %d: relative error %.3g > 1e-4", si, worst)
				}
			}
			t.Logf("max relative error %.3g", worst)
		})
	}
}

// TestLoadLoractlGolden compares embeddings and logits with the PyTorch
// golden shipped with the real save_pretrained file.
func TestLoadLoractlGolden(t *testing.T) {
	cfg, w, dir := ckptLoadFixture(t, ckptFixtures()[4])
	var g struct {
		InputIDs  []int     `json:"input_ids"`
		Logits    []float64 `json:"logits"`
		Embed     []float64 `json:"hidden_after_embed"`
		Keys      []string  `json:"safetensors_keys"`
		LogitsDim []int     `json:"logits_shape"`
	}
	data, err := os.ReadFile(filepath.Join(dir, "gpt2_tiny_golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatal(err)
	}
	C := cfg.NEmbd
	wte := w.EmbeddingMatrix()
	for p, id := range g.InputIDs {
		for c := range C {
			got := wte[id*C+c] + w.WPE[p*C+c]
			if math.Abs(float64(got)-g.Embed[p*C+c]) > 1e-6 {
				t.Fatalf("embedding [%d,%d] = %g, golden %g", p, c, got, g.Embed[p*C+c])
			}
		}
	}
	logits := ckptRefForward(cfg, w, g.InputIDs)
	if len(logits) != len(g.Logits) {
		t.Fatalf("%d logits, golden %d (%v)", len(logits), len(g.Logits), g.LogitsDim)
	}
	worst := 0.0
	for i, v := range logits {
		worst = max(worst, math.Abs(float64(v)-g.Logits[i]))
	}
	if worst > 1e-4 {
		t.Errorf("logits differ from the PyTorch golden by %.3g", worst)
	}
}

func ckptRelErr(got, want float64) float64 { return math.Abs(got-want) / max(1, math.Abs(want)) }

func ckptRefLogSumExp(x []float32) float64 {
	m := math.Inf(-1)
	for _, v := range x {
		m = max(m, float64(v))
	}
	s := 0.0
	for _, v := range x {
		s += math.Exp(float64(v) - m)
	}
	return m + math.Log(s)
}

// ckptRefForward returns the [T, V] logits of ids, computed in float64 apart
// from the matrix products, which use the loaded packed weights.
func ckptRefForward(cfg *Config, w *Weights, ids []int) []float32 {
	T, C, H := len(ids), cfg.NEmbd, cfg.NHead
	D := C / H
	x := make([]float64, T*C)
	wte := w.EmbeddingMatrix()
	for t, id := range ids {
		for c := range C {
			x[t*C+c] = float64(wte[id*C+c]) + float64(w.WPE[t*C+c])
		}
	}
	act := map[string]func(float64) float64{
		"gelu_new": func(v float64) float64 { return 0.5 * v * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(v+0.044715*v*v*v))) },
		"gelu":     func(v float64) float64 { return 0.5 * v * (1 + math.Erf(v/math.Sqrt2)) },
		"relu":     func(v float64) float64 { return max(v, 0) },
	}[cfg.Activation]
	post := cfg.Arch == ArchOpenAIGPT
	for l, b := range w.Blocks {
		in := x
		if !post {
			in = ckptRefLayerNorm(x, b.LN1, C, cfg.LayerNormEps)
		}
		qkv := ckptRefMatMul(in, T, b.Attn.QKV)
		att := make([]float64, T*C)
		scale := float64(cfg.AttnScale)
		if cfg.ScaleByInverseLayerIdx {
			scale /= float64(l + 1)
		}
		for h := range H {
			for i := range T {
				lo := 0
				if win := cfg.LocalWindow[l]; win > 0 {
					lo = max(0, i-win+1)
				}
				sc := make([]float64, i+1-lo)
				m := math.Inf(-1)
				for j := lo; j <= i; j++ {
					s := 0.0
					for d := range D {
						s += qkv[i*3*C+h*D+d] * qkv[j*3*C+C+h*D+d]
					}
					sc[j-lo] = s * scale
					m = max(m, sc[j-lo])
				}
				z := 0.0
				for k := range sc {
					sc[k] = math.Exp(sc[k] - m)
					z += sc[k]
				}
				for j := lo; j <= i; j++ {
					for d := range D {
						att[i*C+h*D+d] += sc[j-lo] / z * qkv[j*3*C+2*C+h*D+d]
					}
				}
			}
		}
		o := ckptRefMatMul(att, T, b.Attn.Proj)
		for i := range x {
			x[i] += o[i]
		}
		if post {
			x = ckptRefLayerNorm(x, b.LN1, C, cfg.LayerNormEps)
			in = x
		} else {
			in = ckptRefLayerNorm(x, b.LN2, C, cfg.LayerNormEps)
		}
		f := ckptRefMatMul(in, T, b.MLP.FC)
		for i := range f {
			f[i] = act(f[i])
		}
		o = ckptRefMatMul(f, T, b.MLP.Proj)
		for i := range x {
			x[i] += o[i]
		}
		if post {
			x = ckptRefLayerNorm(x, b.LN2, C, cfg.LayerNormEps)
		}
	}
	if !post {
		x = ckptRefLayerNorm(x, w.LNF, C, cfg.LayerNormEps)
	}
	a := make([]float32, len(x))
	for i, v := range x {
		a[i] = float32(v)
	}
	logits := make([]float32, T*cfg.VocabSize)
	kernels.MatMul(logits, a, T, w.LMHead.W, w.LMHead.B)
	return logits
}

func ckptRefMatMul(x []float64, rows int, l Linear) []float64 {
	a := make([]float32, len(x))
	for i, v := range x {
		a[i] = float32(v)
	}
	out := make([]float32, rows*l.W.N)
	kernels.MatMul(out, a, rows, l.W, l.B)
	y := make([]float64, len(out))
	for i, v := range out {
		y[i] = float64(v)
	}
	return y
}

func ckptRefLayerNorm(x []float64, ln LayerNorm, c int, eps float64) []float64 {
	out := make([]float64, len(x))
	for r := 0; r < len(x); r += c {
		row := x[r : r+c]
		mean, vr := 0.0, 0.0
		for _, v := range row {
			mean += v
		}
		mean /= float64(c)
		for _, v := range row {
			vr += (v - mean) * (v - mean)
		}
		inv := 1 / math.Sqrt(vr/float64(c)+eps)
		for i, v := range row {
			out[r+i] = (v-mean)*inv*float64(ln.Gain[i]) + float64(ln.Bias[i])
		}
	}
	return out
}
