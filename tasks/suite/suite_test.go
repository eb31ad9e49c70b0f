package suite

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/kshot-eval/kshot/internal/sharedtest"
	"github.com/kshot-eval/kshot/tasks"
)

// TestGPT2PaperSuite parses the shipped suite, checks its tasks exist and
// that every reference point equals the published Table 3 value in
// ../shared/papers/gpt2_table3.csv.
func TestGPT2PaperSuite(t *testing.T) {
	s, err := Read(filepath.Join("..", "..", "suites", "gpt2-paper.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, n := range tasks.Names() {
		known[n] = true
	}
	for _, task := range s.Tasks {
		if !known[task.Name] {
			t.Errorf("suite task %q is not registered", task.Name)
		}
	}
	f, err := os.Open(sharedtest.Path(t, "papers/gpt2_table3.csv"))
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
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	size := map[string]string{"gpt2": "gpt2-117M", "gpt2-medium": "gpt2-345M", "gpt2-large": "gpt2-762M", "gpt2-xl": "gpt2-1542M"}
	column := map[string]string{"lambada_openai/perplexity": "lambada_ppl", "lambada_openai_stopfilter/acc": "lambada_acc",
		"cbt_cn/acc": "cbt_cn_acc", "cbt_ne/acc": "cbt_ne_acc", "wikitext2/word_perplexity": "wikitext2_ppl",
		"ptb/word_perplexity": "ptb_ppl", "enwik8/bits_per_byte": "enwik8_bpb", "text8/bits_per_byte": "text8_bpc",
		"wikitext103/word_perplexity": "wikitext103_ppl", "lm1b/word_perplexity": "1bw_ppl"}
	checked := 0
	for _, ref := range s.References {
		c, ok := column[ref.Task+"/"+ref.Metric]
		if !ok {
			continue // the no-stop-filter note has no column
		}
		for _, row := range rows[1:] {
			if row[0] != size[ref.Model] {
				continue
			}
			want, _ := strconv.ParseFloat(row[col[c]], 64)
			if strings.HasSuffix(c, "_acc") {
				want /= 100
			}
			if diff := ref.Value - want; diff > 1e-9 || diff < -1e-9 {
				t.Errorf("%s %s %s: suite has %v, Table 3 has %v", ref.Model, ref.Task, ref.Metric, ref.Value, want)
			}
			checked++
		}
	}
	if checked != 40 {
		t.Errorf("checked %d reference points against Table 3, want 40", checked)
	}
}

// TestGPT2PaperSuiteMore checks the suite's CoQA and summarisation
// entries: each task in the paper's variant, and every row of
// ../shared/papers/gpt2_more.csv for them (CoQA F1, Table 4's TL;DR:
// ROUGE-1/2/L; the R-AVG column and the no-hint row have no kshot
// metric or task) referenced once with the printed value as a fraction.
func TestGPT2PaperSuiteMore(t *testing.T) {
	s, err := Read(filepath.Join("..", "..", "suites", "gpt2-paper.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	variant := map[string]string{}
	for _, st := range s.Tasks {
		variant[st.Name] = st.Variant
	}
	for _, name := range []string{"coqa", "cnn_dailymail"} {
		if v, ok := variant[name]; !ok || v != "gpt2" {
			t.Errorf("task %s: in the suite %v, variant %q; want variant gpt2", name, ok, v)
		}
	}
	f, err := os.Open(sharedtest.Path(t, "papers/gpt2_more.csv"))
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
	size := map[string]string{"gpt2-1542M": "gpt2-xl"}
	task := map[string]string{"coqa/f1": "coqa/f1", "cnn_dailymail_tldr/rouge1": "cnn_dailymail/rouge1",
		"cnn_dailymail_tldr/rouge2": "cnn_dailymail/rouge2", "cnn_dailymail_tldr/rougeL": "cnn_dailymail/rougeL"}
	want := map[string]float64{}
	for _, row := range rows[1:] {
		k, ok := task[row[2]+"/"+row[3]]
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(row[4], 64)
		if err != nil {
			t.Fatal(err)
		}
		want[size[row[0]]+"/"+k] = v / 100
	}
	if len(want) != 4 {
		t.Fatalf("%d CoQA/summarisation cells in gpt2_more.csv, want 4", len(want))
	}
	got := map[string]float64{}
	for _, ref := range s.References {
		if ref.Task != "coqa" && ref.Task != "cnn_dailymail" {
			continue
		}
		key := ref.Model + "/" + ref.Task + "/" + ref.Metric
		if _, dup := got[key]; dup {
			t.Errorf("reference %s given twice", key)
		}
		got[key] = ref.Value
	}
	for k, w := range want {
		if g, ok := got[k]; !ok || g-w > 1e-9 || w-g > 1e-9 {
			t.Errorf("%s: suite has %v (present %v), gpt2_more.csv %v", k, g, ok, w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("suite has %d CoQA/summarisation references, the CSV %d", len(got), len(want))
	}
}

func TestSuiteErrors(t *testing.T) {
	tests := map[string]string{
		"unknown key":  "models: [m]\ntasks: [lambada_openai]\nmodle: x\n",
		"no models":    "tasks: [lambada_openai]\n",
		"no tasks":     "models: [m]\n",
		"bad shots":    "models: [m]\ntasks: [{name: t, shots: [-1]}]\n",
		"empty":        "",
		"not yaml map": "- a\n- b\n",
	}
	for name, src := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := Parse([]byte(src), "s.yaml"); err == nil || !strings.Contains(err.Error(), "s.yaml") {
				t.Errorf("error %v, want one naming s.yaml", err)
			}
		})
	}
	s, err := Parse([]byte("models: [a, b]\ntasks:\n  - lambada_openai\n  - {name: wikitext2, limit: 3}\nshots: [0, 1]\n"), "ok.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Tasks) != 2 || s.Tasks[1].Limit != 3 || s.Tasks[0].Name != "lambada_openai" {
		t.Errorf("parsed %+v", s)
	}
}

// FuzzParseSuite: Parse never panics, an accepted suite has models and
// named tasks without negative counts, and a refused one is named in the
// error. Seeds include the shipped suites and corrupted copies of them.
func FuzzParseSuite(f *testing.F) {
	f.Add([]byte("models: [a]\ntasks: [lambada_openai]\n"))
	f.Add([]byte("models: [a]\ntasks:\n  - {name: t, limit: 2, shots: [0, 1]}\nreferences:\n  - {model: a, value: 1}\n"))
	shipped, _ := filepath.Glob(filepath.Join("..", "..", "suites", "*.yaml"))
	if len(shipped) == 0 {
		f.Fatal("no suites/*.yaml to seed from")
	}
	for _, path := range shipped {
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		src := string(b)
		f.Add(b)
		for _, c := range corruptions(src) {
			f.Add([]byte(c))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse(data, "fuzz.yaml")
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.yaml") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if len(s.Models) == 0 || len(s.Tasks) == 0 {
			t.Fatalf("accepted a suite without models or tasks: %+v", s)
		}
		for i, task := range s.Tasks {
			if task.Name == "" || task.Limit < 0 || task.RollingStride < 0 || slices.ContainsFunc(task.Shots, func(k int) bool { return k < 0 }) {
				t.Fatalf("accepted tasks[%d] = %+v", i, task)
			}
		}
	})
}

// corruptions returns damaged copies of a suite file: cut at several
// points, a line dropped, keys misspelt, values made negative or of the
// wrong type, indentation broken.
func corruptions(src string) []string {
	var out []string
	for _, frac := range []int{4, 3, 2} {
		out = append(out, src[:len(src)/frac])
	}
	lines := strings.Split(src, "\n")
	for _, i := range []int{len(lines) / 3, len(lines) / 2} {
		out = append(out, strings.Join(slices.Delete(slices.Clone(lines), i, i+1), "\n"))
	}
	for _, r := range [][2]string{
		{"tasks:", "taks:"}, {"models:", "model:"}, {"shots: [0", "shots: [-1"}, {"shots: [0]", "shots: zero"},
		{"  - ", "\t- "}, {"name: ", "name:\n"}, {"seeds: [", "seeds: [-"}, {"variant: gpt3", "variant: [gpt3"},
		{"value: ", "value: x"}, {"{", ""},
	} {
		if c := strings.Replace(src, r[0], r[1], 1); c != src {
			out = append(out, c)
		}
	}
	return out
}
