package model

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/kshot-eval/kshot/eval"
	"github.com/kshot-eval/kshot/internal/kernels"
	"github.com/kshot-eval/kshot/internal/sharedtest"
)

func loadDecoder(t testing.TB, dir string) *Decoder {
	t.Helper()
	cfg, w, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	d, err := NewDecoder(cfg, w)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// allLogits returns the logits [T][V] at every position of ids.
func allLogits(d *Decoder, ids []int) [][]float32 {
	logits, _ := logitsAndHead(d, ids)
	return logits
}

// logitsAndHead returns the logits [T][V] at every position of ids and
// what the LM head scan (scanHead) yields there.
func logitsAndHead(d *Decoder, ids []int) ([][]float32, []headRow) {
	C, V := d.cfg.NEmbd, d.cfg.VocabSize
	seg := &seqRun{tokens: ids, kv: newKVCache(d.cfg.NLayer, d.cfg.NHead, C/d.cfg.NHead, len(ids))}
	hidden, _ := d.forward([]*seqRun{seg})
	d.finalNorm(hidden, len(ids))
	out := make([][]float32, len(ids))
	for t := range ids {
		out[t] = make([]float32, V)
		d.logits(out[t], hidden[t*C:], 1)
	}
	return out, d.scanHead(hidden, len(ids), nil)
}

// close reports whether got is within tol of want, relative to
// max(1, |want|).
func closeTo(got, want, tol float64) bool {
	return math.Abs(got-want) <= tol*math.Max(1, math.Abs(want))
}

type referenceFile struct {
	Model     string `json:"model"`
	Sequences []struct {
		InputIDs    []int       `json:"input_ids"`
		LogSumExp   []float64   `json:"logsumexp"`
		Argmax      []int       `json:"argmax"`
		NextLogprob []float64   `json:"next_token_logprob"`
		SumLogprob  float64     `json:"sum_logprob"`
		ProbeIDs    []int       `json:"probe_ids"`
		ProbeLogits [][]float64 `json:"probe_logits"`
	} `json:"sequences"`
}

// TestReferenceFixtures compares every sequence of the fixtures'
// reference.json (an independent float64 implementation of the Hugging
// Face architectures) within 1e-4 relative, on every kernel path this
// machine runs.
func TestReferenceFixtures(t *testing.T) {
	root := sharedtest.Path(t, "fixtures/models")
	dirs, _ := filepath.Glob(filepath.Join(root, "*", "reference.json"))
	if len(dirs) < 5 {
		t.Fatalf("found %d reference.json files under %s, want at least 5", len(dirs), root)
	}
	for _, path := range kernels.Paths() {
		t.Run(path, func(t *testing.T) {
			old := kernels.Path()
			if err := kernels.SetPath(path); err != nil {
				t.Fatal(err)
			}
			defer kernels.SetPath(old)
			testReferenceFixtures(t, dirs)
		})
	}
}

func testReferenceFixtures(t *testing.T, dirs []string) {
	for _, refPath := range dirs {
		dir := filepath.Dir(refPath)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			var ref referenceFile
			b, err := os.ReadFile(refPath)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, &ref); err != nil {
				t.Fatal(err)
			}
			d := loadDecoder(t, dir)
			const tol = 1e-4
			var worst float64
			for si, seq := range ref.Sequences {
				logits, head := logitsAndHead(d, seq.InputIDs)
				lp, am, err := d.TokenLogprobs(context.Background(), seq.InputIDs)
				if err != nil {
					t.Fatal(err)
				}
				var sum float64
				for pos, row := range logits {
					lse := head[pos].lse
					worst = math.Max(worst, math.Abs(lse-seq.LogSumExp[pos]))
					if !closeTo(lse, seq.LogSumExp[pos], tol) {
						t.Errorf("seq %d pos %d: logsumexp %v, want %v", si, pos, lse, seq.LogSumExp[pos])
					}
					if am[pos] != seq.Argmax[pos] {
						t.Errorf("seq %d pos %d: argmax %d, want %d", si, pos, am[pos], seq.Argmax[pos])
					}
					for j, id := range seq.ProbeIDs {
						worst = math.Max(worst, math.Abs(float64(row[id])-seq.ProbeLogits[pos][j]))
						if !closeTo(float64(row[id]), seq.ProbeLogits[pos][j], tol) {
							t.Errorf("seq %d pos %d: logit[%d] %v, want %v", si, pos, id, row[id], seq.ProbeLogits[pos][j])
						}
					}
					if pos < len(lp) {
						sum += lp[pos]
						if !closeTo(lp[pos], seq.NextLogprob[pos], tol) {
							t.Errorf("seq %d pos %d: logprob %v, want %v", si, pos, lp[pos], seq.NextLogprob[pos])
						}
					}
				}
				if !closeTo(sum, seq.SumLogprob, tol) {
					t.Errorf("seq %d: sum logprob %v, want %v", si, sum, seq.SumLogprob)
				}
			}
			t.Logf("%s: %d sequences, max abs difference %.2e", ref.Model, len(ref.Sequences), worst)
		})
	}
}

// TestPyTorchGolden compares with PyTorch's logits for a real
// save_pretrained checkpoint (n_inner 64, vocab 61).
func TestPyTorchGolden(t *testing.T) {
	dir := sharedtest.Path(t, "data/tiny_gpt2_loractl")
	var g struct {
		InputIDs []int     `json:"input_ids"`
		Logits   []float64 `json:"logits"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "gpt2_tiny_golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	d := loadDecoder(t, dir)
	logits := allLogits(d, g.InputIDs)
	V := d.cfg.VocabSize
	for pos, row := range logits {
		for v, x := range row {
			if want := g.Logits[pos*V+v]; math.Abs(float64(x)-want) > 1e-5 {
				t.Fatalf("pos %d token %d: logit %v, want %v", pos, v, x, want)
			}
		}
	}
}

// TestTinyRandomGPT2 checks hf-internal-testing/tiny-random-gpt2 against
// the greedy sequences and logits published in onnxruntime-genai's tests.
func TestTinyRandomGPT2(t *testing.T) {
	dir := sharedtest.Path(t, "data/tiny_gpt2")
	var ref struct {
		Greedy struct {
			MaxLength int     `json:"max_length"`
			InputIDs  [][]int `json:"input_ids"`
			Expected  [][]int `json:"expected_sequences"`
		} `json:"greedy"`
		Prompt struct {
			InputIDs [][]int       `json:"input_ids"`
			Atol     float64       `json:"atol"`
			Expected [][][]float64 `json:"expected"`
		} `json:"sampled_logits_prompt"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "reference_outputs.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	d := loadDecoder(t, dir)
	var reqs []eval.TokenGenerate
	for _, p := range ref.Greedy.InputIDs {
		reqs = append(reqs, eval.TokenGenerate{Prompt: p, MaxNew: ref.Greedy.MaxLength - len(p)})
	}
	gens, err := d.Generate(context.Background(), reqs, func(int, []int) bool { return false })
	if err != nil {
		t.Fatal(err)
	}
	for i, g := range gens {
		got := append(append([]int{}, ref.Greedy.InputIDs[i]...), g...)
		if len(got) != len(ref.Greedy.Expected[i]) {
			t.Fatalf("greedy %d: %v, want %v", i, got, ref.Greedy.Expected[i])
		}
		for j := range got {
			if got[j] != ref.Greedy.Expected[i][j] {
				t.Fatalf("greedy %d: %v, want %v", i, got, ref.Greedy.Expected[i])
			}
		}
	}
	for i, ids := range ref.Prompt.InputIDs {
		logits := allLogits(d, ids)
		for pos, want := range ref.Prompt.Expected[i] {
			for j, w := range want {
				if got := float64(logits[pos][200*j]); math.Abs(got-w) > ref.Prompt.Atol {
					t.Errorf("prompt %d pos %d token %d: logit %v, want %v", i, pos, 200*j, got, w)
				}
			}
		}
	}
}

// TestBatchInvariance checks that a sequence's scores are bit-identical
// alone, inside a batch, sharing a prefix with other sequences, and on
// one or two threads; for a short context and for one longer than an
// attention job's block of rows (so that the blocks fall differently
// alone and after a shared prefix), with global attention (gpt2) and
// GPT-Neo's alternating local attention.
func TestBatchInvariance(t *testing.T) {
	long := make([]int, 37)
	for i := range long {
		long[i] = 200 + 17*i
	}
	for _, tc := range []struct {
		model string
		ctx   []int
	}{
		{"gpt2-tiny", []int{464, 3290, 318, 257, 1332, 286, 262, 995, 290, 340, 373, 13, 198, 464}},
		{"gpt2-tiny", long},
		{"gpt-neo-tiny", long},
	} {
		t.Run(fmt.Sprintf("%s/%d", tc.model, len(tc.ctx)), func(t *testing.T) {
			testBatchInvariance(t, loadDecoder(t, sharedtest.Path(t, "fixtures/models/"+tc.model)), tc.ctx)
		})
	}
}

func testBatchInvariance(t *testing.T, d *Decoder, ctx []int) {
	seq := func(cont ...int) eval.TokenSeq {
		return eval.TokenSeq{Tokens: append(append([]int{}, ctx...), cont...), From: len(ctx)}
	}
	target := seq(3797, 5118, 13)
	alone, err := d.Score(context.Background(), []eval.TokenSeq{target})
	if err != nil {
		t.Fatal(err)
	}
	batches := map[string][]eval.TokenSeq{
		"shared prefix": {seq(11), target, seq(40, 41, 42, 43, 44)},
		"mixed":         {{Tokens: []int{1, 2, 3, 4, 5, 6, 7}, From: 3}, target, {Tokens: ctx[:5], From: 1}},
	}
	for _, threads := range []int{1, 2} {
		kernels.SetThreads(threads)
		for name, b := range batches {
			got, err := d.Score(context.Background(), b)
			if err != nil {
				t.Fatal(err)
			}
			for i, x := range got[1].LogProbs {
				if math.Float64bits(x) != math.Float64bits(alone[0].LogProbs[i]) || got[1].Greedy[i] != alone[0].Greedy[i] {
					t.Errorf("%s, %d threads: token %d logprob %v, alone %v", name, threads, i, x, alone[0].LogProbs[i])
				}
			}
		}
	}
	kernels.SetThreads(0)
	// The same scores through TokenLogprobs (all positions, no sharing).
	lp, _, err := d.TokenLogprobs(context.Background(), target.Tokens)
	if err != nil {
		t.Fatal(err)
	}
	for i, x := range alone[0].LogProbs {
		if math.Float64bits(x) != math.Float64bits(lp[target.From-1+i]) {
			t.Errorf("TokenLogprobs token %d: %v, Score %v", i, lp[target.From-1+i], x)
		}
	}
}

// TestScanHead checks the block-wise LM head scan against a direct
// float64 log-sum-exp and argmax over the full logits: with the largest
// logit in the first block and tied in a later one (the first index
// wins), with it only in the last block (the running sum is rescaled),
// and each row's results alone equal to the row within the batch.
func TestScanHead(t *testing.T) {
	const C, V = 16, 3*headCols + 100
	rng := rand.New(rand.NewPCG(9, 10))
	h := make([]float32, 3*C)
	for i := range h {
		h[i] = float32(rng.NormFloat64())
	}
	E := make([]float32, V*C) // head rows, one per vocabulary entry
	for i := range E {
		E[i] = float32(rng.NormFloat64() * 0.1)
	}
	for j := range C {
		E[100*C+j] = 3 * h[j]            // row 0: the maximum at 100 ...
		E[(2*headCols+5)*C+j] = 3 * h[j] // ... tied at 2·headCols+5
		E[(V-1)*C+j] = 3 * h[C+j]        // row 1: the maximum in the last block
	}
	d := &Decoder{cfg: &Config{NEmbd: C, VocabSize: V}, w: &Weights{LMHead: Linear{W: kernels.PackNK(E, V, C)}}}
	tokens := []int{7, V - 1, headCols + 3}
	rows := d.scanHead(h, 3, tokens)
	logits := make([]float32, V)
	for r := range 3 {
		d.logits(logits, h[r*C:], 1)
		am := 0
		for i, x := range logits {
			if x > logits[am] {
				am = i
			}
		}
		var s float64
		for _, x := range logits {
			s += math.Exp(float64(x) - float64(logits[am]))
		}
		lse := float64(logits[am]) + math.Log(s)
		got := rows[r]
		if got.argmax != am || got.maxLogit != logits[am] || got.token != logits[tokens[r]] || !closeTo(got.lse, lse, 1e-6) {
			t.Errorf("row %d: %+v, want argmax %d (%v), token logit %v, lse %v", r, got, am, logits[am], logits[tokens[r]], lse)
		}
		alone := d.scanHead(h[r*C:], 1, tokens[r:r+1])[0]
		if alone != got {
			t.Errorf("row %d alone %+v, within the batch %+v", r, alone, got)
		}
	}
	if rows[0].argmax != 100 || rows[1].argmax != V-1 {
		t.Errorf("argmax %d and %d, want 100 (tied with %d) and %d", rows[0].argmax, rows[1].argmax, 2*headCols+5, V-1)
	}
}
