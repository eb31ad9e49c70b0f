package tasks

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/kshot-eval/kshot/eval"
)

// The GPT-3 paper's multiple-choice suite, with lm-evaluation-harness's
// prompts (which are the paper's except where a variant says otherwise).
//
// Metrics of a multiple-choice task:
//   - acc: the option with the highest log-likelihood (lm-evaluation-harness's acc);
//   - acc_norm: the highest log-likelihood per character of the option's
//     text, its leading space not counted (lm-evaluation-harness's acc_norm);
//   - acc_token: the highest log-likelihood per token of the continuation,
//     the GPT-3 paper's default normalisation ("per-token likelihood");
//   - acc_uncond (ARC and OpenBookQA, where the paper used it): the highest
//     log P(option | context) − log P(option | "Answer:"), GPT-3's
//     normalisation by the unconditional probability of the answer.
//
// WinoGrande scores one shared continuation after option-specific
// contexts, so it reports acc only. Few-shot examples are drawn from the
// evaluated split, the document itself excluded (the training splits do
// not ship with kshot's data); each is the document's context, a space and
// its correct option, examples separated by a blank line.
func init() {
	Register("hellaswag", Decl{Description: "HellaSwag (validation): pick the ending of an activity or WikiHow text, lm-evaluation-harness preprocessing; acc, acc_norm, acc_token", Kind: eval.KindMultipleChoice, Metrics: mcDeclMetrics}, newHellaswag)
	Register("piqa", Decl{Description: "PIQA (validation): pick the solution to a physical goal; acc, acc_norm, acc_token (variants lm-eval, gpt3)", Variants: mcVariants, Kind: eval.KindMultipleChoice, Metrics: mcDeclMetrics}, newPIQA)
	Register("winogrande", Decl{Description: "WinoGrande (xl, validation), partial scoring: each option in the context, the rest of the sentence scored; acc", Kind: eval.KindMultipleChoice, Metrics: acc}, newWinogrande)
	Register("arc_easy", Decl{Description: "ARC-Easy (test): grade-school science questions; acc, acc_norm, acc_token, acc_uncond", Kind: eval.KindMultipleChoice, Metrics: uncondDeclMetrics}, func(o Options) (eval.Task, error) {
		return newARC("arc_easy", "ARC-Easy", "arc/llmfoundry_arc_easy_test.jsonl", o)
	})
	Register("arc_challenge", Decl{Description: "ARC-Challenge (test): hard grade-school science questions; acc, acc_norm, acc_token, acc_uncond", Kind: eval.KindMultipleChoice, Metrics: uncondDeclMetrics}, func(o Options) (eval.Task, error) {
		return newARC("arc_challenge", "ARC-Challenge", "arc/llmfoundry_arc_challenge_test.jsonl", o)
	})
	Register("openbookqa", Decl{Description: "OpenBookQA (main, test): science questions completed by one of four answers; acc, acc_norm, acc_token, acc_uncond", Kind: eval.KindMultipleChoice, Metrics: uncondDeclMetrics}, newOpenBookQA)
	Register("copa", Decl{Description: "COPA (SuperGLUE validation): premise + because/therefore, pick the cause or effect; acc, acc_norm, acc_token (variants lm-eval, gpt3)", Variants: mcVariants, Kind: eval.KindMultipleChoice, Metrics: mcDeclMetrics}, newCOPA)
	Register("boolq", Decl{Description: "BoolQ (SuperGLUE validation): yes/no question about a passage; acc, acc_norm, acc_token (variants lm-eval, gpt3)", Variants: mcVariants, Kind: eval.KindMultipleChoice, Metrics: mcDeclMetrics}, newBoolQ)
	Register("storycloze", Decl{Description: "StoryCloze 2016 (validation; data supplied by the user): pick the ending of a four-sentence story; acc, acc_norm, acc_token", Kind: eval.KindMultipleChoice, Metrics: mcDeclMetrics}, newStoryCloze)
}

// UncondContext is the context of GPT-3's unconditional normalisation
// (acc_uncond): the options are also scored after it alone.
const UncondContext = "Answer:"

// mcDoc is one multiple-choice document. Option i is the context
// Contexts[i] (or Contexts[0] when there is one) followed by a space and
// Choices[i] (or Choices[0]): usually one context and several choices;
// partial scoring (WinoGrande) has several contexts and one choice.
type mcDoc struct {
	Contexts []string `json:"contexts"`
	Choices  []string `json:"choices"` // without the leading space
	Gold     int      `json:"gold"`
	Where    string   `json:"where"` // file and line, for messages
}

func (d mcDoc) options() int { return max(len(d.Contexts), len(d.Choices)) }

func (d mcDoc) context(i int) string {
	if len(d.Contexts) == 1 {
		return d.Contexts[0]
	}
	return d.Contexts[i]
}

func (d mcDoc) choice(i int) string {
	if len(d.Choices) == 1 {
		return d.Choices[0]
	}
	return d.Choices[i]
}

// check reports a document without at least two options, with an empty
// option, or whose gold index is out of range.
func (d mcDoc) check() error {
	n := d.options()
	if len(d.Contexts) == 0 || len(d.Choices) == 0 || n < 2 ||
		(len(d.Contexts) > 1 && len(d.Choices) > 1 && len(d.Contexts) != len(d.Choices)) {
		return fmt.Errorf("%s: the document has %d contexts and %d choices; a multiple-choice document needs at least 2 options", d.Where, len(d.Contexts), len(d.Choices))
	}
	for i := range n {
		if strings.TrimSpace(d.choice(i)) == "" {
			return fmt.Errorf("%s: choice %d is empty", d.Where, i)
		}
	}
	if d.Gold < 0 || d.Gold >= n {
		return fmt.Errorf("%s: gold label %d is out of range (the document has %d options, 0 to %d)", d.Where, d.Gold, n, n-1)
	}
	return nil
}

// mcTask is a multiple-choice task.
type mcTask struct {
	window
	notes
	spec   eval.TaskSpec
	docs   []mcDoc
	uncond bool // also score every option after UncondContext (acc_uncond)
	// uncondContext, when set, replaces UncondContext (RACE's gpt3
	// variant normalises after "A:").
	uncondContext string
	// f1Classes > 0 also reports f1_macro and f1_macro_token, the macro
	// F1 over that many classes (option j is class j) of the predictions
	// acc and acc_token make (CB).
	f1Classes int
}

// addMacroF1 makes t report f1_macro and f1_macro_token over its
// options as classes.
func (t *mcTask) addMacroF1(classes int) {
	t.f1Classes = classes
	t.spec.Metrics = append(t.spec.Metrics, eval.MacroF1("f1_macro", classes), eval.MacroF1("f1_macro_token", classes))
}

// newMCTask checks the documents and builds the task; metrics lists the
// metric names it reports.
func newMCTask(name, version, dataset, path string, docs []mcDoc, uncond bool, metrics ...string) (*mcTask, error) {
	if len(docs) == 0 {
		return nil, fmt.Errorf("task %s: %s holds no documents", name, path)
	}
	for _, d := range docs {
		if err := d.check(); err != nil {
			return nil, fmt.Errorf("task %s: %w", name, err)
		}
	}
	t := &mcTask{docs: docs, uncond: uncond}
	t.spec = eval.TaskSpec{Name: name, Version: version, Dataset: dataset, Description: Description(name)}
	for _, m := range metrics {
		t.spec.Metrics = append(t.spec.Metrics, eval.Mean(m, true))
	}
	return t, nil
}

// mcMetrics are the metrics of a task with one context and several choices.
var mcMetrics = []string{"acc", "acc_norm", "acc_token"}

func (t *mcTask) Spec() eval.TaskSpec { return t.spec }

func (t *mcTask) Instances(k int, seed uint64) ([]eval.Instance, error) {
	fs := eval.DefaultFewShot()
	pool := make([]eval.Example, len(t.docs))
	for i, d := range t.docs {
		pool[i] = eval.Example{Text: d.context(d.Gold), Target: d.choice(d.Gold)}
	}
	s, err := t.sampler(t.spec.Name, fs, pool, k, seed)
	if err != nil {
		return nil, err
	}
	out := make([]eval.Instance, len(t.docs))
	for i, d := range t.docs {
		longest := ""
		for j := range d.options() {
			if o := d.context(j) + " " + d.choice(j); len(o) > len(longest) {
				longest = o
			}
		}
		exs, err := s.draw(i, i, d.Where, fit{tail: longest})
		if err != nil {
			return nil, err
		}
		prefix := fs.Prompt(exs, "")
		mc := eval.MultipleChoice{Options: make([]eval.Loglikelihood, d.options())}
		for j := range mc.Options {
			mc.Options[j] = eval.Loglikelihood{Context: prefix + d.context(j), Continuation: " " + d.choice(j)}
		}
		reqs := []eval.Request{mc}
		if t.uncond {
			uc := UncondContext
			if t.uncondContext != "" {
				uc = t.uncondContext
			}
			un := eval.MultipleChoice{Options: make([]eval.Loglikelihood, d.options())}
			for j := range un.Options {
				un.Options[j] = eval.Loglikelihood{Context: uc, Continuation: " " + d.choice(j)}
			}
			reqs = append(reqs, un)
		}
		out[i] = eval.Instance{DocID: i, Doc: d, Target: d.context(d.Gold) + " " + d.choice(d.Gold), Requests: reqs}
	}
	if err := s.err(); err != nil {
		return nil, err
	}
	return out, nil
}

func (t *mcTask) Score(inst eval.Instance, resps []eval.Response) (map[string][]float64, error) {
	d := inst.Doc.(mcDoc)
	r, ok := resps[0].(eval.ChoiceResult)
	if !ok || len(r.Options) != d.options() {
		return nil, fmt.Errorf("%s: expected %d option scores, got %T", d.Where, d.options(), resps[0])
	}
	choices := make([]string, d.options())
	perToken := make([]float64, d.options())
	for i := range choices {
		choices[i] = d.choice(i)
		perToken[i] = r.Options[i].LogProb / float64(max(1, r.Options[i].Tokens))
	}
	sc := eval.ScoreChoices(r, choices, d.Gold)
	all := map[string]float64{"acc": sc.Acc, "acc_norm": sc.AccNorm, "acc_token": eval.Bool(eval.Argmax(perToken) == d.Gold)}
	if t.uncond {
		u, ok := resps[1].(eval.ChoiceResult)
		if !ok || len(u.Options) != d.options() {
			return nil, fmt.Errorf("%s: expected %d unconditional option scores, got %T", d.Where, d.options(), resps[1])
		}
		all["acc_uncond"] = eval.UnconditionalAcc(r, u, d.Gold)
	}
	out := map[string][]float64{}
	for _, m := range t.spec.Metrics {
		if !m.Corpus {
			out[m.Name] = eval.MeanStats(all[m.Name])
		}
	}
	if t.f1Classes > 0 {
		if d.options() != t.f1Classes {
			return nil, fmt.Errorf("%s: %d options, want one per class (%d)", d.Where, d.options(), t.f1Classes)
		}
		raw := make([]float64, d.options())
		for i := range raw {
			raw[i] = r.Options[i].LogProb
		}
		out["f1_macro"] = eval.MacroF1Stats(d.Gold, eval.Argmax(raw), t.f1Classes)
		out["f1_macro_token"] = eval.MacroF1Stats(d.Gold, eval.Argmax(perToken), t.f1Classes)
	}
	return out, nil
}

// pyCapitalize is Python's str.capitalize: the first character in title
// case, the rest lower-cased.
func pyCapitalize(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return strings.ToTitle(string(r)) + strings.ToLower(s[n:])
}

// lowerFirst lower-cases the first character of s (lm-evaluation-harness's
// COPA convert_choice).
func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return strings.ToLower(string(r)) + s[n:]
}
