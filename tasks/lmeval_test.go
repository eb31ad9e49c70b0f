package tasks

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/kshot-eval/kshot/eval"
	"github.com/kshot-eval/kshot/internal/sharedtest"
)

// lmEvalCommit is the lm-evaluation-harness commit whose task YAMLs and
// utils.py the request strings below were rendered from by hand.
const lmEvalCommit = "4e7e0d47f33b"

// lmEvalCase is one task's first document of kshot's shared data with the
// requests lm-evaluation-harness builds for it, 0-shot, written out by
// hand from the YAML named in the case (doc_to_text, the target
// delimiter " " unless the YAML sets another, doc_to_choice or
// doc_to_target, generation_kwargs) and the gold answer.
type lmEvalCase struct {
	task, variant string
	data          string // under ../shared/data, or testdata/… ; "" = the task's default file
	yaml          string // lm_eval/tasks/… at lmEvalCommit
	doc           int    // the document checked
	want          eval.Request
	gold          any // int for multiple-choice tasks, []string or string for generation
}

// mc is a MultipleChoice of one context and several continuations.
func mc(ctx string, conts ...string) eval.MultipleChoice { return eval.Choices(ctx, conts...) }

// lmEvalCases are the hand-rendered requests, one case per task.
func lmEvalCases() []lmEvalCase {
	// super_glue/boolq/default.yaml: "{{passage}}\nQuestion: {{question}}?\nAnswer:" of boolq_val.jsonl line 1.
	boolqCtx := "Ethanol fuel -- All biomass goes through at least some of these steps: it needs to be grown, collected, dried, fermented, distilled, and burned. All of these steps require resources and an infrastructure. The total amount of energy input into the process compared to the energy released by burning the resulting ethanol fuel is known as the energy balance (or ``energy returned on energy invested''). Figures compiled in a 2007 report by National Geographic Magazine point to modest results for corn ethanol produced in the US: one unit of fossil-fuel energy is required to create 1.3 energy units from the resulting ethanol. The energy balance for sugarcane ethanol produced in Brazil is more favorable, with one unit of fossil-fuel energy required to create 8 from the ethanol. Energy balance estimates are not easily produced, thus numerous such reports have been generated that are contradictory. For instance, a separate survey reports that production of ethanol from sugarcane, which requires a tropical climate to grow productively, returns from 8 to 9 units of energy for each unit expended, as compared to corn, which only returns about 1.34 units of fuel energy for each unit of energy expended. A 2006 University of California Berkeley study, after analyzing six separate studies, concluded that producing ethanol from corn uses much less petroleum than producing gasoline.\nQuestion: does ethanol take more energy make that produces?\nAnswer:"
	cases := []lmEvalCase{
		// doc_to_text "{{text.split(' ')[:-1]|join(' ')}}", doc_to_target "{{' '+text.split(' ')[-1]}}".
		{task: "lambada_openai", yaml: "lambada/lambada_openai.yaml", want: eval.Loglikelihood{
			Context:      "In my palm is a clear stone, and inside it is a small ivory statuette. A guardian angel.\n\n\"Figured if you're going to be out at night getting hit by cars, you might as well have some backup.\"\n\nI look at him, feeling stunned. Like this is some sort of sign. But as I stare at Harlin, his mouth curved in a confident grin, I don't care about",
			Continuation: " signs"}, gold: " signs"},
		// "Question: {{goal}}\nAnswer:", choices [sol1, sol2] as they are.
		{task: "piqa", data: "piqa/valid.jsonl", yaml: "piqa/piqa.yaml", want: mc("Question: How do I ready a guinea pig cage for it's new occupants?\nAnswer:",
			" Provide the guinea pig with a cage full of a few inches of bedding made of ripped paper strips, you will also need to supply it with a water bottle and a food dish.",
			" Provide the guinea pig with a cage full of a few inches of bedding made of ripped jeans material, you will also need to supply it with a water bottle and a food dish."), gold: 0},
		// The second document keeps the solutions' own whitespace, which the llm-foundry copy strips.
		{task: "piqa", data: "piqa/valid.jsonl", yaml: "piqa/piqa.yaml", doc: 1, want: mc("Question: dresser\nAnswer:",
			" replace drawer with bobby pin ", " finish, woodgrain with  bobby pin "), gold: 1},
		// "Question: {{question}}\nAnswer:", choices.text.
		{task: "arc_easy", yaml: "arc/arc_easy.yaml", want: mc("Question: Which statement best explains why photosynthesis is the foundation of most food webs?\nAnswer:",
			" Sunlight is the source of energy for nearly all ecosystems.", " Most ecosystems are found on land instead of in water.",
			" Carbon dioxide is more available than other gases.", " The producers in all ecosystems are plants."), gold: 0},
		{task: "arc_challenge", yaml: "arc/arc_challenge.yaml (includes arc_easy.yaml)", want: mc("Question: An astronomer observes that a planet rotates faster after a meteorite impact. Which is the most likely effect of this increase in rotation?\nAnswer:",
			" Planetary density will decrease.", " Planetary years will become longer.", " Planetary days will become shorter.", " Planetary gravity will become stronger."), gold: 2},
		// doc_to_text question_stem, choices.text.
		{task: "openbookqa", yaml: "openbookqa/openbookqa.yaml", want: mc("A person wants to start saving money so that they can afford a nice vacation at the end of the year. After looking over their budget and expenses, they decide the best way to save money is to",
			" make more phone calls", " quit eating lunch out", " buy less with monopoly money", " have lunch with friends"), gold: 1},
		// preprocess_winogrande.py: contexts sentence[:idx] + option, target sentence[idx+1:].strip().
		{task: "winogrande", yaml: "winogrande/default.yaml", want: eval.PartialChoices([]string{
			"Sarah was a much better surgeon than Maria so Sarah", "Sarah was a much better surgeon than Maria so Maria"}, " always got the easier cases."), gold: 1},
		{task: "boolq", yaml: "super_glue/boolq/default.yaml", want: mc(boolqCtx, " no", " yes"), gold: 0},
		// super_glue/copa/utils.py: premise.strip()[:-1] + " therefore"; doc_to_choice " " + convert_choice(choice), after the delimiter " ".
		{task: "copa", yaml: "super_glue/copa/default.yaml", want: mc("The man turned on the faucet therefore",
			"  the toilet filled with water.", "  water flowed from the spout."), gold: 1},
		// wsc273/utils.py: "The city councilmen refused the demonstrators a permit because they feared violence.",
		// pronoun "they" at 63, options lower-cased inside the sentence; target text[67:] = " feared violence." after " ".
		{task: "winograd", yaml: "wsc273/default.yaml", want: eval.PartialChoices([]string{
			"The city councilmen refused the demonstrators a permit because the city councilmen",
			"The city councilmen refused the demonstrators a permit because the demonstrators"}, "  feared violence."), gold: 0},
		// hellaswag/utils.py: preprocess(activity_label + ": " + ctx_a + " " + ctx_b.capitalize()), endings preprocessed.
		{task: "hellaswag", data: "hellaswag/hellaswag_val_full.part0.txt", yaml: "hellaswag/hellaswag.yaml", want: mc("Roof shingle removal: A man is sitting on a roof. He",
			" is using wrap to wrap a pair of skis.", " is ripping level tiles off.", " is holding a rubik's cube.", " starts pulling up roofing on a roof."), gold: 3},
		// "Question: {{question}}?\nAnswer:", until "\n", ".", ","; no max_gen_toks; target answer.aliases.
		{task: "triviaqa", data: "testdata/gpt3/triviaqa.jsonl", yaml: "triviaqa/default.yaml", want: eval.Generate{
			Context: "Question: Which planet is known as the Red Planet??\nAnswer:", Until: []string{"\n", ".", ","}}, gold: []string{"Mars", "Planet Mars"}},
		// description "Answer these questions:\n\n", "Q: {{question}}?\nA:", same generation_kwargs; target answer.
		{task: "nq_open", yaml: "nq_open/nq_open.yaml", want: eval.Generate{
			Context: "Answer these questions:\n\nQ: when was the last time anyone was on the moon?\nA:", Until: []string{"\n", ".", ","}}, gold: []string{"14 December 1972 UTC", "December 1972"}},
	}
	// arithmetic/utils.py: context.strip(), "\n\n" → "\n", "Q:" → "Question:", "A:" → "Answer:";
	// target_delimiter "" before the completion.
	for _, a := range []struct{ task, q, completion string }{
		{"arithmetic_1dc", "What is (9 + 8) * 2?", " 34"}, {"arithmetic_2da", "What is 98 plus 45?", " 143"},
		{"arithmetic_2dm", "What is 95 times 45?", " 4275"}, {"arithmetic_2ds", "What is 17 minus 14?", " 3"},
		{"arithmetic_3da", "What is 556 plus 497?", " 1053"}, {"arithmetic_3ds", "What is 509 minus 488?", " 21"},
		{"arithmetic_4da", "What is 9923 plus 617?", " 10540"}, {"arithmetic_4ds", "What is 6209 minus 3365?", " 2844"},
		{"arithmetic_5da", "What is 65360 plus 16204?", " 81564"}, {"arithmetic_5ds", "What is 40649 minus 78746?", " -38097"},
	} {
		yaml := "arithmetic/" + a.task + ".yaml (includes arithmetic_1dc.yaml)"
		cases = append(cases, lmEvalCase{task: a.task, yaml: yaml, want: eval.Loglikelihood{Context: "Question: " + a.q + "\nAnswer:", Continuation: a.completion}, gold: a.completion})
	}
	// unscramble/*.yaml: "{{context}}", until "\n", no max_gen_toks; target completion.
	for _, w := range []struct{ task, ctx, completion string }{
		{"anagrams1", "\nskicts =", " sticks"}, {"anagrams2", "\nvolwskagen =", " volkswagen"},
		{"cycle_letters", "\nasinoc =", " casino"}, {"random_insertion", "\nr e!c.i p r o.c a/l =", " reciprocal"},
		{"reversed_words", "\ntaefed =", " defeat"},
	} {
		cases = append(cases, lmEvalCase{task: w.task, yaml: "unscramble/" + w.task + ".yaml", want: eval.Generate{Context: w.ctx, Until: []string{"\n"}}, gold: w.completion})
	}
	return cases
}

// TestRequestsMatchLMEval checks the requests of each task's default
// variant on the first documents of kshot's shared data against
// lm-evaluation-harness's, rendered by hand (lmEvalCases), so that a
// drift from lm-eval fails here. kshot's ARC and OpenBookQA also send an
// unconditional request for acc_uncond, which lm-eval does not have: only
// the first request is compared.
func TestRequestsMatchLMEval(t *testing.T) {
	dataDir := sharedtest.Path(t, "data")
	for _, c := range lmEvalCases() {
		t.Run(c.task+"/"+c.variant+"/"+fmt.Sprint(c.doc), func(t *testing.T) {
			o := Options{DataDir: dataDir, Variant: c.variant}
			switch {
			case strings.HasPrefix(c.data, "testdata/"):
				o.DataPath = c.data
			case c.data != "":
				o.DataPath = filepath.Join(dataDir, c.data)
			}
			in := instances(t, c.task, o, 0)
			if got := withoutParts(t, in[c.doc].Requests[0]); !reflect.DeepEqual(got, c.want) {
				t.Errorf("document %d: kshot builds\n%#v\nlm-evaluation-harness (%s at %s) builds\n%#v", c.doc, got, c.yaml, lmEvalCommit, c.want)
			}
			if got := goldOf(in[c.doc]); !reflect.DeepEqual(got, c.gold) {
				t.Errorf("document %d: gold %#v, lm-evaluation-harness's %#v (%s)", c.doc, got, c.gold, c.yaml)
			}
		})
	}
}

// goldOf returns an instance's gold answer: the index of the correct
// option, or the accepted answers or target of a generation.
func goldOf(in eval.Instance) any {
	switch d := in.Doc.(type) {
	case mcDoc:
		return d.Gold
	case choiceDoc:
		return d.Gold
	case qaDoc:
		return d.Answers
	}
	return in.Target
}

// TestHellaswagOriginalJSONL: Rowan Zellers' hellaswag_val.jsonl rows
// (validation item 0 as released, and a WikiHow-style row) give
// lm-evaluation-harness's queries and choices, rendered by hand from
// hellaswag/utils.py at lmEvalCommit: preprocess(activity_label + ": " +
// ctx_a + " " + ctx_b.capitalize()), each ending preprocessed — a
// bracketed marker at its start leaves a space, so that continuation
// starts with two. With the text form beside it, the original is read
// and the run's note says so.
func TestHellaswagOriginalJSONL(t *testing.T) {
	rows := `{"ind": 24, "activity_label": "Roof shingle removal", "ctx_a": "A man is sitting on a roof.", "ctx_b": "he", "ctx": "A man is sitting on a roof. he", "split": "val", "split_type": "indomain", "label": 3, "endings": ["is using wrap to wrap a pair of skis.", "is ripping level tiles off.", "is holding a rubik's cube.", "starts pulling up roofing on a roof."], "source_id": "activitynet~v_-JhWjGDPHMY"}
{"ind": 1, "activity_label": "Cleaning", "ctx_a": "[header] How to clean a grill [title] Heat the grill.", "ctx_b": "", "label": 0, "endings": ["[step] Scrub the grates.", "Let it cool [substeps] then wipe."]}
`
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "hellaswag"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{"hellaswag_val.jsonl": rows, "hellaswag_val_full.txt.bz2": "not read"} {
		if err := os.WriteFile(filepath.Join(dir, "hellaswag", name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	task, err := New("hellaswag", Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	in, err := task.Instances(0, 1)
	if err != nil {
		t.Fatal(err)
	}
	want := []eval.Request{
		mc("Roof shingle removal: A man is sitting on a roof. He", " is using wrap to wrap a pair of skis.", " is ripping level tiles off.", " is holding a rubik's cube.", " starts pulling up roofing on a roof."),
		mc("Cleaning: How to clean a grill. Heat the grill.", "  Scrub the grates.", " Let it cool then wipe."),
	}
	for i, w := range want {
		if got := in[i].Requests[0]; !reflect.DeepEqual(got, w) {
			t.Errorf("row %d:\n got %q\nwant %q", i+1, got, w)
		}
	}
	if g := in[0].Doc.(mcDoc).Gold; g != 3 {
		t.Errorf("gold %d, want 3", g)
	}
	if n := Notes(task); len(n) != 1 || !strings.Contains(n[0], "hellaswag_val.jsonl") || !strings.Contains(n[0], "hellaswag_val_full.txt.bz2") {
		t.Errorf("notes %q, want one naming the file read and the other", n)
	}
}

// TestLMEvalFilterNames: the tasks whose lm-evaluation-harness YAML has a
// filter_list declare its name on their metric, so that their results
// keys are lm-eval's (triviaqa/default.yaml and nq_open/nq_open.yaml:
// "remove_whitespace"); tasks without one, and kshot's gpt3 variants,
// keep "none".
func TestLMEvalFilterNames(t *testing.T) {
	fixture := func(name string) string { return filepath.Join("testdata", "gpt3", name) }
	for _, c := range []struct {
		task, variant, data string
		want                string
	}{
		{"triviaqa", "", fixture("triviaqa.jsonl"), "exact_match,remove_whitespace"},
		{"nq_open", "", fixture("nq_open.jsonl"), "exact_match,remove_whitespace"},
		{"triviaqa", "gpt3", fixture("triviaqa.jsonl"), "exact_match,none"},
		{"anagrams1", "", "", "exact_match,none"},
		{"copa", "", "", "acc,none"},
	} {
		t.Run(c.task+"/"+c.variant, func(t *testing.T) {
			task, err := New(c.task, Options{DataDir: sharedtest.Path(t, "data"), DataPath: c.data, Variant: c.variant})
			if err != nil {
				t.Fatal(err)
			}
			m := task.Spec().Metrics[0]
			if got := m.Name + "," + m.FilterName(); got != c.want {
				t.Errorf("results key %q, want lm-eval's %q", got, c.want)
			}
		})
	}
}
