package model

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/kshot-eval/kshot/eval"
	"github.com/kshot-eval/kshot/internal/kernels"
)

// timedStepper is the decoder's stepper with the wall time of every step
// recorded: the first step feeds the prompts, the others one token per
// sequence.
type timedStepper struct {
	*decoderStepper
	steps []time.Duration
}

func (t *timedStepper) step(seqs []*seqRun, dst []float32) {
	start := time.Now()
	t.decoderStepper.step(seqs, dst)
	t.steps = append(t.steps, time.Since(start))
}

// stepWeightBytes returns the bytes of weights one generation step reads:
// every packed matrix (the LM head included, padding columns too, since
// the kernels stream them), every bias and LayerNorm parameter, and the
// one row of position embeddings and of token embeddings per sequence
// left out (a few kilobytes).
func stepWeightBytes(w *Weights) int {
	n := 4 * (len(w.LNF.Gain) + len(w.LNF.Bias))
	lin := func(l Linear) int { return l.W.Bytes() + 4*len(l.B) }
	for _, b := range w.Blocks {
		n += 4*(len(b.LN1.Gain)+len(b.LN1.Bias)+len(b.LN2.Gain)+len(b.LN2.Bias)) +
			lin(b.Attn.QKV) + lin(b.Attn.Proj) + lin(b.MLP.FC) + lin(b.MLP.Proj)
	}
	return n + lin(w.LMHead)
}

// generatePass generates gen tokens greedily after each of B prompts of
// prompt tokens and returns the time of the one-token steps, of the whole
// pass and of the prompt step.
func generatePass(b *testing.B, d *Decoder, B, prompt, gen int) (steps, total, first time.Duration) {
	rules := make([]rule, B)
	m := &timedStepper{decoderStepper: &decoderStepper{d: d}}
	for i := range rules {
		toks := make([]int, prompt)
		for j := range toks {
			toks[j] = (i*1009 + j*7919) % d.cfg.VocabSize
		}
		g := genRequest{prompt: toks, limit: gen, stop: func([]int) bool { return false }}
		rules[i] = newRule(m, g, eval.Decoding{})
	}
	start := time.Now()
	if err := generate(context.Background(), m, rules); err != nil {
		b.Fatal(err)
	}
	total = time.Since(start)
	if len(m.steps) != gen {
		b.Fatalf("%d steps, want %d", len(m.steps), gen)
	}
	for _, s := range m.steps[1:] {
		steps += s
	}
	return steps, total, m.steps[0]
}

// median returns the median of x, which it sorts.
func median(x []float64) float64 {
	slices.Sort(x)
	n := len(x)
	return (x[(n-1)/2] + x[n/2]) / 2
}

// BenchmarkGenerateGPT2Small measures greedy generation on gpt2-small
// shapes (d=768, 12 layers, V=50257, random weights stored as F32 or F16):
// batches of 1 and 16 prompts of 128 tokens, 128 new tokens each, on 2
// threads and the current kernel path (KSHOT_KERNELS=avx2 forces AVX2).
//
// Each pass is timed between two 300 ms measurements of the memory read
// bandwidth on the same threads (kernels.ReadBuffer, 512 MiB, far larger
// than the last-level cache), and the step that feeds the prompts is
// timed apart from the 127 steps of one token per sequence after it.
// Metrics: "tokens/s" is the rate of those one-token steps (B·127 tokens
// over their time), "total-tokens/s" every new token over the whole pass
// with the prompts, "prefill-ms" the prompt step; "GB/s" the mean of the
// bandwidths measured around the passes and "bound-tokens/s" B tokens
// per step at that bandwidth over "weight-MB", the weights a step reads;
// "%bound" is the median over the passes of each pass's one-token rate
// over the bound from the bandwidths around it. The bound leaves out the
// keys and values the attention reads (2·L·C·4 bytes per position and
// sequence, 9.4 MB at position 128 of gpt2-small in float32). A batch of
// 16 is followed, pass by pass, by a batch of one (not timed), and
// "x-batch1" is the median over the passes of the batch's one-token rate
// over that of the batch of one next to it: the speed-up from batching,
// measured where the machine's speed was the same.
func BenchmarkGenerateGPT2Small(b *testing.B) {
	const (
		prompt, gen, threads = 128, 128, 2
		bwTime               = 300 * time.Millisecond
	)
	defer kernels.SetThreads(0)
	kernels.SetThreads(threads)
	rb := kernels.NewReadBuffer(512 << 20)
	for _, dt := range []kernels.DType{kernels.F32, kernels.F16} {
		d := randomGPT2Typed(dt, 50257, 1024, 768, 12, 12)
		wbytes := float64(stepWeightBytes(d.w))
		for _, B := range []int{1, 16} {
			b.Run(fmt.Sprintf("%s/%v/batch=%d/threads=%d", kernels.Path(), dt, B, threads), func(b *testing.B) {
				var oneTok, total, prefill time.Duration
				var ratios, bws, speedups []float64
				b.StopTimer()
				for range b.N {
					before := rb.GBps(threads, bwTime)
					b.StartTimer()
					steps, took, first := generatePass(b, d, B, prompt, gen)
					b.StopTimer()
					after := rb.GBps(threads, bwTime)
					oneTok += steps
					total += took
					prefill += first
					bw := (before + after) / 2
					bws = append(bws, bw)
					rate := float64(B*(gen-1)) / steps.Seconds()
					ratios = append(ratios, rate/(float64(B)*bw*1e9/wbytes))
					if B > 1 { // a batch of one right after, for the speed-up
						one, _, _ := generatePass(b, d, 1, prompt, gen)
						speedups = append(speedups, rate/(float64(gen-1)/one.Seconds()))
					}
				}
				var bw float64
				for _, x := range bws {
					bw += x / float64(len(bws))
				}
				n := float64(b.N)
				b.ReportMetric(float64(B*(gen-1))*n/oneTok.Seconds(), "tokens/s")
				b.ReportMetric(float64(B*gen)*n/total.Seconds(), "total-tokens/s")
				b.ReportMetric(prefill.Seconds()*1e3/n, "prefill-ms")
				b.ReportMetric(bw, "GB/s")
				b.ReportMetric(wbytes/1e6, "weight-MB")
				b.ReportMetric(float64(B)*bw*1e9/wbytes, "bound-tokens/s")
				b.ReportMetric(100*median(ratios), "%bound")
				if len(speedups) > 0 {
					b.ReportMetric(median(speedups), "x-batch1")
				}
			})
		}
	}
}
