package suite

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/kshot-eval/kshot/eval"
	"github.com/kshot-eval/kshot/internal/suggest"
	"github.com/kshot-eval/kshot/tasks"
)

// Plan is what a run evaluates — models × tasks × shot counts × seeds —
// built from flags (FromFlags) or a suite file (FromSuite). Check verifies
// the whole of it, building every task (which reads its data), before any
// model is loaded; Built then returns the tasks to run.
type Plan struct {
	// Source is the suite file the plan comes from, "" for flags; it
	// decides how problems name their place (suite key or flag).
	Source  string
	Models  []string
	Tasks   []Task
	Shots   []int    // shot counts of tasks without their own; default [0]
	Seeds   []uint64 // one run per seed
	Limit   int      // documents per task (0: all) where a task sets none
	DataDir string   // kshot's shared data layout; "" for $KSHOT_DATA
	// Flags maps a suite key that a command-line flag overrode
	// ("shots", "data_dir", …) to that flag ("--shots"), so that a
	// problem names what the user wrote.
	Flags map[string]string
	// CheckModel, when set, reports what is wrong with one model spec
	// (a directory, Hub id or API URL); the caller knows the kinds.
	CheckModel func(spec string) error
	// Options are the options every task is built with (Hub, Context);
	// the plan fills in DataPath, DataDir, Variant, RollingStride and
	// Decoding.
	Options tasks.Options

	// extra holds problems found while the plan was assembled (a
	// --variant for a task not in --tasks).
	extra   Problems
	built   []Planned
	skipped []Skipped
}

// Skipped is a suite task left out before the run because its data is
// not there (a *tasks.MissingDataError): Fetch says what to get.
type Skipped struct {
	Task  string
	Fetch string
}

// String is the one line a run prints for the skipped task.
func (s Skipped) String() string {
	return fmt.Sprintf("skipped %s: its data is not here; %s", s.Task, s.Fetch)
}

// Planned is a built task with the shot counts and limit it runs at.
type Planned struct {
	Task  eval.Task
	Shots []int
	Limit int
	// Note says why the task runs at other shot counts than the plan's
	// (a zero-shot-only task); reports show it as a table footnote.
	Note string
}

// Problem is one thing wrong with a plan: where it is (a suite key such as
// "suite.yaml: tasks[2].variant", or a flag) and what, with the fix.
type Problem struct {
	Where, What string
}

func (p Problem) String() string { return p.Where + ": " + p.What }

// Problems are every problem found in a plan. As an error it reads one
// problem a line.
type Problems []Problem

func (ps Problems) Error() string {
	if len(ps) == 1 {
		return ps[0].String()
	}
	lines := []string{fmt.Sprintf("%d problems in the run plan, nothing was run:", len(ps))}
	for _, p := range ps {
		lines = append(lines, "  "+p.String())
	}
	return strings.Join(lines, "\n")
}

// FromSuite returns the plan of suite s read from path.
func FromSuite(s *Suite, path string) *Plan {
	return &Plan{Source: path, Models: s.Models, Tasks: s.Tasks, Shots: s.Shots, Seeds: s.Seeds,
		Limit: s.Limit, DataDir: s.DataDir}
}

// FromFlags returns the plan of `kshot run --model … --tasks …`: data and
// variants map task names to --data and --variant values, stride is
// --rolling-stride. A --data or --variant for a task not in names is a
// problem Check reports.
func FromFlags(models, names []string, data, variants map[string]string, stride int, shots []int, seed uint64, limit int, dataDir string) *Plan {
	p := &Plan{Models: models, Shots: shots, Seeds: []uint64{seed}, Limit: limit, DataDir: dataDir}
	for _, n := range names {
		p.Tasks = append(p.Tasks, Task{Name: n, Data: data[n], Variant: variants[n], RollingStride: stride})
	}
	for _, flag := range []struct {
		name string
		m    map[string]string
	}{{"--data", data}, {"--variant", variants}} {
		keys := make([]string, 0, len(flag.m))
		for k := range flag.m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if !slices.Contains(names, k) {
				what := fmt.Sprintf("task %s is not in --tasks (add it there or drop the flag)", k)
				if s := suggest.Closest(k, names); s != "" {
					what = fmt.Sprintf("task %s is not in --tasks (did you mean %s?)", k, s)
				}
				p.extra = append(p.extra, Problem{fmt.Sprintf("%s %s=%s", flag.name, k, flag.m[k]), what})
			}
		}
	}
	return p
}

// key names a plan-wide setting: the suite key, or the flag that set it.
func (p *Plan) key(suiteKey, flag string) string {
	if f, ok := p.Flags[suiteKey]; ok || p.Source == "" {
		if ok {
			flag = f
		}
		return flag
	}
	return p.Source + ": " + suiteKey
}

// taskKey names field of task i: "suite.yaml: tasks[2].variant", or the
// flag that set it ("--variant arc_easy=gpt3").
func (p *Plan) taskKey(i int, field string) string {
	t := p.Tasks[i]
	if p.Source != "" {
		if field == "" {
			return fmt.Sprintf("%s: tasks[%d]", p.Source, i)
		}
		return fmt.Sprintf("%s: tasks[%d].%s", p.Source, i, field)
	}
	switch field {
	case "variant":
		return fmt.Sprintf("--variant %s=%s", t.Name, t.Variant)
	case "data":
		return fmt.Sprintf("--data %s=%s", t.Name, t.Data)
	case "shots":
		return p.key("shots", "--shots")
	case "rolling_stride":
		return "--rolling-stride"
	case "decoding":
		if t.Decoding != nil {
			return fmt.Sprintf("--decoding %s=%s", t.Name, t.Decoding.Text)
		}
	}
	return "--tasks " + t.Name
}

// Check verifies the whole plan and builds every task: model specs, task
// names, variants, shot counts, duplicates, data files present, readable
// and non-empty, and each task's data as it reads it. It returns every
// problem found as Problems (nil when none) and keeps the built tasks
// for Built. A suite's task whose data is absent (no data: key, not in the
// data directory, not on the Hub) is not a problem: it is left out, and
// Skipped says what to fetch; only a suite none of whose tasks has its
// data is one. A zero-shot-only task in a plan with k > 0 runs at 0 shots
// with a Note; only a task's own shots: list asking it for k > 0 is a
// problem.
func (p *Plan) Check() error {
	ps := append(Problems(nil), p.extra...)
	add := func(where, format string, args ...any) {
		ps = append(ps, Problem{where, fmt.Sprintf(format, args...)})
	}
	for j, m := range p.Models {
		where := p.key(fmt.Sprintf("models[%d]", j), "--model "+m)
		if slices.Index(p.Models, m) < j {
			add(where, "model %s is listed twice (its results would overwrite each other); drop one", m)
		} else if p.CheckModel != nil {
			if err := p.CheckModel(m); err != nil {
				add(where, "%v", err)
			}
		}
	}
	shots := p.Shots
	if len(shots) == 0 {
		shots = []int{0}
	}
	ps = append(ps, checkShotList(p.key("shots", "--shots"), shots)...)
	for j, s := range p.Seeds {
		if slices.Index(p.Seeds, s) < j {
			add(p.key("seeds", "--seed"), "seed %d is listed twice; drop one", s)
		}
	}
	noDataDir := false // then the tasks' missing files are this one problem
	if p.DataDir != "" {
		if fi, err := os.Stat(p.DataDir); err != nil || !fi.IsDir() {
			noDataDir = true
			add(p.key("data_dir", "--data-dir"), "data directory %s does not exist (fix the path, or leave it out to use $KSHOT_DATA)", p.DataDir)
		}
	}
	p.built, p.skipped = nil, nil
	seen := map[string]int{}
	for i, st := range p.Tasks {
		decl, err := tasks.Declared(st.Name)
		if err != nil {
			add(p.taskKey(i, "name"), "%v", err)
			continue
		}
		bad := false
		variant, err := decl.Variant(st.Name, st.Variant)
		if err != nil {
			add(p.taskKey(i, "variant"), "%v", err)
			bad = true
		} else if j, dup := seen[st.Name+"\x00"+variant]; dup {
			add(p.taskKey(i, ""), "task %s (variant %s) is listed twice, also as tasks[%d]; its results would overwrite each other (drop one)", st.Name, variant, j)
			bad = true
		} else {
			seen[st.Name+"\x00"+variant] = i
		}
		pl := Planned{Shots: shots, Limit: p.Limit}
		if st.Limit > 0 {
			pl.Limit = st.Limit
		}
		if len(st.Shots) > 0 {
			pl.Shots = st.Shots
			if sp := checkShotList(p.taskKey(i, "shots"), st.Shots); len(sp) > 0 {
				ps, bad = append(ps, sp...), true
			}
			if decl.ZeroShotOnly && slices.ContainsFunc(st.Shots, func(k int) bool { return k != 0 }) {
				add(p.taskKey(i, "shots"), "task %s is zero-shot only; set shots: [0] or leave shots out", st.Name)
				bad = true
			}
		} else if decl.ZeroShotOnly && slices.ContainsFunc(shots, func(k int) bool { return k != 0 }) {
			pl.Shots = []int{0}
			pl.Note = fmt.Sprintf("%s is zero-shot only: evaluated at 0 shots, not at %s", st.Name, shotList(shots, true))
		}
		if st.Data != "" {
			if err := tasks.CheckDataFile(st.Data); err != nil {
				add(p.taskKey(i, "data"), "%v (fix the path)", err)
				bad = true
			}
		}
		if st.RollingStride < 0 {
			add(p.taskKey(i, "rolling_stride"), "%d is negative", st.RollingStride)
			bad = true
		}
		var dec *eval.Decoding
		if st.Decoding != nil {
			if d, err := st.Decoding.Rule(); err != nil {
				add(p.taskKey(i, "decoding"), "%v", err)
				bad = true
			} else if decl.Kind != eval.KindGenerate {
				add(p.taskKey(i, "decoding"), "task %s sends no generation requests (its requests are %s): drop the decoding", st.Name, decl.Kind)
				bad = true
			} else {
				dec = &d
			}
		}
		if bad {
			continue
		}
		o := p.Options
		o.DataPath, o.Variant, o.RollingStride, o.Decoding = st.Data, st.Variant, st.RollingStride, dec
		if p.DataDir != "" {
			o.DataDir = p.DataDir
		}
		t, err := tasks.New(st.Name, o)
		if err != nil && noDataDir && st.Data == "" {
			continue // reported as the missing data directory
		}
		var md *tasks.MissingDataError
		if err != nil && p.Source != "" && st.Data == "" && errors.As(err, &md) {
			// A suite lists what a paper evaluated; a task whose data
			// this machine lacks is left out, saying what to fetch.
			p.skipped = append(p.skipped, Skipped{Task: st.Name, Fetch: md.Fetch()})
			continue
		}
		if err != nil {
			where := p.taskKey(i, "data")
			if st.Data == "" {
				where = p.taskKey(i, "")
			}
			add(where, "%v", err)
			continue
		}
		for _, k := range pl.Shots {
			if err := eval.CheckShots(t, k); err != nil {
				add(p.taskKey(i, "shots"), "%v", err)
			}
		}
		pl.Task = t
		p.built = append(p.built, pl)
	}
	if len(ps) == 0 && len(p.built) == 0 && len(p.skipped) > 0 {
		for _, sk := range p.skipped {
			ps = append(ps, Problem{p.Source + ": tasks", sk.String()})
		}
		ps = append(ps, Problem{p.Source, "no task of the suite has its data here; fetch it as said above, or set data_dir"})
	}
	if len(ps) > 0 {
		p.built = nil
		return ps
	}
	return nil
}

// Skipped returns the suite tasks Check left out because their data is
// not there, in plan order.
func (p *Plan) Skipped() []Skipped { return p.skipped }

// Built returns the tasks of a plan that Check passed, in plan order.
// It panics before a successful Check.
func (p *Plan) Built() []Planned {
	if p.built == nil && len(p.Tasks) > 0 {
		panic("suite: Plan.Built called before a successful Check")
	}
	return p.built
}

// checkShotList reports negative and repeated shot counts (eval.ShotsMax
// is allowed).
func checkShotList(where string, shots []int) Problems {
	var ps Problems
	for j, k := range shots {
		switch {
		case k < 0 && k != eval.ShotsMax:
			ps = append(ps, Problem{where, fmt.Sprintf("shot count %d is negative", k)})
		case slices.Index(shots, k) < j:
			ps = append(ps, Problem{where, fmt.Sprintf("shot count %s is listed twice; drop one", eval.ShotsLabel(k))})
		}
	}
	return ps
}

// shotList formats shot counts as "1, 5", without the zeros when nonZero.
func shotList(shots []int, nonZero bool) string {
	var s []string
	for _, k := range shots {
		if k != 0 || !nonZero {
			s = append(s, eval.ShotsLabel(k))
		}
	}
	return strings.Join(s, ", ")
}

// IsProblems reports whether err is (or wraps) a plan's Problems.
func IsProblems(err error) bool {
	var ps Problems
	return errors.As(err, &ps)
}
