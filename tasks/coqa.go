package tasks

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/kshot-eval/kshot/datasets"
	"github.com/kshot-eval/kshot/datasets/hub"
	"github.com/kshot-eval/kshot/eval"
	"github.com/kshot-eval/kshot/eval/textscore"
)

// CoQA (Reddy et al. 2019), conversational question answering on the
// development set: the story, the conversation so far, and the next
// question, answered greedily until "\nQ:"; em and f1 as CoQA's official
// evaluate-v1.0.py computes them (SQuAD's normalisation, each turn scored
// against its human answers with the leave-one-out average).
//
// Variants:
//   - lm-eval (default), lm-evaluation-harness's coqa: one document per
//     story, the last turn asked — "{story}\n\nQ: {q1}\n\nA: {a1}\n\n…
//     Q: {qn}\n\nA:" — its answer and the additional answers that differ
//     from it in more than case as references, the prediction the first
//     line of the stripped generation;
//   - gpt2, the GPT-2 paper's evaluation (Radford et al. 2019, §3.5:
//     "conditioned on a document, the history of the associated
//     conversation, and a final token A:"; 55 F1 for the largest model,
//     the GPT-3 paper's Table H.1 row "CoQA" scores the same way): every
//     turn of every story is a document, in the same layout with the gold
//     answers of the earlier turns as history, scored against all four
//     human answers as the official script does;
//   - gpt3, the GPT-3 paper's Figure G.18 and rule for free-form answers:
//     the same documents as gpt2 (every turn, all human answers), laid out
//     "{story}\nQ: {q1}\nA: {a1}\n…Q: {qn}\nA:" (one line per question
//     and answer; the line breaks are kshot's reading of the figure),
//     generated until a newline by beam search, width 4 and length
//     penalty 0.6 (gpt3Beam).
//
// Few-shot examples are other stories in lm-eval's layout with their last
// answer (the validation split, the document's own story excluded).
func init() {
	Register("coqa", Decl{Description: "CoQA (validation): greedy answer after the story and the conversation so far; em and f1 of the official scorer (variants lm-eval: last turn of each story, gpt2: every turn, gpt3: every turn, Figure G.18, beam width 4)",
		Variants: []string{CoQAVariantLMEval, CoQAVariantGPT2, CoQAVariantGPT3}, Kind: eval.KindGenerate, Metrics: emF1}, newCoQA)
	hubData["coqa"] = hub.Dataset{Repo: "EleutherAI/coqa", Config: "default", Split: "validation"}
}

// CoQA prompt variants.
const (
	CoQAVariantLMEval = "lm-eval"
	CoQAVariantGPT2   = "gpt2"
	CoQAVariantGPT3   = "gpt3"
)

// emF1 are the metrics of coqa, drop and record, as lm-evaluation-harness names them.
var emF1 = []string{"em", "f1"}

// genMaxTokens is lm-evaluation-harness's default max_gen_toks.
const genMaxTokens = 256

type coqaStory struct {
	story     string
	questions []string
	answers   [][]string // answers[i]: the turn's answer, then the additional answers
	where     string
}

func newCoQA(o Options) (eval.Task, error) {
	const name = "coqa"
	rows, err := taskRecords(name, o, "coqa/coqa-dev-v1.0.json", "CoQA's development set (coqa-dev-v1.0.json, or EleutherAI/coqa rows)", func(top map[string]any) ([]map[string]any, error) { return objects(top["data"], "data") })
	if err != nil {
		return nil, err
	}
	var stories []coqaStory
	for _, row := range rows {
		s, err := readCoQAStory(row)
		if err != nil {
			return nil, err
		}
		stories = append(stories, s)
	}
	t := &genTask{fs: eval.DefaultFewShot(), until: []string{"\nQ:"}, maxTokens: genMaxTokens}
	t.spec = eval.TaskSpec{Name: name, Version: "1.0-" + o.Variant, Dataset: "EleutherAI/coqa (validation)", Description: Description(name),
		Metrics: []eval.Metric{eval.Mean("em", true), eval.Mean("f1", true)}}
	sep := "\n\n" // lm-eval's and GPT-2's layout; Figure G.18's is one line a turn
	if o.Variant == CoQAVariantGPT3 {
		sep, t.until, t.decoding = "\n", []string{"\n"}, gpt3BeamRule
	}
	prompt := func(s coqaStory, turn int) string { // turn is 0-based; earlier turns answered
		var b strings.Builder
		b.WriteString(s.story + sep)
		for j := 0; j < turn; j++ {
			b.WriteString("Q: " + s.questions[j] + sep + "A: " + s.answers[j][0] + sep)
		}
		b.WriteString("Q: " + s.questions[turn] + sep + "A:")
		return b.String()
	}
	t.pool = make([]eval.Example, len(stories))
	for i, s := range stories {
		last := len(s.questions) - 1
		t.pool[i] = eval.Example{Text: prompt(s, last), Target: s.answers[last][0]}
	}
	for i, s := range stories {
		if o.Variant == CoQAVariantGPT2 || o.Variant == CoQAVariantGPT3 {
			for turn := range s.questions {
				t.docs = append(t.docs, genDoc{ID: fmt.Sprintf("%d/%d", i, turn+1), Query: prompt(s, turn), Target: s.answers[turn][0],
					Golds: s.answers[turn], Where: s.where, Pool: i})
			}
			continue
		}
		last := len(s.questions) - 1
		t.docs = append(t.docs, genDoc{ID: strconv.Itoa(i), Query: t.pool[i].Text, Target: t.pool[i].Target,
			Golds: lmEvalCoQAGolds(s.answers[last]), Where: s.where, Pool: i})
	}
	t.score = func(d genDoc, gen string) map[string][]float64 {
		em, f1 := textscore.CoQAScores(d.Golds, firstLine(gen))
		return map[string][]float64{"em": eval.MeanStats(em), "f1": eval.MeanStats(f1)}
	}
	return t, nil
}

// lmEvalCoQAGolds is lm-evaluation-harness's doc_to_target: the turn's
// answer, then each additional answer not equal to one already kept when
// lower-cased.
func lmEvalCoQAGolds(all []string) []string {
	out := []string{all[0]}
	for _, a := range all[1:] {
		dup := false
		for _, k := range out {
			if strings.ToLower(k) == strings.ToLower(a) {
				dup = true
			}
		}
		if !dup {
			out = append(out, a)
		}
	}
	return out
}

// readCoQAStory reads one story in the official form (questions and
// answers as lists of {input_text, turn_id}, additional_answers as
// {"0": [...], ...}) or the Hub's (the same fields as objects of lists).
func readCoQAStory(row datasets.Row) (coqaStory, error) {
	s := coqaStory{where: row.Where()}
	var err error
	if s.story, err = row.String("story"); err != nil {
		return s, err
	}
	if s.questions, err = textsOf(row, "questions", "input_text"); err != nil {
		return s, err
	}
	answers, err := textsOf(row, "answers", "input_text")
	if err != nil {
		return s, err
	}
	if len(answers) != len(s.questions) || len(answers) == 0 {
		return s, row.Invalid("answers", "has %d answers for %d questions; want one per question", len(answers), len(s.questions))
	}
	s.answers = make([][]string, len(answers))
	for i, a := range answers {
		s.answers[i] = []string{a}
	}
	if _, ok := row.Get("additional_answers"); ok {
		add, err := row.Object("additional_answers")
		if err != nil {
			return s, err
		}
		for _, k := range add.Keys() {
			alt, err := textsOf(add, k, "input_text")
			if err != nil {
				return s, err
			}
			if len(alt) != len(answers) {
				return s, add.Invalid(k, "has %d answers for %d questions; want one per question", len(alt), len(answers))
			}
			for i, a := range alt {
				s.answers[i] = append(s.answers[i], a)
			}
		}
	}
	return s, nil
}

func (t *genTask) specPtr() *eval.TaskSpec { return &t.spec }
