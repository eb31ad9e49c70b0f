package tasks

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/kshot-eval/kshot/internal/sharedtest"
	"github.com/kshot-eval/kshot/internal/suggest"
)

// The per-task tables of docs/tasks.md: every table whose first header
// cell is "kshot task". Columns are found by their header.
const (
	docTasksPath   = "../docs/tasks.md"
	docColTask     = "kshot task"
	docColYAML     = "lm-eval YAML"
	docColVariants = "variants"
	docColLMEval   = "lm-eval's keys"
	docColKshot    = "kshot-only keys"
)

// docRow is one row of a per-task table.
type docRow struct {
	line  int               // 1-based line in docs/tasks.md
	cells map[string]string // header → cell text
}

// readTaskDoc reads the rows of docs/tasks.md's per-task tables, keyed
// by task name. A table lacking one of the columns the test reads, or a
// task with two rows, is an error.
func readTaskDoc(t *testing.T) map[string]docRow {
	t.Helper()
	raw, err := os.ReadFile(docTasksPath)
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]docRow{}
	var header []string // the current table's header; nil outside a per-task table
	split := func(line string) []string {
		cells := strings.Split(strings.TrimSpace(line), "|")
		cells = cells[1 : len(cells)-1] // the empty strings before the first and after the last "|"
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		return cells
	}
	lines := strings.Split(string(raw), "\n")
	for i := 0; i < len(lines); i++ {
		line := strings.TrimSpace(lines[i])
		if !strings.HasPrefix(line, "|") || !strings.HasSuffix(line, "|") {
			header = nil
			continue
		}
		cells := split(line)
		if header == nil {
			if cells[0] != docColTask {
				continue
			}
			header = cells
			for _, want := range []string{docColYAML, docColVariants, docColLMEval, docColKshot} {
				if !slices.Contains(header, want) {
					t.Errorf("docs/tasks.md:%d: the table has no %q column (it has %q)", i+1, want, header)
				}
			}
			i++ // the |---| line
			continue
		}
		if len(cells) != len(header) {
			t.Errorf("docs/tasks.md:%d: %d cells, the table's header has %d", i+1, len(cells), len(header))
			continue
		}
		r := docRow{line: i + 1, cells: map[string]string{}}
		for j, h := range header {
			r.cells[h] = cells[j]
		}
		name := strings.Trim(r.cells[docColTask], "`")
		if prev, dup := rows[name]; dup {
			t.Errorf("docs/tasks.md:%d: task %s has a second row (the first is line %d)", i+1, name, prev.line)
		}
		rows[name] = r
	}
	return rows
}

var docCode = regexp.MustCompile("`([^`]+)`")

// codeSpans returns the `quoted` words of s.
func codeSpans(s string) []string {
	var out []string
	for _, m := range docCode.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	return out
}

// docVariantGroup is the start of a key cell's group that applies to some
// variants only: "`gpt3`: `exact_match,none`".
var docVariantGroup = regexp.MustCompile("^((?:`[^`,]+`\\s*,?\\s*)+):(.*)$")

// docKeys returns the results keys a key cell gives each variant of
// variants. The cell is groups separated by ";"; a group that starts with
// variant names and a colon ("`gpt3`: `exact_match,none`") applies to
// those variants, a group without one to every other variant; "—" or an
// empty cell is no key.
func docKeys(cell string, variants []string) (map[string][]string, error) {
	named := map[string][]string{}
	var rest []string
	for _, g := range strings.Split(cell, ";") {
		g = strings.TrimSpace(g)
		var vs []string
		if m := docVariantGroup.FindStringSubmatch(g); m != nil {
			vs, g = codeSpans(m[1]), m[2]
		}
		var keys []string
		for _, k := range codeSpans(g) {
			name, filter, ok := strings.Cut(k, ",")
			if !ok || name == "" || filter == "" || strings.ContainsAny(filter, ", ") {
				return nil, fmt.Errorf("%q is not a results key metric,filter", k)
			}
			keys = append(keys, k)
		}
		if vs == nil {
			rest = append(rest, keys...)
			continue
		}
		for _, v := range vs {
			if !slices.Contains(variants, v) {
				return nil, fmt.Errorf("the task has no variant %q (it has %q)", v, variants)
			}
			named[v] = append(named[v], keys...)
		}
	}
	out := map[string][]string{}
	for _, v := range variants {
		keys, ok := named[v]
		if !ok {
			keys = rest
		}
		out[v] = keys
	}
	return out, nil
}

// rowKeys returns the keys a row gives each variant, both key columns
// together, sorted.
func rowKeys(r docRow, variants []string) (map[string][]string, error) {
	out := map[string][]string{}
	for _, col := range []string{docColLMEval, docColKshot} {
		keys, err := docKeys(r.cells[col], variants)
		if err != nil {
			return nil, fmt.Errorf("column %q: %w", col, err)
		}
		for v, ks := range keys {
			for _, k := range ks {
				if slices.Contains(out[v], k) {
					return nil, fmt.Errorf("variant %s: key %s is listed twice", v, k)
				}
			}
			out[v] = append(out[v], ks...)
		}
	}
	for v := range out {
		slices.Sort(out[v])
	}
	return out, nil
}

// TestTasksDocCoversEveryTask checks the per-task tables of docs/tasks.md
// against the registry: one row for every registered task and none for a
// task that does not exist, the row's variants those the task declares
// (the default first), its results keys' metric names the declared
// metrics, and the lm-eval YAML that TestRequestsMatchLMEval renders a
// task's requests from named in the task's row. With kshot's shared data
// it also builds every variant of every task and compares its results
// keys (metric,filter) with the row's, variant by variant.
func TestTasksDocCoversEveryTask(t *testing.T) {
	rows := readTaskDoc(t)
	names := Names()
	for name, r := range rows {
		if !slices.Contains(names, name) {
			hint := ""
			if s := suggest.Closest(name, names); s != "" {
				hint = fmt.Sprintf(" (did you mean %s?)", s)
			}
			t.Errorf("docs/tasks.md:%d: row for %s, which is not a registered task%s", r.line, name, hint)
		}
	}
	for _, name := range names {
		r, ok := rows[name]
		if !ok {
			t.Errorf("task %s has no row in docs/tasks.md's per-task tables", name)
			continue
		}
		d, err := Declared(name)
		if err != nil {
			t.Fatal(err)
		}
		variants := d.variants()
		if got := codeSpans(r.cells[docColVariants]); !slices.Equal(got, variants) {
			t.Errorf("docs/tasks.md:%d: %s has variants %q, the table says %q (the default first)", r.line, name, variants, got)
		}
		keys, err := rowKeys(r, variants)
		if err != nil {
			t.Errorf("docs/tasks.md:%d: %s: %v", r.line, name, err)
			continue
		}
		want := slices.Sorted(slices.Values(d.Metrics))
		for _, v := range variants {
			var got []string
			for _, k := range keys[v] {
				m, _, _ := strings.Cut(k, ",")
				got = append(got, m)
			}
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("docs/tasks.md:%d: %s (variant %s) declares metrics %q, the table's keys %q", r.line, name, v, want, keys[v])
			}
		}
	}
	for _, c := range lmEvalCases() {
		yaml, _, _ := strings.Cut(c.yaml, " ")
		if r, ok := rows[c.task]; ok && !strings.Contains(r.cells[docColYAML], "`"+yaml+"`") {
			t.Errorf("docs/tasks.md:%d: %s's requests are checked against lm-eval's %s (TestRequestsMatchLMEval); its row's YAML is %q", r.line, c.task, yaml, r.cells[docColYAML])
		}
	}

	t.Run("keys", func(t *testing.T) {
		dataDir := sharedtest.Path(t, "data")
		for _, name := range names {
			r, ok := rows[name]
			if !ok {
				continue // reported above
			}
			d, _ := Declared(name)
			keys, err := rowKeys(r, d.variants())
			if err != nil {
				continue // reported above
			}
			for _, v := range d.variants() {
				task, err := New(name, docTestOptions(dataDir, name, v))
				if err != nil {
					t.Errorf("%s (variant %s): %v", name, v, err)
					continue
				}
				var got []string
				for _, m := range task.Spec().Metrics {
					got = append(got, m.Name+","+m.FilterName())
				}
				slices.Sort(got)
				if !slices.Equal(got, keys[v]) {
					t.Errorf("docs/tasks.md:%d: %s (variant %s) writes results keys %q, the table says %q", r.line, name, v, got, keys[v])
				}
			}
		}
	})
}

// docTestOptions are the options that build task name, variant v, on
// kshot's shared data or on a fixture where the shared data lacks the
// task's data set.
func docTestOptions(dataDir, name, v string) Options {
	fixture := func(name string) string { return filepath.Join("testdata", name) }
	data := map[string]string{
		"storycloze": fixture("gpt3/storycloze.csv"), "triviaqa": fixture("gpt3/triviaqa.jsonl"), "nq_open": fixture("gpt3/nq_open.jsonl"),
		"gpt1_sst2": fixture("gpt3/sst2.jsonl"), "gpt1_race": fixture("gpt3/race.jsonl"), "gpt1_cola": fixture("gpt3/cola.jsonl"),
		"cbt_cn": fixture("hashes/cbt.txt"), "cbt_ne": fixture("hashes/cbt.txt"), "enwik8": fixture("hashes/enwik8"),
		"text8": fixture("hashes/text8"), "lambada_standard": fixture("hashes/lambada_standard.jsonl"),
		"wikitext103": filepath.Join(dataDir, "wikitext2", "wiki.test.raw"),
		"hellaswag":   filepath.Join(dataDir, "hellaswag", "hellaswag_val_full.part0.txt"),
		"lm1b":        fixture("papertasks/lm1b.txt"), "sat_analogies": fixture("papertasks/sat.txt"),
	}
	for task, file := range map[string]string{"coqa": "coqa-dev.json", "squadv2": "dev-v2.0.json", "drop": "drop_dataset_dev.json",
		"record": "record_val.jsonl", "webqs": "webqs.jsonl", "webqs_gpt3": "webqs.jsonl", "cnn_dailymail": "cnn_dailymail.jsonl"} {
		data[task] = scorerFixture(file)
	}
	o := Options{DataDir: dataDir, DataPath: data[name], Variant: v}
	if strings.HasPrefix(name, "synth_") {
		o.DataDir = ""
	}
	return o
}
