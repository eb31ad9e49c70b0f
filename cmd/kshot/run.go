package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/kshot-eval/kshot/eval"
	"github.com/kshot-eval/kshot/internal/kernels"
	"github.com/kshot-eval/kshot/model"
	"github.com/kshot-eval/kshot/reports"
	"github.com/kshot-eval/kshot/tasks"
)

// version is kshot's version, written into results files.
const version = "0.1.0-dev"

// listFlag collects a repeatable or comma-separated flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error {
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*l = append(*l, p)
		}
	}
	return nil
}

// mapFlag collects repeatable KEY=VALUE flags.
type mapFlag map[string]string

func (m mapFlag) String() string { return fmt.Sprint(map[string]string(m)) }
func (m mapFlag) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" || v == "" {
		return fmt.Errorf("want TASK=VALUE, got %q", s)
	}
	m[k] = v
	return nil
}

func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("kshot "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseFlags parses args, turning flag errors into usage errors.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitError{code: 0}
		}
		return usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	return nil
}

// parseShots parses "0,1,5" into shot counts.
func parseShots(s string) ([]int, error) {
	var out []int
	for _, p := range strings.Split(s, ",") {
		k, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || k < 0 {
			return nil, usageError{fmt.Sprintf("--shots: %q is not a non-negative integer", p)}
		}
		out = append(out, k)
	}
	return out, nil
}

func cmdRun(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("run", stderr)
	var models, taskNames listFlag
	data, variants := mapFlag{}, mapFlag{}
	fs.Var(&models, "model", "model directory in Hugging Face layout (repeatable or comma-separated)")
	fs.Var(&taskNames, "tasks", "tasks to run, comma-separated (kshot tasks lists them)")
	shotsFlag := fs.String("shots", "0", "few-shot counts, comma-separated (each k runs separately)")
	fs.Var(data, "data", "TASK=PATH: read TASK's documents from a local file (repeatable)")
	dataDir := fs.String("data-dir", os.Getenv("KSHOT_DATA"), "directory with the evaluation data in kshot's shared layout (default $KSHOT_DATA)")
	fs.Var(variants, "variant", "TASK=NAME: prompt variant of a task (repeatable)")
	limit := fs.Int("limit", 0, "evaluate only the first N documents of each task (0: all)")
	seed := fs.Uint64("seed", 1234, "seed for few-shot sampling and the bootstrap")
	batch := fs.Int("batch-size", 32, "requests per model call")
	threads := fs.Int("threads", 0, "compute threads (0: all cores)")
	boot := fs.Int("bootstrap-iters", 1000, "bootstrap resamples for the standard error of corpus metrics (0: none)")
	stride := fs.Int("rolling-stride", 0, "perplexity tasks: sliding window with this stride instead of disjoint windows")
	output := fs.String("output", "", "directory for results (OUT/<model>/results_<time>.json and samples)")
	quiet := fs.Bool("quiet", false, "no progress lines on stderr")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if len(models) == 0 {
		return usageError{"--model is required (a checkpoint directory with config.json and model.safetensors)"}
	}
	if len(taskNames) == 0 {
		return usageError{"--tasks is required (kshot tasks lists them)"}
	}
	shots, err := parseShots(*shotsFlag)
	if err != nil {
		return err
	}
	switch {
	case *limit < 0:
		return usageError{fmt.Sprintf("--limit %d is negative", *limit)}
	case *batch < 1:
		return usageError{fmt.Sprintf("--batch-size %d must be at least 1", *batch)}
	case *threads < 0:
		return usageError{fmt.Sprintf("--threads %d is negative", *threads)}
	case *boot < 0:
		return usageError{fmt.Sprintf("--bootstrap-iters %d is negative", *boot)}
	case *stride < 0:
		return usageError{fmt.Sprintf("--rolling-stride %d is negative", *stride)}
	}
	for k := range data {
		if !contains(taskNames, k) {
			return usageError{fmt.Sprintf("--data %s=…: task %s is not in --tasks", k, k)}
		}
	}
	if *threads > 0 {
		kernels.SetThreads(*threads)
	}
	var ts []eval.Task
	for _, name := range taskNames {
		t, err := tasks.New(name, tasks.Options{DataPath: data[name], DataDir: *dataDir, Variant: variants[name], RollingStride: *stride})
		if err != nil {
			var ut *tasks.UnknownTaskError
			if errors.As(err, &ut) {
				return usageError{err.Error()}
			}
			return err
		}
		ts = append(ts, t)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var log io.Writer = stderr
	if *quiet {
		log = nil
	}
	for _, dir := range models {
		lm, _, _, err := model.Open(dir)
		if err != nil {
			return err
		}
		opt := eval.Options{Shots: shots, Seed: *seed, BatchSize: *batch, Limit: *limit, BootstrapIters: *boot, Log: log}
		start := time.Now()
		results, err := eval.Evaluate(ctx, lm, ts, opt)
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("interrupted: %w", err)
			}
			return err
		}
		info := lm.Info()
		fmt.Fprintf(stdout, "%s (%d parameters), shots %v, limit %d, batch %d, %.1fs\n", info.Name, info.Parameters, shots, *limit, *batch, time.Since(start).Seconds())
		if err := reports.RunTable(stdout, results); err != nil {
			return err
		}
		fmt.Fprintln(stdout)
		if *output != "" {
			run := eval.RunInfo{Model: info, Options: opt, KshotVersion: version, Date: start, CommandLine: append([]string{"kshot", "run"}, args...)}
			path, err := eval.WriteResults(filepath.Join(*output, info.Name), run, results)
			if err != nil {
				return err
			}
			fmt.Fprintf(stderr, "kshot: wrote %s\n", path)
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func cmdTasks(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("tasks", stderr)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	for _, n := range tasks.Names() {
		fmt.Fprintf(stdout, "%-28s %s\n", n, tasks.Description(n))
	}
	return nil
}
