package results

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/kshot-eval/kshot/eval"
)

// SchemaVersion is the version of the layout Write produces.
const SchemaVersion = 2

// File is the layout of a results_<timestamp>.json file. Write emits
// every object with its keys sorted.
type File struct {
	SchemaVersion int `json:"schema_version,omitempty"`

	Config         Config                           `json:"config"`
	Configs        map[string]TaskConfig            `json:"configs"`
	Results        map[string]TaskValues            `json:"results"`
	Versions       map[string]Version               `json:"versions"`
	NShot          map[string]int                   `json:"n-shot"`
	HigherIsBetter map[string]map[string]bool       `json:"higher_is_better"`
	NSamples       map[string]NSamples              `json:"n-samples"`
	TaskHashes     map[string]string                `json:"task_hashes"`
	Metrics        map[string]map[string]MetricSpec `json:"metrics,omitempty"`
	// Run holds the run settings and timings: the only part of a results
	// file that may differ between runs that compute the same results.
	Run RunSettings `json:"run"`

	ModelName          string  `json:"model_name"`
	ModelNumParameters float64 `json:"model_num_parameters"`
	ModelMaxLength     int     `json:"model_max_length"`
	ModelFingerprint   string  `json:"model_fingerprint"`
	KshotVersion       string  `json:"kshot_version"`
	Date               float64 `json:"date"`                   // Unix seconds
	DateISO            string  `json:"date_iso"`               // RFC 3339, UTC
	CommandLine        string  `json:"command_line,omitempty"` // top level in other tools' files only
	// Runs through a chat endpoint only, under lm-evaluation-harness's
	// names: the system prompt and its SHA-256 (hex), and whether the
	// few-shot examples were sent as turns.
	SystemInstruction    *string `json:"system_instruction,omitempty"`
	SystemInstructionSHA *string `json:"system_instruction_sha,omitempty"`
	FewshotAsMultiturn   *bool   `json:"fewshot_as_multiturn,omitempty"`
}

// Config is the run's configuration ("config").
type Config struct {
	Model          string  `json:"model"`
	ModelSource    string  `json:"model_source"`
	Limit          float64 `json:"limit"` // documents per task, 0 for all (a fraction in lm-evaluation-harness)
	BootstrapIters int     `json:"bootstrap_iters"`
	RandomSeed     uint64  `json:"random_seed"`
	FewshotSeed    uint64  `json:"fewshot_seed"`
	Shots          []int   `json:"shots"`
	Suite          string  `json:"suite,omitempty"`
	Shard          string  `json:"shard,omitempty"` // "i/n" for one shard of a run
	// ChatEndpoint is the chat endpoint generation went through
	// (…/v1/chat/completions); "" for completions and local models.
	ChatEndpoint string `json:"chat_endpoint,omitempty"`
}

// TaskConfig describes one task of the run ("configs.<key>").
type TaskConfig struct {
	Task        string  `json:"task"`
	Description string  `json:"description"`
	Dataset     string  `json:"dataset"`
	NumFewshot  int     `json:"num_fewshot"`
	Version     Version `json:"version"`
	// Variant is the task's prompt format or data form; "" in files
	// written before variants were recorded.
	Variant string `json:"variant,omitempty"`
	// Decoding is the rule a generation task picked its tokens by, as
	// eval.Decoding.String() writes it ("greedy",
	// "beam(width=4,length_penalty=0.6)", "sample(temperature=1,top_k=2,
	// top_p=1,seed=1234)"); "" for the other tasks and in files written
	// before rules were recorded.
	Decoding string `json:"decoding,omitempty"`
}

// NSamples counts a task's documents ("n-samples.<key>").
type NSamples struct {
	Original  int `json:"original"`  // documents in the split
	Effective int `json:"effective"` // documents evaluated
}

// MetricSpec is what rebuilding a metric from the samples needs
// ("metrics.<key>.<metric>"): its kind, options and standard-error method,
// and the lm-evaluation-harness filter name of its results keys.
type MetricSpec struct {
	Kind    eval.MetricKind   `json:"kind"`
	Stderr  eval.StderrMethod `json:"stderr"`
	Options json.RawMessage   `json:"options,omitempty"`
	// Filter is the filter part of the metric's "results" keys
	// ("exact_match,remove_whitespace"); "" means "none".
	Filter string `json:"filter,omitempty"`
}

// ValueKey returns the "results" key of metric name under filter ("" is
// eval.NoFilter): "exact_match,remove_whitespace", "acc,none".
func ValueKey(name, filter string) string {
	if filter == "" {
		filter = eval.NoFilter
	}
	return name + "," + filter
}

// StderrKey returns the "results" key of the standard error of metric
// name under filter: "acc_stderr,none".
func StderrKey(name, filter string) string { return ValueKey(name+"_stderr", filter) }

// RunSettings are the settings and timings of a run ("run"); a merged run
// has only MergedFrom.
type RunSettings struct {
	BatchSize       *int                `json:"batch_size,omitempty"`
	Threads         *int                `json:"threads,omitempty"`
	Cache           *string             `json:"cache,omitempty"`
	DurationSeconds *map[string]float64 `json:"duration_seconds,omitempty"`
	CommandLine     *string             `json:"command_line,omitempty"`
	MergedFrom      []string            `json:"merged_from,omitempty"`
}

// Value is a metric value or standard error; NaN and ±Inf are written as
// "N/A", as lm-evaluation-harness does, and null, "" and "N/A" read as NaN.
type Value float64

// MarshalJSON writes v, or "N/A" when it is not finite.
func (v Value) MarshalJSON() ([]byte, error) {
	f := float64(v)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte(`"N/A"`), nil
	}
	return json.Marshal(f)
}

// UnmarshalJSON reads a number, null, "" or "N/A".
func (v *Value) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch string(b) {
	case "null", `""`, `"N/A"`:
		*v = Value(math.NaN())
		return nil
	}
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return fmt.Errorf("want a number or \"N/A\", got %s", b)
	}
	*v = Value(f)
	return nil
}

// Version is a task version: a string in kshot's files, sometimes a number
// in lm-evaluation-harness's (kept as written).
type Version string

// UnmarshalJSON reads a string, or any other JSON value as its text.
func (v *Version) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*v = Version(s)
		return nil
	}
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		*v = ""
		return nil
	}
	if len(b) > 0 && (b[0] == '{' || b[0] == '[') {
		return fmt.Errorf("want a version string or number, got %.40s", b)
	}
	*v = Version(b)
	return nil
}

// TaskValues is one task's entry of "results": its alias and one value
// per "<metric>,<filter>" and "<metric>_stderr,<filter>" key.
type TaskValues struct {
	Alias  string
	Values map[string]Value
}

// MarshalJSON writes the alias and the values as one object.
func (t TaskValues) MarshalJSON() ([]byte, error) {
	m := make(map[string]any, len(t.Values)+1)
	for k, v := range t.Values {
		m[k] = v
	}
	m["alias"] = t.Alias
	return json.Marshal(m)
}

// UnmarshalJSON reads the alias and every key holding a comma (the
// metric keys); other keys (lm-evaluation-harness's "name", " ", …) are
// ignored.
func (t *TaskValues) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	if raw == nil {
		return fmt.Errorf("want an object of metric values, got null")
	}
	t.Values = map[string]Value{}
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		r := raw[k]
		if k == "alias" {
			var s Version
			if err := json.Unmarshal(r, &s); err != nil {
				return &fieldError{k, err}
			}
			t.Alias = string(s)
			continue
		}
		if !strings.Contains(k, ",") {
			continue
		}
		var v Value
		if err := json.Unmarshal(r, &v); err != nil {
			return &fieldError{k, err}
		}
		t.Values[k] = v
	}
	return nil
}

// fieldError is an error inside one key of an object, for FormatError's
// field path.
type fieldError struct {
	field string
	err   error
}

func (e *fieldError) Error() string { return e.field + ": " + e.err.Error() }

// SampleLine is the layout of one samples_<key>_<timestamp>.jsonl line.
// Write emits it with its keys sorted, so that a line read and written
// again (as Merge does) is byte-identical.
type SampleLine struct {
	DocID       *int                 `json:"doc_id"`
	Doc         json.RawMessage      `json:"doc"`
	Target      json.RawMessage      `json:"target"`
	Arguments   []Request            `json:"arguments"`
	Resps       []json.RawMessage    `json:"resps"`
	Metrics     map[string]Value     `json:"metrics"`
	Stats       map[string][]float64 `json:"stats"`
	RequestHash string               `json:"request_hash"`
}

// Request is one logged request: its kind ("loglikelihood",
// "multiple_choice", "loglikelihood_rolling", "generate_until") and its
// arguments as written.
type Request struct {
	Kind string          `json:"kind"`
	Args json.RawMessage `json:"args"`
}
