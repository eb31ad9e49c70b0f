package tasks

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kshot-eval/kshot/eval"
	"github.com/kshot-eval/kshot/internal/sharedtest"
)

// TestPaperTaskPrompts checks the zero-shot requests of the new
// multiple-choice tasks against strings written by hand from
// lm-evaluation-harness's task YAMLs (commit 4e7e0d47) and from the GPT-3
// paper's Appendix G figures, on hand-built rows in each label form the
// readers accept. The gold option is checked through the instance target.
func TestPaperTaskPrompts(t *testing.T) {
	cases := []struct {
		name, task, variant, file, rows string
		context                         string
		conts                           []string
		target                          string
	}{
		{"cb int label", "cb", "", "cb.jsonl",
			`{"premise": "It rained.", "hypothesis": "the ground is wet", "label": 0, "idx": 0}`,
			"It rained.\nQuestion: the ground is wet. True, False, or Neither?\nAnswer:", []string{" True", " False", " Neither"}, " True"},
		{"cb name label", "cb", "", "cb.jsonl",
			`{"premise": "It rained.", "hypothesis": "the ground is wet", "label": "neutral", "idx": 0}`,
			"It rained.\nQuestion: the ground is wet. True, False, or Neither?\nAnswer:", []string{" True", " False", " Neither"}, " Neither"},
		{"cb gpt3", "cb", "gpt3", "cb.jsonl",
			`{"premise": "It rained.", "hypothesis": "the ground is wet", "label": "contradiction"}`,
			"It rained.\nquestion: the ground is wet. true, false, or neither?\nanswer:", []string{" true", " false", " neither"}, " false"},
		{"rte", "rte", "", "rte.jsonl",
			`{"premise": "Ann sold the car.", "hypothesis": "Ann owns the car.", "label": "not_entailment"}`,
			"Ann sold the car.\nQuestion: Ann owns the car. True or False?\nAnswer:", []string{" True", " False"}, " False"},
		{"rte gpt3", "rte", "gpt3", "rte.jsonl",
			`{"premise": "Ann sold the car.", "hypothesis": "Ann had a car.", "label": 0}`,
			"Ann sold the car.\nquestion: Ann had a car. True or False?\nanswer:", []string{" True", " False"}, " True"},
		// WiC: the word is sentence1[start1:end1] in code points (é is
		// one), not the lemma field.
		{"wic string label", "wic", "", "wic.jsonl",
			`{"word": "run", "sentence1": "Café runs late.", "sentence2": "He runs a shop.", "start1": 5, "end1": 9, "start2": 3, "end2": 7, "label": "false"}`,
			"Sentence 1: Café runs late.\nSentence 2: He runs a shop.\nQuestion: Is the word 'runs' used in the same way in the two sentences above?\nAnswer:", []string{" no", " yes"}, " no"},
		{"wic bool label gpt3", "wic", "gpt3", "wic.jsonl",
			`{"word": "bank", "sentence1": "The bank closed.", "sentence2": "A bank loan.", "start1": 4, "end1": 8, "label": true}`,
			"The bank closed.\nA bank loan.\nquestion: Is the word 'bank' used in the same way in the two sentences above?\nanswer:", []string{" no", " yes"}, " yes"},
		// WSC, by hand from preprocess_wsc.default_doc_to_text: pre is the
		// first 4 words, post starts after len(pre)+len("he")+1 characters,
		// then general_detokenize removes the spaces before "," and ".".
		{"wsc nested", "wsc", "", "wsc.jsonl",
			`{"text": "Tom thanked Bill because he had helped him , a lot .", "target": {"span1_index": 0, "span1_text": "Bill", "span2_index": 4, "span2_text": "he"}, "label": false}`,
			"Passage: Tom thanked Bill because *he* had helped him, a lot.\nQuestion: In the passage above, does the pronoun \"*he*\" refer to \"*Bill*\"?\nAnswer:", []string{" no", " yes"}, " no"},
		{"wsc flat string label", "wsc", "", "wsc.jsonl",
			`{"text": "He ( the boy ) can't lift it .", "span1_text": "the boy", "span2_index": 0, "span2_text": "He", "label": "true"}`,
			"Passage:  *He*(the boy) can't lift it.\nQuestion: In the passage above, does the pronoun \"*He*\" refer to \"*the boy*\"?\nAnswer:", []string{" no", " yes"}, " yes"},
		{"anli int label", "anli_r1", "", "anli.jsonl",
			`{"uid": "x", "premise": "A dog ran.", "hypothesis": "An animal moved.", "label": 0}`,
			"A dog ran.\nQuestion: An animal moved. True, False, or Neither?\nAnswer:", []string{" True", " Neither", " False"}, " True"},
		{"anli letter label gpt3", "anli_r3", "gpt3", "anli.jsonl",
			`{"uid": "x", "context": "A dog ran.", "hypothesis": "A cat slept", "label": "c"}`,
			"anli 3: anli 3: A dog ran.\nQuestion: A cat slept True, False, or Neither?", []string{" True", " Neither", " False"}, " False"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			task, err := New(c.task, Options{DataPath: writeFile(t, c.file, c.rows+"\n"), Variant: c.variant})
			if err != nil {
				t.Fatal(err)
			}
			in, err := task.Instances(0, 1234)
			if err != nil {
				t.Fatal(err)
			}
			mc := in[0].Requests[0].(eval.MultipleChoice)
			if len(mc.Options) != len(c.conts) {
				t.Fatalf("%d options, want %d", len(mc.Options), len(c.conts))
			}
			for i, o := range mc.Options {
				if o.Context != c.context {
					t.Errorf("option %d context\n%q\nwant\n%q", i, o.Context, c.context)
				}
				if o.Continuation != c.conts[i] {
					t.Errorf("option %d continuation %q, want %q", i, o.Continuation, c.conts[i])
				}
			}
			if want := c.context + c.target; in[0].Target != want {
				t.Errorf("target %q, want %q", in[0].Target, want)
			}
		})
	}
}

// TestSuperGLUELabelErrors: a label outside the classes is a one-line
// error naming the file, line and field.
func TestSuperGLUELabelErrors(t *testing.T) {
	for _, c := range []struct {
		task, row, want string
	}{
		{"cb", `{"premise": "p", "hypothesis": "h", "label": -1}`, "unlabelled (test) row"},
		{"cb", `{"premise": "p", "hypothesis": "h", "label": 3}`, "is 3, want 0 to 2"},
		{"rte", `{"premise": "p", "hypothesis": "h", "label": "maybe"}`, `is "maybe"`},
		{"rte", `{"premise": "p", "hypothesis": "h", "label": true}`, "boolean"},
		{"wic", `{"sentence1": "ab", "sentence2": "c", "start1": 1, "end1": 5, "label": 0}`, "start1"},
		{"anli_r2", `{"premise": "p", "hypothesis": "h", "label": "x"}`, `one of ["e" "n" "c"]`},
	} {
		t.Run(c.want, func(t *testing.T) {
			path := writeFile(t, c.task+".jsonl", c.row+"\n")
			_, err := New(c.task, Options{DataPath: path})
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			if !strings.Contains(msg, c.want) || !strings.Contains(msg, path+":1") || strings.Contains(msg, "\n") {
				t.Errorf("error %q: want one line naming %s:1 and %q", msg, path, c.want)
			}
		})
	}
}

// raceRows is one hand-built RACE article with three questions, the
// second a fill-in question, in the original one-article form.
const raceArticleRow = `{"id": "high1.txt", "article": "Sam grew beans. They grew tall.", "questions": ["What did Sam grow?", "The beans grew  _  .", "Who grew beans?"], "options": [["beans", "corn", "rice", "wheat"], ["short", "tall", "red", "old"], ["Ann", "Bob", "Sam", "Tom"]], "answers": ["A", "B", "C"]}`

// TestRACE checks the article form and the one-question-per-row form
// (ehovy/race) give the same requests, by hand from lm-evaluation-harness's
// preprocess_race.doc_to_text and from the GPT-3 paper's Figure G.1, with
// the unconditional context of each variant.
func TestRACE(t *testing.T) {
	perQuestion := strings.Join([]string{
		`{"example_id": "high1.txt", "article": "Sam grew beans. They grew tall.", "question": "What did Sam grow?", "options": ["beans", "corn", "rice", "wheat"], "answer": "A"}`,
		`{"example_id": "high1.txt", "article": "Sam grew beans. They grew tall.", "question": "The beans grew  _  .", "options": ["short", "tall", "red", "old"], "answer": "B"}`,
		`{"example_id": "high1.txt", "article": "Sam grew beans. They grew tall.", "question": "Who grew beans?", "options": ["Ann", "Bob", "Sam", "Tom"], "answer": "C"}`,
	}, "\n") + "\n"
	want := map[string][2]string{
		"lm-eval": {"Article: Sam grew beans. They grew tall.\n\nQuestion: What did Sam grow?\nAnswer: beans\nThe beans grew tall\nWho grew beans?", "Answer:"},
		"gpt3":    {"Article: Sam grew beans. They grew tall.\nQ: What did Sam grow?\nA: beans\nQ: The beans grew  _  .\nA: tall\nQ: Who grew beans?\nA:", "A:"},
	}
	// EleutherAI/race: problems as Python's repr writes it.
	problems := `[{'answer': 'A', 'options': ['beans', 'corn', 'rice', 'wheat'], 'question': 'What did Sam grow?'}, ` +
		`{'answer': 'B', 'options': ['short', 'tall', 'red', 'old'], 'question': 'The beans grew  _  .'}, ` +
		`{'answer': 'C', 'options': ['Ann', 'Bob', 'Sam', 'Tom'], 'question': 'Who grew beans?'}]`
	lit, err := json.Marshal(map[string]string{"article": "Sam grew beans. They grew tall.", "problems": problems})
	if err != nil {
		t.Fatal(err)
	}
	for _, form := range []struct{ name, file, rows string }{
		{"article", "race.jsonl", raceArticleRow + "\n"},
		{"question rows", "race.jsonl", perQuestion},
		{"problems literal", "race.jsonl", string(lit) + "\n"},
	} {
		for variant, w := range want {
			t.Run(form.name+"/"+variant, func(t *testing.T) {
				task, err := New("race_high", Options{DataPath: writeFile(t, form.file, form.rows), Variant: variant})
				if err != nil {
					t.Fatal(err)
				}
				in, err := task.Instances(0, 1234)
				if err != nil {
					t.Fatal(err)
				}
				if len(in) != 1 {
					t.Fatalf("%d documents, want 1 (one per article)", len(in))
				}
				mc, un := in[0].Requests[0].(eval.MultipleChoice), in[0].Requests[1].(eval.MultipleChoice)
				if mc.Options[0].Context != w[0] {
					t.Errorf("context\n%q\nwant\n%q", mc.Options[0].Context, w[0])
				}
				if mc.Options[2].Continuation != " Sam" || in[0].Target != w[0]+" Sam" {
					t.Errorf("option 2 %q, target %q: want \" Sam\", the gold", mc.Options[2].Continuation, in[0].Target)
				}
				if un.Options[1].Context != w[1] || un.Options[1].Continuation != " Bob" {
					t.Errorf("unconditional option %+v, want context %q", un.Options[1], w[1])
				}
			})
		}
	}
	_, err = New("race_middle", Options{DataPath: writeFile(t, "race.jsonl", strings.Replace(raceArticleRow, `"C"]`, `"E"]`, 1)+"\n")})
	if err == nil || !strings.Contains(err.Error(), "answers[2]") {
		t.Errorf("answer E of 4 options: error %v, want one naming answers[2]", err)
	}
}

// TestLM1B checks the detokeniser on hand-worked sentences and the task on
// a hand-built file in the release's form: one document per sentence,
// blank lines dropped and counted, words counted on the tokenised text
// with one end of sentence per line.
func TestLM1B(t *testing.T) {
	for _, c := range [][2]string{
		{"It was n't cheap , he said .", "It wasn't cheap, he said.\n"},
		{`" We 're here , " she said .`, `"We're here," she said.` + "\n"},
		{"Cost : $ 5 ( about 3 % more ) ...", "Cost: $5 (about 3% more)...\n"},
		{`He said " yes " and " no " .`, `He said "yes" and "no".` + "\n"},
	} {
		if got := LM1BDetokenize(c[0]); got != c[1] {
			t.Errorf("LM1BDetokenize(%q) = %q, want %q", c[0], got, c[1])
		}
	}
	task, err := New("lm1b", Options{DataPath: filepath.Join("testdata", "papertasks", "lm1b.txt")})
	if err != nil {
		t.Fatal(err)
	}
	in, err := task.Instances(0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(in) != 4 {
		t.Fatalf("%d documents, want the file's 4 sentences", len(in))
	}
	if got := in[2].Requests[0].(eval.Rolling).Text; got != "Prices rose to $12.50 (up from $11) in the first quarter of the year.\n" {
		t.Errorf("sentence 3 scored as %q", got)
	}
	// Sentence 1 has 20 tokens, plus its end of sentence.
	st, err := task.Score(in[0], []eval.Response{eval.RollingResult{LogProb: -40}})
	if err != nil {
		t.Fatal(err)
	}
	if w := st["word_perplexity"]; w[0] != -40 || w[1] != 21 {
		t.Errorf("word_perplexity statistics %v, want [-40 21]", w)
	}
	if d := Dropped(task); len(d) != 1 || d[0].Count != 1 || d[0].Of != 5 {
		t.Errorf("drops %v, want 1 blank line of 5", d)
	}
}

// TestSATAnalogies checks the reader of Turney's text layout on the
// hand-built file (comments, two records) and the prompt of Figure G.12.
func TestSATAnalogies(t *testing.T) {
	task, err := New("sat_analogies", Options{DataPath: filepath.Join("testdata", "papertasks", "sat.txt")})
	if err != nil {
		t.Fatal(err)
	}
	in, err := task.Instances(0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(in) != 2 {
		t.Fatalf("%d documents, want 2", len(in))
	}
	mc := in[1].Requests[0].(eval.MultipleChoice)
	if mc.Options[0].Context != "hot is to cold as" || mc.Options[2].Continuation != " run is to walk" || len(mc.Options) != 5 {
		t.Errorf("document 2 options %+v", mc.Options)
	}
	if in[1].Target != "hot is to cold as up is to down" {
		t.Errorf("document 2 target %q, want answer b", in[1].Target)
	}
	bad := writeFile(t, "sat.txt", "src\nhot cold a:a\na b\nc d\ne f\ng h\ni j\nf\n")
	if _, err := New("sat_analogies", Options{DataPath: bad}); err == nil || !strings.Contains(err.Error(), bad+":1") {
		t.Errorf("answer f of 5: error %v, want one naming %s:1", err, bad)
	}
	if _, err := New("sat_analogies", Options{}); err == nil || !strings.Contains(err.Error(), "--data sat_analogies=PATH") {
		t.Errorf("no data: error %v, want the --data hint", err)
	}
}

// TestPaperTaskRequestHashes is the prompt-stability golden of the tasks
// in superglue_tasks.go, race_anli.go and lm1b_sat.go: the hash of their
// requests on the shared data, or on the hand-built files in
// testdata/papertasks for the data kshot does not ship. A change means
// the prompts changed: bump the task's version and rerun with -update.
func TestPaperTaskRequestHashes(t *testing.T) {
	dataDir := sharedtest.Path(t, "data")
	fixture := func(name string) string { return filepath.Join("testdata", "papertasks", name) }
	cases := []struct {
		task    string
		k       int
		variant string
		data    string // DataPath; "" reads the default file in dataDir
	}{
		{"cb", 0, "", ""}, {"cb", 1, "", ""}, {"cb", 1, "gpt3", ""},
		{"rte", 0, "", ""}, {"rte", 1, "gpt3", ""},
		{"wic", 0, "", ""}, {"wic", 1, "gpt3", ""},
		{"wsc", 0, "", ""}, {"wsc", 1, "", ""},
		{"race_high", 0, "", ""}, {"race_high", 1, "gpt3", ""},
		{"race_middle", 0, "", ""}, {"race_middle", 1, "gpt3", ""},
		{"anli_r1", 0, "", ""}, {"anli_r1", 1, "gpt3", ""},
		{"anli_r2", 0, "", ""}, {"anli_r2", 1, "gpt3", ""},
		{"anli_r3", 0, "", ""}, {"anli_r3", 1, "gpt3", ""},
		{"lm1b", 0, "", fixture("lm1b.txt")},
		{"sat_analogies", 0, "", fixture("sat.txt")}, {"sat_analogies", 1, "", fixture("sat.txt")},
	}
	got := map[string]string{}
	for _, c := range cases {
		task, err := New(c.task, Options{DataDir: dataDir, DataPath: c.data, Variant: c.variant})
		if err != nil {
			t.Fatal(err)
		}
		in, err := task.Instances(c.k, 1234)
		if err != nil {
			t.Fatal(err)
		}
		got[fmt.Sprintf("%s@v%s/%dshot", c.task, task.Spec().Version, c.k)] = eval.RequestHash(in)
	}
	checkGolden(t, filepath.Join("testdata", "request_hashes_papertasks.golden"), got)
}

// TestParsePyLiteral checks the Python-literal reader on values written as
// Python's repr writes them and on the escapes ast.literal_eval undoes.
func TestParsePyLiteral(t *testing.T) {
	for _, c := range []struct {
		in   string
		want string // the value as JSON; "" for an error
	}{
		{`['a', "it's", 'b\'c']`, `["a","it's","b'c"]`},
		{`{'q': 'x\ny', 'o': ['\xe9', '\u00e9', 'é', '\\']}`, `{"o":["é","é","é","\\"],"q":"x\ny"}`},
		{`[ ]`, `null`},
		{`['a',]`, `["a"]`},
		{`['a' 'b']`, ""},
		{`['a'`, ""},
		{`{1: 'a'}`, ""},
		{`'abc`, ""},
		{`['\q']`, ""},
		{`['a'] x`, ""},
	} {
		v, err := parsePyLiteral(c.in)
		if c.want == "" {
			if err == nil {
				t.Errorf("parsePyLiteral(%s) = %v, want an error", c.in, v)
			}
			continue
		}
		got, _ := json.Marshal(v)
		if err != nil || string(got) != c.want {
			t.Errorf("parsePyLiteral(%s) = %s, %v; want %s", c.in, got, err, c.want)
		}
	}
}

// Rows in the Hub's Parquet layouts of the new tasks' datasets.
type (
	wscHub struct {
		Text       string `parquet:"text"`
		Span1Index int64  `parquet:"span1_index"`
		Span2Index int64  `parquet:"span2_index"`
		Span1Text  string `parquet:"span1_text"`
		Span2Text  string `parquet:"span2_text"`
		Idx        int32  `parquet:"idx"`
		Label      int64  `parquet:"label"`
	}
	anliHub struct {
		UID        string `parquet:"uid"`
		Premise    string `parquet:"premise"`
		Hypothesis string `parquet:"hypothesis"`
		Label      int64  `parquet:"label"`
		Reason     string `parquet:"reason"`
	}
	raceEleutherHub struct {
		Article  string `parquet:"article"`
		Problems string `parquet:"problems"`
	}
	lm1bHub struct {
		Text string `parquet:"text"`
	}
)

// TestPaperTaskHubLayouts reads Parquet files in the Hub's column layouts
// (aps/super_glue wsc.fixed, facebook/anli, EleutherAI/race,
// billion-word-benchmark/lm1b), with integer labels as Parquet stores them,
// and checks the prompts against the ones written by hand above.
func TestPaperTaskHubLayouts(t *testing.T) {
	wsc := writeParquetRows(t, "validation-00000-of-00001.parquet", []wscHub{
		{Text: "Tom thanked Bill because he had helped him , a lot .", Span1Text: "Bill", Span2Index: 4, Span2Text: "he", Label: 1}})
	anli := writeParquetRows(t, "test_r2-00000-of-00001.parquet", []anliHub{
		{UID: "x", Premise: "A dog ran.", Hypothesis: "An animal moved.", Label: 1}})
	race := writeParquetRows(t, "test-00000-of-00001.parquet", []raceEleutherHub{
		{Article: "Sam grew beans.", Problems: `[{'answer': 'B', 'options': ['Ann', "Sam's dad", 'Sam'], 'question': 'Who grew beans?'}]`}})
	lm1b := writeParquetRows(t, "test-00000-of-00001.parquet", []lm1bHub{{Text: "It was n't cheap , he said ."}, {Text: "Yes ."}})
	for _, c := range []struct {
		task, path, context, target string
	}{
		{"wsc", wsc, "Passage: Tom thanked Bill because *he* had helped him, a lot.\nQuestion: In the passage above, does the pronoun \"*he*\" refer to \"*Bill*\"?\nAnswer:", " yes"},
		{"anli_r2", anli, "A dog ran.\nQuestion: An animal moved. True, False, or Neither?\nAnswer:", " Neither"},
		{"race_high", race, "Article: Sam grew beans.\n\nWho grew beans?", " Sam's dad"},
	} {
		task, err := New(c.task, Options{DataPath: c.path})
		if err != nil {
			t.Fatalf("%s: %v", c.task, err)
		}
		in, err := task.Instances(0, 1234)
		if err != nil {
			t.Fatal(err)
		}
		if got := in[0].Requests[0].(eval.MultipleChoice).Options[0].Context; got != c.context || in[0].Target != c.context+c.target {
			t.Errorf("%s: context %q target %q, want %q and the gold %q", c.task, got, in[0].Target, c.context, c.target)
		}
	}
	task, err := New("lm1b", Options{DataPath: lm1b})
	if err != nil {
		t.Fatal(err)
	}
	in, err := task.Instances(0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(in) != 2 || in[0].Requests[0].(eval.Rolling).Text != "It wasn't cheap, he said.\n" || task.Spec().Version != "1.0" {
		t.Errorf("lm1b from a user's Parquet file: %d documents, first %+v, version %s", len(in), in[0].Requests[0], task.Spec().Version)
	}
}
