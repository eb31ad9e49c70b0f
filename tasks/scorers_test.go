package tasks

import (
	"flag"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kshot-eval/kshot/eval"
	"github.com/kshot-eval/kshot/internal/sharedtest"
)

// scorerFixture is a hand-built file of the official-scorer tasks'
// datasets, in their original or Hub layout.
func scorerFixture(name string) string { return filepath.Join("testdata", "scorers", name) }

var dumpScorers = flag.Bool("dump-scorers", false, "print the scorer tasks' first requests")

// buildScorer builds a task of this round's scorer tasks on its fixture.
func buildScorer(t *testing.T, task, variant, data string, k int) (eval.Task, []eval.Instance) {
	t.Helper()
	tk, err := New(task, Options{DataPath: data, Variant: variant})
	if err != nil {
		t.Fatal(err)
	}
	in, err := tk.Instances(k, 1234)
	if err != nil {
		t.Fatal(err)
	}
	if *dumpScorers {
		for _, r := range in[0].Requests {
			t.Logf("%s/%s: %#v", task, variant, r)
		}
	}
	return tk, in
}

// TestScorerRequestHashes is the prompt-stability golden of coqa, drop,
// squadv2, quac, record, multirc, webqs and cnn_dailymail, on the
// hand-built files of testdata/scorers and the shared MultiRC and QuAC
// files.
func TestScorerRequestHashes(t *testing.T) {
	dataDir := sharedtest.Path(t, "data")
	type hashCase struct {
		task, variant, data string
		k                   int
	}
	cases := []hashCase{
		{"coqa", "", scorerFixture("coqa-dev.json"), 0}, {"coqa", "", scorerFixture("coqa-dev.json"), 1},
		{"coqa", "gpt2", scorerFixture("coqa-dev.json"), 0}, {"coqa", "gpt2", scorerFixture("coqa-dev.json"), 1},
		{"coqa", "gpt3", scorerFixture("coqa-dev.json"), 0}, {"coqa", "gpt3", scorerFixture("coqa-dev.json"), 1},
		{"squadv2", "", scorerFixture("dev-v2.0.json"), 0}, {"squadv2", "", scorerFixture("dev-v2.0.json"), 1},
		{"drop", "", scorerFixture("drop_dataset_dev.json"), 0}, {"drop", "", scorerFixture("drop_dataset_dev.json"), 1},
		{"drop", "gpt3", scorerFixture("drop_dataset_dev.json"), 1},
		{"quac", "", filepath.Join(dataDir, "quac", "llmfoundry_quac.jsonl"), 0}, {"quac", "", scorerFixture("quac.jsonl"), 1},
		{"record", "", scorerFixture("record_val.jsonl"), 0}, {"record", "", scorerFixture("record_val.jsonl"), 1},
		{"multirc", "", filepath.Join(dataDir, "superglue", "multirc_val.jsonl"), 0}, {"multirc", "", scorerFixture("multirc_hub.jsonl"), 1},
		{"webqs", "", scorerFixture("webqs.jsonl"), 0}, {"webqs", "", scorerFixture("webqs.jsonl"), 1},
		{"webqs_gpt3", "", scorerFixture("webqs.jsonl"), 0}, {"webqs_gpt3", "", scorerFixture("webqs.jsonl"), 1},
		{"cnn_dailymail", "", scorerFixture("cnn_dailymail.jsonl"), 0}, {"cnn_dailymail", "gpt2", scorerFixture("cnn_dailymail.jsonl"), 0},
	}
	got := map[string]string{}
	for _, c := range cases {
		task, in := buildScorer(t, c.task, c.variant, c.data, c.k)
		got[c.task+"@v"+task.Spec().Version+"/"+string(rune('0'+c.k))+"shot-"+filepath.Base(c.data)] = eval.RequestHash(in)
	}
	checkGolden(t, filepath.Join("testdata", "request_hashes_scorers.golden"), got)
}

// TestScorerPrompts compares each task's requests with the prompt written
// out by hand from lm-evaluation-harness's templates (commit 4e7e0d47) or
// the paper's format.
func TestScorerPrompts(t *testing.T) {
	story1 := "Tom had a white cat named Snow. Snow liked to sleep on the red sofa."
	for _, c := range []struct {
		name, task, variant, data string
		doc                       int
		want                      eval.Request
	}{
		{"coqa lm-eval: last turn", "coqa", "", "coqa-dev.json", 0, eval.Generate{
			Context: story1 + "\n\nQ: What did Tom have?\n\nA: a cat\n\nQ: What color was it?\n\nA: white\n\nQ: Where did it sleep?\n\nA:",
			Until:   []string{"\nQ:"}, MaxTokens: 256}},
		{"coqa gpt2: second turn", "coqa", "gpt2", "coqa-dev.json", 1, eval.Generate{
			Context: story1 + "\n\nQ: What did Tom have?\n\nA: a cat\n\nQ: What color was it?\n\nA:",
			Until:   []string{"\nQ:"}, MaxTokens: 256}},
		{"coqa gpt3: second turn, Figure G.18, beam", "coqa", "gpt3", "coqa-dev.json", 1, eval.Generate{
			Context: story1 + "\nQ: What did Tom have?\nA: a cat\nQ: What color was it?\nA:",
			Until:   []string{"\n"}, MaxTokens: 256, Decoding: eval.Decoding{Method: "beam", BeamWidth: 4, LengthPenalty: 0.6}}},
		{"squadv2", "squadv2", "", "dev-v2.0.json", 2, eval.Generate{
			Context: "Title: Normans\n\nBackground: The Normans were the people who gave their name to Normandy, a region in France.\n\nQuestion: What is the capital of Normandy?\n\nAnswer:",
			Until:   []string{"\n"}, MaxTokens: 256}},
		// Passages are taken in the order of their ids: hist_2, then nfl_1.
		{"drop lm-eval", "drop", "", "drop_dataset_dev.json", 0, eval.Generate{
			Context: "The treaty was signed on 4 July 1776. When was the treaty signed?", Until: []string{"."}, MaxTokens: 256}},
		{"drop gpt3", "drop", "gpt3", "drop_dataset_dev.json", 0, eval.Generate{
			Context: "Passage: The treaty was signed on 4 July 1776.\nQuestion: When was the treaty signed?\nAnswer:", Until: []string{"\n"}, MaxTokens: 256,
			Decoding: eval.Decoding{Method: "beam", BeamWidth: 4, LengthPenalty: 0.6}}},
		{"record", "record", "", "record_val.jsonl", 1, eval.Choices(
			"(CNN) Alice Smith met Bob Jones in Paris on Friday.\n\n  - Alice Smith met Bob Jones.\n  - The meeting was in Paris.\n",
			"   - The meeting took place in Alice Smith.", "   - The meeting took place in Bob Jones.", "   - The meeting took place in Paris.")},
		{"webqs", "webqs", "", "webqs.jsonl", 1, eval.Choices("Question: what character did natalie portman play in star wars?\nAnswer:", " Padmé")},
		{"webqs_gpt3", "webqs_gpt3", "", "webqs.jsonl", 0, eval.Generate{Context: "Q: what is the name of justin bieber brother?\nA:", Until: []string{"\n"}, MaxTokens: 32,
			Decoding: eval.Decoding{Method: "beam", BeamWidth: 4, LengthPenalty: 0.6}}},
		{"cnn_dailymail lm-eval", "cnn_dailymail", "", "cnn_dailymail.jsonl", 1, eval.Generate{
			Context: "Summarize the following article:\n\nA rare bird was seen in the valley for the first time in fifty years. Birdwatchers travelled from far away.\n\nSummary:",
			Until:   []string{"\n\n"}, MaxTokens: 128}},
		{"cnn_dailymail gpt2", "cnn_dailymail", "gpt2", "cnn_dailymail.jsonl", 1, eval.Generate{
			Context:   "A rare bird was seen in the valley for the first time in fifty years. Birdwatchers travelled from far away.\nTL;DR:",
			MaxTokens: 100, Decoding: eval.Decoding{Method: "sample", TopK: 2, Temperature: 1, TopP: 1, Seed: 1234}}},
		{"quac", "quac", "", "quac.jsonl", 0, eval.Generate{
			Context: "Title: Anna\n\nBackground: Anna is a singer.\n\nSection: Career\nContext: In 1983 she married Nikos. CANNOTANSWER\n\nQuestion: when did she marry?\nAnswer:",
			Until:   []string{"\n"}, MaxTokens: 32}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, in := buildScorer(t, c.task, c.variant, scorerFixture(c.data), 0)
			if got := in[c.doc].Requests[0]; !sameRequest(got, c.want) {
				t.Errorf("request\n%#v\nwant\n%#v", got, c.want)
			}
		})
	}
	// MultiRC: one yes/no request per answer option, lm-eval's wording.
	_, in := buildScorer(t, "multirc", "", scorerFixture("multirc_hub.jsonl"), 0)
	ctx := "Sam has two dogs. They are brown.\nQuestion: How many dogs does Sam have?\nAnswer:"
	want := []eval.Request{
		eval.Choices(ctx, " Two\nIs the answer correct? yes", " Two\nIs the answer correct? no"),
		eval.Choices(ctx, " Three\nIs the answer correct? yes", " Three\nIs the answer correct? no"),
	}
	if len(in) != 2 || len(in[0].Requests) != 2 || !sameRequest(in[0].Requests[0], want[0]) || !sameRequest(in[0].Requests[1], want[1]) {
		t.Errorf("multirc requests %#v, want %#v (and 2 questions, got %d)", in[0].Requests, want, len(in))
	}
	// A one-shot SQuAD prompt shows lm-eval's target " answer" after its
	// " " delimiter.
	_, in = buildScorer(t, "squadv2", "", scorerFixture("dev-v2.0.json"), 1)
	g := in[2].Requests[0].(eval.Generate)
	if !strings.Contains(g.Context, "\n\nAnswer:  France\n\nTitle: ") && !strings.Contains(g.Context, "\n\nAnswer:  The Normans\n\nTitle: ") {
		t.Errorf("one-shot squadv2 context %q lacks a shown answer after two spaces", g.Context)
	}
}

func sameRequest(a, b eval.Request) bool {
	return eval.RequestHash([]eval.Instance{{Requests: []eval.Request{a}}}) == eval.RequestHash([]eval.Instance{{Requests: []eval.Request{b}}})
}

// TestScorerScoring scores generated answers with the official scorers'
// rules; each value is worked out by hand in the comment.
func TestScorerScoring(t *testing.T) {
	gen := func(s string) []eval.Response { return []eval.Response{eval.GenerateResult{Text: s}} }
	for _, c := range []struct {
		name, task, variant, data string
		doc                       int
		resps                     []eval.Response
		want                      map[string]float64 // NaN: not in the subset
	}{
		// lm-eval CoQA, last turn of story 1: golds "on the red sofa", "the sofa",
		// "on the sofa", "red sofa" (none equal when lower-cased). Prediction
		// "the red sofa" (first line of the stripped text) → tokens [red sofa].
		// F1 vs each: [on red sofa] P 1 R 2/3 → 0.8, [sofa] 2/3, [on sofa] 1/2,
		// [red sofa] 1. Leave-one-out maxima: 1, 1, 1 and (without the last)
		// 0.8 → f1 3.8/4 = 0.95; exact: only "red sofa" matches, so the subset
		// without it scores 0 → em (1+1+1+0)/4 = 0.75.
		{"coqa lm-eval", "coqa", "", "coqa-dev.json", 0, gen(" the red sofa\nQ: next"), map[string]float64{"em": 0.75, "f1": 0.95}},
		// gpt2 CoQA, story 2 turn 1 (document 3): golds Ann, Ann, ann, Ann
		// (all four, no dedup); "Ann" matches every subset: 1 and 1.
		{"coqa gpt2", "coqa", "gpt2", "coqa-dev.json", 3, gen(" Ann"), map[string]float64{"em": 1, "f1": 1}},
		// SQuAD 2.0 unanswerable q3: "" is right (100), on the NoAns subset.
		{"squadv2 no answer", "squadv2", "", "dev-v2.0.json", 2, gen(""), map[string]float64{"exact": 100, "f1": 100, "NoAns_exact": 100, "NoAns_f1": 100, "HasAns_exact": math.NaN(), "HasAns_f1": math.NaN()}},
		// q2 gold "The Normans" → [normans]; " Normans of France" → [normans of france]:
		// P 1/3, R 1, F1 = 2·(1/3)/(4/3) = 50.
		{"squadv2 answerable", "squadv2", "", "dev-v2.0.json", 1, gen(" Normans of France"), map[string]float64{"exact": 0, "f1": 50, "HasAns_exact": 0, "HasAns_f1": 50, "NoAns_exact": math.NaN(), "NoAns_f1": math.NaN()}},
		// DROP q2: golds (Chicago, Boston) and (Chicago); prediction one span
		// "Chicago": vs the first 1/2 (one of two spans), vs the second 1 → 1, em 1.
		{"drop spans", "drop", "", "drop_dataset_dev.json", 2, gen(" Chicago"), map[string]float64{"em": 1, "f1": 1}},
		// DROP q1: gold 10; " 10 points" → bag {10.0, points} vs {10.0}: P 1/2,
		// R 1, F1 2/3 → 0.67; em 0.
		{"drop number", "drop", "", "drop_dataset_dev.json", 1, gen(" 10 points"), map[string]float64{"em": 0, "f1": 0.67}},
		// DROP date: gold "4 July 1776" → {4.0, july, 1776.0}; "July 4, 1776" → "4," is
		// not a float, loses its comma → 4.0: the same bag (f1 1), but the
		// normalised strings "july 4.0 1776.0" and "4.0 july 1776.0" differ: em 0.
		{"drop date", "drop", "", "drop_dataset_dev.json", 0, gen(" July 4, 1776"), map[string]float64{"em": 0, "f1": 1}},
		// ReCoRD query 0: entities sorted Alice Smith, Bob Jones, Paris; the
		// likeliest is option 0 → "Alice Smith", the gold: f1 1, em 1.
		{"record", "record", "", "record_val.jsonl", 0, []eval.Response{eval.ChoiceResult{Options: []eval.LoglikelihoodResult{{LogProb: -1}, {LogProb: -2}, {LogProb: -3}}}}, map[string]float64{"f1": 1, "em": 1}},
		// Likeliest "Bob Jones" vs gold "Alice Smith": 0 and 0.
		{"record wrong", "record", "", "record_val.jsonl", 0, []eval.Response{eval.ChoiceResult{Options: []eval.LoglikelihoodResult{{LogProb: -5}, {LogProb: -2}, {LogProb: -3}}}}, map[string]float64{"f1": 0, "em": 0}},
		// webqs: the second option was the greedy continuation → 1.
		{"webqs", "webqs", "", "webqs.jsonl", 0, []eval.Response{eval.ChoiceResult{Options: []eval.LoglikelihoodResult{{LogProb: -9}, {LogProb: -1, Greedy: true}}}}, map[string]float64{"exact_match": 1}},
		// webqs_gpt3: "jaxon bieber." normalises to "jaxon bieber", the second answer: 1.
		{"webqs_gpt3", "webqs_gpt3", "", "webqs.jsonl", 0, gen(" Jaxon Bieber."), map[string]float64{"exact_match": 1}},
		// QuAC unanswerable: "Cannot answer." matches the alias → f1 1.
		{"quac", "quac", "", "quac.jsonl", 1, gen(" Cannot answer.\nQuestion:"), map[string]float64{"f1": 1}},
		// cnn_dailymail gpt2: reference lines "the citi council vote to build a new park" (9
		// tokens after stemming: the citi council vote to build a new park) and "the park
		// will open next year" (6). The first 3 generated sentences are the summary; the
		// 4th ("Extra words here.") is cut. Summary tokens: the citi council vote to build
		// a new park / the park will open next year / resid welcom the plan (4): 19 tokens,
		// 15 shared with the 15 reference tokens: R1 = 15/15 recall, 15/19 precision,
		// F = 2·(15/19)/(1+15/19) = 30/34.
		{"cnn_dailymail gpt2", "cnn_dailymail", "gpt2", "cnn_dailymail.jsonl", 0,
			gen(" The city council voted to build a new park. The park will open next year. Residents welcomed the plan. Extra words here."),
			map[string]float64{"rouge1": 30.0 / 34, "rouge2": -1, "rougeL": 30.0 / 34, "rougeLsum": 30.0 / 34}},
	} {
		t.Run(c.name, func(t *testing.T) {
			task, in := buildScorer(t, c.task, c.variant, scorerFixture(c.data), 0)
			got, err := task.Score(in[c.doc], c.resps)
			if err != nil {
				t.Fatal(err)
			}
			specs := map[string]eval.Metric{}
			for _, m := range task.Spec().Metrics {
				specs[m.Name] = m
			}
			for name, want := range c.want {
				st, ok := got[name]
				if !ok {
					t.Errorf("%s missing from %v", name, got)
					continue
				}
				if err := specs[name].CheckStats(st); err != nil {
					t.Errorf("%s: %v", name, err)
				}
				v := specs[name].Score(st)
				switch {
				case want == -1: // not worked out by hand; only checked to be a valid statistic
				case math.IsNaN(want) != math.IsNaN(v) || !math.IsNaN(want) && math.Abs(v-want) > 1e-9:
					t.Errorf("%s = %v, want %v", name, v, want)
				}
			}
		})
	}
}

// TestMultiRCScoring: per-question exact match and the F1a statistics.
func TestMultiRCScoring(t *testing.T) {
	task, in := buildScorer(t, "multirc", "", scorerFixture("multirc_hub.jsonl"), 0)
	yes := eval.ChoiceResult{Options: []eval.LoglikelihoodResult{{LogProb: -1}, {LogProb: -2}}}
	no := eval.ChoiceResult{Options: []eval.LoglikelihoodResult{{LogProb: -3}, {LogProb: -2}}}
	// Question 0 (labels true, false): predicted yes, yes → TP 1, FP 1, not exact.
	got, err := task.Score(in[0], []eval.Response{yes, yes})
	if err != nil {
		t.Fatal(err)
	}
	if em := got["em"]; em[0] != 0 || got["f1a"][0] != 1 || got["f1a"][1] != 1 || got["f1a"][2] != 0 {
		t.Errorf("question 0: %v, want em 0 and f1a stats [1 1 0]", got)
	}
	// Question 1 (label true) predicted no → FN 1.
	if got, _ = task.Score(in[1], []eval.Response{no}); got["em"][0] != 0 || got["f1a"][2] != 1 {
		t.Errorf("question 1: %v, want em 0 and one false negative", got)
	}
}

// TestScorerBadData: malformed documents are one-line errors that name the
// field.
func TestScorerBadData(t *testing.T) {
	for _, c := range []struct{ task, file, body, want string }{
		{"coqa", "c.json", `{"data": [{"story": "s", "questions": [{"input_text": "q1"}, {"input_text": "q2"}], "answers": [{"input_text": "a1"}]}]}`, "has 1 answers for 2 questions"},
		{"multirc", "m.jsonl", `{"passage": {"text": "t", "questions": [{"question": "q", "answers": [{"text": "a", "label": 2}]}]}}`, "label"},
		{"record", "r.jsonl", `{"passage": {"text": "abc", "entities": [{"start": 1, "end": 9}]}, "qas": [{"query": "@placeholder", "answers": [{"text": "b"}]}]}`, "outside the passage"},
		{"webqs", "w.jsonl", `{"question": "q", "answers": []}`, "answers"},
	} {
		p := writeFile(t, c.file, c.body)
		_, err := New(c.task, Options{DataPath: p})
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error %v, want one line with %q", c.task, err, c.want)
		}
	}
	// cnn_dailymail is zero-shot only.
	tk, err := New("cnn_dailymail", Options{DataPath: scorerFixture("cnn_dailymail.jsonl")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tk.Instances(1, 1); err == nil || !strings.Contains(err.Error(), "zero-shot") {
		t.Errorf("1-shot cnn_dailymail: %v", err)
	}
}

func TestSentences(t *testing.T) {
	got := sentences(" He said \"Stop.\" Then  he left! Did he? Yes 3.5 times.\nNo end")
	want := []string{"He said \"Stop.\"", "Then he left!", "Did he?", "Yes 3.5 times.", "No end"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("sentences = %q, want %q", got, want)
	}
}

// TestScorerLayouts: the same hand-built documents in the official
// release's form and in the Hugging Face Hub's row layout build the same
// requests and the same gold answers.
func TestScorerLayouts(t *testing.T) {
	for _, c := range []struct{ task, official, hub string }{
		{"coqa", "coqa-dev.json", "coqa_hub.jsonl"},
		{"squadv2", "dev-v2.0.json", "squad_hub.jsonl"},
		{"drop", "drop_dataset_dev.json", "drop_hub.jsonl"},
		{"record", "record_val.jsonl", "record_hub.jsonl"},
		{"multirc", "multirc_superglue.jsonl", "multirc_hub.jsonl"},
	} {
		for _, variant := range []string{"", "gpt2"} {
			if variant == "gpt2" && c.task != "coqa" {
				continue
			}
			t.Run(c.task+"/"+variant, func(t *testing.T) {
				_, a := buildScorer(t, c.task, variant, scorerFixture(c.official), 1)
				_, b := buildScorer(t, c.task, variant, scorerFixture(c.hub), 1)
				if eval.RequestHash(a) != eval.RequestHash(b) {
					t.Errorf("requests differ between %s and %s", c.official, c.hub)
				}
				for i := range a {
					ga, gb := goldsOf(a[i].Doc), goldsOf(b[i].Doc)
					if ga != gb {
						t.Errorf("document %d: golds %s vs %s", i, ga, gb)
					}
				}
			})
		}
	}
}

// goldsOf renders a document's gold answers for comparison.
func goldsOf(doc any) string {
	switch d := doc.(type) {
	case genDoc:
		return strings.Join(d.Golds, "|") + "#" + func() string {
			var s []string
			for _, sp := range d.Spans {
				s = append(s, strings.Join(sp, "+"))
			}
			return strings.Join(s, "|")
		}()
	case recordDoc:
		return strings.Join(d.Answers, "|") + "#" + strings.Join(d.Entities, "|")
	case multircDoc:
		return strings.Join(d.Answers, "|") + "#" + fmtBools(d.Labels)
	}
	panic("goldsOf: unknown document type")
}

func fmtBools(bs []bool) string {
	var s []string
	for _, b := range bs {
		if b {
			s = append(s, "T")
		} else {
			s = append(s, "F")
		}
	}
	return strings.Join(s, " ")
}
