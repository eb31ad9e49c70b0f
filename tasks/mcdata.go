package tasks

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/kshot-eval/kshot/datasets"
	"github.com/kshot-eval/kshot/eval"
)

// Readers of the multiple-choice data sets. Each accepts the Hugging Face
// Hub's column layout (Parquet, or JSON Lines with the same fields) and
// the llm-foundry ICL form {query, choices, gold} that kshot's shared data
// holds, and builds lm-evaluation-harness's prompt from either.

// readMC converts every record of path with conv; forms describes the
// record layouts conv accepts, for the hint of a missing field.
func readMC(path, forms string, conv func(datasets.Row) (mcDoc, error)) ([]mcDoc, error) {
	var docs []mcDoc
	for row, err := range datasets.Open(path) {
		if err != nil {
			return nil, err
		}
		d, err := conv(row)
		if errors.Is(err, datasets.ErrMissingField) {
			return nil, fmt.Errorf("%w; records are %s", err, forms)
		}
		if err != nil {
			return nil, err
		}
		d.Where = row.Where()
		docs = append(docs, d)
	}
	return docs, nil
}

// labelInt returns field key as an int; a quoted integer ("2") is
// accepted, as the Hub stores some labels as strings.
func labelInt(row datasets.Row, key string) (int, error) {
	v, ok := row.Get(key)
	if s, isStr := v.(string); ok && isStr {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return 0, row.Invalid(key, "is %q, want an integer label", s)
		}
		return n, nil
	}
	return row.Int(key)
}

// foundry reads the llm-foundry form {query, choices, gold}.
func foundry(row datasets.Row) (query string, choices []string, gold int, err error) {
	if query, err = row.String("query"); err != nil {
		return
	}
	if choices, err = row.Strings("choices"); err != nil {
		return
	}
	gold, err = labelInt(row, "gold")
	return
}

// keyedChoices reads the Hub's {choices: {text, label}, answerKey} (ARC,
// OpenBookQA) and returns the texts and the answer's index.
func keyedChoices(row datasets.Row) ([]string, int, error) {
	c, err := row.Object("choices")
	if err != nil {
		return nil, 0, err
	}
	texts, err := c.Strings("text")
	if err != nil {
		return nil, 0, err
	}
	labels, err := c.Strings("label")
	if err != nil {
		return nil, 0, err
	}
	key, err := row.String("answerKey")
	if err != nil {
		return nil, 0, err
	}
	key = strings.TrimSpace(key)
	for i, l := range labels {
		if l == key {
			return texts, i, nil
		}
	}
	return nil, 0, row.Invalid("answerKey", "is %q, not one of the choice labels %q", key, labels)
}

// isTextForm reports whether path names a plain-text file (.txt, maybe
// compressed).
func isTextForm(path string) bool {
	p := strings.TrimSuffix(strings.TrimSuffix(path, ".gz"), ".bz2")
	return strings.HasSuffix(strings.ToLower(p), ".txt")
}

var hellaswagBrackets = regexp.MustCompile(`\[.*?\]`)

// hellaswagPreprocess is lm-evaluation-harness's HellaSwag preprocess:
// strip, " [title]" → ". ", drop [bracketed] WikiHow markers, then one
// pass of "  " → " ".
func hellaswagPreprocess(s string) string {
	s = strings.TrimSpace(s)
	s = strings.ReplaceAll(s, " [title]", ". ")
	s = hellaswagBrackets.ReplaceAllString(s, "")
	return strings.ReplaceAll(s, "  ", " ")
}

// hellaswagTextQuery restores lm-evaluation-harness's capitalisation of
// ctx_b in a query of the 6-lines-per-item text form, which is
// activity_label + ": " + ctx_a + " " + ctx_b preprocessed but with ctx_b
// as in the data (lower case). ctx_b is taken to be the fragment after the
// last sentence end (". ", "? ", "! ") when the query does not itself end
// a sentence: in the 10042 validation items that fragment is all lower
// case and is ctx_b of the 3243 ActivityNet items, while the WikiHow items
// (empty ctx_b) end with a full stop. A reconstruction, not the original
// fields: read the Hub's Parquet for ctx_a and ctx_b themselves.
func hellaswagTextQuery(q string) string {
	if strings.HasSuffix(q, ".") || strings.HasSuffix(q, "?") || strings.HasSuffix(q, "!") {
		return q
	}
	start := strings.Index(q, ": ") + 2
	if start < 2 {
		start = 0
	}
	for _, sep := range []string{". ", "? ", "! "} {
		if i := strings.LastIndex(q, sep); i >= 0 && i+2 > start {
			start = i + 2
		}
	}
	return q[:start] + pyCapitalize(q[start:])
}

func newHellaswag(o Options) (eval.Task, error) {
	path, err := dataFile("hellaswag", o, "hellaswag/hellaswag_val_full.txt.bz2", "HellaSwag's validation set")
	if err != nil {
		return nil, err
	}
	var docs []mcDoc
	if isTextForm(path) {
		docs, err = readHellaswagText(path)
	} else {
		docs, err = readMC(path, `{activity_label, ctx_a, ctx_b, endings, label} (Hub) or {query, choices, gold} (llm-foundry)`, hellaswagRow)
	}
	if err != nil {
		return nil, err
	}
	return newMCTask("hellaswag", "1.0", "Rowan/hellaswag (default, validation)", path, docs, false, mcMetrics...)
}

// hellaswagRow reads a Hub row {activity_label, ctx_a, ctx_b, endings,
// label} or an llm-foundry row, whose query and choices are already
// preprocessed.
func hellaswagRow(row datasets.Row) (mcDoc, error) {
	if _, ok := row.Get("ctx_a"); !ok {
		q, choices, gold, err := foundry(row)
		return mcDoc{Contexts: []string{q}, Choices: choices, Gold: gold}, err
	}
	var f [3]string
	for i, k := range []string{"activity_label", "ctx_a", "ctx_b"} {
		s, err := row.String(k)
		if err != nil {
			return mcDoc{}, err
		}
		f[i] = s
	}
	endings, err := row.Strings("endings")
	if err != nil {
		return mcDoc{}, err
	}
	gold, err := labelInt(row, "label")
	if err != nil {
		return mcDoc{}, err
	}
	d := mcDoc{Contexts: []string{hellaswagPreprocess(f[0] + ": " + f[1] + " " + pyCapitalize(f[2]))}, Gold: gold}
	for _, e := range endings {
		d.Choices = append(d.Choices, hellaswagPreprocess(e))
	}
	return d, nil
}

// readHellaswagText reads the text form (see parseHellaswagText).
func readHellaswagText(path string) ([]mcDoc, error) {
	text, err := datasets.ReadText(path)
	if err != nil {
		return nil, err
	}
	return parseHellaswagText(text, path)
}

// parseHellaswagText parses the text form read from path: per item a
// query line, the gold label (0–3) and four ending lines.
func parseHellaswagText(text, path string) ([]mcDoc, error) {
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines)%6 != 0 || text == "" {
		return nil, fmt.Errorf("%s: %d lines, not a positive multiple of 6 (the text form has 6 lines per item: context, gold label, four endings)", path, len(lines))
	}
	docs := make([]mcDoc, 0, len(lines)/6)
	for i := 0; i < len(lines); i += 6 {
		for j := i; j < i+6; j++ {
			lines[j] = strings.TrimSuffix(lines[j], "\r")
		}
		gold, err := strconv.Atoi(strings.TrimSpace(lines[i+1]))
		if err != nil {
			return nil, fmt.Errorf("%s:%d: gold label %q is not an integer (expected line 2 of a 6-line item)", path, i+2, lines[i+1])
		}
		docs = append(docs, mcDoc{Contexts: []string{hellaswagTextQuery(lines[i])}, Choices: append([]string(nil), lines[i+2:i+6]...),
			Gold: gold, Where: fmt.Sprintf("%s:%d", path, i+1)})
	}
	return docs, nil
}

// Prompt variants of PIQA and BoolQ.
const (
	// MCVariantLMEval is lm-evaluation-harness's prompt (PIQA:
	// "Question: {goal}\nAnswer:").
	MCVariantLMEval = "lm-eval"
	// MCVariantGPT3 is the GPT-3 paper's (Appendix G). PIQA: the goal,
	// then a space and the solution, without "Question:"/"Answer:".
	MCVariantGPT3 = "gpt3"
)

// mcVariant checks the prompt variant of a task that has the two.
func mcVariant(task, v string) (string, error) {
	switch v {
	case "":
		return MCVariantLMEval, nil
	case MCVariantLMEval, MCVariantGPT3:
		return v, nil
	}
	return "", fmt.Errorf("task %s: unknown prompt variant %q (have %q, %q)", task, v, MCVariantLMEval, MCVariantGPT3)
}

// newPIQA reads PIQA's original valid.jsonl {goal, sol1, sol2} with its
// labels in valid-labels.lst beside it, the Hub's rows with a label, or
// the llm-foundry form.
func newPIQA(o Options) (eval.Task, error) {
	variant, err := mcVariant("piqa", o.Variant)
	if err != nil {
		return nil, err
	}
	path, err := dataFile("piqa", o, "piqa/valid.jsonl", "PIQA's validation set")
	if err != nil {
		return nil, err
	}
	var labels []string
	n := 0
	docs, err := readMC(path, `{goal, sol1, sol2} with a label field or a -labels.lst file, or {query, choices, gold} (llm-foundry)`, func(row datasets.Row) (mcDoc, error) {
		n++
		var err error
		if _, ok := row.Get("goal"); !ok {
			q, choices, gold, err := foundry(row)
			goal := strings.TrimSuffix(strings.TrimPrefix(q, "Question: "), "\n")
			return mcDoc{Contexts: []string{goal}, Choices: choices, Gold: gold}, err
		}
		var f [3]string
		for i, k := range []string{"goal", "sol1", "sol2"} {
			s, err := row.String(k)
			if err != nil {
				return mcDoc{}, err
			}
			f[i] = s
		}
		d := mcDoc{Contexts: []string{f[0]}, Choices: []string{f[1], f[2]}}
		if _, ok := row.Get("label"); ok {
			d.Gold, err = labelInt(row, "label")
			return d, err
		}
		if labels == nil {
			if labels, err = piqaLabels(path); err != nil {
				return mcDoc{}, err
			}
		}
		if n > len(labels) {
			return mcDoc{}, fmt.Errorf("%s: record %d has no label: the labels file has only %d lines", row.Where(), n, len(labels))
		}
		d.Gold, err = strconv.Atoi(strings.TrimSpace(labels[n-1]))
		if err != nil {
			return mcDoc{}, fmt.Errorf("%s: label line %d is %q, want 0 or 1", piqaLabelsPath(path), n, labels[n-1])
		}
		return d, nil
	})
	if err != nil {
		return nil, err
	}
	if labels != nil && len(labels) != len(docs) {
		return nil, fmt.Errorf("task piqa: %s has %d labels for %d records in %s", piqaLabelsPath(path), len(labels), len(docs), path)
	}
	if variant == MCVariantLMEval {
		for i := range docs {
			docs[i].Contexts[0] = "Question: " + docs[i].Contexts[0] + "\nAnswer:"
		}
	}
	return newMCTask("piqa", "1.0-"+variant, "ybisk/piqa (plain_text, validation)", path, docs, false, mcMetrics...)
}

// piqaLabelsPath is the labels file of an original PIQA file:
// valid.jsonl → valid-labels.lst.
func piqaLabelsPath(path string) string {
	p := strings.TrimSuffix(strings.TrimSuffix(path, ".gz"), ".bz2")
	if i := strings.LastIndex(p, "."); i > strings.LastIndex(p, "/") {
		p = p[:i]
	}
	return p + "-labels.lst"
}

func piqaLabels(path string) ([]string, error) {
	lp := piqaLabelsPath(path)
	text, err := datasets.ReadText(lp)
	if err != nil {
		return nil, fmt.Errorf("%s has no label field and its labels file could not be read (%w); PIQA's original valid.jsonl needs valid-labels.lst beside it", path, err)
	}
	return strings.Split(strings.TrimSpace(text), "\n"), nil
}

// newWinogrande reads the Hub's {sentence, option1, option2, answer} or
// the llm-foundry partial-scoring form {context_options, continuation,
// gold}: option i is the sentence up to the blank with option i, the
// shared continuation the rest of the sentence.
func newWinogrande(o Options) (eval.Task, error) {
	path, err := dataFile("winogrande", o, "winogrande/llmfoundry_winogrande_xl_dev.jsonl", "WinoGrande's validation set")
	if err != nil {
		return nil, err
	}
	docs, err := readMC(path, `{sentence, option1, option2, answer} (Hub) or {context_options, continuation, gold} (llm-foundry)`, func(row datasets.Row) (mcDoc, error) {
		if _, ok := row.Get("sentence"); !ok {
			ctxs, err := row.Strings("context_options")
			if err != nil {
				return mcDoc{}, err
			}
			cont, err := row.String("continuation")
			if err != nil {
				return mcDoc{}, err
			}
			gold, err := labelInt(row, "gold")
			return mcDoc{Contexts: ctxs, Choices: []string{strings.TrimSpace(cont)}, Gold: gold}, err
		}
		var f [3]string
		for i, k := range []string{"sentence", "option1", "option2"} {
			s, err := row.String(k)
			if err != nil {
				return mcDoc{}, err
			}
			f[i] = s
		}
		blank := strings.Index(f[0], "_")
		if blank < 0 {
			return mcDoc{}, row.Invalid("sentence", "has no _ blank to fill")
		}
		ans, err := labelInt(row, "answer")
		if err != nil {
			return mcDoc{}, err
		}
		if ans != 1 && ans != 2 {
			return mcDoc{}, row.Invalid("answer", "is %d, want 1 or 2", ans)
		}
		return mcDoc{Contexts: []string{f[0][:blank] + f[1], f[0][:blank] + f[2]},
			Choices: []string{strings.TrimSpace(f[0][blank+1:])}, Gold: ans - 1}, nil
	})
	if err != nil {
		return nil, err
	}
	return newMCTask("winogrande", "1.0", "allenai/winogrande (winogrande_xl, validation)", path, docs, false, "acc")
}

// uncondMetrics are the metrics of the tasks where GPT-3 normalised by
// the unconditional probability.
var uncondMetrics = append(append([]string(nil), mcMetrics...), "acc_uncond")

// newARC reads the Hub's {question, choices: {text, label}, answerKey} or
// the llm-foundry form (query "Question: …").
func newARC(name, config, rel string, o Options) (eval.Task, error) {
	path, err := dataFile(name, o, rel, config+"'s test set")
	if err != nil {
		return nil, err
	}
	docs, err := readMC(path, `{question, choices: {text, label}, answerKey} (Hub) or {query, choices, gold} (llm-foundry)`, func(row datasets.Row) (mcDoc, error) {
		var q string
		var choices []string
		var gold int
		var err error
		if _, ok := row.Get("answerKey"); ok {
			if q, err = row.String("question"); err != nil {
				return mcDoc{}, err
			}
			choices, gold, err = keyedChoices(row)
		} else {
			q, choices, gold, err = foundry(row)
			q = strings.TrimPrefix(q, "Question: ")
		}
		return mcDoc{Contexts: []string{"Question: " + q + "\nAnswer:"}, Choices: choices, Gold: gold}, err
	})
	if err != nil {
		return nil, err
	}
	return newMCTask(name, "1.0", "allenai/ai2_arc ("+config+", test)", path, docs, true, uncondMetrics...)
}

// newOpenBookQA reads the Hub's {question_stem, choices, answerKey} or the
// llm-foundry form; the context is the question stem alone.
func newOpenBookQA(o Options) (eval.Task, error) {
	path, err := dataFile("openbookqa", o, "openbookqa/llmfoundry_openbookqa_test.jsonl", "OpenBookQA's test set")
	if err != nil {
		return nil, err
	}
	docs, err := readMC(path, `{question_stem, choices: {text, label}, answerKey} (Hub) or {query, choices, gold} (llm-foundry)`, func(row datasets.Row) (mcDoc, error) {
		if _, ok := row.Get("question_stem"); !ok {
			q, choices, gold, err := foundry(row)
			return mcDoc{Contexts: []string{q}, Choices: choices, Gold: gold}, err
		}
		stem, err := row.String("question_stem")
		if err != nil {
			return mcDoc{}, err
		}
		choices, gold, err := keyedChoices(row)
		return mcDoc{Contexts: []string{stem}, Choices: choices, Gold: gold}, err
	})
	if err != nil {
		return nil, err
	}
	return newMCTask("openbookqa", "1.0", "allenai/openbookqa (main, test)", path, docs, true, uncondMetrics...)
}

// newCOPA reads SuperGLUE's {premise, choice1, choice2, question, label}
// or the llm-foundry form (query "premise, because"): the context is the
// premise without its final full stop and " because" or " therefore", the
// choices start lower-case (lm-evaluation-harness and GPT-3's format).
func newCOPA(o Options) (eval.Task, error) {
	path, err := dataFile("copa", o, "copa/llmfoundry_copa.jsonl", "COPA's validation set")
	if err != nil {
		return nil, err
	}
	docs, err := readMC(path, `{premise, choice1, choice2, question, label} (SuperGLUE) or {query, choices, gold} (llm-foundry)`, func(row datasets.Row) (mcDoc, error) {
		var ctx string
		var choices []string
		var gold int
		if _, ok := row.Get("premise"); ok {
			var f [4]string
			for i, k := range []string{"premise", "choice1", "choice2", "question"} {
				s, err := row.String(k)
				if err != nil {
					return mcDoc{}, err
				}
				f[i] = s
			}
			conn := map[string]string{"cause": "because", "effect": "therefore"}[f[3]]
			if conn == "" {
				return mcDoc{}, row.Invalid("question", "is %q, want \"cause\" or \"effect\"", f[3])
			}
			p := strings.TrimSpace(f[0])
			_, last := utf8.DecodeLastRuneInString(p)
			ctx, choices = p[:len(p)-last]+" "+conn, []string{f[1], f[2]}
			var err error
			if gold, err = labelInt(row, "label"); err != nil {
				return mcDoc{}, err
			}
		} else {
			q, cs, g, err := foundry(row)
			if err != nil {
				return mcDoc{}, err
			}
			for _, conn := range []string{"because", "therefore"} {
				if strings.HasSuffix(q, ", "+conn) {
					q = strings.TrimSuffix(q, ", "+conn) + " " + conn
				}
			}
			ctx, choices, gold = q, cs, g
		}
		for i := range choices {
			choices[i] = lowerFirst(choices[i])
		}
		return mcDoc{Contexts: []string{ctx}, Choices: choices, Gold: gold}, nil
	})
	if err != nil {
		return nil, err
	}
	return newMCTask("copa", "1.0", "aps/super_glue (copa, validation)", path, docs, false, mcMetrics...)
}

// newBoolQ reads SuperGLUE's {passage, question, label}, google/boolq's
// {passage, question, answer (boolean)} or the llm-foundry form (query
// "Passage: …\nQuestion: …?"); the choices are no and yes. The context
// is lm-evaluation-harness's "{passage}\nQuestion: {question}?\nAnswer:"
// or, with variant gpt3, the paper's lower-case
// "{passage}\nquestion: {question}?\nanswer:" (Appendix G).
func newBoolQ(o Options) (eval.Task, error) {
	variant, err := mcVariant("boolq", o.Variant)
	if err != nil {
		return nil, err
	}
	path, err := dataFile("boolq", o, "boolq/llmfoundry_boolq_dev.jsonl", "BoolQ's validation set")
	if err != nil {
		return nil, err
	}
	qWord, aWord := "\nQuestion: ", "\nAnswer:"
	if variant == MCVariantGPT3 {
		qWord, aWord = "\nquestion: ", "\nanswer:"
	}
	docs, err := readMC(path, `{passage, question, label or answer} (Hub) or {query, choices, gold} (llm-foundry)`, func(row datasets.Row) (mcDoc, error) {
		if _, ok := row.Get("passage"); !ok {
			q, choices, gold, err := foundry(row)
			if err != nil {
				return mcDoc{}, err
			}
			i := strings.LastIndex(q, "\nQuestion: ")
			if i < 0 {
				return mcDoc{}, row.Invalid("query", "has no \"\\nQuestion: \" after the passage")
			}
			passage := strings.TrimPrefix(q[:i], "Passage: ")
			return mcDoc{Contexts: []string{passage + qWord + q[i+len("\nQuestion: "):] + aWord}, Choices: choices, Gold: gold}, nil
		}
		passage, err := row.String("passage")
		if err != nil {
			return mcDoc{}, err
		}
		question, err := row.String("question")
		if err != nil {
			return mcDoc{}, err
		}
		var gold int
		if _, ok := row.Get("label"); ok {
			gold, err = labelInt(row, "label")
		} else {
			var yes bool
			yes, err = row.Bool("answer")
			gold = int(eval.Bool(yes))
		}
		return mcDoc{Contexts: []string{passage + qWord + question + "?" + aWord}, Choices: []string{"no", "yes"}, Gold: gold}, err
	})
	if err != nil {
		return nil, err
	}
	return newMCTask("boolq", "1.0-"+variant, "aps/super_glue (boolq, validation)", path, docs, false, mcMetrics...)
}

// newStoryCloze reads StoryCloze 2016 as the authors distribute it (CSV
// with InputSentence1–4, RandomFifthSentenceQuiz1–2, AnswerRightEnding) or
// in the Hub's story_cloze columns (input_sentence_1…, sentence_quiz1…,
// answer_right_ending); the context is the four sentences joined by
// spaces.
func newStoryCloze(o Options) (eval.Task, error) {
	path, err := dataFile("storycloze", o, "storycloze/cloze_test_val__spring2016.csv",
		"StoryCloze 2016's validation CSV (its licence forbids redistribution: request it at cs.rochester.edu/nlp/rocstories)")
	if err != nil {
		return nil, err
	}
	docs, err := readMC(path, `the StoryCloze CSV columns (InputSentence1…4, RandomFifthSentenceQuiz1…2, AnswerRightEnding) or the Hub's story_cloze columns`, func(row datasets.Row) (mcDoc, error) {
		keys := []string{"input_sentence_1", "input_sentence_2", "input_sentence_3", "input_sentence_4", "sentence_quiz1", "sentence_quiz2", "answer_right_ending"}
		if _, ok := row.Get("InputSentence1"); ok {
			keys = []string{"InputSentence1", "InputSentence2", "InputSentence3", "InputSentence4", "RandomFifthSentenceQuiz1", "RandomFifthSentenceQuiz2", "AnswerRightEnding"}
		}
		f := make([]string, 6)
		for i, k := range keys[:6] {
			s, err := row.String(k)
			if err != nil {
				return mcDoc{}, err
			}
			f[i] = s
		}
		ans, err := labelInt(row, keys[6])
		if err != nil {
			return mcDoc{}, err
		}
		if ans != 1 && ans != 2 {
			return mcDoc{}, row.Invalid(keys[6], "is %d, want 1 or 2", ans)
		}
		return mcDoc{Contexts: []string{strings.Join(f[:4], " ")}, Choices: f[4:6], Gold: ans - 1}, nil
	})
	if err != nil {
		return nil, err
	}
	return newMCTask("storycloze", "1.0", "LSDSem/story_cloze (2016, validation)", path, docs, false, mcMetrics...)
}
