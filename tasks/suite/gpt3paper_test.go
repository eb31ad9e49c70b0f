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

// gpt3PaperTask maps a task of ../shared/papers' GPT-3 tables to the kshot
// task and metric that follow the paper's protocol for it; percent says
// the table prints the value in percent. ok is false for a table row kshot
// has no task or metric for (gpt3PaperMissing lists them).
func gpt3PaperTask(task, metric, k string) (kshot, kmetric string, percent, ok bool) {
	switch {
	case task == "lambada" && metric == "acc":
		if k == "0" {
			return "lambada_openai", "acc", true, true
		}
		return "lambada_openai_cloze", "acc", true, true
	case task == "lambada" && metric == "ppl":
		if k == "0" {
			return "lambada_openai", "perplexity", false, true
		}
		return "lambada_openai_cloze", "perplexity", false, true
	case task == "wmt14_fr_en" && metric == "sacrebleu":
		return task, "bleu", false, true
	case strings.HasPrefix(task, "arithmetic_") && metric == "acc":
		return task, "acc", true, true
	case task == "multirc" && (metric == "f1a" || metric == "em"):
		return task, metric, true, true
	case task == "cb" && metric == "f1":
		return "cb", "f1_macro_token", true, true
	case task == "record" && metric == "acc": // ReCoRD's accuracy is its exact match
		return "record", "em", true, true
	case (task == "record" || task == "coqa" || task == "drop" || task == "quac") && metric == "f1":
		return task, "f1", true, true
	case task == "squadv2" && (metric == "f1" || metric == "em"): // kshot's squadv2 is on 0-100 like the table
		return task, map[string]string{"f1": "f1", "em": "exact"}[metric], false, true
	case task == "webqs" && metric == "acc":
		return "webqs_gpt3", "exact_match", true, true
	case metric != "acc":
		return "", "", false, false
	}
	m := map[string][2]string{
		"hellaswag": {"hellaswag", "acc_token"}, "piqa": {"piqa", "acc_token"}, "winogrande": {"winogrande", "acc"},
		"arc_easy": {"arc_easy", "acc_uncond"}, "arc_challenge": {"arc_challenge", "acc_uncond"},
		"openbookqa": {"openbookqa", "acc_uncond"}, "race_h": {"race_high", "acc_uncond"}, "race_m": {"race_middle", "acc_uncond"},
		"anagrams1": {"anagrams1", "exact_match"}, "triviaqa": {"triviaqa", "exact_match"}, "naturalqs": {"nq_open", "exact_match"},
		"boolq": {"boolq", "acc_token"}, "copa": {"copa", "acc_token"}, "cb": {"cb", "acc_token"}, "rte": {"rte", "acc_token"},
		"wic": {"wic", "acc_token"}, "wsc": {"wsc", "acc_token"}, "storycloze": {"storycloze", "acc_token"},
		"anli_r1": {"anli_r1", "acc_token"}, "anli_r2": {"anli_r2", "acc_token"}, "anli_r3": {"anli_r3", "acc_token"},
	}
	if v, found := m[task]; found {
		return v[0], v[1], true, true
	}
	return "", "", false, false
}

// gpt3PaperMissing are the table rows (task/metric) kshot cannot score yet;
// a row that is neither mapped nor listed here fails the test, so a new
// row in the CSVs is not silently left out of the suite.
var gpt3PaperMissing = []string{
	"ptb/ppl", // Table H.1 has no PTB row: the paper gives 175B zero-shot only (Table 3.1)
	// kshot has no WMT16 task (its WMT tasks are WMT14 fr-en, en-fr).
	"wmt16_en_de/sacrebleu", "wmt16_en_de/multibleu", "wmt16_de_en/sacrebleu", "wmt16_de_en/multibleu",
	"wmt16_en_ro/sacrebleu", "wmt16_en_ro/multibleu", "wmt16_ro_en/sacrebleu", "wmt16_ro_en/multibleu",
}

// TestGPT3PaperSuite checks suites/gpt3-paper.yaml: its plan passes Check
// on the shared data (every task built, every variant and shot count
// accepted); every reference names a metric its task reports at a shot
// count the suite runs (or, for the tasks the suite leaves to the user,
// the shots its comment gives) and equals its cell of
// ../shared/papers/gpt3_small_models.csv or gpt3_more.csv; and every cell
// of a table row kshot has a task for is referenced.
func TestGPT3PaperSuite(t *testing.T) {
	path := filepath.Join("..", "..", "suites", "gpt3-paper.yaml")
	s, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	dataDir := sharedtest.Path(t, "data")
	p := FromSuite(s, path)
	p.DataDir = dataDir
	if err := p.Check(); err != nil {
		t.Fatalf("the suite's plan does not pass Check:\n%v", err)
	}
	suiteTask := map[string]Task{}
	for _, st := range s.Tasks {
		suiteTask[st.Name] = st
	}
	// The tasks the suite's comment leaves to the user, built here from
	// the tasks package's fixtures.
	fixture := func(name string) string { return filepath.Join("..", "..", "tasks", "testdata", "gpt3", name) }
	scorers := func(name string) string { return filepath.Join("..", "..", "tasks", "testdata", "scorers", name) }
	userData := map[string]Task{
		"triviaqa":   {Name: "triviaqa", Variant: "gpt3", Shots: []int{0, 1, 64}, Data: fixture("triviaqa.jsonl")},
		"nq_open":    {Name: "nq_open", Variant: "gpt3", Shots: []int{0, 1, 64}, Data: fixture("nq_open.jsonl")},
		"storycloze": {Name: "storycloze", Shots: []int{0, 1, 70}, Data: fixture("storycloze.csv")},
		"record":     {Name: "record", Shots: []int{0, 1, 32}, Data: scorers("record_val.jsonl")},
		"coqa":       {Name: "coqa", Variant: "gpt3", Shots: []int{0, 1, 5}, Data: scorers("coqa-dev.json")},
		"drop":       {Name: "drop", Variant: "gpt3", Shots: []int{0, 1, 20}, Data: scorers("drop_dataset_dev.json")},
		"squadv2":    {Name: "squadv2", Shots: []int{0, 1, 16}, Data: scorers("dev-v2.0.json")},
		"webqs_gpt3": {Name: "webqs_gpt3", Shots: []int{0, 1, 64}, Data: scorers("webqs.jsonl")},
	}
	metrics := map[string][]string{}
	for _, pl := range p.Built() {
		for _, m := range pl.Task.Spec().Metrics {
			metrics[pl.Task.Spec().Name] = append(metrics[pl.Task.Spec().Name], m.Name)
		}
	}
	for name, st := range userData {
		if _, dup := suiteTask[name]; dup {
			t.Errorf("%s is in the suite's list; drop it from userData", name)
		}
		suiteTask[name] = st
		task, err := tasks.New(name, tasks.Options{DataPath: st.Data, Variant: st.Variant})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range task.Spec().Metrics {
			metrics[name] = append(metrics[name], m.Name)
		}
	}

	col := map[string]int{"gpt3-small": 4, "gpt3-medium": 5, "gpt3-large": 6, "gpt3-xl": 7}
	params := map[string]float64{"gpt3-small": 125e6, "gpt3-medium": 350e6, "gpt3-large": 760e6, "gpt3-xl": 1.3e9}
	published := map[string]float64{} // "kshot task/metric/k/model" → value as the suite writes it
	for _, file := range []string{"gpt3_small_models.csv", "gpt3_more.csv"} {
		f, err := os.Open(sharedtest.Path(t, "papers/"+file))
		if err != nil {
			t.Fatal(err)
		}
		r := csv.NewReader(f)
		r.Comment = '#'
		rows, err := r.ReadAll()
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, row := range rows[1:] {
			task, metric, percent, ok := gpt3PaperTask(row[0], row[1], row[3])
			if !ok {
				if !slices.Contains(gpt3PaperMissing, row[0]+"/"+row[1]) {
					t.Errorf("%s row %v: no kshot task and not in gpt3PaperMissing", file, row)
				}
				continue
			}
			for model, c := range col {
				v, err := strconv.ParseFloat(row[c], 64)
				if err != nil {
					t.Fatalf("%s row %v: %v", file, row, err)
				}
				if percent {
					v /= 100
				}
				key := fmt.Sprintf("%s/%s/%s/%s", task, metric, row[3], model)
				if _, dup := published[key]; dup {
					t.Fatalf("%s: two table cells map to %s", file, key)
				}
				published[key] = v
			}
		}
	}
	referenced := map[string]bool{}
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
		key := fmt.Sprintf("%s/%s/%d/%s", ref.Task, ref.Metric, ref.Shots, ref.Model)
		want, ok := published[key]
		if !ok {
			t.Errorf("reference %+v has no cell in the tables", ref)
			continue
		}
		if referenced[key] {
			t.Errorf("reference %s is given twice", key)
		}
		referenced[key] = true
		if math.Abs(ref.Value-want) > 1e-9 {
			t.Errorf("%s %s %s %d-shot: suite has %v, the table %v", ref.Model, ref.Task, ref.Metric, ref.Shots, ref.Value, want)
		}
	}
	for key := range published {
		if !referenced[key] {
			t.Errorf("table cell %s has no reference in the suite", key)
		}
	}
	if len(referenced) == 0 {
		t.Error("no reference checked")
	}
}
