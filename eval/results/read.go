package results

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kshot-eval/kshot/eval"
)

// Run is one results file with the per-sample logs found beside it, as
// report and compare see it.
type Run struct {
	Path         string // the results file
	File         *File  // the file as decoded
	Model        ModelMeta
	KshotVersion string
	Date         time.Time
	CommandLine  string
	Config       map[string]any // the run's "config" object as written
	Tasks        []*TaskRun     // sorted by key
	// Warnings are problems that do not stop a report, such as a task
	// without its samples file.
	Warnings []string
}

// ModelMeta describes the evaluated model as the results file records it.
type ModelMeta struct {
	Name        string
	Source      string
	Parameters  int64 // number of parameters; 0 when unknown
	MaxLength   int   // context window, tokens
	Fingerprint string
}

// TaskRun is one task evaluated at one k: one key of a results file.
type TaskRun struct {
	Key         string // results key: task name, "_<k>shot" appended for k > 0
	Task        string // task name without the shot suffix
	Shots       int    // k, the number of few-shot examples
	Version     string // task version ("" when the file has none)
	Hash        string // prompt-stability hash of the built requests
	Dataset     string
	Description string
	NDocs       int // documents evaluated
	NTotal      int // documents in the split
	Metrics     []MetricValue
	// Samples holds the per-document log, nil when no samples file was
	// found (SamplesPath is then "").
	Samples     []SampleRecord
	SamplesPath string
}

// MetricValue is one metric's aggregate as written in a results file.
type MetricValue struct {
	Name           string
	HigherIsBetter bool
	Value          float64
	Stderr         float64     // NaN when the file says "N/A"
	Spec           *MetricSpec // kind and options; nil in files before schema version 2
}

// Build rebuilds the metric from the file's kind and options (see
// eval.BuildMetric); without them the registered metric of that name
// with its default options.
func (m MetricValue) Build() (eval.Metric, error) {
	if m.Spec == nil {
		return eval.BuildMetric(m.Name, "", m.HigherIsBetter, nil)
	}
	em, err := eval.BuildMetric(m.Name, m.Spec.Kind, m.HigherIsBetter, m.Spec.Options)
	em.Filter = m.Spec.Filter
	return em, err
}

// Metric returns the metric called name and whether the task has it.
func (t *TaskRun) Metric(name string) (MetricValue, bool) {
	for _, m := range t.Metrics {
		if m.Name == name {
			return m, true
		}
	}
	return MetricValue{}, false
}

// SampleRecord is one document of a samples file.
type SampleRecord struct {
	DocID     int
	Doc       json.RawMessage
	Target    string
	Arguments []Request
	Resps     []json.RawMessage
	Metrics   map[string]float64   // per-document value of each mean metric (NaN for "N/A")
	Stats     map[string][]float64 // per-metric sufficient statistics
}

// FormatError reports a results or samples file that cannot be read.
type FormatError struct {
	Path  string
	Line  int    // 1-based line, 0 when unknown
	Field string // JSON field, e.g. "n-shot.winograd"; "" when unknown
	Msg   string
}

func (e *FormatError) Error() string {
	s := e.Path
	if e.Line > 0 {
		s += ":" + strconv.Itoa(e.Line)
	}
	if e.Field != "" {
		s += ": field " + strconv.Quote(e.Field)
	}
	return s + ": " + e.Msg
}

// DecodeResults decodes the contents of a results file; path is used in
// errors only. Fields kshot does not know are ignored, so that
// lm-evaluation-harness's results files decode for the fields both have.
func DecodeResults(data []byte, path string) (*File, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, jsonError(path, data, "", err)
	}
	if top == nil {
		return nil, &FormatError{Path: path, Msg: "not a results file (want a JSON object with \"results\")"}
	}
	if _, ok := top["results"]; !ok {
		return nil, &FormatError{Path: path, Field: "results", Msg: "missing (is this a kshot or lm-evaluation-harness results file?)"}
	}
	f := &File{}
	d := decoder{path: path, top: top}
	d.get("schema_version", &f.SchemaVersion)
	d.get("config", &f.Config)
	d.get("configs", &f.Configs)
	d.get("versions", &f.Versions)
	d.get("n-shot", &f.NShot)
	d.get("higher_is_better", &f.HigherIsBetter)
	d.get("n-samples", &f.NSamples)
	d.get("task_hashes", &f.TaskHashes)
	d.get("metrics", &f.Metrics)
	d.get("run", &f.Run)
	d.get("model_name", &f.ModelName)
	d.get("model_num_parameters", &f.ModelNumParameters)
	d.get("model_max_length", &f.ModelMaxLength)
	d.get("model_fingerprint", &f.ModelFingerprint)
	d.get("kshot_version", &f.KshotVersion)
	d.get("date", &f.Date)
	d.get("date_iso", &f.DateISO)
	d.get("command_line", &f.CommandLine)
	var res map[string]json.RawMessage
	d.get("results", &res)
	if d.err != nil {
		return nil, d.err
	}
	if f.SchemaVersion < 0 || f.SchemaVersion > SchemaVersion {
		return nil, &FormatError{Path: path, Field: "schema_version", Msg: fmt.Sprintf("version %d is newer than this kshot reads (%d); upgrade kshot", f.SchemaVersion, SchemaVersion)}
	}
	f.Results = make(map[string]TaskValues, len(res))
	for key, raw := range res {
		var tv TaskValues
		if err := json.Unmarshal(raw, &tv); err != nil {
			field := "results." + key
			var fe *fieldError
			if errors.As(err, &fe) {
				field += "." + fe.field
				err = fe.err
			}
			return nil, jsonError(path, nil, field, err)
		}
		f.Results[key] = tv
	}
	if p := f.ModelNumParameters; p < 0 || math.IsNaN(p) || p > 1e18 || p != math.Trunc(p) {
		return nil, &FormatError{Path: path, Field: "model_num_parameters", Msg: fmt.Sprintf("%g is not a parameter count", p)}
	}
	if math.IsNaN(f.Date) || math.IsInf(f.Date, 0) || math.Abs(f.Date) > 1e11 {
		return nil, &FormatError{Path: path, Field: "date", Msg: fmt.Sprintf("%g is not a Unix time in seconds", f.Date)}
	}
	for key, specs := range f.Metrics {
		for name, s := range specs {
			if s.Kind != eval.MeanKind && s.Kind != eval.CorpusKind {
				return nil, &FormatError{Path: path, Field: "metrics." + key + "." + name + ".kind", Msg: fmt.Sprintf("%q is not a metric kind (want %q or %q)", s.Kind, eval.MeanKind, eval.CorpusKind)}
			}
		}
	}
	return f, nil
}

// ParseResults decodes the contents of a results file into a Run; path is
// used in errors only. Samples are not read.
func ParseResults(data []byte, path string) (*Run, error) {
	f, err := DecodeResults(data, path)
	if err != nil {
		return nil, err
	}
	run := &Run{Path: path, File: f, KshotVersion: f.KshotVersion, CommandLine: f.CommandLine,
		Model: ModelMeta{Name: f.ModelName, Source: f.Config.ModelSource, Parameters: int64(f.ModelNumParameters),
			MaxLength: f.ModelMaxLength, Fingerprint: f.ModelFingerprint}}
	var top map[string]json.RawMessage
	_ = json.Unmarshal(data, &top) // DecodeResults succeeded
	if raw, ok := top["config"]; ok {
		_ = json.Unmarshal(raw, &run.Config) // a Config decoded, so an object or null
	}
	if run.Model.Name == "" {
		run.Model.Name = f.Config.Model
	}
	if run.Model.Name == "" {
		return nil, &FormatError{Path: path, Field: "model_name", Msg: "missing or empty"}
	}
	if _, ok := top["date"]; ok {
		sec, frac := math.Modf(f.Date)
		run.Date = time.Unix(int64(sec), int64(frac*1e9)).UTC()
	}
	for key, tv := range f.Results {
		t := &TaskRun{Key: key, Task: key, Shots: f.NShot[key], Hash: f.TaskHashes[key], Version: string(f.Versions[key])}
		if c, ok := f.Configs[key]; ok {
			t.Task, t.Description, t.Dataset = c.Task, c.Description, c.Dataset
		}
		if t.Task == "" || t.Task == key && t.Shots > 0 {
			t.Task = strings.TrimSuffix(key, fmt.Sprintf("_%dshot", t.Shots))
		}
		if n, ok := f.NSamples[key]; ok {
			t.NTotal, t.NDocs = n.Original, n.Effective
		}
		for k, v := range tv.Values {
			name, filter, _ := strings.Cut(k, ",")
			if strings.HasSuffix(name, "_stderr") {
				continue
			}
			// A filter other than "none" is part of the metric's name
			// (lm-evaluation-harness's "acc,strict"), unless the file
			// declares it as the metric's own filter (kshot's
			// "exact_match,remove_whitespace" is exact_match).
			if s, ok := f.Metrics[key][name]; filter != eval.NoFilter && !(ok && s.Filter == filter) {
				name += "," + filter
			}
			m := MetricValue{Name: name, Value: float64(v), Stderr: math.NaN()}
			if h, ok := f.HigherIsBetter[key][name]; ok {
				m.HigherIsBetter = h
			} else {
				m.HigherIsBetter = defaultHigherIsBetter(name)
			}
			if se, ok := tv.Values[strings.Replace(k, ",", "_stderr,", 1)]; ok {
				m.Stderr = float64(se)
			}
			if s, ok := f.Metrics[key][name]; ok {
				m.Spec = &s
			}
			t.Metrics = append(t.Metrics, m)
		}
		sort.Slice(t.Metrics, func(i, j int) bool { return t.Metrics[i].Name < t.Metrics[j].Name })
		run.Tasks = append(run.Tasks, t)
	}
	sort.Slice(run.Tasks, func(i, j int) bool { return run.Tasks[i].Key < run.Tasks[j].Key })
	return run, nil
}

// defaultHigherIsBetter is the direction of a metric a file does not
// state: the registered one, else lower for perplexities, bits per byte,
// TER and losses.
func defaultHigherIsBetter(name string) bool {
	if d, err := eval.LookupMetric(name); err == nil {
		return d.HigherIsBetter
	}
	return !(strings.Contains(name, "perplexity") || strings.Contains(name, "bits_per") || name == "ter" || strings.HasSuffix(name, "loss"))
}

// samplesPath returns the samples file of key beside the results file at
// path, or "" when path is not named results_<timestamp>.json.
func samplesPath(path, key string) string {
	base := filepath.Base(path)
	stamp, ok := strings.CutPrefix(strings.TrimSuffix(base, ".json"), "results_")
	if !ok || !strings.HasSuffix(base, ".json") {
		return ""
	}
	return filepath.Join(filepath.Dir(path), "samples_"+key+"_"+stamp+".jsonl")
}

// ReadRun reads a results file and the samples files written beside it
// with the same timestamp. A missing samples file is a warning; a
// corrupt one, or statistics a metric cannot use, an error.
func ReadRun(path string) (*Run, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	run, err := ParseResults(data, path)
	if err != nil {
		return nil, err
	}
	for _, t := range run.Tasks {
		sp := samplesPath(path, t.Key)
		if sp == "" {
			run.Warnings = append(run.Warnings, fmt.Sprintf("%s: not named results_<timestamp>.json, so its samples files cannot be found (paired tests and the sample view need them)", path))
			return run, nil
		}
		f, err := os.Open(sp)
		if errors.Is(err, fs.ErrNotExist) {
			run.Warnings = append(run.Warnings, fmt.Sprintf("%s: no per-sample log for %s (looked for %s)", run.Model.Name, t.Key, filepath.Base(sp)))
			continue
		}
		if err != nil {
			return nil, err
		}
		t.Samples, err = readTaskSamples(f, sp, t)
		f.Close()
		if err != nil {
			return nil, err
		}
		t.SamplesPath = sp
	}
	return run, nil
}

// readTaskSamples reads t's samples and checks every statistics vector
// against the metric it belongs to, when the metric can be rebuilt.
func readTaskSamples(r io.Reader, path string, t *TaskRun) ([]SampleRecord, error) {
	sc := newStatsChecker(t.Metrics)
	return readSamples(r, path, func(line int, l SampleLine) error { return sc.check(path, line, l) })
}

// statsChecker checks the statistics vectors of a task's samples: each
// accepted by its metric, all of a metric the same length.
type statsChecker struct {
	metrics map[string]eval.Metric
	width   map[string]int
}

func newStatsChecker(mvs []MetricValue) *statsChecker {
	c := &statsChecker{metrics: map[string]eval.Metric{}, width: map[string]int{}}
	for _, mv := range mvs {
		if m, err := mv.Build(); err == nil {
			c.metrics[mv.Name] = m
		}
	}
	return c
}

func (c *statsChecker) check(path string, line int, l SampleLine) error {
	names := make([]string, 0, len(l.Stats))
	for k := range l.Stats {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, name := range names {
		st := l.Stats[name]
		if m, ok := c.metrics[name]; ok {
			if err := m.CheckStats(st); err != nil {
				return &FormatError{Path: path, Line: line, Field: "stats." + name, Msg: err.Error()}
			}
		}
		if w, ok := c.width[name]; ok && w != len(st) {
			return &FormatError{Path: path, Line: line, Field: "stats." + name, Msg: fmt.Sprintf("%d statistics, earlier documents have %d", len(st), w)}
		}
		c.width[name] = len(st)
	}
	return nil
}

// LoadRuns reads every results file named by paths; a directory stands
// for every results_*.json below it (a kshot run output directory or a
// report directory), except those below a report inside it (a directory
// with report.html other than the one named, such as a suite's
// OUT/report), which are copies. Runs come back in path order.
func LoadRuns(paths []string) ([]*Run, error) {
	var files []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			files = append(files, p)
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(q string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && q != p {
				// A report inside a run's output directory (a suite's
				// OUT/report) holds copies of the run's results files:
				// read the originals only.
				if _, err := os.Stat(filepath.Join(q, "report.html")); err == nil {
					return filepath.SkipDir
				}
			}
			if !d.IsDir() && strings.HasPrefix(d.Name(), "results_") && strings.HasSuffix(d.Name(), ".json") {
				found = append(found, q)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("%s: no results_*.json files below this directory (pass the --output directory of kshot run, a report directory or a results file)", p)
		}
		sort.Strings(found)
		files = append(files, found...)
	}
	var runs []*Run
	for _, f := range files {
		r, err := ReadRun(f)
		if err != nil {
			return nil, err
		}
		runs = append(runs, r)
	}
	return runs, nil
}

// decoder decodes top-level fields, remembering the first error.
type decoder struct {
	path string
	top  map[string]json.RawMessage
	err  error
}

func (d *decoder) get(field string, dst any) {
	raw, ok := d.top[field]
	if !ok || d.err != nil {
		return
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		d.err = jsonError(d.path, nil, field, err)
	}
}

// jsonError turns a json error into a FormatError with the line (when
// data is given) and the field.
func jsonError(path string, data []byte, field string, err error) error {
	fe := &FormatError{Path: path, Field: field, Msg: err.Error()}
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		fe.Msg = "invalid JSON: " + se.Error() + " (is the file truncated or corrupt?)"
		if data != nil {
			fe.Line = 1 + bytes.Count(data[:min(max(int(se.Offset), 0), len(data))], []byte("\n"))
		}
	case errors.As(err, &te):
		if te.Field != "" {
			if fe.Field != "" {
				fe.Field += "." + te.Field
			} else {
				fe.Field = te.Field
			}
		}
		fe.Msg = fmt.Sprintf("want %s, got JSON %s", te.Type, te.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		fe.Msg = "invalid JSON: unexpected end of input (is the file truncated?)"
	}
	return fe
}
