// Package suite reads suite files: the YAML plan of a kshot run (models ×
// tasks × shot counts × seeds, with per-task data, limits and variants,
// and the published numbers the reports draw as references).
package suite

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"go.yaml.in/yaml/v3"
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

// UnmarshalYAML lets a task be written as a bare name.
func (t *Task) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		t.Name = n.Value
		return nil
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

// Parse parses suite YAML from data (path is used in errors).
func Parse(data []byte, path string) (*Suite, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var s Suite
	if err := dec.Decode(&s); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: empty suite file", path)
		}
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	if len(s.Models) == 0 {
		return nil, fmt.Errorf("%s: no models (a suite needs a models: list of directories or Hub ids)", path)
	}
	if len(s.Tasks) == 0 {
		return nil, fmt.Errorf("%s: no tasks (a suite needs a tasks: list)", path)
	}
	for i, t := range s.Tasks {
		if t.Name == "" {
			return nil, fmt.Errorf("%s: task %d has no name", path, i+1)
		}
		for _, k := range t.Shots {
			if k < 0 {
				return nil, fmt.Errorf("%s: task %s: shots %d is negative", path, t.Name, k)
			}
		}
		if t.Limit < 0 || t.RollingStride < 0 {
			return nil, fmt.Errorf("%s: task %s: limit and rolling_stride must not be negative", path, t.Name)
		}
	}
	for _, k := range s.Shots {
		if k < 0 {
			return nil, fmt.Errorf("%s: shots %d is negative", path, k)
		}
	}
	if s.Limit < 0 || s.BatchSize < 0 {
		return nil, fmt.Errorf("%s: limit and batch_size must not be negative", path)
	}
	return &s, nil
}
