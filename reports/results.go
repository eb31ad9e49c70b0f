package reports

import (
	"bufio"
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
)

// Run is one results file written by kshot run (eval.WriteResults) with
// the per-sample logs found beside it.
type Run struct {
	Path         string // the results file
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
	Stderr         float64 // NaN when the file says "N/A"
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

// SampleRecord is one line of a samples_<key>_<timestamp>.jsonl file.
type SampleRecord struct {
	DocID     int
	Doc       json.RawMessage
	Target    string
	Arguments []RequestRecord
	Resps     []json.RawMessage
	Metrics   map[string]float64   // per-document value of each mean metric (NaN for "N/A")
	Stats     map[string][]float64 // per-metric sufficient statistics
}

// RequestRecord is one logged request: its kind ("loglikelihood",
// "multiple_choice", "loglikelihood_rolling", "generate_until") and its
// arguments as written.
type RequestRecord struct {
	Kind string          `json:"kind"`
	Args json.RawMessage `json:"args"`
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

// ReadRun reads a results file and the samples files written beside it
// with the same timestamp. A missing samples file is a warning; a
// corrupt one is an error.
func ReadRun(path string) (*Run, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	run, err := ParseResults(data, path)
	if err != nil {
		return nil, err
	}
	base := filepath.Base(path)
	stamp, ok := strings.CutPrefix(strings.TrimSuffix(base, ".json"), "results_")
	if !ok || !strings.HasSuffix(base, ".json") {
		run.Warnings = append(run.Warnings, fmt.Sprintf("%s: not named results_<timestamp>.json, so its samples files cannot be found (paired tests and the sample view need them)", path))
		return run, nil
	}
	for _, t := range run.Tasks {
		sp := filepath.Join(filepath.Dir(path), "samples_"+t.Key+"_"+stamp+".jsonl")
		f, err := os.Open(sp)
		if errors.Is(err, fs.ErrNotExist) {
			run.Warnings = append(run.Warnings, fmt.Sprintf("%s: no per-sample log for %s (looked for %s)", run.Model.Name, t.Key, filepath.Base(sp)))
			continue
		}
		if err != nil {
			return nil, err
		}
		t.Samples, err = ParseSamples(f, sp)
		f.Close()
		if err != nil {
			return nil, err
		}
		t.SamplesPath = sp
	}
	return run, nil
}

// LoadRuns reads every results file named by paths; a directory stands
// for every results_*.json below it (a kshot run output directory or a
// report directory). Runs come back in path order.
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

// ParseResults parses the contents of a results file; path is used in
// errors only. Samples are not read.
func ParseResults(data []byte, path string) (*Run, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, jsonError(path, data, "", err)
	}
	if top == nil {
		return nil, &FormatError{Path: path, Msg: "not a results file (want a JSON object with \"results\")"}
	}
	d := decoder{path: path, top: top}
	run := &Run{Path: path}
	var results map[string]map[string]json.RawMessage
	if _, ok := top["results"]; !ok {
		return nil, &FormatError{Path: path, Field: "results", Msg: "missing (is this a kshot or lm-evaluation-harness results file?)"}
	}
	d.get("results", &results)
	d.get("model_name", &run.Model.Name)
	d.get("model_fingerprint", &run.Model.Fingerprint)
	d.get("kshot_version", &run.KshotVersion)
	d.get("command_line", &run.CommandLine)
	d.get("config", &run.Config)
	d.get("model_max_length", &run.Model.MaxLength)
	var params, date *float64
	d.get("model_num_parameters", &params)
	d.get("date", &date)
	var versions map[string]json.RawMessage
	var nshot map[string]int
	var hib map[string]map[string]bool
	var nsamples map[string]struct{ Original, Effective int }
	var hashes map[string]string
	var configs map[string]struct {
		Task        string `json:"task"`
		Description string `json:"description"`
		Dataset     string `json:"dataset"`
	}
	d.get("versions", &versions)
	d.get("n-shot", &nshot)
	d.get("higher_is_better", &hib)
	d.get("n-samples", &nsamples)
	d.get("task_hashes", &hashes)
	d.get("configs", &configs)
	if d.err != nil {
		return nil, d.err
	}
	if src, ok := run.Config["model_source"].(string); ok {
		run.Model.Source = src
	}
	if run.Model.Name == "" {
		if m, ok := run.Config["model"].(string); ok {
			run.Model.Name = m
		}
	}
	if run.Model.Name == "" {
		return nil, &FormatError{Path: path, Field: "model_name", Msg: "missing or empty"}
	}
	if params != nil {
		if *params < 0 || math.IsNaN(*params) || *params > 1e18 {
			return nil, &FormatError{Path: path, Field: "model_num_parameters", Msg: fmt.Sprintf("%g is not a parameter count", *params)}
		}
		run.Model.Parameters = int64(*params)
	}
	if date != nil {
		sec, frac := math.Modf(*date)
		run.Date = time.Unix(int64(sec), int64(frac*1e9)).UTC()
	}
	for key, vals := range results {
		t := &TaskRun{Key: key, Task: key, Shots: nshot[key], Hash: hashes[key]}
		if c, ok := configs[key]; ok {
			t.Task, t.Description, t.Dataset = c.Task, c.Description, c.Dataset
		}
		if t.Task == "" || t.Task == key && t.Shots > 0 {
			t.Task = strings.TrimSuffix(key, fmt.Sprintf("_%dshot", t.Shots))
		}
		if v, ok := versions[key]; ok {
			t.Version = rawText(v)
		}
		if n, ok := nsamples[key]; ok {
			t.NTotal, t.NDocs = n.Original, n.Effective
		}
		for k, raw := range vals {
			name, filter, ok := strings.Cut(k, ",")
			if !ok || strings.HasSuffix(name, "_stderr") {
				continue
			}
			if filter != "none" {
				name += "," + filter
			}
			v, err := parseNumber(raw)
			if err != nil {
				return nil, &FormatError{Path: path, Field: "results." + key + "." + k, Msg: err.Error()}
			}
			m := MetricValue{Name: name, HigherIsBetter: hib[key][name], Value: v, Stderr: math.NaN()}
			if h, ok := hib[key]; !ok || !hasKey(h, name) {
				m.HigherIsBetter = defaultHigherIsBetter(name)
			}
			if raw, ok := vals[strings.Replace(k, ",", "_stderr,", 1)]; ok {
				if m.Stderr, err = parseNumber(raw); err != nil {
					return nil, &FormatError{Path: path, Field: "results." + key + "." + strings.Replace(k, ",", "_stderr,", 1), Msg: err.Error()}
				}
			}
			t.Metrics = append(t.Metrics, m)
		}
		sort.Slice(t.Metrics, func(i, j int) bool { return t.Metrics[i].Name < t.Metrics[j].Name })
		run.Tasks = append(run.Tasks, t)
	}
	sort.Slice(run.Tasks, func(i, j int) bool { return run.Tasks[i].Key < run.Tasks[j].Key })
	return run, nil
}

func hasKey(m map[string]bool, k string) bool { _, ok := m[k]; return ok }

// defaultHigherIsBetter guesses the direction of a metric a file does not
// state: perplexities, bits per byte and TER are lower-is-better.
func defaultHigherIsBetter(name string) bool {
	return !(strings.Contains(name, "perplexity") || strings.Contains(name, "bits_per") || name == "ter" || strings.HasSuffix(name, "loss"))
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
			fe.Line = 1 + bytes.Count(data[:min(int(se.Offset), len(data))], []byte("\n"))
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

// parseNumber reads a metric value: a JSON number, or null or "N/A" for
// a missing value (NaN).
func parseNumber(raw json.RawMessage) (float64, error) {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return 0, err
	}
	switch v := v.(type) {
	case float64:
		return v, nil
	case nil:
		return math.NaN(), nil
	case string:
		if v == "N/A" || v == "" {
			return math.NaN(), nil
		}
	}
	return 0, fmt.Errorf("want a number or \"N/A\", got %s", raw)
}

// rawText returns a JSON string's contents, or any other value as written.
func rawText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(bytes.TrimSpace(raw))
}

// sampleLine is the JSON layout of one samples line.
type sampleLine struct {
	DocID     *int                       `json:"doc_id"`
	Doc       json.RawMessage            `json:"doc"`
	Target    json.RawMessage            `json:"target"`
	Arguments []RequestRecord            `json:"arguments"`
	Resps     []json.RawMessage          `json:"resps"`
	Metrics   map[string]json.RawMessage `json:"metrics"`
	Stats     map[string][]float64       `json:"stats"`
}

// ParseSamples reads a samples JSONL stream, one document per line; path
// is used in errors only. Blank lines are skipped.
func ParseSamples(r io.Reader, path string) ([]SampleRecord, error) {
	br := bufio.NewReader(r)
	var out []SampleRecord
	seen := map[int]int{}
	for line := 1; ; line++ {
		b, err := br.ReadBytes('\n')
		if err != nil && err != io.EOF {
			return nil, err
		}
		if len(bytes.TrimSpace(b)) > 0 {
			var s sampleLine
			if jerr := json.Unmarshal(b, &s); jerr != nil {
				fe := jsonError(path, nil, "", jerr).(*FormatError)
				fe.Line = line
				return nil, fe
			}
			if s.DocID == nil {
				return nil, &FormatError{Path: path, Line: line, Field: "doc_id", Msg: "missing"}
			}
			if prev, dup := seen[*s.DocID]; dup {
				return nil, &FormatError{Path: path, Line: line, Field: "doc_id", Msg: fmt.Sprintf("document %d already logged on line %d", *s.DocID, prev)}
			}
			seen[*s.DocID] = line
			rec := SampleRecord{DocID: *s.DocID, Doc: s.Doc, Arguments: s.Arguments, Resps: s.Resps, Stats: s.Stats}
			if len(s.Target) > 0 {
				rec.Target = rawText(s.Target)
			}
			if len(s.Metrics) > 0 {
				rec.Metrics = make(map[string]float64, len(s.Metrics))
				for k, raw := range s.Metrics {
					v, err := parseNumber(raw)
					if err != nil {
						return nil, &FormatError{Path: path, Line: line, Field: "metrics." + k, Msg: err.Error()}
					}
					rec.Metrics[k] = v
				}
			}
			for k, st := range s.Stats {
				if len(st) == 0 {
					return nil, &FormatError{Path: path, Line: line, Field: "stats." + k, Msg: "empty statistics vector"}
				}
			}
			out = append(out, rec)
		}
		if err == io.EOF {
			return out, nil
		}
	}
}
