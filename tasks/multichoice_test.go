package tasks

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/kshot-eval/kshot/eval"
	"github.com/kshot-eval/kshot/internal/sharedtest"
	"github.com/parquet-go/parquet-go"
)

// writeParquetRows writes rows (structs with parquet tags) to a file
// named name in a temporary directory, as the Hub stores splits.
func writeParquetRows[T any](t *testing.T, name string, rows []T) string {
	t.Helper()
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[T](&buf)
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// options returns the (context, continuation) pairs of a MultipleChoice.
func options(t *testing.T, r eval.Request) [][2]string {
	t.Helper()
	mc, ok := r.(eval.MultipleChoice)
	if !ok {
		t.Fatalf("request %T, want MultipleChoice", r)
	}
	out := make([][2]string, len(mc.Options))
	for i, o := range mc.Options {
		out[i] = [2]string{o.Context, o.Continuation}
	}
	return out
}

func shared(ctx string, conts ...string) [][2]string {
	out := make([][2]string, len(conts))
	for i, c := range conts {
		out[i] = [2]string{ctx, c}
	}
	return out
}

type hellaswagHub struct {
	ActivityLabel string   `parquet:"activity_label"`
	CtxA          string   `parquet:"ctx_a"`
	CtxB          string   `parquet:"ctx_b"`
	Endings       []string `parquet:"endings,list"`
	Label         string   `parquet:"label"`
}

type arcChoices struct {
	Text  []string `parquet:"text,list"`
	Label []string `parquet:"label,list"`
}

type arcHub struct {
	ID        string     `parquet:"id"`
	Question  string     `parquet:"question"`
	Choices   arcChoices `parquet:"choices"`
	AnswerKey string     `parquet:"answerKey"`
}

func TestMultipleChoicePrompts(t *testing.T) {
	// Hub HellaSwag rows: the first is llm-foundry's hellaswag_small.jsonl
	// line 1 (preprocessed there as lm-evaluation-harness does, ctx_b
	// "then" capitalised); the second is a WikiHow context whose
	// preprocessing was worked out by hand: " [title]" → ". ", the other
	// [markers] dropped, double spaces collapsed.
	hsPath := writeParquetRows(t, "validation-00000-of-00001.parquet", []hellaswagHub{
		{"Removing ice from car", "Then, the man writes over the snow covering the window of a car, and a woman wearing winter clothes smiles.", "then",
			[]string{", the man adds wax to the windshield and cuts it.", "b", "c", ", the man continues removing the snow on his car."}, "3"},
		{"Home and Garden", "[header] How to make a pillow [title] Choose your fabric. [step] Cotton is easy to sew.", "",
			[]string{"Cut two [substeps] squares.", "b", "c", "d"}, "0"},
	})
	arcPath := writeParquetRows(t, "test-00000-of-00001.parquet", []arcHub{
		{"q1", "Which gas do plants take in?", arcChoices{[]string{"oxygen", "carbon dioxide"}, []string{"A", "B"}}, "B"},
		{"q2", "What is 2+2?", arcChoices{[]string{"3", "4", "5"}, []string{"1", "2", "3"}}, "2"},
	})
	dir := t.TempDir()
	piqaPath := filepath.Join(dir, "valid.jsonl")
	os.WriteFile(piqaPath, []byte(`{"goal": "Open a jar.", "sol1": "Twist the lid.", "sol2": "Eat the lid. "}`+"\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "valid-labels.lst"), []byte("0\n"), 0o644)

	cases := []struct {
		name, variant, data string
		want                [][2]string
		gold                int
	}{
		{"hellaswag", "", hsPath, shared("Removing ice from car: Then, the man writes over the snow covering the window of a car, and a woman wearing winter clothes smiles. Then",
			" , the man adds wax to the windshield and cuts it.", " b", " c", " , the man continues removing the snow on his car."), 3},
		{"hellaswag", "", writeFile(t, "hs.txt", "Roof shingle removal: A man is sitting on a roof. he\n3\nis using wrap.\nis ripping tiles.\nholds a cube.\nstarts pulling up roofing.\n"),
			shared("Roof shingle removal: A man is sitting on a roof. He", " is using wrap.", " is ripping tiles.", " holds a cube.", " starts pulling up roofing."), 3},
		{"piqa", "", piqaPath, shared("Question: Open a jar.\nAnswer:", " Twist the lid.", " Eat the lid. "), 0},
		{"piqa", "gpt3", piqaPath, shared("Open a jar.", " Twist the lid.", " Eat the lid. "), 0},
		{"piqa", "", writeFile(t, "p.jsonl", `{"query": "Question: Open a jar.\n", "choices": ["Twist the lid.", "Eat it."], "gold": 1}`+"\n"),
			shared("Question: Open a jar.\nAnswer:", " Twist the lid.", " Eat it."), 1},
		{"winogrande", "", writeFile(t, "w.jsonl", `{"sentence": "The trophy didn't fit in the suitcase because _ was too big.", "option1": "the trophy", "option2": "the suitcase", "answer": "1"}`+"\n"),
			[][2]string{{"The trophy didn't fit in the suitcase because the trophy", " was too big."}, {"The trophy didn't fit in the suitcase because the suitcase", " was too big."}}, 0},
		{"arc_easy", "", arcPath, shared("Question: Which gas do plants take in?\nAnswer:", " oxygen", " carbon dioxide"), 1},
		{"arc_challenge", "", writeFile(t, "a.jsonl", `{"query": "Question: Which gas do plants take in?", "choices": ["oxygen", "carbon dioxide"], "gold": 1}`+"\n"),
			shared("Question: Which gas do plants take in?\nAnswer:", " oxygen", " carbon dioxide"), 1},
		{"openbookqa", "", writeFile(t, "o.jsonl", `{"id": "7", "question_stem": "Predators eat", "choices": {"text": ["lions", "grass"], "label": ["A", "B"]}, "answerKey": " A"}`+"\n"),
			shared("Predators eat", " lions", " grass"), 0},
		// The GPT-3 paper's COPA example (Appendix G): "My body cast a
		// shadow over the grass because" → "the sun was rising."; the
		// lm-eval variant has lm-evaluation-harness's two spaces
		// (super_glue/copa/utils.py doc_to_choice " " + choice, plus the
		// target delimiter " ").
		{"copa", "gpt3", writeFile(t, "c.jsonl", `{"premise": "My body cast a shadow over the grass.", "choice1": "The sun was rising.", "choice2": "The grass was cut.", "question": "cause", "label": 0}`+"\n"),
			shared("My body cast a shadow over the grass because", " the sun was rising.", " the grass was cut."), 0},
		{"copa", "", writeFile(t, "c.jsonl", `{"premise": "My body cast a shadow over the grass.", "choice1": "The sun was rising.", "choice2": "The grass was cut.", "question": "cause", "label": 0}`+"\n"),
			shared("My body cast a shadow over the grass because", "  the sun was rising.", "  the grass was cut."), 0},
		{"copa", "", writeFile(t, "c2.jsonl", `{"query": "The man turned on the faucet, therefore", "gold": 1, "choices": ["the toilet filled with water.", "water flowed from the spout."]}`+"\n"),
			shared("The man turned on the faucet therefore", "  the toilet filled with water.", "  water flowed from the spout."), 1},
		{"copa", "gpt3", writeFile(t, "c2.jsonl", `{"query": "The man turned on the faucet, therefore", "gold": 1, "choices": ["the toilet filled with water.", "water flowed from the spout."]}`+"\n"),
			shared("The man turned on the faucet therefore", " the toilet filled with water.", " water flowed from the spout."), 1},
		{"boolq", "", writeFile(t, "b.jsonl", `{"passage": "Cats are mammals.", "question": "is a cat a mammal", "label": 1}`+"\n"),
			shared("Cats are mammals.\nQuestion: is a cat a mammal?\nAnswer:", " no", " yes"), 1},
		{"boolq", "", writeFile(t, "b2.jsonl", `{"passage": "Cats are mammals.", "question": "is a cat a fish", "answer": false}`+"\n"),
			shared("Cats are mammals.\nQuestion: is a cat a fish?\nAnswer:", " no", " yes"), 0},
		// GPT-3's Figure G.29: "…\nquestion: …?\nanswer:".
		{"boolq", "gpt3", writeFile(t, "b4.jsonl", `{"passage": "Cats are mammals.", "question": "is a cat a mammal", "label": 1}`+"\n"),
			shared("Cats are mammals.\nquestion: is a cat a mammal?\nanswer:", " no", " yes"), 1},
		{"boolq", "gpt3", writeFile(t, "b5.jsonl", `{"query": "Passage: Cats are mammals.\nQuestion: is a cat a mammal?", "choices": ["no", "yes"], "gold": 1}`+"\n"),
			shared("Cats are mammals.\nquestion: is a cat a mammal?\nanswer:", " no", " yes"), 1},
		{"boolq", "", writeFile(t, "b3.jsonl", `{"query": "Passage: Cats are mammals.\nQuestion: is a cat a mammal?", "choices": ["no", "yes"], "gold": 1}`+"\n"),
			shared("Cats are mammals.\nQuestion: is a cat a mammal?\nAnswer:", " no", " yes"), 1},
		{"storycloze", "", writeFile(t, "s.csv", "InputStoryid,InputSentence1,InputSentence2,InputSentence3,InputSentence4,RandomFifthSentenceQuiz1,RandomFifthSentenceQuiz2,AnswerRightEnding\n"+
			"x1,Bob was hungry.,He went to the store.,He bought bread.,He went home.,Bob ate the bread.,Bob flew to Mars.,1\n"),
			shared("Bob was hungry. He went to the store. He bought bread. He went home.", " Bob ate the bread.", " Bob flew to Mars."), 0},
	}
	for _, c := range cases {
		t.Run(c.name+"/"+filepath.Base(c.data)+"/"+c.variant, func(t *testing.T) {
			in := instances(t, c.name, Options{DataPath: c.data, Variant: c.variant}, 0)
			if got := options(t, in[0].Requests[0]); !reflect.DeepEqual(got, c.want) {
				t.Errorf("options\n got %q\nwant %q", got, c.want)
			}
			if g := in[0].Doc.(mcDoc).Gold; g != c.gold {
				t.Errorf("gold %d, want %d", g, c.gold)
			}
		})
	}
	// The WikiHow row of the Hub file.
	in := instances(t, "hellaswag", Options{DataPath: hsPath}, 0)
	if got := options(t, in[1].Requests[0])[0]; got != [2]string{"Home and Garden: How to make a pillow. Choose your fabric. Cotton is easy to sew.", " Cut two squares."} {
		t.Errorf("preprocessed WikiHow option %q", got)
	}
	// ARC's unconditional request and its label keys "1", "2", "3".
	in = instances(t, "arc_easy", Options{DataPath: arcPath}, 0)
	if len(in[0].Requests) != 2 || !reflect.DeepEqual(options(t, in[0].Requests[1]), shared(UncondContext, " oxygen", " carbon dioxide")) {
		t.Errorf("unconditional request %+v", in[0].Requests)
	}
	if g := in[1].Doc.(mcDoc).Gold; g != 1 {
		t.Errorf("numeric answer key: gold %d, want 1", g)
	}
}

func TestMultipleChoiceFewShot(t *testing.T) {
	p := writeFile(t, "c.jsonl", `{"query": "A, therefore", "choices": ["b.", "c."], "gold": 1}`+"\n"+`{"query": "D, because", "choices": ["e.", "f."], "gold": 0}`+"\n")
	in := instances(t, "copa", Options{DataPath: p, Variant: MCVariantGPT3}, 1)
	// The only other document is the example: its context, a space, its
	// correct choice, a blank line.
	if got := options(t, in[0].Requests[0]); !reflect.DeepEqual(got, shared("D because e.\n\nA therefore", " b.", " c.")) {
		t.Errorf("1-shot options %q", got)
	}
	// lm-evaluation-harness's example: doc_to_text, the target delimiter
	// " ", doc_to_target " " + choice — two spaces there too.
	in = instances(t, "copa", Options{DataPath: p}, 1)
	if got := options(t, in[0].Requests[0]); !reflect.DeepEqual(got, shared("D because  e.\n\nA therefore", "  b.", "  c.")) {
		t.Errorf("lm-eval 1-shot options %q", got)
	}
	w := writeFile(t, "w.jsonl", `{"context_options": ["X a", "X b"], "continuation": "ran.", "gold": 1}`+"\n"+`{"context_options": ["Y c", "Y d"], "continuation": "sat.", "gold": 0}`+"\n")
	in = instances(t, "winogrande", Options{DataPath: w}, 1)
	if got := options(t, in[1].Requests[0]); !reflect.DeepEqual(got, [][2]string{{"X b ran.\n\nY c", " sat."}, {"X b ran.\n\nY d", " sat."}}) {
		t.Errorf("winogrande 1-shot options %q", got)
	}
}

func TestMultipleChoiceScore(t *testing.T) {
	p := writeFile(t, "a.jsonl", `{"query": "Question: Q", "choices": ["ab", "abcdefgh"], "gold": 1}`+"\n")
	task, err := New("arc_easy", Options{DataPath: p})
	if err != nil {
		t.Fatal(err)
	}
	in, _ := task.Instances(0, 1)
	// By hand: log-likelihoods −4 and −8 pick option 0 (acc 0); per
	// character −2 and −1 pick option 1 (acc_norm 1); per token (1 and 4
	// tokens) −4 and −2 pick option 1 (acc_token 1); minus the
	// unconditional −1 and −9 they are −3 and +1 (acc_uncond 1).
	cond := eval.ChoiceResult{Options: []eval.LoglikelihoodResult{{LogProb: -4, Tokens: 1}, {LogProb: -8, Tokens: 4}}}
	uncond := eval.ChoiceResult{Options: []eval.LoglikelihoodResult{{LogProb: -1, Tokens: 1}, {LogProb: -9, Tokens: 4}}}
	s, err := task.Score(in[0], []eval.Response{cond, uncond})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]float64{"acc": {0, 1}, "acc_norm": {1, 1}, "acc_token": {1, 1}, "acc_uncond": {1, 1}}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("stats %v, want %v", s, want)
	}
	var names []string
	for _, m := range task.Spec().Metrics {
		names = append(names, m.Name)
	}
	if !reflect.DeepEqual(names, []string{"acc", "acc_norm", "acc_token", "acc_uncond"}) {
		t.Errorf("metrics %v", names)
	}
}

func TestMultipleChoiceBadInput(t *testing.T) {
	cases := []struct {
		task, body string
		want       []string // substrings of the error
	}{
		{"arc_easy", `{"query": "Q", "choices": ["a", "b"], "gold": 2}`, []string{"bad.jsonl:1", "gold label 2 is out of range"}},
		{"arc_easy", `{"query": "Q", "choices": ["a", "b"], "gold": -1}`, []string{"bad.jsonl:1", "out of range"}},
		{"arc_easy", `{"query": "Q", "choices": [], "gold": 0}`, []string{"bad.jsonl:1", "at least 2 options"}},
		{"openbookqa", `{"query": "Q", "choices": ["a", " "], "gold": 0}`, []string{"bad.jsonl:1", "choice 1 is empty"}},
		{"winogrande", `{"sentence": "no blank here", "option1": "a", "option2": "b", "answer": "1"}`, []string{"bad.jsonl:1", "sentence", "blank"}},
		{"winogrande", `{"sentence": "a _ b", "option1": "a", "option2": "b", "answer": "3"}`, []string{"bad.jsonl:1", "answer", "1 or 2"}},
		{"copa", `{"premise": "P.", "choice1": "a", "choice2": "b", "question": "why", "label": 0}`, []string{"bad.jsonl:1", "question"}},
		{"arc_challenge", `{"question": "Q", "choices": {"text": ["a", "b"], "label": ["A", "B"]}, "answerKey": "E"}`, []string{"bad.jsonl:1", "answerKey"}},
		{"hellaswag", `{"activity_label": "x", "ctx_a": "a", "ctx_b": "b", "endings": ["1", "2"], "label": ""}`, []string{"bad.jsonl:1", "label"}},
	}
	for _, c := range cases {
		t.Run(c.task, func(t *testing.T) {
			p := writeFile(t, "bad.jsonl", c.body+"\n")
			_, err := New(c.task, Options{DataPath: p})
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
	// A text-form HellaSwag file cut mid-item.
	if _, err := New("hellaswag", Options{DataPath: writeFile(t, "h.txt", "a\n0\nb\nc\n")}); err == nil || !strings.Contains(err.Error(), "multiple of 6") {
		t.Errorf("truncated text form: %v", err)
	}
	// PIQA's labels file must have one label per record.
	dir := t.TempDir()
	p := filepath.Join(dir, "valid.jsonl")
	os.WriteFile(p, []byte(`{"goal": "g", "sol1": "a", "sol2": "b"}`+"\n"+`{"goal": "h", "sol1": "a", "sol2": "b"}`+"\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "valid-labels.lst"), []byte("0\n"), 0o644)
	if _, err := New("piqa", Options{DataPath: p}); err == nil || !strings.Contains(err.Error(), "labels file") {
		t.Errorf("short labels file: %v", err)
	}
	// A few-shot pool smaller than k names the document.
	two := writeFile(t, "two.jsonl", `{"query": "Q", "choices": ["a", "b"], "gold": 0}`+"\n"+`{"query": "R", "choices": ["a", "b"], "gold": 1}`+"\n")
	task, _ := New("openbookqa", Options{DataPath: two})
	if _, err := task.Instances(2, 1); err == nil || !strings.Contains(err.Error(), "document 0 (") || !strings.Contains(err.Error(), "two.jsonl:1") {
		t.Errorf("2-shot with a pool of 1: %v", err)
	}
	if _, err := New("piqa", Options{DataPath: p, Variant: "gpt4"}); err == nil || !strings.Contains(err.Error(), "variant") {
		t.Errorf("unknown variant: %v", err)
	}
}

// TestMultipleChoiceShared reads kshot's shared copies and checks their
// sizes (SOURCES.md) and first documents (the files' first lines).
func TestMultipleChoiceShared(t *testing.T) {
	dataDir := sharedtest.Path(t, "data")
	cases := []struct {
		task  string
		n     int
		first [2]string // context and continuation of option 0
		gold  int
	}{
		{"piqa", 1838, [2]string{"Question: How do I ready a guinea pig cage for it's new occupants?\nAnswer:", " Provide the guinea pig with a cage full of a few inches of bedding made of ripped paper strips, you will also need to supply it with a water bottle and a food dish."}, 0},
		{"winogrande", 1267, [2]string{"Sarah was a much better surgeon than Maria so Sarah", " always got the easier cases."}, 1},
		{"arc_easy", 2376, [2]string{"Question: Which statement best explains why photosynthesis is the foundation of most food webs?\nAnswer:", " Sunlight is the source of energy for nearly all ecosystems."}, 0},
		{"arc_challenge", 1172, [2]string{}, -1},
		{"openbookqa", 500, [2]string{}, 1},
		{"copa", 100, [2]string{"The man turned on the faucet therefore", "  the toilet filled with water."}, 1},
		{"boolq", 3270, [2]string{}, 0},
	}
	for _, c := range cases {
		t.Run(c.task, func(t *testing.T) {
			in := instances(t, c.task, Options{DataDir: dataDir}, 0)
			if len(in) != c.n {
				t.Errorf("%d documents, want %d", len(in), c.n)
			}
			if c.first != ([2]string{}) {
				if got := options(t, in[0].Requests[0])[0]; got != c.first {
					t.Errorf("first option %q, want %q", got, c.first)
				}
			}
			if g := in[0].Doc.(mcDoc).Gold; c.gold >= 0 && g != c.gold {
				t.Errorf("first gold %d, want %d", g, c.gold)
			}
		})
	}
	// HellaSwag's text form in its three uncompressed parts: 10042 items
	// in all; validation item 0 (ctx_a "A man is sitting on a roof.",
	// ctx_b "he") gets lm-evaluation-harness's capital He.
	total := 0
	for i, part := range []string{"part0", "part1", "part2"} {
		in := instances(t, "hellaswag", Options{DataPath: sharedtest.Path(t, "data/hellaswag/hellaswag_val_full."+part+".txt")}, 0)
		total += len(in)
		if i == 0 {
			if got := options(t, in[0].Requests[0])[3]; got != [2]string{"Roof shingle removal: A man is sitting on a roof. He", " starts pulling up roofing on a roof."} {
				t.Errorf("first item, option 3: %q", got)
			}
		}
	}
	if total != 10042 {
		t.Errorf("%d HellaSwag items, want 10042", total)
	}
}

func TestHellaswagTextQuery(t *testing.T) {
	for in, want := range map[string]string{
		"Roof shingle removal: A man is sitting on a roof. he":   "Roof shingle removal: A man is sitting on a roof. He",
		"Clean and jerk: A lady walks. She bends down. the lady": "Clean and jerk: A lady walks. She bends down. The lady",
		"High jump: the boy":                                                    "High jump: The boy",
		"Home: How to sew. Choose your fabric.":                                 "Home: How to sew. Choose your fabric.",
		`Playing saxophone: 1 a guy is playing. 2 a guy`:                        `Playing saxophone: 1 a guy is playing. 2 a guy`,
		`Knives: A "trend routing technology" logo appears. " knife sharpening`: `Knives: A "trend routing technology" logo appears. " knife sharpening`,
		"Camel ride: Is it hot? the camel":                                      "Camel ride: Is it hot? The camel",
	} {
		if got := hellaswagTextQuery(in); got != want {
			t.Errorf("%q → %q, want %q", in, got, want)
		}
	}
	if got := pyCapitalize("the LADY"); got != "The lady" {
		t.Errorf("Python capitalize %q", got)
	}
}
