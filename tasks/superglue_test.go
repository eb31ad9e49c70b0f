package tasks

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/kshot-eval/kshot/datasets"
	"github.com/kshot-eval/kshot/eval"
	"github.com/kshot-eval/kshot/internal/sharedtest"
)

// TestSuperglueLabel: the label forms SuperGLUE rows come in — integers
// (COPA, MultiRC, the Hub), JSON booleans (the official BoolQ, WiC and
// WSC files) and the strings "true"/"false" (the OpenCompass bundle in
// ../shared/data/superglue, see SOURCES.md) — false being 0 as in the
// Hub's ClassLabel (aps/super_glue boolq: 0 False, 1 True).
func TestSuperglueLabel(t *testing.T) {
	for _, c := range []struct {
		line    string
		want    int
		errHave string
	}{
		{`{"label": 1}`, 1, ""},
		{`{"label": 0}`, 0, ""},
		{`{"label": "1"}`, 1, ""},
		{`{"label": true}`, 1, ""},
		{`{"label": false}`, 0, ""},
		{`{"label": "true"}`, 1, ""},
		{`{"label": "false"}`, 0, ""},
		{`{"label": "False"}`, 0, ""},
		{`{"label": 2}`, 0, `is 2, want 0 to 1 or one of ["false" "true"]`},
		{`{"label": "maybe"}`, 0, `"maybe", want 0 to 1 or one of ["false" "true"]`},
		{`{"label": [1]}`, 0, "label"},
		{`{"lable": 1}`, 0, `did you mean "lable"?`},
	} {
		t.Run(c.line, func(t *testing.T) {
			p := writeFile(t, "l.jsonl", c.line+"\n")
			var got int
			var err error
			for row, rerr := range datasets.Open(p) {
				if rerr != nil {
					t.Fatal(rerr)
				}
				got, err = superglueBinary(row, "label")
			}
			if c.errHave != "" {
				if err == nil || !strings.Contains(err.Error(), c.errHave) || !strings.Contains(err.Error(), "l.jsonl:1") {
					t.Fatalf("got %d, %v; want an error naming l.jsonl:1 and containing %q", got, err, c.errHave)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("got %d, %v; want %d", got, err, c.want)
			}
		})
	}
}

// TestBoolQLabelForms: BoolQ's validation rows with the label as an
// integer, a JSON boolean or a string give the same document; before,
// kshot refused the string and boolean forms.
func TestBoolQLabelForms(t *testing.T) {
	for _, label := range []string{`1`, `true`, `"true"`} {
		p := writeFile(t, "b.jsonl", `{"question": "is a cat a mammal", "passage": "Cat -- Cats are mammals.", "idx": 0, "label": `+label+`}`+"\n")
		in := instances(t, "boolq", Options{DataPath: p}, 0)
		if g := in[0].Doc.(mcDoc).Gold; g != 1 {
			t.Errorf("label %s: gold %d, want 1", label, g)
		}
		if got := options(t, in[0].Requests[0])[1]; got != [2]string{"Cat -- Cats are mammals.\nQuestion: is a cat a mammal?\nAnswer:", " yes"} {
			t.Errorf("label %s: option %q", label, got)
		}
	}
}

// TestPreferredDataFile: with both forms of a data set in the data
// directory the original is read and the task's notes say so, naming the
// other; with one form there is no note; with none the error names both.
func TestPreferredDataFile(t *testing.T) {
	dataDir := sharedtest.Path(t, "data")
	task, err := New("copa", Options{DataDir: dataDir})
	if err != nil {
		t.Fatal(err)
	}
	n := Notes(task)
	if len(n) != 1 || !strings.Contains(n[0], filepath.Join(dataDir, "superglue/copa_val.jsonl")) || !strings.Contains(n[0], "copa/llmfoundry_copa.jsonl") {
		t.Errorf("copa notes %q, want one naming the SuperGLUE file read and the llm-foundry copy", n)
	}
	one := t.TempDir()
	if err := os.MkdirAll(filepath.Join(one, "copa"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(one, "copa/llmfoundry_copa.jsonl"), []byte(`{"query": "A, therefore", "choices": ["b.", "c."], "gold": 1}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	task, err = New("copa", Options{DataDir: one})
	if err != nil {
		t.Fatal(err)
	}
	if n := Notes(task); len(n) != 0 {
		t.Errorf("one local form: notes %q, want none", n)
	}
	_, err = New("copa", Options{DataDir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "superglue/copa_val.jsonl or copa/llmfoundry_copa.jsonl") {
		t.Errorf("no local form: error %v, want one naming both files", err)
	}
}

// TestWSC273OriginalFields: WSC273's original rows (the Hub's
// winograd_wsc, wsc273, which lm-evaluation-harness reads) processed as
// wsc273/utils.py does, rendered by hand from wsc273/default.yaml at
// lm-evaluation-harness 4e7e0d47f33b: double spaces made single, the
// option lower-cased inside a sentence ("The" → "the") but not at its
// start, "'s" after a possessive pronoun, the continuation the delimiter
// and text[pronoun_loc+len(pronoun):] with its own space.
func TestWSC273OriginalFields(t *testing.T) {
	rows := `{"text": "The city councilmen refused the demonstrators a permit because they feared violence.", "pronoun": "they", "pronoun_loc": 63, "quote": "they feared violence", "quote_loc": 63, "options": ["The city councilmen", "The demonstrators"], "label": 0, "source": "(Winograd 1972)"}
{"text": "Dan took the rear seat while Bill claimed the front because his \"Dibs!\" was slow.", "pronoun": "his", "pronoun_loc": 60, "options": ["Dan", "Bill"], "label": 0}
{"text": "John hired  Bill to take care of him.", "pronoun": "him", "pronoun_loc": 33, "options": ["John", "Bill"], "label": 0}
{"text": "Tom threw his bag down to Ray. He was at the top.", "pronoun": "He", "pronoun_loc": 31, "options": ["Tom", "The man"], "label": 0}
`
	p := writeFile(t, "wsc273.jsonl", rows)
	want := []eval.MultipleChoice{
		eval.PartialChoices([]string{"The city councilmen refused the demonstrators a permit because the city councilmen",
			"The city councilmen refused the demonstrators a permit because the demonstrators"}, "  feared violence."),
		eval.PartialChoices([]string{"Dan took the rear seat while Bill claimed the front because Dan's",
			"Dan took the rear seat while Bill claimed the front because Bill's"}, "  \"Dibs!\" was slow."),
		// "hired  Bill" made "hired Bill" first, pronoun_loc 33 kept: "him" is then at 32, so the
		// contexts keep its "h" and the rest, text[36:], is empty — utils.py's quirk, kept.
		eval.PartialChoices([]string{"John hired Bill to take care of hJohn", "John hired Bill to take care of hBill"}, " "),
		// text[29] is "." : the start of a sentence, "The man" keeps its capital.
		eval.PartialChoices([]string{"Tom threw his bag down to Ray. Tom", "Tom threw his bag down to Ray. The man"}, "  was at the top."),
	}
	in := instances(t, "winograd", Options{DataPath: p}, 0)
	for i, w := range want {
		if got := in[i].Requests[0]; !reflect.DeepEqual(got, w) {
			t.Errorf("row %d:\n got %q\nwant %q", i+1, got, w)
		}
	}
	gpt3 := instances(t, "winograd", Options{DataPath: p, Variant: MCVariantGPT3}, 0)
	if c := gpt3[0].Requests[0].(eval.MultipleChoice).Options[0].Continuation; c != " feared violence." {
		t.Errorf("gpt3 variant continuation %q, want the paper's single space", c)
	}
	bad := writeFile(t, "bad.jsonl", `{"text": "It fell.", "pronoun": "it", "pronoun_loc": 40, "options": ["a", "b"], "label": 0}`+"\n")
	if _, err := New("winograd", Options{DataPath: bad}); err == nil || !strings.Contains(err.Error(), "bad.jsonl:1") || !strings.Contains(err.Error(), "pronoun_loc") {
		t.Errorf("pronoun_loc outside the text: error %v", err)
	}
}
