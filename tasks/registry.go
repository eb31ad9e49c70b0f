package tasks

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/kshot-eval/kshot/datasets/hub"
	"github.com/kshot-eval/kshot/eval"
	"github.com/kshot-eval/kshot/internal/suggest"
)

// Options configure a task instance.
type Options struct {
	// DataPath is a local file to read instead of the task's default.
	DataPath string
	// DataDir is a directory laid out like kshot's shared data
	// (lambada/lambada_test.jsonl, wikitext2/wiki.test.raw, …), searched
	// for the task's default file when DataPath is empty.
	DataDir string
	// Variant selects one of the prompt formats the task declares (Decl);
	// "" is the default. New refuses a variant the task does not declare.
	Variant string
	// RollingStride > 0 scores perplexity tasks with a sliding window of
	// that stride instead of disjoint windows.
	RollingStride int
	// Decoding, when set, replaces the decoding rule of every generation
	// request of the task (it becomes the task's Spec().Decoding, which
	// the runner applies); New refuses it for a task that does not
	// generate.
	Decoding *eval.Decoding
	// Hub, when set, fetches a task's Hugging Face dataset (as Parquet)
	// when no local file is given; Context bounds the download.
	Hub     *hub.Client
	Context context.Context
}

// Factory builds a task from options.
type Factory func(opts Options) (eval.Task, error)

// DefaultVariant is the variant name of a task that has one prompt format.
const DefaultVariant = "default"

// Decl is what a task declares where it is registered: a run plan is
// checked against it before any data is read or any model is loaded, and
// TestDeclarations checks it against the task as built.
type Decl struct {
	Description string // one line, for kshot tasks
	// Variants names the prompt variants, the default first; nil means
	// one format, named DefaultVariant.
	Variants []string
	// ParseVariant, when set, also accepts variants beyond Variants
	// (parameterised ones, such as "gpt3+generated:7") and returns the
	// variant's canonical name; "" asks for the default.
	ParseVariant func(v string) (string, error)
	// ZeroShotOnly is set for a task without a few-shot form: a run
	// with --shots 0,1,5 evaluates it at 0 shots only.
	ZeroShotOnly bool
	Kind         eval.RequestKind // the kind of every request the task sends
	Metrics      []string         // metric names, in the order of the task's Spec
}

// variants returns d.Variants, or DefaultVariant alone.
func (d Decl) variants() []string {
	if len(d.Variants) == 0 {
		return []string{DefaultVariant}
	}
	return d.Variants
}

// Variant returns the canonical name of variant v of the task named
// task ("" is the default variant), or an *UnknownVariantError.
func (d Decl) Variant(task, v string) (string, error) {
	have := d.variants()
	switch {
	case d.ParseVariant != nil:
		return d.ParseVariant(v)
	case v == "":
		return have[0], nil
	case slices.Contains(have, v):
		return v, nil
	}
	return "", &UnknownVariantError{Task: task, Variant: v, Have: have, Suggest: suggest.Closest(v, have)}
}

// UnknownVariantError reports a prompt variant a task does not have.
type UnknownVariantError struct {
	Task, Variant string
	Have          []string // the task's variants, the default first
	Suggest       string   // closest of Have, "" when none is close
}

func (e *UnknownVariantError) Error() string {
	q := make([]string, len(e.Have))
	for i, h := range e.Have {
		q[i] = strconv.Quote(h)
	}
	have := "it has " + strings.Join(q, ", ")
	if len(e.Have) == 1 {
		have = "it has one prompt format, " + q[0] + ": drop the variant"
	}
	if e.Suggest != "" {
		return fmt.Sprintf("task %s has no prompt variant %q (did you mean %q? %s)", e.Task, e.Variant, e.Suggest, have)
	}
	return fmt.Sprintf("task %s has no prompt variant %q (%s)", e.Task, e.Variant, have)
}

type entry struct {
	decl    Decl
	factory Factory
}

var (
	regMu    sync.RWMutex
	registry = map[string]entry{}
)

// Register adds a task under name with its declaration. It panics when
// name is taken or the declaration lacks a description, kind or metrics.
func Register(name string, d Decl, f Factory) {
	regMu.Lock()
	defer regMu.Unlock()
	if _, dup := registry[name]; dup {
		panic("tasks: Register called twice for " + name)
	}
	if d.Description == "" || d.Kind == 0 || len(d.Metrics) == 0 || f == nil {
		panic("tasks: Register " + name + ": the declaration needs a description, a request kind, metrics and a factory")
	}
	registry[name] = entry{d, f}
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
	return registry[name].decl.Description
}

// Declared returns the declaration of the task registered under name, or
// an *UnknownTaskError.
func Declared(name string) (Decl, error) {
	regMu.RLock()
	e, ok := registry[name]
	regMu.RUnlock()
	if !ok {
		return Decl{}, &UnknownTaskError{Name: name, Suggest: suggest.Closest(name, Names())}
	}
	return e.decl, nil
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

// specHolder is implemented by every task type of this package, so that
// New can record the declaration in the task's spec.
type specHolder interface{ specPtr() *eval.TaskSpec }

// New builds the task registered under name. An unknown name is an
// *UnknownTaskError, a variant the task does not declare an
// *UnknownVariantError. The task's Spec carries the canonical variant
// name, the declared request kind and whether it is zero-shot only.
func New(name string, opts Options) (eval.Task, error) {
	regMu.RLock()
	e, ok := registry[name]
	regMu.RUnlock()
	if !ok {
		return nil, &UnknownTaskError{Name: name, Suggest: suggest.Closest(name, Names())}
	}
	v, err := e.decl.Variant(name, opts.Variant)
	if err != nil {
		return nil, err
	}
	opts.Variant = v
	if opts.Decoding != nil && e.decl.Kind != eval.KindGenerate {
		return nil, fmt.Errorf("task %s sends no generation requests (its requests are %s): a decoding rule does not apply", name, e.decl.Kind)
	}
	t, err := e.factory(opts)
	if err != nil {
		return nil, err
	}
	sh, ok := t.(specHolder)
	if !ok {
		panic(fmt.Sprintf("tasks: task %s (%T) does not record its declaration (no specPtr method)", name, t))
	}
	sp := sh.specPtr()
	sp.Variant, sp.Kind, sp.ZeroShotOnly = v, e.decl.Kind, e.decl.ZeroShotOnly
	if opts.Decoding != nil {
		d := *opts.Decoding
		sp.Decoding = &d
	}
	return t, nil
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
		msg := fmt.Sprintf("%v; fetching %s from the Hugging Face Hub failed too: %v", err, src, herr)
		var md *MissingDataError
		if errors.As(err, &md) {
			return nil, &MissingDataError{Task: md.Task, What: md.What, Files: md.Files, Dir: md.Dir, Hub: src.String(), msg: msg}
		}
		return nil, errors.New(msg)
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
	"boolq":         {Repo: "aps/super_glue", Config: "boolq", Split: "validation"},
	"winograd":      {Repo: "lighteval/winograd_wsc", Config: "wsc273", Split: "test"},
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
		if err := CheckDataFile(opts.DataPath); err != nil {
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
			if err := CheckDataFile(p); err != nil {
				return "", fmt.Errorf("task %s: %w", task, err)
			}
			return p, nil
		}
		return "", &MissingDataError{Task: task, What: what, Files: []string{rel}, Dir: dir,
			msg: fmt.Sprintf("task %s: %s not found in data directory %s (expected %s); pass --data %s=PATH", task, what, dir, rel, task)}
	}
	return "", &MissingDataError{Task: task, What: what, Files: []string{rel},
		msg: fmt.Sprintf("task %s needs %s: pass --data %s=PATH, or --data-dir DIR (or KSHOT_DATA) with %s inside", task, what, task, rel)}
}

// MissingDataError reports a task whose data is not there: no --data
// file was given, the data directory (if any) lacks it, and the Hub (for
// a task that has a Hub dataset) could not supply it. A suite run skips
// such a task before the run, naming what to fetch (Fetch).
type MissingDataError struct {
	Task  string
	What  string   // the data set in words ("LAMBADA's test set")
	Files []string // its accepted paths inside a data directory
	Dir   string   // the data directory searched, "" when none was set
	Hub   string   // the Hub dataset tried, "" when none
	msg   string
}

func (e *MissingDataError) Error() string { return e.msg }

// Fetch says in words what to put where for the task to run.
func (e *MissingDataError) Fetch() string {
	dir := e.Dir
	if dir == "" {
		dir = "the data directory (--data-dir or KSHOT_DATA)"
	}
	s := fmt.Sprintf("put %s (%s) in %s", strings.Join(e.Files, " or "), e.What, dir)
	if e.Hub != "" {
		s += fmt.Sprintf(", or let kshot download the Hub dataset %s (online, no data directory set)", e.Hub)
	}
	return s + fmt.Sprintf(", or give data: PATH for %s", e.Task)
}

// CheckDataFile reports whether path is a regular file that can be opened
// and holds at least one byte; the error names the path.
func CheckDataFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	switch {
	case err != nil:
		return err
	case fi.IsDir():
		return fmt.Errorf("%s is a directory, not a data file", path)
	case fi.Size() == 0:
		return fmt.Errorf("%s is empty (0 bytes): it holds no documents", path)
	}
	var b [1]byte
	if _, err := f.Read(b[:]); err != nil {
		return fmt.Errorf("%s cannot be read: %w", path, err)
	}
	return nil
}
