package model

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/kshot-eval/kshot/eval"
	"github.com/kshot-eval/kshot/internal/kernels"
	"github.com/kshot-eval/kshot/internal/sharedtest"
)

var (
	beam2    = eval.Decoding{Method: eval.DecodeBeam, BeamWidth: 2, LengthPenalty: 0.6}
	beam4    = eval.Decoding{Method: eval.DecodeBeam, BeamWidth: 4, LengthPenalty: 1}
	sampled  = eval.Decoding{Method: eval.DecodeSample, Temperature: 1, TopP: 1, Seed: 7}
	nucleus9 = eval.Decoding{Method: eval.DecodeSample, Temperature: 0.8, TopK: 40, TopP: 0.9, Seed: 3}
)

// genPrompts returns n prompts of lengths 1 to 13 with ids below 500.
func genPrompts(n int) [][]int {
	out := make([][]int, n)
	for i := range out {
		p := make([]int, 1+(i*5)%13)
		for j := range p {
			p[j] = (17 + 31*i + 7*j*j) % 500
		}
		out[i] = p
	}
	return out
}

// generateEach runs reqs as one batch, and returns the tokens, failing
// the test on an error.
func generateEach(t *testing.T, d *Decoder, reqs []eval.TokenGenerate, stop func(int, []int) bool) [][]int {
	t.Helper()
	if stop == nil {
		stop = func(int, []int) bool { return false }
	}
	out, err := d.Generate(context.Background(), reqs, stop)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestGenerateBatchMatchesAlone generates a batch of requests under every
// rule (greedy, beam, sampling, mixed in one batch) and each request
// alone, on one thread and on two: the tokens must be the same, and so
// must the logits of every step (TestStepRowsMatchAlone).
func TestGenerateBatchMatchesAlone(t *testing.T) {
	defer kernels.SetThreads(0)
	rules := []eval.Decoding{{}, beam2, sampled, nucleus9}
	for _, name := range []string{"gpt2-tiny", "gpt-neo-tiny", "openai-gpt-tiny"} {
		t.Run(name, func(t *testing.T) {
			d := loadDecoder(t, sharedtest.Path(t, "fixtures/models/"+name))
			var reqs []eval.TokenGenerate
			for i, p := range genPrompts(12) {
				reqs = append(reqs, eval.TokenGenerate{Prompt: p, MaxNew: 3 + i%9, Decoding: rules[i%len(rules)]})
			}
			reqs[5].BanFirst = []int{1, 2, 3}
			// Stop when the generation holds token 0 mod 7: generations
			// of different lengths, ended in the middle of a beam search.
			stop := func(_ int, gen []int) bool { return gen[len(gen)-1]%7 == 0 }
			kernels.SetThreads(2)
			batch := generateEach(t, d, reqs, stop)
			for _, threads := range []int{1, 2} {
				kernels.SetThreads(threads)
				for i, r := range reqs {
					alone := generateEach(t, d, []eval.TokenGenerate{r}, func(_ int, gen []int) bool { return stop(i, gen) })[0]
					if !slices.Equal(alone, batch[i]) {
						t.Errorf("request %d (%s), %d threads: alone %v, in the batch %v", i, r.Decoding, threads, alone, batch[i])
					}
				}
			}
		})
	}
}

// recordStepper wraps a stepper and keeps the logits rows of every step.
type recordStepper struct {
	stepper
	rows [][]float32
}

func (r *recordStepper) step(seqs []*seqRun, dst []float32) {
	r.stepper.step(seqs, dst)
	V := r.vocab()
	for k := range seqs {
		r.rows = append(r.rows, slices.Clone(dst[k*V:(k+1)*V]))
	}
}

// TestStepRowsMatchAlone compares the logits a greedy request sees at
// every step, bit for bit, alone and in a batch of 8 of which the others
// are beam searches and samples.
func TestStepRowsMatchAlone(t *testing.T) {
	d := loadDecoder(t, sharedtest.Path(t, "fixtures/models/gpt2-tiny"))
	prompts := genPrompts(8)
	rowsOf := func(idx []int) map[int][][]float32 {
		m := &recordStepper{stepper: &decoderStepper{d: d}}
		var rules []rule
		for _, i := range idx {
			dec := []eval.Decoding{{}, beam2, sampled}[i%3]
			g := genRequest{prompt: prompts[i], limit: 6, stop: func([]int) bool { return false }}
			rules = append(rules, newRule(m, g, dec))
		}
		// Record which rows belong to the greedy requests: one row per
		// step each, at the rule's place in the step.
		out := map[int][][]float32{}
		wrapped := make([]rule, len(rules))
		for k, r := range rules {
			wrapped[k] = &rowSpy{rule: r, rec: m, id: idx[k], out: out, greedy: idx[k]%3 == 0}
		}
		if err := generate(context.Background(), m, wrapped); err != nil {
			t.Fatal(err)
		}
		return out
	}
	all := []int{0, 1, 2, 3, 4, 5, 6, 7}
	batch := rowsOf(all)
	for _, i := range []int{0, 3, 6} {
		alone := rowsOf([]int{i})[i]
		if len(alone) == 0 || len(alone) != len(batch[i]) {
			t.Fatalf("request %d: %d steps alone, %d in the batch", i, len(alone), len(batch[i]))
		}
		for s := range alone {
			if !slices.Equal(alone[s], batch[i][s]) {
				t.Errorf("request %d step %d: logits differ alone and in the batch", i, s)
			}
		}
	}
}

// rowSpy copies the logits rows a greedy rule is given.
type rowSpy struct {
	rule
	rec    *recordStepper
	id     int
	out    map[int][][]float32
	greedy bool
}

func (s *rowSpy) update(m stepper, logits []float32) {
	if s.greedy {
		s.out[s.id] = append(s.out[s.id], slices.Clone(logits))
	}
	s.rule.update(m, logits)
}

// TestBeamWidthOneIsGreedy checks that a width-1 beam search with no stop
// gives the greedy tokens: its hypotheses attend to the prompt as a
// shared past and to their own cache, the greedy sequence to one cache.
func TestBeamWidthOneIsGreedy(t *testing.T) {
	for _, name := range []string{"gpt2-tiny", "gpt-neo-tiny"} {
		d := loadDecoder(t, sharedtest.Path(t, "fixtures/models/"+name))
		for i, p := range genPrompts(4) {
			g := generateEach(t, d, []eval.TokenGenerate{{Prompt: p, MaxNew: 20}}, nil)[0]
			b := generateEach(t, d, []eval.TokenGenerate{{Prompt: p, MaxNew: 20, Decoding: eval.Decoding{Method: eval.DecodeBeam, BeamWidth: 1}}}, nil)[0]
			if !slices.Equal(g, b) {
				t.Errorf("%s prompt %d: greedy %v, beam width 1 %v", name, i, g, b)
			}
		}
	}
}

// TestBeamSearchReference checks beam search against the sequences
// onnxruntime-genai's tests publish for hf-internal-testing/
// tiny-random-gpt2 (4 beams, to 20 tokens; every beam reaches the limit,
// so the length penalty does not change the ranking).
func TestBeamSearchReference(t *testing.T) {
	dir := sharedtest.Path(t, "data/tiny_gpt2")
	var ref struct {
		Beam struct {
			NumBeams  int     `json:"num_beams"`
			MaxLength int     `json:"max_length"`
			InputIDs  [][]int `json:"input_ids"`
			Expected  [][]int `json:"expected_sequences"`
		} `json:"beam_search"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "reference_outputs.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	if ref.Beam.NumBeams != 4 || len(ref.Beam.InputIDs) == 0 {
		t.Fatalf("reference_outputs.json: beam_search has %d beams and %d inputs, want 4 beams", ref.Beam.NumBeams, len(ref.Beam.InputIDs))
	}
	d := loadDecoder(t, dir)
	var reqs []eval.TokenGenerate
	for _, p := range ref.Beam.InputIDs {
		reqs = append(reqs, eval.TokenGenerate{Prompt: p, MaxNew: ref.Beam.MaxLength - len(p), Decoding: beam4})
	}
	for i, g := range generateEach(t, d, reqs, nil) {
		got := append(slices.Clone(ref.Beam.InputIDs[i]), g...)
		if !slices.Equal(got, ref.Beam.Expected[i]) {
			t.Errorf("beam %d: %v, want %v", i, got, ref.Beam.Expected[i])
		}
	}
}

// TestSampleSeedAnyBatch checks that a sampled request draws the same
// tokens alone and among 16, with GOMAXPROCS and the kernels' threads at
// 1 and at 2; that another seed draws other tokens; and that sampling
// is not greedy decoding in disguise.
func TestSampleSeedAnyBatch(t *testing.T) {
	d := loadDecoder(t, sharedtest.Path(t, "fixtures/models/gpt2-tiny"))
	defer kernels.SetThreads(0)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	prompts := genPrompts(16)
	reqs := func(dec eval.Decoding) []eval.TokenGenerate {
		var out []eval.TokenGenerate
		for _, p := range prompts {
			out = append(out, eval.TokenGenerate{Prompt: p, MaxNew: 12, Decoding: dec})
		}
		return out
	}
	for _, dec := range []eval.Decoding{sampled, nucleus9} {
		t.Run(dec.String(), func(t *testing.T) {
			runtime.GOMAXPROCS(2)
			kernels.SetThreads(2)
			want := generateEach(t, d, reqs(dec), nil)
			runtime.GOMAXPROCS(1)
			kernels.SetThreads(1)
			for i, r := range reqs(dec) {
				if got := generateEach(t, d, []eval.TokenGenerate{r}, nil)[0]; !slices.Equal(got, want[i]) {
					t.Errorf("prompt %d: batch 16 on 2 threads %v, alone on 1 %v", i, want[i], got)
				}
			}
			other := dec
			other.Seed++
			greedy := generateEach(t, d, reqs(eval.Decoding{}), nil)
			again := generateEach(t, d, reqs(other), nil)
			var sameSeed, sameGreedy int
			for i := range want {
				if slices.Equal(again[i], want[i]) {
					sameSeed++
				}
				if slices.Equal(greedy[i], want[i]) {
					sameGreedy++
				}
			}
			if sameSeed == len(want) || sameGreedy == len(want) {
				t.Errorf("of %d generations, %d are the same with seed %d as with %d and %d are greedy", len(want), sameSeed, other.Seed, dec.Seed, sameGreedy)
			}
		})
	}
}

func TestGenerateRejects(t *testing.T) {
	d := loadDecoder(t, sharedtest.Path(t, "fixtures/models/gpt2-tiny"))
	for _, c := range []struct {
		req  eval.TokenGenerate
		want string
	}{
		{eval.TokenGenerate{Prompt: []int{1}, MaxNew: 2, Decoding: eval.Decoding{Method: eval.DecodeBeam}}, "prompt 0: decoding: beam width 0"},
		{eval.TokenGenerate{Prompt: []int{1}, MaxNew: 2, Decoding: eval.Decoding{Method: eval.DecodeSample, Temperature: 1, TopP: 2}}, "top-p 2"},
		{eval.TokenGenerate{Prompt: nil, MaxNew: 2}, "prompt 0 is empty"},
		{eval.TokenGenerate{Prompt: make([]int, 64), MaxNew: 2}, "no room to generate"},
	} {
		_, err := d.Generate(context.Background(), []eval.TokenGenerate{c.req}, func(int, []int) bool { return false })
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want one containing %q", c.req.Decoding, err, c.want)
		}
	}
}

// freshStepper is the decoder as a stepper that checks every row of
// logits it returns against a forward pass of the sequence's whole
// history (prompt and generated tokens) from an empty cache: beam
// search's forks and cache copies must leave each hypothesis exactly the
// state of its own tokens.
type freshStepper struct {
	t *testing.T
	decoderStepper
	hist   map[*seqRun][]int
	checks int
}

func (f *freshStepper) newSeq(prompt []int, capacity int) *seqRun {
	s := f.decoderStepper.newSeq(prompt, capacity)
	f.hist[s] = nil
	return s
}
func (f *freshStepper) fork(parent *seqRun, capacity int) *seqRun {
	s := f.decoderStepper.fork(parent, capacity)
	f.hist[s] = slices.Clone(f.hist[parent])
	return s
}
func (f *freshStepper) copyState(dst, src *seqRun) {
	f.decoderStepper.copyState(dst, src)
	f.hist[dst] = slices.Clone(f.hist[src])
}
func (f *freshStepper) step(seqs []*seqRun, dst []float32) {
	f.decoderStepper.step(seqs, dst)
	d, V := f.d, f.vocab()
	for k, s := range seqs {
		f.hist[s] = append(f.hist[s], s.tokens...)
		h := f.hist[s]
		fresh := allLogits(d, h)[len(h)-1]
		if !slices.Equal(fresh, dst[k*V:(k+1)*V]) {
			f.t.Fatalf("after %v: the step's logits differ from a fresh forward pass", h)
		}
		f.checks++
	}
}

// beamSpy checks after every step that each live hypothesis's sequence
// holds the prompt and the hypothesis's tokens but the last, which it
// feeds next.
type beamSpy struct {
	*beamRule
	f *freshStepper
}

func (b *beamSpy) update(m stepper, logits []float32) {
	b.beamRule.update(m, logits)
	for _, h := range b.live {
		want := append(slices.Clone(b.prompt), h.tokens[:len(h.tokens)-1]...)
		if got := b.f.hist[h.seq]; !slices.Equal(got, want) || !slices.Equal(h.seq.tokens, h.tokens[len(h.tokens)-1:]) {
			b.f.t.Fatalf("hypothesis %v: its sequence holds %v and feeds %v", h.tokens, got, h.seq.tokens)
		}
	}
}

func TestBeamCachesMatchFreshForward(t *testing.T) {
	for _, name := range []string{"gpt2-lambada-tiny", "gpt-neo-tiny"} {
		t.Run(name, func(t *testing.T) {
			d := loadDecoder(t, sharedtest.Path(t, "fixtures/models/"+name))
			f := &freshStepper{t: t, decoderStepper: decoderStepper{d: d}, hist: map[*seqRun][]int{}}
			var rules []rule
			for i, p := range genPrompts(3) {
				g := genRequest{prompt: p, limit: 10, stop: func(gen []int) bool { return gen[len(gen)-1]%11 == i }}
				b := newRule(f, g, eval.Decoding{Method: eval.DecodeBeam, BeamWidth: 3, LengthPenalty: 0.6}).(*beamRule)
				rules = append(rules, &beamSpy{beamRule: b, f: f})
			}
			if err := generate(context.Background(), f, rules); err != nil {
				t.Fatal(err)
			}
			if f.checks < 30 {
				t.Errorf("only %d rows checked", f.checks)
			}
		})
	}
}
