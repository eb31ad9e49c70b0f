package train

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kshot-eval/kshot/datasets/synth"
	"github.com/kshot-eval/kshot/model"
)

// Run describes one training run.
type Run struct {
	Name       string
	Model      Config // VocabSize is set from the trained tokenizer
	Hyper      Hyper
	Seed       uint64 // initialisation and batch sampling
	CorpusSeed uint64 // synthetic corpus (ignored with CorpusFile)
	Passages   int    // synthetic passages to generate
	// CorpusVersion selects the synthetic corpus: 1 (synth.Corpus, the
	// embedded ladder's; also 0) or 2 (synth.CorpusV2, issue #22's design).
	CorpusVersion int
	CorpusFile    string // a UTF-8 text file, passages separated by blank lines, instead of the synthetic corpus
	VocabSize     int    // BPE vocabulary size, bytes and end-of-text included

	Out             string // final checkpoint directory
	DType           DType  // storage of the final checkpoint
	CheckpointDir   string // resumable state
	CheckpointEvery int    // steps between resumable states (0: only at the end and on interruption)
	Resume          bool
	Log             io.Writer // progress lines; nil for none

	afterStep func(done int) // test hook, called after each step
}

// ident identifies the settings a resumable state belongs to.
func (r *Run) ident() string {
	src := "synth:" + strconv.FormatUint(r.CorpusSeed, 10) + ":" + strconv.Itoa(r.Passages)
	if r.CorpusVersion == 2 {
		src = "synth2:" + strconv.FormatUint(r.CorpusSeed, 10) + ":" + strconv.Itoa(r.Passages)
	}
	if r.CorpusFile != "" {
		src = "file:" + r.CorpusFile
	}
	h := r.Hyper
	return fmt.Sprintf("V%d P%d C%d L%d H%d seed%d %s steps%d B%d T%d lr%g/%g warm%d wd%g clip%g",
		r.VocabSize, r.Model.NPositions, r.Model.NEmbd, r.Model.NLayer, r.Model.NHead, r.Seed, src,
		h.Steps, h.Batch, h.Context, h.LR, h.MinLR, h.Warmup, h.WeightDecay, h.Clip)
}

func (r *Run) logf(format string, args ...any) {
	if r.Log != nil {
		fmt.Fprintf(r.Log, format+"\n", args...)
	}
}

// ReadCorpus reads a UTF-8 corpus file and splits it into passages at
// blank lines. An empty file, invalid UTF-8 and NUL bytes are errors
// naming the line.
func ReadCorpus(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(strings.TrimSpace(string(data))) == 0 {
		return nil, fmt.Errorf("%s: the corpus is empty (it needs text, passages separated by blank lines)", path)
	}
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	sc.Buffer(nil, len(data)+1)
	line := 0
	var out []string
	var cur []string
	for sc.Scan() {
		line++
		s := sc.Text()
		if !utf8.ValidString(s) {
			return nil, fmt.Errorf("%s:%d: not valid UTF-8 (convert the corpus to UTF-8, e.g. with iconv)", path, line)
		}
		if strings.ContainsRune(s, 0) {
			return nil, fmt.Errorf("%s:%d: contains a NUL byte (is it a binary file?)", path, line)
		}
		if strings.TrimSpace(s) == "" {
			if len(cur) > 0 {
				out = append(out, strings.Join(cur, "\n"))
				cur = nil
			}
			continue
		}
		cur = append(cur, s)
	}
	if len(cur) > 0 {
		out = append(out, strings.Join(cur, "\n"))
	}
	return out, nil
}

// memoryNeeded estimates the bytes a run allocates: parameters, gradients
// and two moments, plus activations.
func memoryNeeded(c Config, h Hyper) int64 {
	N, C := int64(h.Batch*h.Context), int64(c.NEmbd)
	perLayer := N*C*6 + N*3*C + N*8*C + int64(h.Batch*c.NHead*h.Context*h.Context)
	return 4*(4*int64(ParamCount(c))+int64(c.NLayer)*perLayer+2*N*int64(c.VocabSize)+4*N*C) + 16*N*int64(c.NLayer)
}

// availableMemory returns MemAvailable from /proc/meminfo in bytes, or -1.
func availableMemory() int64 {
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "MemAvailable:"); ok {
			f := strings.Fields(rest)
			if kb, err := strconv.ParseInt(f[0], 10, 64); err == nil {
				return kb * 1024
			}
		}
	}
	return -1
}

// Execute trains the model and writes the final checkpoint to r.Out. On
// cancellation it saves a resumable state first and returns an error
// saying how to resume.
func (r *Run) Execute(ctx context.Context) error {
	h := r.Hyper
	switch {
	case h.Steps < 1 || h.Batch < 1 || h.Context < 2:
		return fmt.Errorf("steps %d, batch %d and context %d must be at least 1, 1 and 2", h.Steps, h.Batch, h.Context)
	case h.Context > r.Model.NPositions:
		return fmt.Errorf("context %d exceeds n_positions %d", h.Context, r.Model.NPositions)
	case r.Out == "":
		return errors.New("no output directory")
	}
	cfg := r.Model
	cfg.VocabSize = r.VocabSize
	if err := cfg.Validate(); err != nil {
		return err
	}
	need, avail := memoryNeeded(cfg, h), availableMemory()
	if need > 1<<40 || (avail > 0 && need > avail*9/10) {
		return fmt.Errorf("model %s needs about %.1f GB to train (%d parameters, batch %d×%d) but %.1f GB are available: choose a smaller size, batch or context",
			r.Name, float64(need)/1e9, ParamCount(cfg), h.Batch, h.Context, float64(avail)/1e9)
	}
	start := time.Now()
	var texts []string
	if r.CorpusFile != "" {
		var err error
		if texts, err = ReadCorpus(r.CorpusFile); err != nil {
			return err
		}
	} else {
		if r.Passages < 1 {
			return fmt.Errorf("passages %d must be positive", r.Passages)
		}
		switch r.CorpusVersion {
		case 0, 1:
			texts = synth.Corpus(r.CorpusSeed, r.Passages)
		case 2:
			texts = synth.CorpusV2(r.CorpusSeed, r.Passages)
		default:
			return fmt.Errorf("corpus version %d: want 1 or 2", r.CorpusVersion)
		}
	}
	bpe, err := TrainBPE(texts[:min(len(texts), 20000)], r.VocabSize)
	if err != nil {
		return err
	}
	cfg.VocabSize = len(bpe.Vocab)
	if err := os.MkdirAll(r.CheckpointDir, 0o755); err != nil {
		return err
	}
	if err := bpe.WriteFiles(r.CheckpointDir); err != nil {
		return err
	}
	tok, err := model.LoadTokenizer(r.CheckpointDir)
	if err != nil {
		return fmt.Errorf("trained tokenizer does not load: %w", err)
	}
	var toks, starts []int
	for _, t := range texts {
		starts = append(starts, len(toks))
		toks = append(toks, tok.Encode(t)...)
		toks = append(toks, tok.EOT())
	}
	T := h.Context
	for len(starts) > 0 && starts[len(starts)-1]+T+1 > len(toks) {
		starts = starts[:len(starts)-1]
	}
	if len(starts) == 0 {
		return fmt.Errorf("corpus of %d tokens is too small for a context of %d", len(toks), T)
	}
	r.logf("train %s: %d passages, %d tokens, vocabulary %d, %d parameters, BPE and data %.1fs",
		r.Name, len(texts), len(toks), cfg.VocabSize, ParamCount(cfg), time.Since(start).Seconds())
	m, err := NewModel(cfg)
	if err != nil {
		return err
	}
	m.Init(r.Seed)
	opt := &adamW{m: make([]float32, len(m.Params)), v: make([]float32, len(m.Params))}
	r.VocabSize = cfg.VocabSize
	ident := r.ident()
	step := 0
	if r.Resume {
		if step, err = loadState(r.CheckpointDir, m, opt, ident); err != nil {
			return err
		}
		r.logf("train %s: resumed at step %d from %s", r.Name, step, r.CheckpointDir)
	}
	B := h.Batch
	a := newActs(cfg, B, T)
	in, tg := make([]int, B*T), make([]int, B*T)
	var ema float64
	t0 := time.Now()
	for ; step < h.Steps; step++ {
		if ctx.Err() != nil {
			if err := saveState(r.CheckpointDir, m, opt, step, ident); err != nil {
				return err
			}
			return fmt.Errorf("training of %s interrupted at step %d of %d; state saved in %s, rerun with --resume to continue", r.Name, step, h.Steps, r.CheckpointDir)
		}
		rng := rand.New(rand.NewPCG(r.Seed, 1<<40+uint64(step)))
		for b := range B {
			s := starts[rng.IntN(len(starts))]
			copy(in[b*T:(b+1)*T], toks[s:s+T])
			copy(tg[b*T:(b+1)*T], toks[s+1:s+T+1])
		}
		loss := m.forward(a, in, tg)
		m.backward(a, in, tg)
		norm := gradNorm(m.Grads)
		if math.IsNaN(loss) || math.IsNaN(norm) {
			return fmt.Errorf("training of %s diverged at step %d (loss %v): lower the learning rate", r.Name, step, loss)
		}
		scale := 1.0
		if h.Clip > 0 && norm > h.Clip {
			scale = h.Clip / norm
		}
		lr := h.LearningRate(step)
		opt.step(m, h, step, lr, scale)
		if step == 0 {
			ema = loss
		}
		ema = 0.95*ema + 0.05*loss
		if (step+1)%50 == 0 || step+1 == h.Steps {
			el := time.Since(t0).Seconds()
			r.logf("train %s: step %d/%d loss %.4f (avg %.4f) |g| %.3f lr %.2e %.0fms/step",
				r.Name, step+1, h.Steps, loss, ema, norm, lr, 1000*el/float64(step+1))
		}
		if r.CheckpointEvery > 0 && (step+1)%r.CheckpointEvery == 0 && step+1 < h.Steps {
			if err := saveState(r.CheckpointDir, m, opt, step+1, ident); err != nil {
				return err
			}
		}
		if r.afterStep != nil {
			r.afterStep(step + 1)
		}
	}
	if err := saveState(r.CheckpointDir, m, opt, h.Steps, ident); err != nil {
		return err
	}
	if err := WriteCheckpoint(r.Out, m, bpe, r.DType); err != nil {
		return err
	}
	r.logf("train %s: wrote %s (%s) in %.1fs", r.Name, r.Out, r.DType, time.Since(start).Seconds())
	return nil
}
