package model

import (
	"math"
	"strings"
	"testing"

	"github.com/kshot-eval/kshot/internal/sharedtest"
)

// TestBlockKinds checks which block kind each architecture runs: GPT-2 and
// GPT-Neo put the LayerNorm before each sub-layer, GPT-1 after each
// residual sum.
func TestBlockKinds(t *testing.T) {
	w := &Weights{Blocks: make([]Block, 2)}
	for _, tc := range []struct {
		arch Arch
		pre  bool
	}{
		{ArchGPT2, true},
		{ArchGPTNeo, true},
		{ArchOpenAIGPT, false},
	} {
		for l, b := range blocks(tc.arch, w) {
			_, pre := b.(*preLNBlock)
			_, post := b.(*postLNBlock)
			if pre != tc.pre || post == tc.pre {
				t.Errorf("arch %d block %d is a %T, want pre-LayerNorm %v", tc.arch, l, b, tc.pre)
			}
		}
	}
	defer func() {
		if r, _ := recover().(string); !strings.HasPrefix(r, "model: ") {
			t.Errorf("unknown architecture: recovered %q, want a panic starting with \"model: \"", r)
		}
	}()
	blocks(Arch(99), w)
}

// TestBlockForward runs each fixture family block by block and compares
// every block's output with a float64 implementation of the paper's
// formula for that block kind, fed the same input (the decoder's own
// state before the block), so that an error is traced to the block that
// makes it. The matrix products use the packed weights (ckptRefMatMul);
// LayerNorm, attention, softmax, activation and residual sums are float64.
func TestBlockForward(t *testing.T) {
	for _, name := range []string{"gpt2-tiny", "gpt-neo-tiny", "openai-gpt-tiny"} {
		t.Run(name, func(t *testing.T) {
			d := loadDecoder(t, sharedtest.Path(t, "fixtures/models/"+name))
			cfg := d.cfg
			C, H := cfg.NEmbd, cfg.NHead
			ids := make([]int, min(cfg.NPositions, 30))
			for i := range ids {
				ids[i] = (37*i + 5) % cfg.VocabSize
			}
			seg := &seqRun{tokens: ids, kv: newKVCache(1, H, C/H, len(ids))}
			p := &pass{cfg: cfg, act: d.act, segs: []*seqRun{seg}, rowStart: []int{0, len(ids)}, n: len(ids),
				workspace: newWorkspace(len(ids), cfg)}
			encoderForward(p.x, p.segs, p.rowStart, d.w, C)
			for l, b := range d.blocks {
				in := make([]float64, len(p.x))
				for i, v := range p.x {
					in[i] = float64(v)
				}
				want := refBlock(cfg, &d.w.Blocks[l], l, in)
				b.Forward(p, l)
				var worst float64
				for i, v := range p.x {
					worst = max(worst, math.Abs(float64(v)-want[i])/max(1, math.Abs(want[i])))
				}
				t.Logf("block %d (%T): max relative difference %.2e", l, b, worst)
				if worst > 1e-4 {
					t.Errorf("block %d (%T): differs from the reference by %.3g relative", l, b, worst)
				}
			}
		})
	}
}

// refBlock returns block l's output for the residual stream x [T, C]:
// x + Attn(LN1(x)) then x + MLP(LN2(x)) for GPT-2 and GPT-Neo (Radford et
// al. 2019, §2.3), LN1(x + Attn(x)) then LN2(x + MLP(x)) for GPT-1.
func refBlock(cfg *Config, b *Block, l int, x []float64) []float64 {
	C, eps := cfg.NEmbd, cfg.LayerNormEps
	add := func(a, b []float64) []float64 {
		out := make([]float64, len(a))
		for i := range a {
			out[i] = a[i] + b[i]
		}
		return out
	}
	if cfg.Arch == ArchOpenAIGPT {
		x = ckptRefLayerNorm(add(x, refAttention(cfg, b, l, x)), b.LN1, C, eps)
		return ckptRefLayerNorm(add(x, refMLP(cfg, b, x)), b.LN2, C, eps)
	}
	x = add(x, refAttention(cfg, b, l, ckptRefLayerNorm(x, b.LN1, C, eps)))
	return add(x, refMLP(cfg, b, ckptRefLayerNorm(x, b.LN2, C, eps)))
}

// refAttention is causal multi-head self-attention of x [T, C], with
// GPT-Neo's local window where the layer has one.
func refAttention(cfg *Config, b *Block, l int, x []float64) []float64 {
	C, H := cfg.NEmbd, cfg.NHead
	D, T := C/H, len(x)/C
	qkv := ckptRefMatMul(x, T, b.Attn.QKV)
	scale := float64(cfg.AttnScale)
	if cfg.ScaleByInverseLayerIdx {
		scale /= float64(l + 1)
	}
	att := make([]float64, T*C)
	for h := range H {
		for i := range T {
			lo := 0
			if cfg.LocalWindow != nil && cfg.LocalWindow[l] > 0 {
				lo = max(0, i-cfg.LocalWindow[l]+1)
			}
			p := make([]float64, i+1)
			m, z := math.Inf(-1), 0.0
			for j := lo; j <= i; j++ {
				for k := range D {
					p[j] += qkv[i*3*C+h*D+k] * qkv[j*3*C+C+h*D+k]
				}
				p[j] *= scale
				m = max(m, p[j])
			}
			for j := lo; j <= i; j++ {
				p[j] = math.Exp(p[j] - m)
				z += p[j]
			}
			for j := lo; j <= i; j++ {
				for k := range D {
					att[i*C+h*D+k] += p[j] / z * qkv[j*3*C+2*C+h*D+k]
				}
			}
		}
	}
	return ckptRefMatMul(att, T, b.Attn.Proj)
}

// refMLP is the feed-forward network of x [T, C] with cfg's activation.
func refMLP(cfg *Config, b *Block, x []float64) []float64 {
	T := len(x) / cfg.NEmbd
	f := ckptRefMatMul(x, T, b.MLP.FC)
	for i, v := range f {
		switch cfg.Activation {
		case "gelu_new", "gelu_pytorch_tanh", "gelu_fast":
			f[i] = 0.5 * v * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(v+0.044715*v*v*v)))
		case "gelu":
			f[i] = 0.5 * v * (1 + math.Erf(v/math.Sqrt2))
		case "relu":
			f[i] = max(v, 0)
		default:
			panic("refMLP: activation " + cfg.Activation)
		}
	}
	return ckptRefMatMul(f, T, b.MLP.Proj)
}
