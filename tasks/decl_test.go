package tasks

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kshot-eval/kshot/eval"
	"github.com/kshot-eval/kshot/internal/sharedtest"
)

// declData names the file a task is built from in TestDeclarations where
// the shared layout lacks its default or the default is slow to read:
// inside the shared data directory, or (testdata/…) this package's
// fixtures. Other tasks read their default file.
var declData = map[string]string{
	"hellaswag":     "hellaswag/hellaswag_val_full.part0.txt",
	"storycloze":    "testdata/gpt3/storycloze.csv",
	"triviaqa":      "testdata/gpt3/triviaqa.jsonl",
	"nq_open":       "testdata/gpt3/nq_open.jsonl",
	"gpt1_sst2":     "testdata/gpt3/sst2.jsonl",
	"gpt1_cola":     "testdata/gpt3/cola.jsonl",
	"gpt1_race":     "testdata/gpt3/race.jsonl",
	"lm1b":          "testdata/papertasks/lm1b.txt",
	"sat_analogies": "testdata/papertasks/sat.txt",
}

// TestDeclarations checks every registered task's declaration against the
// task as built: its metrics are the Spec's, every request of a 0-shot
// build is of the declared kind, a 1-shot build fails exactly when the task
// is declared zero-shot only, and the Spec records the default variant.
// Tasks whose data is absent from the shared directory are skipped by name.
func TestDeclarations(t *testing.T) {
	dataDir := sharedtest.Path(t, "data")
	built := 0
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			d, err := Declared(name)
			if err != nil {
				t.Fatal(err)
			}
			o := Options{DataDir: dataDir}
			if rel, ok := declData[name]; ok {
				o.DataPath = filepath.Join(dataDir, rel)
				if strings.HasPrefix(rel, "testdata/") {
					o.DataPath = rel
				}
			}
			task, err := New(name, o)
			if err != nil {
				if strings.Contains(err.Error(), "not found in data directory") {
					t.Skipf("no shared data: %v", err)
				}
				t.Fatal(err)
			}
			built++
			spec := task.Spec()
			var metrics []string
			for _, m := range spec.Metrics {
				metrics = append(metrics, m.Name)
			}
			if !slices.Equal(metrics, d.Metrics) {
				t.Errorf("Spec metrics %v, declared %v", metrics, d.Metrics)
			}
			if spec.Kind != d.Kind || spec.ZeroShotOnly != d.ZeroShotOnly {
				t.Errorf("Spec kind %v zero-shot-only %v, declared %v %v", spec.Kind, spec.ZeroShotOnly, d.Kind, d.ZeroShotOnly)
			}
			if want, _ := d.Variant(name, ""); spec.Variant != want || want == "" {
				t.Errorf("Spec variant %q, want the default %q", spec.Variant, want)
			}
			insts, err := task.Instances(0, 1234)
			if err != nil {
				t.Fatal(err)
			}
			for _, in := range insts[:min(len(insts), 50)] {
				for _, r := range in.Requests {
					if k := eval.KindOf(r); k != d.Kind {
						t.Fatalf("document %d sends a %v request, declared %v", in.DocID, k, d.Kind)
					}
				}
			}
			if _, err := task.Instances(1, 1234); (err != nil) != d.ZeroShotOnly {
				t.Errorf("1-shot error %v, declared zero-shot only %v", err, d.ZeroShotOnly)
			}
		})
	}
	if built < 20 {
		t.Errorf("built only %d tasks from the shared data", built)
	}
}

// TestVariants: every declared variant builds and is recorded by its
// canonical name; a variant a task does not declare is refused with the
// list of its variants — also for tasks with one prompt format, which
// accepted and ignored any variant before.
func TestVariants(t *testing.T) {
	dataDir := sharedtest.Path(t, "data")
	for _, c := range []struct {
		task, variant string
		want          string // canonical name; "" = refused
		errHas        string
	}{
		{"arc_easy", "", DefaultVariant, ""},
		{"arc_easy", "default", DefaultVariant, ""},
		{"arc_easy", "gpt3-typo", "", `task arc_easy has no prompt variant "gpt3-typo" (it has one prompt format, "default": drop the variant)`},
		{"copa", "gpt3", MCVariantGPT3, ""},
		{"copa", "gpt2", "", `task copa has no prompt variant "gpt2"`},
		{"openbookqa", "gpt3", "", `openbookqa has no prompt variant`},
		{"wikitext2", "gpt3", "", `wikitext2 has no prompt variant`},
		{"piqa", "", MCVariantLMEval, ""},
		{"piqa", "gpt3", MCVariantGPT3, ""},
		{"piqa", "gpt4", "", `task piqa has no prompt variant "gpt4" (did you mean "gpt3"? it has "lm-eval", "gpt3")`},
		{"wmt14_fr_en", "", WMTVariantGPT2, ""},
		{"arithmetic_2da", "generated", "lm-eval+generated:2020", ""},
		{"arithmetic_2da", "gpt3+generated:7", "gpt3+generated:7", ""},
		{"arithmetic_2da", "gpt4", "", `unknown variant "gpt4"`},
	} {
		t.Run(c.task+"="+c.variant, func(t *testing.T) {
			d, err := Declared(c.task)
			if err != nil {
				t.Fatal(err)
			}
			got, err := d.Variant(c.task, c.variant)
			if c.want == "" {
				if err == nil || !strings.Contains(err.Error(), c.errHas) {
					t.Fatalf("variant %q: error %v, want one containing %q", c.variant, err, c.errHas)
				}
				if _, err := New(c.task, Options{DataDir: dataDir, Variant: c.variant}); err == nil {
					t.Errorf("New accepted variant %q", c.variant)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("Variant(%q) = %q, %v; want %q", c.variant, got, err, c.want)
			}
			task, err := New(c.task, Options{DataDir: dataDir, Variant: c.variant})
			if err != nil {
				t.Fatal(err)
			}
			if task.Spec().Variant != c.want {
				t.Errorf("Spec().Variant %q, want %q", task.Spec().Variant, c.want)
			}
		})
	}
	var uv *UnknownVariantError
	d, _ := Declared("piqa")
	if _, err := d.Variant("piqa", "gpt4"); !errors.As(err, &uv) || uv.Suggest != "gpt3" {
		t.Errorf("piqa gpt4: %v, want an UnknownVariantError suggesting gpt3", err)
	}
}

// TestCheckDataFile: an empty file, a directory and a missing file are
// refused with the path named.
func TestCheckDataFile(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.jsonl")
	full := filepath.Join(dir, "full.jsonl")
	os.WriteFile(empty, nil, 0o644)
	os.WriteFile(full, []byte("{}\n"), 0o644)
	for _, c := range []struct{ path, errHas string }{
		{full, ""}, {empty, "empty.jsonl is empty"}, {dir, "is a directory"}, {filepath.Join(dir, "nope"), "nope"},
	} {
		err := CheckDataFile(c.path)
		if (c.errHas == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), c.errHas) {
			t.Errorf("CheckDataFile(%s) = %v, want %q", c.path, err, c.errHas)
		}
	}
}

// TestSummary: the declaration line kshot tasks prints.
func TestSummary(t *testing.T) {
	for name, want := range map[string]string{
		"piqa":           "multiple_choice; acc, acc_norm, acc_token; variants lm-eval (default), gpt3; k-shot",
		"lambada_openai": "loglikelihood; perplexity, acc; variant default; zero-shot only",
		"wikitext2":      "loglikelihood_rolling; word_perplexity, byte_perplexity, bits_per_byte; variant default; zero-shot only",
		"wmt14_fr_en":    "generate_until; bleu, ter, chrf; variants gpt2 (default), lm-eval, gpt3; k-shot",
	} {
		d, err := Declared(name)
		if err != nil {
			t.Fatal(err)
		}
		if got := Summary(d); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
}
