package suite

import (
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/kshot-eval/kshot/internal/sharedtest"
	"github.com/kshot-eval/kshot/tasks"
)

// TestGPT3SmallSuite parses the shipped GPT-3 suite, builds every task
// with its variant, checks that each reference point names a metric its
// task reports at a shot count the suite runs, and compares every value
// with ../shared/papers/gpt3_small_models.csv.
func TestGPT3SmallSuite(t *testing.T) {
	s, err := Read(filepath.Join("..", "..", "suites", "gpt3-small.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dataDir := sharedtest.Path(t, "data")
	// Data for the tasks whose default file is slow to read or absent:
	// one part of HellaSwag's text form, the tasks package's fixture for
	// TriviaQA (which the suite leaves out but references).
	data := map[string]string{
		"hellaswag": filepath.Join(dataDir, "hellaswag", "hellaswag_val_full.part0.txt"),
		"triviaqa":  filepath.Join("..", "..", "tasks", "testdata", "gpt3", "triviaqa.jsonl"),
	}
	suiteTask := map[string]Task{"triviaqa": {Name: "triviaqa", Variant: "gpt3", Shots: []int{0, 1, 64}}}
	metrics := map[string][]string{}
	for _, st := range s.Tasks {
		if !slices.Contains(tasks.Names(), st.Name) {
			t.Errorf("suite task %q is not registered", st.Name)
			continue
		}
		suiteTask[st.Name] = st
	}
	for name, st := range suiteTask {
		task, err := tasks.New(name, tasks.Options{DataDir: dataDir, DataPath: data[name], Variant: st.Variant})
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		for _, m := range task.Spec().Metrics {
			metrics[name] = append(metrics[name], m.Name)
		}
	}

	f, err := os.Open(sharedtest.Path(t, "papers/gpt3_small_models.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.Comment = '#'
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{"gpt3-small": 4, "gpt3-medium": 5, "gpt3-large": 6, "gpt3-xl": 7}
	params := map[string]float64{"gpt3-small": 125e6, "gpt3-medium": 350e6, "gpt3-large": 760e6, "gpt3-xl": 1.3e9}
	published := map[string]float64{} // "csvtask/metric/k/model" → value
	for _, row := range rows[1:] {
		for model, c := range col {
			v, err := strconv.ParseFloat(row[c], 64)
			if err != nil {
				t.Fatalf("csv row %v: %v", row, err)
			}
			published[fmt.Sprintf("%s/%s/%s/%s", row[0], row[1], row[3], model)] = v
		}
	}
	checked := 0
	for _, ref := range s.References {
		st, ok := suiteTask[ref.Task]
		if !ok {
			t.Errorf("reference %+v: task not in the suite", ref)
			continue
		}
		if !slices.Contains(metrics[ref.Task], ref.Metric) {
			t.Errorf("reference %+v: %s reports %v", ref, ref.Task, metrics[ref.Task])
		}
		if !slices.Contains(st.Shots, ref.Shots) {
			t.Errorf("reference %+v: the suite runs %s at shots %v", ref, ref.Task, st.Shots)
		}
		if params[ref.Model] != ref.Params {
			t.Errorf("reference %+v: params, want %g", ref, params[ref.Model])
		}
		csvTask, csvMetric := ref.Task, "acc"
		switch {
		case strings.HasPrefix(ref.Task, "lambada"):
			csvTask = "lambada"
		case ref.Task == "wmt14_fr_en":
			csvMetric = "sacrebleu"
		}
		if ref.Metric == "perplexity" {
			csvMetric = "ppl"
		}
		want, ok := published[fmt.Sprintf("%s/%s/%d/%s", csvTask, csvMetric, ref.Shots, ref.Model)]
		if !ok {
			t.Errorf("reference %+v has no row in the table", ref)
			continue
		}
		if csvMetric == "acc" {
			want /= 100
		}
		if math.Abs(ref.Value-want) > 1e-9 {
			t.Errorf("%s %s %s %d-shot: suite has %v, the table %v", ref.Model, ref.Task, ref.Metric, ref.Shots, ref.Value, want)
		}
		checked++
	}
	// 36 table rows × 4 sizes.
	if checked != len(rows[1:])*4 {
		t.Errorf("checked %d reference points, the table has %d", checked, len(rows[1:])*4)
	}
}
