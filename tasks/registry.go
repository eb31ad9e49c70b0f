package tasks

import (
	"context"
	"fmt"
	"github.com/kshot-eval/kshot/internal/suggest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/kshot-eval/kshot/datasets/hub"
	"github.com/kshot-eval/kshot/eval"
)

// Options configure a task instance.
type Options struct {
	// DataPath is a local file to read instead of the task's default.
	DataPath string
	// DataDir is a directory laid out like kshot's shared data
	// (lambada/lambada_test.jsonl, wikitext2/wiki.test.raw, …), searched
	// for the task's default file when DataPath is empty.
	DataDir string
	// Variant selects a named prompt format where a task has several.
	Variant string
	// RollingStride > 0 scores perplexity tasks with a sliding window of
	// that stride instead of disjoint windows.
	RollingStride int
	// Hub, when set, fetches a task's Hugging Face dataset (as Parquet)
	// when no local file is given; Context bounds the download.
	Hub     *hub.Client
	Context context.Context
}

// Factory builds a task from options.
type Factory func(opts Options) (eval.Task, error)

type entry struct {
	description string
	factory     Factory
}

var (
	regMu    sync.RWMutex
	registry = map[string]entry{}
)

// Register adds a task under name. It panics when name is taken.
func Register(name, description string, f Factory) {
	regMu.Lock()
	defer regMu.Unlock()
	if _, dup := registry[name]; dup {
		panic("tasks: Register called twice for " + name)
	}
	registry[name] = entry{description, f}
}

// Names returns the registered task names, sorted.
func Names() []string {
	regMu.RLock()
	defer regMu.RUnlock()
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Description returns a task's one-line description.
func Description(name string) string {
	regMu.RLock()
	defer regMu.RUnlock()
	return registry[name].description
}

// UnknownTaskError reports a task name that is not registered.
type UnknownTaskError struct {
	Name    string
	Suggest string // closest registered name, "" when none is close
}

func (e *UnknownTaskError) Error() string {
	if e.Suggest != "" {
		return fmt.Sprintf("unknown task %q (did you mean %q?)", e.Name, e.Suggest)
	}
	return fmt.Sprintf("unknown task %q (kshot tasks lists them)", e.Name)
}

// New builds the task registered under name.
func New(name string, opts Options) (eval.Task, error) {
	regMu.RLock()
	e, ok := registry[name]
	regMu.RUnlock()
	if !ok {
		return nil, &UnknownTaskError{Name: name, Suggest: closest(name, Names())}
	}
	return e.factory(opts)
}

// closest returns the candidate nearest to s in edit distance, or "" when
// none is within a third of the longer length.
func closest(s string, candidates []string) string {
	best, bestD := "", 1<<30
	for _, c := range candidates {
		d := suggest.Distance(s, c)
		if strings.HasPrefix(c, s) && len(s) >= 3 {
			d = min(d, 1)
		}
		if d < bestD {
			best, bestD = c, d
		}
	}
	if bestD > max(len(s), len(best))/3+1 {
		return ""
	}
	return best
}

// dataFiles is dataFile with a fallback to the Hub: when neither
// opts.DataPath nor a file in the data directory exists and opts.Hub is
// set, the task's Hub dataset is downloaded (or found in the Hub cache) and
// its Parquet files returned.
func dataFiles(task string, opts Options, rel, what string, src hub.Dataset) ([]string, error) {
	path, err := localDataFile(task, opts, rel, what)
	if err == nil {
		return []string{path}, nil
	}
	if opts.DataPath != "" || opts.Hub == nil {
		return nil, err
	}
	if opts.DataDir != "" || os.Getenv("KSHOT_DATA") != "" {
		// A data directory was named but lacks the file: say so rather
		// than silently downloading.
		return nil, err
	}
	ctx := opts.Context
	if ctx == nil {
		ctx = context.Background()
	}
	paths, herr := opts.Hub.Dataset(ctx, src)
	if herr != nil {
		return nil, fmt.Errorf("%w; fetching %s from the Hugging Face Hub failed too: %v", err, src, herr)
	}
	return paths, nil
}

// hubData names the Hugging Face dataset (Parquet conversion) that a
// task's reader accepts in the Hub's column layout; dataFile falls back
// to it when no local file is given (see dataFiles). Tasks not listed read
// local files only (their Hub layouts differ from the files they read).
var hubData = map[string]hub.Dataset{
	"hellaswag":     {Repo: "Rowan/hellaswag", Config: "default", Split: "validation"},
	"piqa":          {Repo: "ybisk/piqa", Config: "plain_text", Split: "validation"},
	"winogrande":    {Repo: "allenai/winogrande", Config: "winogrande_xl", Split: "validation"},
	"arc_easy":      {Repo: "allenai/ai2_arc", Config: "ARC-Easy", Split: "test"},
	"arc_challenge": {Repo: "allenai/ai2_arc", Config: "ARC-Challenge", Split: "test"},
	"openbookqa":    {Repo: "allenai/openbookqa", Config: "main", Split: "test"},
	"copa":          {Repo: "aps/super_glue", Config: "copa", Split: "validation"},
	"boolq":         {Repo: "google/boolq", Config: "default", Split: "validation"},
	"triviaqa":      {Repo: "mandarjoshi/trivia_qa", Config: "rc.nocontext", Split: "validation"},
	"nq_open":       {Repo: "google-research-datasets/nq_open", Config: "nq_open", Split: "validation"},
	"gpt1_sst2":     {Repo: "nyu-mll/glue", Config: "sst2", Split: "validation"},
	"gpt1_cola":     {Repo: "nyu-mll/glue", Config: "cola", Split: "validation"},
	"gpt1_race":     {Repo: "ehovy/race", Config: "all", Split: "test"},
}

// dataFile resolves the file a task reads: opts.DataPath when set, else
// rel inside opts.DataDir (or $KSHOT_DATA), else — for a task in hubData
// with opts.Hub set — its single Parquet file from the Hub. The error says
// how to supply the data.
func dataFile(task string, opts Options, rel, what string) (string, error) {
	path, err := localDataFile(task, opts, rel, what)
	src, ok := hubData[task]
	if err == nil || !ok {
		return path, err
	}
	paths, err := dataFiles(task, opts, rel, what, src)
	if err != nil {
		return "", err
	}
	if len(paths) != 1 {
		return "", fmt.Errorf("task %s: %s has %d Parquet files; this task reads one (download them and pass --data %s=PATH for the first)", task, src, len(paths), task)
	}
	return paths[0], nil
}

// localDataFile is dataFile without the Hub.
func localDataFile(task string, opts Options, rel, what string) (string, error) {
	if opts.DataPath != "" {
		if _, err := os.Stat(opts.DataPath); err != nil {
			return "", fmt.Errorf("task %s: %w", task, err)
		}
		return opts.DataPath, nil
	}
	dir := opts.DataDir
	if dir == "" {
		dir = os.Getenv("KSHOT_DATA")
	}
	if dir != "" {
		p := filepath.Join(dir, rel)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		return "", fmt.Errorf("task %s: %s not found in data directory %s (expected %s); pass --data %s=PATH", task, what, dir, rel, task)
	}
	return "", fmt.Errorf("task %s needs %s: pass --data %s=PATH, or --data-dir DIR (or KSHOT_DATA) with %s inside", task, what, task, rel)
}
