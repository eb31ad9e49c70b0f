package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/kshot-eval/kshot/internal/kernels"
	"github.com/kshot-eval/kshot/model/train"
)

func cmdTrain(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("train", stderr)
	ladder := fs.Bool("ladder", false, "rebuild the whole embedded ladder into --out/<name> (bit for bit)")
	size := fs.String("size", "", "a ladder rung to train (synth-tiny, synth-small, synth-medium, synth-large)")
	out := fs.String("out", "", "output directory (with --ladder: the parent of the models, e.g. model/ladder/models)")
	ckpt := fs.String("checkpoint-dir", "", "directory for resumable state (default: <out>.ckpt)")
	resume := fs.Bool("resume", false, "continue from the state in --checkpoint-dir")
	corpus := fs.String("corpus", "", "train on this UTF-8 text file (passages separated by blank lines) instead of the synthetic corpus")
	corpusSeed := fs.Uint64("corpus-seed", train.LadderCorpusSeed, "seed of the synthetic corpus")
	corpusVersion := fs.Int("corpus-version", 1, "synthetic corpus: 1 (the embedded ladder's) or 2 (lists with varying conventions, several final sentences per story; docs/ladder.md)")
	passages := fs.Int("passages", train.LadderPassages, "synthetic passages to generate")
	seed := fs.Uint64("seed", train.LadderSeed, "seed of the initialisation and the batch order")
	vocab := fs.Int("vocab", train.LadderVocab, "BPE vocabulary size (256 bytes and <|endoftext|> included)")
	nEmbd := fs.Int("n-embd", 0, "embedding width (overrides --size)")
	nLayer := fs.Int("n-layer", 0, "layers (overrides --size)")
	nHead := fs.Int("n-head", 0, "attention heads (overrides --size)")
	nPos := fs.Int("n-positions", train.LadderPositions, "context window")
	steps := fs.Int("steps", 0, "optimizer steps (overrides --size)")
	lr := fs.Float64("lr", 0, "peak learning rate (overrides --size)")
	batch := fs.Int("batch", 16, "sequences per step")
	ctxLen := fs.Int("context", train.LadderPositions, "tokens per training sequence")
	every := fs.Int("checkpoint-every", 200, "steps between resumable checkpoints")
	dtype := fs.String("dtype", "f16", "storage of the written model: f16 or f32")
	threads := fs.Int("threads", 0, "compute threads (0: all cores)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return usageError{"--out is required"}
	}
	if *threads > 0 {
		kernels.SetThreads(*threads)
	}
	dt := train.F16
	switch strings.ToLower(*dtype) {
	case "f16":
	case "f32":
		dt = train.F32
	default:
		return usageError{fmt.Sprintf("--dtype %q: want f16 or f32", *dtype)}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if *ladder {
		start := time.Now()
		for _, s := range train.Ladder {
			dir := filepath.Join(*out, s.Name)
			r := train.LadderRun(s, dir, dir+".ckpt")
			switch *corpusVersion {
			case 1:
			case 2:
				r = train.LadderRunV2(s, dir, dir+".ckpt")
			default:
				return usageError{fmt.Sprintf("--corpus-version %d: want 1 or 2", *corpusVersion)}
			}
			r.Resume, r.Log = *resume, stderr
			if _, err := os.Stat(filepath.Join(r.CheckpointDir, train.StateFile)); *resume && err != nil {
				// No state: this rung is either finished or not started.
				if _, err := os.Stat(filepath.Join(dir, "model.safetensors")); err == nil {
					fmt.Fprintf(stderr, "kshot: %s is already built; skipping it\n", s.Name)
					continue
				}
				r.Resume = false
			}
			if err := r.Execute(ctx); err != nil {
				return err
			}
			// The resumable state is not part of the ladder.
			if err := os.RemoveAll(dir + ".ckpt"); err != nil {
				return err
			}
		}
		fmt.Fprintf(stdout, "built %d models in %s in %.0fs\n", len(train.Ladder), *out, time.Since(start).Seconds())
		return nil
	}
	s := train.Size{Name: filepath.Base(*out), NEmbd: *nEmbd, NLayer: *nLayer, NHead: *nHead, Steps: *steps, LR: *lr}
	if *size != "" {
		base, ok := train.LadderSize(*size)
		if !ok {
			var names []string
			for _, l := range train.Ladder {
				names = append(names, l.Name)
			}
			return usageError{fmt.Sprintf("--size %q: want one of %s", *size, strings.Join(names, ", "))}
		}
		s.Name = base.Name
		for _, p := range []struct {
			dst *int
			v   int
		}{{&s.NEmbd, base.NEmbd}, {&s.NLayer, base.NLayer}, {&s.NHead, base.NHead}, {&s.Steps, base.Steps}} {
			if *p.dst == 0 {
				*p.dst = p.v
			}
		}
		if s.LR == 0 {
			s.LR = base.LR
		}
	}
	if s.NEmbd <= 0 || s.NLayer <= 0 || s.NHead <= 0 || s.Steps <= 0 || s.LR <= 0 {
		return usageError{"give --size NAME, or all of --n-embd, --n-layer, --n-head, --steps and --lr"}
	}
	dir := *ckpt
	if dir == "" {
		dir = filepath.Clean(*out) + ".ckpt"
	}
	r := train.LadderRun(s, *out, dir)
	r.Model.NPositions = *nPos
	r.Hyper.Batch, r.Hyper.Context = *batch, *ctxLen
	r.Seed, r.CorpusSeed, r.Passages, r.CorpusFile, r.VocabSize = *seed, *corpusSeed, *passages, *corpus, *vocab
	r.DType, r.CheckpointEvery, r.Resume, r.Log = dt, *every, *resume, stderr
	r.CorpusVersion = *corpusVersion
	return r.Execute(ctx)
}
