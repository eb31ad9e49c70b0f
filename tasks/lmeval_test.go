package tasks

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/kshot-eval/kshot/internal/sharedtest"
)

// TestMetricNamesMatchLMEval checks docs/tasks.md, the table of kshot
// tasks, their lm-evaluation-harness counterparts and metrics (read from
// lm-evaluation-harness's task YAMLs), against the tasks: every registered
// task has a row, and its metrics are the row's lm-eval metrics plus its
// kshot-only metrics, under the same names.
func TestMetricNamesMatchLMEval(t *testing.T) {
	dataDir := sharedtest.Path(t, "data")
	doc, err := os.ReadFile(filepath.Join("..", "docs", "tasks.md"))
	if err != nil {
		t.Fatal(err)
	}
	names := regexp.MustCompile("`([A-Za-z0-9_]+)`") // rougeL, HasAns_exact

	rows := map[string][]string{}
	for _, line := range strings.Split(string(doc), "\n") {
		cells := strings.Split(line, "|")
		if len(cells) != 7 || !strings.HasPrefix(strings.TrimSpace(cells[1]), "`") {
			continue
		}
		task := strings.Trim(strings.TrimSpace(cells[1]), "`")
		var metrics []string
		for _, c := range cells[4:6] {
			for _, m := range names.FindAllStringSubmatch(c, -1) {
				metrics = append(metrics, m[1])
			}
		}
		rows[task] = metrics
	}
	fixture := func(name string) string { return filepath.Join("testdata", name) }
	data := map[string]string{
		"storycloze": fixture("gpt3/storycloze.csv"), "triviaqa": fixture("gpt3/triviaqa.jsonl"), "nq_open": fixture("gpt3/nq_open.jsonl"),
		"gpt1_sst2": fixture("gpt3/sst2.jsonl"), "gpt1_race": fixture("gpt3/race.jsonl"), "gpt1_cola": fixture("gpt3/cola.jsonl"),
		"cbt_cn": fixture("hashes/cbt.txt"), "cbt_ne": fixture("hashes/cbt.txt"), "enwik8": fixture("hashes/enwik8"),
		"text8": fixture("hashes/text8"), "lambada_standard": fixture("hashes/lambada_standard.jsonl"),
		"wikitext103": filepath.Join(dataDir, "wikitext2", "wiki.test.raw"),
		"hellaswag":   filepath.Join(dataDir, "hellaswag", "hellaswag_val_full.part0.txt"),
	}
	for task, file := range map[string]string{"coqa": "coqa-dev.json", "squadv2": "dev-v2.0.json", "drop": "drop_dataset_dev.json",
		"record": "record_val.jsonl", "webqs": "webqs.jsonl", "webqs_gpt3": "webqs.jsonl", "cnn_dailymail": "cnn_dailymail.jsonl"} {
		data[task] = scorerFixture(file)
	}
	for _, name := range Names() {
		want, ok := rows[name]
		if !ok {
			t.Errorf("task %s has no row in docs/tasks.md", name)
			continue
		}
		o := Options{DataDir: dataDir, DataPath: data[name]}
		if strings.HasPrefix(name, "synth_") {
			o.DataDir = ""
		}
		task, err := New(name, o)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, m := range task.Spec().Metrics {
			got = append(got, m.Name)
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s reports %v; docs/tasks.md (lm-evaluation-harness's names plus kshot's own) says %v", name, got, want)
		}
	}
}
