package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/kshot-eval/kshot/datasets/hub"
	"github.com/kshot-eval/kshot/eval"
	"github.com/kshot-eval/kshot/eval/cache"
	resultsfile "github.com/kshot-eval/kshot/eval/results"
	"github.com/kshot-eval/kshot/internal/kernels"
	"github.com/kshot-eval/kshot/model"
	"github.com/kshot-eval/kshot/reports"
	"github.com/kshot-eval/kshot/tasks"
	"github.com/kshot-eval/kshot/tasks/suite"
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
	switch {
	case !ok:
		return errors.New("no TASK= before the value")
	case k == "":
		return errors.New("no task name before =")
	case v == "":
		return errors.New("nothing after =")
	}
	m[k] = v
	return nil
}

// parseShots parses "0,1,5" into shot counts.
func parseShots(s string) ([]int, error) {
	var out []int
	for _, p := range strings.Split(s, ",") {
		if strings.TrimSpace(p) == "max" {
			out = append(out, eval.ShotsMax) // as many as fit the window
			continue
		}
		k, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || k < 0 {
			return nil, usageError{fmt.Sprintf("--shots %q: %q is not a whole number of 0 or more, nor max; want --shots K[,K...], e.g. 0,1,5 or max; see kshot run -h", s, p)}
		}
		out = append(out, k)
	}
	return out, nil
}

// runPlan is everything a run needs, from flags or a suite file.
type runPlan struct {
	suite      string
	models     []string
	tasks      []suite.Task
	shots      []int
	seeds      []uint64
	limit      int
	batch      int
	boot       int
	threads    int
	dataDir    string
	output     string
	cacheDir   string
	noCache    bool
	shard      int
	shards     int
	quiet      bool
	references []suite.Reference
	args       []string
	api        apiFlags        // --model api:URL settings
	plan       *suite.Plan     // models × tasks × shots × seeds, checked by buildPlan
	skipped    []suite.Skipped // suite tasks buildPlan left out for want of data
}

// parseShard parses "i/n".
func parseShard(s string) (int, int, error) {
	if s == "" {
		return 0, 0, nil
	}
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return 0, 0, usageError{fmt.Sprintf("--shard %q: want i/n with 0 ≤ i < n (e.g. 0/4)", s)}
	}
	return i, n, nil
}

func cmdRun(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("run", stderr)
	var models, taskNames listFlag
	data, variants, decodings := mapFlag{}, mapFlag{}, mapFlag{}
	fs.Var(&models, "model", "the `MODEL` to evaluate: a checkpoint directory in Hugging Face layout, a Hub id (owner/name[@revision]) or api:URL (with --api-model); repeatable or comma-separated")
	fs.Var(&taskNames, "tasks", "the tasks to run, `TASK[,TASK...]` (kshot tasks lists them)")
	shotsFlag := fs.String("shots", "", "few-shot counts, `K[,K...]`, or max (as many as fit the window); each k runs separately; default 0")
	fs.Var(data, "data", "read a task's documents from a local file, as `TASK=PATH` (repeatable)")
	dataDir := fs.String("data-dir", "", "a `DIR` holding the evaluation data in kshot's shared layout, e.g. ../shared/data (default $KSHOT_DATA)")
	fs.Var(variants, "variant", "the prompt variant of a task, as `TASK=NAME` (repeatable)")
	fs.Var(decodings, "decoding", decodingUsage)
	limit := fs.Int("limit", 0, "evaluate only the first `N` documents of each task (0: all)")
	seed := fs.Uint64("seed", 1234, "the `SEED` of few-shot sampling and the bootstrap")
	batch := fs.Int("batch-size", 32, "requests per model call (results do not depend on it)")
	threads := fs.Int("threads", 0, "compute threads (0: all cores; results do not depend on it)")
	boot := fs.Int("bootstrap-iters", 1000, "bootstrap resamples for the standard error of corpus metrics (0: none)")
	stride := fs.Int("rolling-stride", 0, "perplexity tasks: sliding window with this stride in tokens instead of disjoint windows (0: disjoint)")
	output := fs.String("output", "", "where results go: `DIR`/<model>/results_<time>.json and samples (default ./"+defaultOutput+"; - for none, the table only)")
	cacheDir := fs.String("cache-dir", "", "the request cache, a `DIR` (default: the user cache directory's kshot folder)")
	noCache := fs.Bool("no-cache", false, "do not read or write the request cache (a crashed run then cannot resume)")
	shard := fs.String("shard", "", "evaluate only shard `i/n` (i of n) of every task's documents (merge with kshot merge)")
	quiet := fs.Bool("quiet", false, "no progress on stderr")
	var api apiFlags
	api.register(fs)
	var suitePath string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		suitePath, args = args[0], args[1:]
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *dataDir == "" {
		*dataDir = os.Getenv("KSHOT_DATA")
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	p := &runPlan{limit: *limit, batch: *batch, boot: *boot, threads: *threads, dataDir: *dataDir,
		output: *output, cacheDir: *cacheDir, noCache: *noCache, quiet: *quiet, seeds: []uint64{*seed},
		args: append([]string{"kshot", "run"}, args...), api: api}
	var err error
	if p.shard, p.shards, err = parseShard(*shard); err != nil {
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
	if *shotsFlag != "" {
		if p.shots, err = parseShots(*shotsFlag); err != nil {
			return err
		}
	}
	if suitePath != "" {
		if len(models) > 0 || len(taskNames) > 0 {
			return usageError{"give either a suite file or --model/--tasks, not both"}
		}
		s, err := suite.Read(suitePath)
		if err != nil {
			return usageError{err.Error()}
		}
		p.suite, p.models, p.tasks, p.references = s.Name, s.Models, s.Tasks, s.References
		p.args = append([]string{"kshot", "run", suitePath}, args...)
		if p.shots == nil {
			p.shots = s.Shots
		}
		if len(s.Seeds) > 0 && !set["seed"] {
			p.seeds = s.Seeds
		}
		if s.Limit > 0 && !set["limit"] {
			p.limit = s.Limit
		}
		if s.BatchSize > 0 && !set["batch-size"] {
			p.batch = s.BatchSize
		}
		if s.BootstrapIters != nil && !set["bootstrap-iters"] {
			p.boot = *s.BootstrapIters
		}
		if s.Output != "" && !set["output"] {
			p.output = s.Output
		}
		if s.DataDir != "" && !set["data-dir"] {
			p.dataDir = s.DataDir
		}
		p.plan = suite.FromSuite(s, suitePath)
		p.plan.Shots, p.plan.Seeds, p.plan.Limit, p.plan.DataDir = p.shots, p.seeds, p.limit, p.dataDir
		// Problems with a value a flag overrode name the flag.
		p.plan.Flags = map[string]string{}
		for key, flag := range map[string]string{"shots": "shots", "seeds": "seed", "data_dir": "data-dir"} {
			if set[flag] {
				p.plan.Flags[key] = "--" + flag
			}
		}
	} else {
		p.plan = suite.FromFlags(models, taskNames, data, variants, *stride, p.shots, *seed, *limit, *dataDir)
		p.models, p.tasks = models, p.plan.Tasks
	}
	if err := applyDecodings(p.plan.Tasks, decodings); err != nil {
		return err
	}
	if p.shots == nil {
		p.shots = []int{0}
	}
	if *threads > 0 {
		kernels.SetThreads(*threads)
	}
	if len(p.models) == 0 && len(p.tasks) == 0 {
		p.plan = nil                           // the default job plans its own tasks
		return runLadderJob(p, stdout, stderr) // the main job: the embedded ladder on the synthetic suite
	}
	if len(p.models) == 0 {
		return usageError{"--model is required (a checkpoint directory with config.json and model.safetensors), or give a suite file"}
	}
	if len(p.tasks) == 0 {
		return usageError{"--tasks is required (kshot tasks lists them), or give a suite file"}
	}
	return executePlan(p, stdout, stderr)
}

// noOutput is the --output value that writes no results files.
const noOutput = "-"

// executePlan runs p. Results go to p.output (./kshot-out when empty, none
// for "-"); a task that fails does not stop the others, whose results are
// written, and the run then exits with status 1; SIGINT or SIGTERM stop
// the run cleanly after the batch in flight (see interrupt).
func executePlan(p *runPlan, stdout, stderr io.Writer) error {
	sig := watchSignals(stderr)
	defer sig.close()
	if p.output == "" {
		p.output = defaultOutput
	}
	write := p.output != noOutput
	// ctx stops downloads and the phases without batches at the first
	// signal; the model's batches get a context that a signal does not
	// cancel, so that the batch in flight is answered and cached.
	ctx, batchCtx := sig.ctx, context.Background()
	client, err := hub.FromEnv()
	if err != nil {
		return err
	}
	if p.quiet {
		client.Progress = nil
	}
	// Check the whole plan and build every task before any model is
	// loaded: every problem is reported at once.
	pts, err := untilStopped(sig, func() ([]planTask, error) { return buildPlan(ctx, client, p) })
	if sig.stopped() {
		return sig.stoppedError("while loading the tasks' data; nothing was evaluated")
	}
	if err != nil {
		return err
	}
	for _, sk := range p.skipped { // a suite task without its data, left out before the run
		fmt.Fprintln(stderr, "kshot:", sk)
	}
	for _, pt := range pts { // what a task left out of its data is never silent
		for _, d := range tasks.Dropped(pt.task) {
			fmt.Fprintf(stderr, "kshot: %s: %s\n", pt.task.Spec().Name, d)
		}
		for _, n := range tasks.Notes(pt.task) { // which file was read, when two forms are local
			fmt.Fprintf(stderr, "kshot: %s: %s\n", pt.task.Spec().Name, n)
		}
	}
	for _, pt := range pts { // a bad decoding rule is refused before any model is loaded
		if err := eval.CheckDecoding(pt.task, p.seeds...); err != nil {
			return usageError{err.Error()}
		}
	}
	var c *cache.Cache
	if !p.noCache {
		dir := p.cacheDir
		if dir == "" {
			d, err := cache.DefaultDir()
			if err != nil {
				return err
			}
			dir = d
		}
		if c, err = cache.Open(dir); err != nil {
			return err
		}
		defer c.Close()
		if c.Rebuilt != "" {
			fmt.Fprintln(stderr, "kshot: warning:", c.Rebuilt)
		}
	}
	saved := "nothing was cached (--no-cache), so a rerun starts over"
	if c != nil {
		saved = fmt.Sprintf("every completed batch is saved in %s: rerun the same command to resume", c.Path())
	}
	sig.setSaved(saved)
	if write && len(p.references) > 0 {
		ref, _ := suiteReference(p.suite, p.references)
		if err := writeReferences(filepath.Join(p.output, "references.csv"), ref); err != nil {
			return err
		}
	}
	var written []string
	var failed []error
	// finish is the end of the run: what was written, then why it stopped.
	finish := func(err error) error {
		where := resultsWhere(p.output, written)
		if s := skippedSummary(p.skipped); s != "" {
			fmt.Fprintln(stderr, "kshot:", s)
		}
		if where != "" {
			fmt.Fprintln(stderr, "kshot: results are in", where)
		}
		if err != nil {
			return err
		}
		if len(failed) > 0 {
			return failedError(failed, where)
		}
		return nil
	}
	stoppedIn := func(phase string) error {
		msg := phase + "; " + saved
		if w := resultsWhere(p.output, written); w != "" {
			msg += "; the results of the tasks that finished are in " + w
		}
		return finish(sig.stoppedError(msg))
	}
	for _, spec := range p.models {
		m, err := untilStopped(sig, func() (openedModel, error) { return openModel(ctx, p, client, spec, c != nil) })
		lm, tokens, key := m.lm, m.tokens, m.key
		if sig.stopped() {
			return stoppedIn("while loading model " + spec)
		}
		if err != nil {
			return finish(err)
		}
		if err := checkServedTasks(lm, p.seeds, pts); err != nil {
			return err // a task the server cannot answer, refused before any task starts
		}
		for _, pt := range pts {
			eval.SetContextWindow(pt.task, lm) // for --shots max; counts with the model's tokenizer
			if err := eval.CheckFit(pt.task, pt.shots, p.seeds); err != nil {
				return err // a k whose prompts exceed the window, refused before any request is scored
			}
		}
		cachePath := ""
		if c != nil {
			lm, cachePath = cache.Wrap(lm, c, key), c.Path()
		}
		for _, seed := range p.seeds {
			path, fails, err := evaluateModel(batchCtx, sig, p, pts, lm, tokens, seed, cachePath, stdout, stderr)
			if path != "" {
				written = append(written, path)
			}
			failed = append(failed, fails...)
			var se *eval.StoppedError
			if errors.As(err, &se) {
				return stoppedIn(strings.TrimPrefix(se.Error(), "stopped "))
			}
			if err != nil {
				return finish(err)
			}
			if sig.stopped() {
				return stoppedIn("after evaluating " + lm.Info().Name)
			}
		}
		if cl, ok := lm.(*cache.LM); ok && !p.quiet {
			fmt.Fprintf(stderr, "kshot: cache: %d requests answered from %s, %d computed\n", cl.Hits, cachePath, cl.Misses)
		}
	}
	if write && p.suite != "" && p.shards <= 1 && len(written) > 0 {
		if err := writeSuiteReport(p, written, planNotes(pts), stderr); err != nil {
			return finish(err)
		}
	}
	if sig.stopped() { // while the last results or the report were written
		return stoppedIn("after the last task (the run is complete)")
	}
	return finish(nil)
}

// evaluateModel evaluates every task on lm with one seed, prints the
// table and writes the results of the tasks that finished. A task that
// fails is reported on stderr and returned in failed, and the next task
// runs; a stop (an *eval.StoppedError) ends the loop.
func evaluateModel(ctx context.Context, sig *interrupt, p *runPlan, pts []planTask, lm eval.LanguageModel, tokens func() int64, seed uint64, cachePath string, stdout, stderr io.Writer) (path string, failed []error, err error) {
	info := lm.Info()
	start := time.Now()
	var prog *progress
	if !p.quiet {
		prog = newProgress(stderr, tokens)
	}
	var results []eval.TaskResult
	opt := eval.Options{Shots: p.shots, Seed: seed, BatchSize: p.batch, Limit: p.limit, BootstrapIters: p.boot,
		Shard: p.shard, Shards: p.shards, Stop: sig.Done()}
	var stopErr error
	for _, pt := range pts {
		o := opt
		o.Shots, o.Limit = pt.shots, pt.limit
		if prog != nil {
			o.Progress = prog.update
		}
		rs, err := eval.Evaluate(ctx, lm, []eval.Task{pt.task}, o)
		results = append(results, rs...)
		if errors.Is(err, eval.ErrStopped) {
			stopErr = err
			break
		}
		if err != nil {
			prog.end()
			err = fmt.Errorf("%s: %w", info.Name, err)
			fmt.Fprintln(stderr, "kshot: failed:", err)
			failed = append(failed, err)
		}
	}
	prog.end()
	if len(results) == 0 {
		return "", failed, stopErr
	}
	shard := ""
	if p.shards > 1 {
		shard = fmt.Sprintf(", shard %d/%d", p.shard, p.shards)
	}
	fmt.Fprintf(stdout, "%s (%d parameters), seed %d%s, %.1fs\n", info.Name, info.Parameters, seed, shard, time.Since(start).Seconds())
	if err := reports.RunTable(stdout, results, planNotes(pts)...); err != nil {
		return "", failed, err
	}
	fmt.Fprintln(stdout)
	if p.output == noOutput {
		return "", failed, stopErr
	}
	dir := filepath.Join(p.output, info.Name)
	if len(p.seeds) > 1 {
		dir = filepath.Join(dir, fmt.Sprintf("seed-%d", seed))
	}
	if p.shards > 1 {
		dir = filepath.Join(dir, fmt.Sprintf("shard-%d-of-%d", p.shard, p.shards))
	}
	run := eval.RunInfo{Model: info, Options: opt, KshotVersion: version, Date: start, CommandLine: p.args,
		Suite: p.suite, Threads: kernels.Threads(), Cache: cachePath}
	run.Options.Shots, run.Options.Stop = p.shots, nil
	path, err = resultsfile.Write(dir, run, results)
	if err != nil {
		return "", failed, err
	}
	fmt.Fprintf(stderr, "kshot: wrote %s\n", path)
	return path, failed, stopErr
}

// resolveModel returns the checkpoint directory of spec: spec itself when
// it is a directory, else the snapshot of a Hugging Face Hub id
// (owner/name[@revision]) downloaded into (or found in) the Hub cache.
func resolveModel(ctx context.Context, client *hub.Client, spec string) (string, error) {
	if fi, err := os.Stat(spec); err == nil && fi.IsDir() {
		return spec, nil
	}
	if _, _, err := hub.ParseModelSpec(spec); err != nil {
		return "", fmt.Errorf("model %q: no such directory, and not a Hugging Face Hub id (%v)", spec, err)
	}
	dir, err := downloadModel(ctx, client, spec)
	if err != nil {
		if errors.Is(err, hub.ErrNotFound) && strings.Contains(spec, string(os.PathSeparator)) {
			return "", fmt.Errorf("%w (and no directory %s exists)", err, spec)
		}
		return "", err
	}
	return dir, nil
}

// downloadModel fetches the files of a model directory (model.Download
// knows which) from the Hub into its cache and returns the snapshot
// directory.
func downloadModel(ctx context.Context, client *hub.Client, spec string) (string, error) {
	snap, err := client.Model(ctx, spec)
	if err != nil {
		return "", err
	}
	if err := model.Download(ctx, snap); err != nil {
		return "", err
	}
	return snap.Commit()
}

// writeSuiteReport writes OUT/report from the results files of this run,
// with the plan's task notes as footnotes.
func writeSuiteReport(p *runPlan, written []string, notes []reports.TaskNote, stderr io.Writer) error {
	runs, err := reports.LoadRuns(written)
	if err != nil {
		return err
	}
	opt := reports.ReportOptions{Title: "kshot: " + p.suite, MaxSamples: 25, TaskNotes: notes}
	if len(p.references) > 0 {
		opt.References, opt.ReferenceColumns = suiteReferences(p.suite, p.references)
	}
	rep, err := reports.WriteReport(filepath.Join(p.output, "report"), runs, opt)
	if err != nil {
		return err
	}
	for _, w := range rep.Warnings {
		fmt.Fprintln(stderr, "kshot: report:", w)
	}
	fmt.Fprintf(stderr, "kshot: wrote %s\n", filepath.Join(rep.Dir, "report.html"))
	return nil
}

func cmdTasks(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("tasks", stderr)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	for _, n := range tasks.Names() {
		fmt.Fprintf(stdout, "%-28s %s\n", n, tasks.Description(n))
		if d, err := tasks.Declared(n); err == nil {
			fmt.Fprintf(stdout, "%-28s %s\n", "", tasks.Summary(d))
		}
	}
	return nil
}
