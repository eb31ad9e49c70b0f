package tasks

import (
	"fmt"
	"sort"
	"strings"

	"github.com/kshot-eval/kshot/datasets/hub"
	"github.com/kshot-eval/kshot/eval"
	"github.com/kshot-eval/kshot/eval/textscore"
)

// QuAC and WebQuestions.
//
// quac reads the QuAC development dialogues as MosaicML llm-foundry's
// free-response file holds them (../shared/data/quac/llmfoundry_quac.jsonl:
// one final question per line, its context the section text and the
// dialogue so far ending "Question: {q}", the answer and its aliases;
// unanswerable questions are "CANNOTANSWER" with aliases such as "Cannot
// answer"). lm-evaluation-harness has no QuAC task. The prompt is the
// context followed by "\nAnswer:", as the file's own dialogue turns are
// written; greedy until a newline; f1, of the first line of the stripped
// generation, is SQuAD's token F1, the best over
// the answer and its aliases (the file keeps one human answer, so QuAC's
// official multi-reference scorer cannot be applied; the GPT-3 paper's
// QuAC row is an F1).
//
// webqs is lm-evaluation-harness's webqs: "Question: {question}\nAnswer:"
// with every accepted answer (those with a strict prefix among the
// others removed) as a continuation " {answer}"; exact_match is 1 when the
// model's greedy continuation is one of them. webqs_gpt3 is the GPT-3
// paper's open-ended form (Figure G.35, "Q: {question}\nA:", until a
// newline by the paper's beam search, width 4 and length penalty 0.6; exact_match after SQuAD's normalisation against any accepted
// answer, as closed-book QA is usually scored); a separate task because
// it generates where webqs compares likelihoods. Its few-shot examples
// come from the test split (the paper drew them from the training set).
func init() {
	Register("quac", Decl{Description: "QuAC (llm-foundry's dev file): greedy answer to the dialogue's last question; f1 over the answer and its aliases",
		Kind: eval.KindGenerate, Metrics: []string{"f1"}}, newQuAC)
	Register("webqs", Decl{Description: "WebQuestions (test): exact_match when the greedy continuation is an accepted answer (lm-eval's multiple-choice form)",
		Kind: eval.KindMultipleChoice, Metrics: exactMatch}, newWebQs)
	Register("webqs_gpt3", Decl{Description: "WebQuestions (test), the GPT-3 paper's format: beam-search answer (width 4, length penalty 0.6) to \"Q: … A:\", exact_match over the accepted answers",
		Kind: eval.KindGenerate, Metrics: exactMatch}, newWebQsGPT3)
	hubData["webqs"] = hub.Dataset{Repo: "stanfordnlp/web_questions", Config: "default", Split: "test"}
	hubData["webqs_gpt3"] = hubData["webqs"]
}

func newWebQsGPT3(o Options) (eval.Task, error) {
	const name = "webqs_gpt3"
	rows, err := taskRecords(name, o, "webqs/test.jsonl", "WebQuestions' test split ({question, answers})", nil)
	if err != nil {
		return nil, err
	}
	// 1.1: the paper's beam search (gpt3Beam) instead of greedy.
	t := &genTask{fs: eval.DefaultFewShot(), until: []string{"\n"}, maxTokens: qaMaxTokens, decoding: gpt3BeamRule}
	t.spec = eval.TaskSpec{Name: name, Version: "1.1", Dataset: "stanfordnlp/web_questions (test)", Description: Description(name),
		Metrics: []eval.Metric{eval.Mean("exact_match", true)}}
	for _, row := range rows {
		q, err := row.String("question")
		if err != nil {
			return nil, err
		}
		answers, err := row.Strings("answers")
		if err != nil {
			return nil, err
		}
		if len(answers) == 0 {
			return nil, row.Invalid("answers", "is empty: a question needs an accepted answer")
		}
		t.docs = append(t.docs, genDoc{Query: "Q: " + q + "\nA:", Target: answers[0], Golds: answers, Where: row.Where()})
	}
	t.score = func(d genDoc, gen string) map[string][]float64 {
		em, _ := textscore.MaxOverGolds(d.Golds, strings.TrimSpace(gen))
		return map[string][]float64{"exact_match": eval.MeanStats(em)}
	}
	return t, nil
}

func newQuAC(o Options) (eval.Task, error) {
	const name = "quac"
	rows, err := taskRecords(name, o, "quac/llmfoundry_quac.jsonl", "QuAC in llm-foundry's form ({context, answer, aliases})", nil)
	if err != nil {
		return nil, err
	}
	t := &genTask{fs: eval.DefaultFewShot(), until: []string{"\n"}, maxTokens: qaMaxTokens}
	t.spec = eval.TaskSpec{Name: name, Version: "1.0", Dataset: "QuAC dev (mosaicml/llm-foundry quac.jsonl)", Description: Description(name),
		Metrics: []eval.Metric{eval.Mean("f1", true)}}
	for _, row := range rows {
		ctx, err := row.String("context")
		if err != nil {
			return nil, err
		}
		ans, err := row.String("answer")
		if err != nil {
			return nil, err
		}
		golds := []string{ans}
		if _, ok := row.Get("aliases"); ok {
			al, err := row.Strings("aliases")
			if err != nil {
				return nil, err
			}
			golds = append(golds, al...)
		}
		t.docs = append(t.docs, genDoc{Query: ctx + "\nAnswer:", Target: ans, Golds: golds, Where: row.Where()})
	}
	t.score = func(d genDoc, gen string) map[string][]float64 {
		_, f1 := textscore.MaxOverGolds(d.Golds, firstLine(gen))
		return map[string][]float64{"f1": eval.MeanStats(f1)}
	}
	return t, nil
}

// webqsDoc is one WebQuestions question with its accepted answers as
// lm-evaluation-harness offers them.
type webqsDoc struct {
	Question string   `json:"question"`
	Answers  []string `json:"answers"`
	Where    string   `json:"where"`
}

type webqsTask struct {
	window
	spec eval.TaskSpec
	docs []webqsDoc
}

func (t *webqsTask) specPtr() *eval.TaskSpec { return &t.spec }
func (t *webqsTask) Spec() eval.TaskSpec     { return t.spec }

func newWebQs(o Options) (eval.Task, error) {
	const name = "webqs"
	rows, err := taskRecords(name, o, "webqs/test.jsonl", "WebQuestions' test split ({question, answers})", nil)
	if err != nil {
		return nil, err
	}
	t := &webqsTask{spec: eval.TaskSpec{Name: name, Version: "1.0", Dataset: "stanfordnlp/web_questions (test)", Description: Description(name),
		Metrics: []eval.Metric{eval.Mean("exact_match", true)}}}
	for _, row := range rows {
		q, err := row.String("question")
		if err != nil {
			return nil, err
		}
		answers, err := row.Strings("answers")
		if err != nil {
			return nil, err
		}
		if len(answers) == 0 {
			return nil, row.Invalid("answers", "is empty: a question needs an accepted answer")
		}
		t.docs = append(t.docs, webqsDoc{Question: q, Answers: removePrefixes(answers), Where: row.Where()})
	}
	return t, nil
}

// removePrefixes is lm-evaluation-harness's _remove_prefixes: the answers
// sorted, each dropped when the last one kept is its prefix (a greedy
// continuation that matches the prefix already counts).
func removePrefixes(answers []string) []string {
	s := append([]string(nil), answers...)
	sort.Strings(s)
	out := []string{s[0]}
	for _, a := range s[1:] {
		if !strings.HasPrefix(a, out[len(out)-1]) {
			out = append(out, a)
		}
	}
	return out
}

func (t *webqsTask) Instances(k int, seed uint64) ([]eval.Instance, error) {
	fs := eval.DefaultFewShot()
	pool := make([]eval.Example, len(t.docs))
	for i, d := range t.docs {
		pool[i] = eval.Example{Text: "Question: " + d.Question + "\nAnswer:", Target: d.Answers[0]}
	}
	s, err := t.sampler(t.spec.Name, fs, pool, k, seed)
	if err != nil {
		return nil, err
	}
	out := make([]eval.Instance, len(t.docs))
	for i, d := range t.docs {
		conts := make([]string, len(d.Answers))
		for j, a := range d.Answers {
			conts[j] = " " + a
		}
		exs, err := s.draw(i, i, d.Where, fit{tail: pool[i].Text + conts[0]})
		if err != nil {
			return nil, err
		}
		out[i] = eval.Instance{DocID: i, Doc: d, Target: d.Answers[0],
			Requests: []eval.Request{eval.Choices(fs.Prompt(exs, pool[i].Text), conts...)}}
	}
	if err := s.err(); err != nil {
		return nil, err
	}
	return out, nil
}

func (t *webqsTask) Score(inst eval.Instance, resps []eval.Response) (map[string][]float64, error) {
	c, ok := resps[0].(eval.ChoiceResult)
	if !ok {
		return nil, fmt.Errorf("task %s: document %d: unexpected response %T", t.spec.Name, inst.DocID, resps[0])
	}
	em := 0.0
	for _, o := range c.Options {
		if o.Greedy {
			em = 1
		}
	}
	return map[string][]float64{"exact_match": eval.MeanStats(em)}, nil
}
