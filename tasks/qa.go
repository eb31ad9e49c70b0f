package tasks

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/kshot-eval/kshot/datasets"
	"github.com/kshot-eval/kshot/eval"
)

// Closed-book question answering: the model answers from its parameters
// alone, greedily, and the answer is compared with every accepted answer.
//
// Variants:
//   - lm-eval (default), lm-evaluation-harness's triviaqa and nq_open:
//     TriviaQA "Question: {q}?\nAnswer:" (its "?" is added even after the
//     question's own), NQ "Answer these questions:\n\n" then
//     "Q: {q}?\nA:" with examples one line apart; generation stops at a
//     newline, "." or ","; exact_match after removing leading whitespace,
//     lower-casing and dropping ASCII punctuation (NQ also drops the
//     articles a, an, the as lm-evaluation-harness's regex does);
//   - gpt3, the GPT-3 paper's "Q: … A:" (Appendix G): "Q: {q}\nA:" ("?"
//     added only when the question has none), examples separated by a
//     blank line (the line breaks are kshot's reading of the figures),
//     generation until a newline by the paper's beam search (width 4,
//     length penalty 0.6; gpt3Beam), exact_match after SQuAD's normalisation
//     (lower case, no punctuation or articles, whitespace collapsed), as
//     closed-book QA is usually scored; the paper does not spell it out.
//
// Few-shot examples are drawn from the evaluated split, the document
// excluded, and show the first accepted answer. The lm-eval variant's
// generation has no cap of its own (lm-evaluation-harness's YAMLs set
// none: the model's default, eval.DefaultMaxGenTokens) and its
// exact_match is keyed with lm-eval's filter name, remove_whitespace;
// the gpt3 variant's is capped at qaMaxTokens tokens.
func init() {
	Register("triviaqa", Decl{Description: "TriviaQA (rc.nocontext, validation), closed book: greedy answer (gpt3: beam width 4, length penalty 0.6), exact_match over the answer aliases (variants lm-eval, gpt3)", Variants: qaVariants, Kind: eval.KindGenerate, Metrics: []string{"exact_match"}}, func(o Options) (eval.Task, error) {
		return newQA("triviaqa", "mandarjoshi/trivia_qa (rc.nocontext, validation)", "triviaqa/rc.nocontext/validation-00000-of-00001.parquet", o)
	})
	Register("nq_open", Decl{Description: "Natural Questions open (validation), closed book: greedy answer (gpt3: beam width 4, length penalty 0.6), exact_match over the answers (variants lm-eval, gpt3)", Variants: qaVariants, Kind: eval.KindGenerate, Metrics: []string{"exact_match"}}, func(o Options) (eval.Task, error) {
		return newQA("nq_open", "google-research-datasets/nq_open (nq_open, validation)", "nq_open/validation-00000-of-00001.parquet", o,
			dataForm{"natural_questions/NQ-open.dev.jsonl", "the original NQ-open dev file"})
	})
}

// QA prompt variants.
const (
	QAVariantLMEval = "lm-eval"
	QAVariantGPT3   = "gpt3"
)

// qaMaxTokens caps the generated answer of the gpt3 variant; accepted
// answers are a few words.
const qaMaxTokens = 32

// lmEvalQAFilter is the name of the filter of lm-evaluation-harness's
// triviaqa and nq_open (remove_whitespace, then take_first), the filter
// part of their results keys.
const lmEvalQAFilter = "remove_whitespace"

// maxTokens is the generation cap of the task's requests, 0 for the
// model's default.
func (t *qaTask) maxTokens() int {
	if t.variant == QAVariantGPT3 {
		return qaMaxTokens
	}
	return 0
}

// genReserve is the number of tokens a few-shot prompt leaves free for a
// generation capped at maxTokens (0: the model's default).
func genReserve(maxTokens int) int {
	if maxTokens == 0 {
		return eval.DefaultMaxGenTokens
	}
	return maxTokens
}

// qaDoc is one question with its accepted answers (the first is the one
// shown in few-shot examples).
type qaDoc struct {
	Question string   `json:"question"`
	Answers  []string `json:"answers"`
	Where    string   `json:"where"`
}

type qaTask struct {
	window
	drops
	notes
	spec    eval.TaskSpec
	docs    []qaDoc
	variant string
	nq      bool
}

// newQA reads rows with a question and its answers: TriviaQA's
// {question, answer: {value, aliases}} (aliases first, then the value if
// not among them), NQ-open's {question, answer: [...]}, or
// {question, answers: [...]}.
//
// forms are local files of the data set preferred to rel, the Hub's
// Parquet conversion, in the data directory.
func newQA(name, dataset, rel string, o Options, forms ...dataForm) (eval.Task, error) {
	variant := o.Variant
	if variant == "" {
		variant = QAVariantLMEval
	}
	if variant != QAVariantLMEval && variant != QAVariantGPT3 {
		return nil, fmt.Errorf("task %s: unknown prompt variant %q (have %q, %q)", name, variant, QAVariantLMEval, QAVariantGPT3)
	}
	path, note, err := preferredDataFile(name, o, dataset, append(forms, dataForm{rel, "the Hub's Parquet conversion"})...)
	if err != nil {
		return nil, err
	}
	t := &qaTask{variant: variant, nq: name == "nq_open"}
	t.addNote(note)
	// 1.1-lm-eval: no generation cap of kshot's own (was 32 tokens).
	t.spec = eval.TaskSpec{Name: name, Version: "1.1-" + variant, Dataset: dataset, Description: Description(name),
		Metrics: []eval.Metric{eval.Mean("exact_match", true).Filtered(lmEvalQAFilter)}}
	if variant == QAVariantGPT3 {
		t.spec.Version = "1.1-" + variant // 1.1: the paper's beam search (gpt3Beam) instead of greedy
		t.spec.Metrics[0].Filter = ""
	}
	read, dropped := 0, 0 // answers
	for row, err := range datasets.Open(path) {
		if err != nil {
			return nil, err
		}
		q, err := row.String("question")
		if err != nil {
			return nil, err
		}
		answers, empty, err := qaAnswers(row)
		if err != nil {
			return nil, err
		}
		read, dropped = read+len(answers)+empty, dropped+empty
		t.docs = append(t.docs, qaDoc{Question: q, Answers: answers, Where: row.Where()})
	}
	t.add(dropped, read, "answers", "empty or only whitespace (a document with no other answer is an error)")
	if len(t.docs) == 0 {
		return nil, fmt.Errorf("task %s: %s holds no documents", name, path)
	}
	return t, nil
}

// qaAnswers returns a row's non-empty answers and the number of empty
// ones left out.
func qaAnswers(row datasets.Row) ([]string, int, error) {
	var answers []string
	var err error
	key := "answer"
	v, ok := row.Get("answer")
	switch {
	case !ok:
		key = "answers"
		answers, err = row.Strings("answers")
	case isObject(v):
		var a datasets.Row
		if a, err = row.Object("answer"); err != nil {
			return nil, 0, err
		}
		if answers, err = a.Strings("aliases"); err != nil {
			return nil, 0, err
		}
		if value, verr := a.String("value"); verr == nil && !slices.Contains(answers, value) {
			answers = append(answers, value)
		}
	default:
		if s, isStr := v.(string); isStr {
			answers = []string{s}
		} else {
			answers, err = row.Strings("answer")
		}
	}
	if err != nil {
		return nil, 0, err
	}
	var kept []string
	for _, a := range answers {
		if strings.TrimSpace(a) != "" {
			kept = append(kept, a)
		}
	}
	if len(kept) == 0 {
		return nil, 0, row.Invalid(key, "holds no non-empty answer")
	}
	return kept, len(answers) - len(kept), nil
}

func isObject(v any) bool { _, ok := v.(map[string]any); return ok }

func (t *qaTask) Spec() eval.TaskSpec { return t.spec }

// prompt returns the few-shot layout, the query text of a document and
// the stop strings.
func (t *qaTask) prompt() (eval.FewShot, func(qaDoc) string, []string) {
	if t.variant == QAVariantGPT3 {
		return eval.DefaultFewShot(), func(d qaDoc) string {
			q := d.Question
			if !strings.HasSuffix(strings.TrimSpace(q), "?") {
				q += "?"
			}
			return "Q: " + q + "\nA:"
		}, []string{"\n"}
	}
	stops := []string{"\n", ".", ","}
	if t.nq {
		return eval.FewShot{Description: "Answer these questions:\n\n", TargetDelimiter: " ", FewshotDelimiter: "\n"},
			func(d qaDoc) string { return "Q: " + d.Question + "?\nA:" }, stops
	}
	return eval.DefaultFewShot(), func(d qaDoc) string { return "Question: " + d.Question + "?\nAnswer:" }, stops
}

func (t *qaTask) Instances(k int, seed uint64) ([]eval.Instance, error) {
	fs, text, stops := t.prompt()
	pool := make([]eval.Example, len(t.docs))
	for i, d := range t.docs {
		pool[i] = eval.Example{Text: text(d), Target: d.Answers[0]}
	}
	s, err := t.sampler(t.spec.Name, fs, pool, k, seed)
	if err != nil {
		return nil, err
	}
	out := make([]eval.Instance, len(t.docs))
	for i, d := range t.docs {
		exs, err := s.draw(i, i, d.Where, fit{tail: pool[i].Text, reserve: genReserve(t.maxTokens())})
		if err != nil {
			return nil, err
		}
		req := eval.Generate{Context: fs.Prompt(exs, pool[i].Text), Until: stops, MaxTokens: t.maxTokens(), Parts: fs.Parts(exs, pool[i].Text)}
		if t.variant == QAVariantGPT3 {
			req.Decoding = gpt3Beam
		}
		out[i] = eval.Instance{DocID: i, Doc: d, Target: d.Answers[0], Requests: []eval.Request{req}}
	}
	if err := s.err(); err != nil {
		return nil, err
	}
	return out, nil
}

func (t *qaTask) Score(inst eval.Instance, resps []eval.Response) (map[string][]float64, error) {
	g, ok := resps[0].(eval.GenerateResult)
	if !ok {
		return nil, fmt.Errorf("task %s: document %d: unexpected response %T", t.spec.Name, inst.DocID, resps[0])
	}
	d := inst.Doc.(qaDoc)
	var em float64
	if t.variant == QAVariantGPT3 {
		em = eval.ExactMatch(strings.TrimSpace(g.Text), d.Answers)
	} else {
		em = LMEvalExactMatch(strings.TrimLeft(g.Text, " \t\n\r\v\f"), d.Answers, t.nq)
	}
	return map[string][]float64{"exact_match": eval.MeanStats(em)}, nil
}

// lmEvalArticles is lm-evaluation-harness's nq_open regexes_to_ignore.
var lmEvalArticles = regexp.MustCompile(`\b(?:The |the |An |A |The |a |an )`)

// asciiPunct is Python's string.punctuation.
const asciiPunct = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"

// LMEvalExactMatch is 1 when pred equals one of golds after
// lm-evaluation-harness's exact_match options ignore_case and
// ignore_punctuation (ASCII punctuation removed), with the articles
// regex of nq_open applied first when articles is true.
func LMEvalExactMatch(pred string, golds []string, articles bool) float64 {
	norm := func(s string) string {
		if articles {
			s = lmEvalArticles.ReplaceAllString(s, "")
		}
		s = strings.ToLower(s)
		return strings.Map(func(r rune) rune {
			if r < 128 && strings.ContainsRune(asciiPunct, r) {
				return -1
			}
			return r
		}, s)
	}
	p := norm(pred)
	for _, g := range golds {
		if norm(g) == p {
			return 1
		}
	}
	return 0
}
