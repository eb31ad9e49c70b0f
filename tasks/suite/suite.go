// Package suite reads suite files — the YAML plan of a kshot run (models ×
// tasks × shot counts × seeds, with per-task data, limits and variants,
// and the published numbers the reports draw as references) — and checks
// run plans, from a suite file or from flags, against the task
// declarations and the data before any model is loaded (Plan.Check),
// reporting every problem at once.
package suite

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/kshot-eval/kshot/internal/suggest"
)

// Suite is a suite file: models × tasks × shot counts × seeds.
type Suite struct {
	Name           string   `yaml:"name"`
	Description    string   `yaml:"description"`
	Models         []string `yaml:"models"`
	Tasks          []Task   `yaml:"tasks"`
	Shots          []int    `yaml:"shots"`
	Seeds          []uint64 `yaml:"seeds"`
	Limit          int      `yaml:"limit"`
	BatchSize      int      `yaml:"batch_size"`
	BootstrapIters *int     `yaml:"bootstrap_iters"`
	Output         string   `yaml:"output"`
	DataDir        string   `yaml:"data_dir"`
	// References are published numbers drawn as reference points in
	// reports (written to OUT/references.csv).
	References []Reference `yaml:"references"`
}

// Task is one task of a suite with optional overrides.
type Task struct {
	Name          string `yaml:"name"`
	Data          string `yaml:"data"`
	Limit         int    `yaml:"limit"`
	Variant       string `yaml:"variant"`
	Shots         []int  `yaml:"shots"`
	RollingStride int    `yaml:"rolling_stride"`
	// Decoding, when set, is the decoding rule of the task's generation
	// requests in place of the task's own (a task that does not
	// generate refuses it).
	Decoding *Decoding `yaml:"decoding"`
}

// Reference is a published result.
type Reference struct {
	Model  string  `yaml:"model"`
	Params float64 `yaml:"params"`
	Task   string  `yaml:"task"`
	Metric string  `yaml:"metric"`
	Shots  int     `yaml:"shots"`
	Value  float64 `yaml:"value"`
	Source string  `yaml:"source"`
}

// UnmarshalYAML lets a task be written as a bare name. A key a task entry
// does not have is an error (yaml's KnownFields does not reach a custom
// unmarshaller, so a misspelt key was once ignored).
func (t *Task) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		t.Name = n.Value
		return nil
	}
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if k := n.Content[i]; !containsString(taskKeys, k.Value) {
				hint := "a task entry has " + strings.Join(taskKeys, ", ")
				if s := suggest.Closest(k.Value, taskKeys); s != "" {
					hint = fmt.Sprintf("did you mean %q?", s)
				}
				return fmt.Errorf("line %d: unknown task key %q (%s)", k.Line, k.Value, hint)
			}
		}
	}
	type plain Task
	return n.Decode((*plain)(t))
}

// Read parses a suite file; unknown keys are errors.
func Read(path string) (*Suite, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(data, path)
}

// Parse parses suite YAML from data (path is used in errors). A file that
// decodes but breaks the format's rules returns every broken rule at once,
// as Problems; the checks against the task registry and the data are
// Plan.Check's.
func Parse(data []byte, path string) (*Suite, error) {
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: empty suite file (a suite needs at least models: and tasks:; see suites/)", path)
		}
		return nil, syntaxError(path, err)
	}
	if ps := checkShape(path, &doc); len(ps) > 0 {
		return nil, ps
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var s Suite
	if err := dec.Decode(&s); err != nil {
		// checkShape accepted the file, so this is a shape it does not
		// know: still name the file.
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	var ps Problems
	add := func(key, format string, args ...any) {
		ps = append(ps, Problem{path + ": " + key, fmt.Sprintf(format, args...)})
	}
	if len(s.Models) == 0 {
		add("models", "no models (a suite needs a models: list of directories or Hub ids)")
	}
	if len(s.Tasks) == 0 {
		add("tasks", "no tasks (a suite needs a tasks: list)")
	}
	for i, t := range s.Tasks {
		if t.Name == "" {
			add(fmt.Sprintf("tasks[%d]", i), "task has no name (kshot tasks lists them)")
		}
		for _, k := range t.Shots {
			if k < 0 {
				add(fmt.Sprintf("tasks[%d].shots", i), "shot count %d is negative", k)
			}
		}
		if t.Limit < 0 {
			add(fmt.Sprintf("tasks[%d].limit", i), "%d is negative (0 evaluates every document)", t.Limit)
		}
		if t.RollingStride < 0 {
			add(fmt.Sprintf("tasks[%d].rolling_stride", i), "%d is negative", t.RollingStride)
		}
		if t.Decoding != nil {
			if _, err := t.Decoding.Rule(); err != nil {
				add(fmt.Sprintf("tasks[%d].decoding", i), "%v", err)
			}
		}
	}
	for _, k := range s.Shots {
		if k < 0 {
			add("shots", "shot count %d is negative", k)
		}
	}
	if s.Limit < 0 {
		add("limit", "%d is negative (0 evaluates every document)", s.Limit)
	}
	if s.BatchSize < 0 {
		add("batch_size", "%d is negative", s.BatchSize)
	}
	if s.BootstrapIters != nil && *s.BootstrapIters < 0 {
		add("bootstrap_iters", "%d is negative", *s.BootstrapIters)
	}
	if len(ps) > 0 {
		return nil, ps
	}
	return &s, nil
}

// syntaxError turns the YAML parser's "yaml: line N: ..." into
// "file:N: ... (not valid YAML)".
func syntaxError(path string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if n, what, ok := strings.Cut(rest, ": "); ok {
			return fmt.Errorf("%s:%s: %s (not valid YAML; check the indentation and the quoting on that line)", path, n, what)
		}
	}
	return fmt.Errorf("%s: %s (not valid YAML)", path, msg)
}
