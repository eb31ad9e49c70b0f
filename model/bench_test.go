package model

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/kshot-eval/kshot/eval"
	"github.com/kshot-eval/kshot/internal/kernels"
)

// randomGPT2 builds a GPT-2 with random float32 weights of the given shapes.
func randomGPT2(v, p, c, layers, heads int) *Decoder {
	return randomGPT2Typed(kernels.F32, v, p, c, layers, heads)
}

// randomGPT2Typed builds a GPT-2 with random weights of the given shapes,
// its matrices (the tied LM head included) packed as dt: F32, or F16 or
// BF16 kept 16-bit.
func randomGPT2Typed(dt kernels.DType, v, p, c, layers, heads int) *Decoder {
	rng := rand.New(rand.NewPCG(1, 2))
	vec := func(n int, scale float32) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = (rng.Float32()*2 - 1) * scale
		}
		return x
	}
	ln := func() LayerNorm {
		g := vec(c, 0.1)
		for i := range g {
			g[i] += 1
		}
		return LayerNorm{Gain: g, Bias: vec(c, 0.1)}
	}
	lin := func(in, out int) Linear {
		x := vec(in*out, 0.05)
		if dt == kernels.F32 {
			return Linear{W: kernels.PackKN(x, in, out), B: vec(out, 0.02)}
		}
		return Linear{W: kernels.PackKN16(truncate16(x, dt), in, out, dt), B: vec(out, 0.02)}
	}
	cfg := &Config{Arch: ArchGPT2, ModelType: "gpt2", VocabSize: v, NPositions: p, NEmbd: c, NLayer: layers,
		NHead: heads, NInner: 4 * c, LayerNormEps: 1e-5, Activation: "gelu_new", AttnScale: 1 / 8.0,
		TieWordEmbeddings: true, BOS: v - 1, EOS: v - 1}
	w := &Weights{WTE: vec(v*c, 0.1), WPE: vec(p*c, 0.01), LNF: ln()}
	for range layers {
		w.Blocks = append(w.Blocks, Block{LN1: ln(), Attn: Attention{QKV: lin(c, 3*c), Proj: lin(c, c)}, LN2: ln(), MLP: MLP{FC: lin(c, 4*c), Proj: lin(4*c, c)}})
	}
	if dt == kernels.F32 {
		w.LMHead = Linear{W: kernels.PackNK(w.WTE, v, c)}
	} else {
		w.LMHead = Linear{W: kernels.PackNK16(truncate16(w.WTE, dt), v, c, dt)}
	}
	w.WTE = nil // tied: the loader keeps only the packed head
	d, err := NewDecoder(cfg, w)
	if err != nil {
		panic(err)
	}
	return d
}

// truncate16 returns the bits of x in the 16-bit format dt, rounded
// toward zero and flushed to zero below the normal range: a quick
// conversion for random benchmark weights, where only the format matters.
func truncate16(x []float32, dt kernels.DType) []uint16 {
	out := make([]uint16, len(x))
	for i, f := range x {
		b := math.Float32bits(f)
		if dt == kernels.BF16 {
			out[i] = uint16(b >> 16)
			continue
		}
		sign, exp := uint16(b>>16)&0x8000, int(b>>23&0xff)-127+15
		switch {
		case exp <= 0:
			out[i] = sign
		case exp >= 0x1f:
			out[i] = sign | 0x7bff
		default:
			out[i] = sign | uint16(exp)<<10 | uint16(b>>13&0x3ff)
		}
	}
	return out
}

// promptFLOPs is the number of floating-point operations to score a
// T-token prompt with the LM head at every position: per token
// 24·L·C² (the four matrix products of a block), 2·C·V (LM head) and
// 4·C·(t+1) per layer for the causal attention at position t (scores and
// weighted values, 2·C·(t+1) each).
func promptFLOPs(cfg *Config, T int) float64 {
	C, L, V := float64(cfg.NEmbd), float64(cfg.NLayer), float64(cfg.VocabSize)
	F := float64(cfg.NInner)
	perTok := L*(2*C*3*C+2*C*C+2*C*F*2) + 2*C*V
	attn := L * 2 * C * float64(T) * float64(T+1) / 2 * 2
	return perTok*float64(T) + attn
}

// BenchmarkPromptGPT2Small measures prompt processing (scoring every
// token) for gpt2-small shapes: d=768, 12 layers, 12 heads, V=50257,
// random weights, on the current kernel path (KSHOT_KERNELS=avx2 forces
// the AVX2 one). Each scoring pass is timed on its own between two 300 ms
// measurements of the FMA peak on as many threads with the path's own
// FMA loop (kernels.PathPeakGFLOPS: 8-wide FMAs for avx2, 16-wide for
// avx512), and the metric "%peak" is the median over the passes of the
// pass's rate over the mean of the peaks around it, "%peak-max" and
// "%peak-min" the best and worst pass: on this shared virtual machine the
// peak moves by tens of percent within minutes, so a ratio is only
// meaningful against a peak measured next to it. "peak-GFLOP/s" is the
// mean of those peaks.
func BenchmarkPromptGPT2Small(b *testing.B) {
	d := randomGPT2(50257, 1024, 768, 12, 12)
	defer kernels.SetThreads(0)
	const peakTime = 300 * time.Millisecond
	for _, T := range []int{128, 1024} {
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/T=%d/threads=%d", kernels.Path(), T, threads), func(b *testing.B) {
				kernels.SetThreads(threads)
				toks := make([]int, T+1)
				for i := range toks {
					toks[i] = (i * 7919) % 50257
				}
				seqs := []eval.TokenSeq{{Tokens: toks, From: 1}}
				flops := promptFLOPs(d.cfg, T)
				var total time.Duration
				var ratios, peaks []float64
				b.StopTimer()
				for range b.N {
					before := kernels.PathPeakGFLOPS(threads, peakTime)
					b.StartTimer()
					start := time.Now()
					if _, err := d.Score(context.Background(), seqs); err != nil {
						b.Fatal(err)
					}
					took := time.Since(start)
					b.StopTimer()
					after := kernels.PathPeakGFLOPS(threads, peakTime)
					total += took
					peak := (before + after) / 2
					peaks = append(peaks, peak)
					ratios = append(ratios, flops/took.Seconds()/1e9/peak)
				}
				sec := total.Seconds() / float64(b.N)
				b.ReportMetric(float64(T)/sec, "tokens/s")
				b.ReportMetric(flops/sec/1e9, "GFLOP/s")
				if peaks[0] > 0 {
					var sum float64
					for _, p := range peaks {
						sum += p
					}
					b.ReportMetric(sum/float64(len(peaks)), "peak-GFLOP/s")
					slices.Sort(ratios)
					n := len(ratios)
					b.ReportMetric(100*(ratios[(n-1)/2]+ratios[n/2])/2, "%peak") // the median
					b.ReportMetric(100*ratios[n-1], "%peak-max")
					b.ReportMetric(100*ratios[0], "%peak-min")
				}
			})
		}
	}
}
