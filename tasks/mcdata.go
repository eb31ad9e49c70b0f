package tasks

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

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

// Prompt variants of PIQA, BoolQ, COPA and WSC273 (winograd).
const (
	// MCVariantLMEval is lm-evaluation-harness's requests, its quirks
	// included (PIQA: "Question: {goal}\nAnswer:"; COPA and WSC273: two
	// spaces before the continuation).
	MCVariantLMEval = "lm-eval"
	// MCVariantGPT3 is the GPT-3 paper's format (Appendix G). PIQA: the
	// goal, then a space and the solution, without "Question:"/"Answer:";
	// COPA and WSC273: one space before the continuation.
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
	path, note, err := preferredDataFile("piqa", o, "PIQA's validation set",
		dataForm{"piqa/valid.jsonl", "the original rows, with valid-labels.lst"},
		dataForm{"piqa/llmfoundry_piqa_valid.jsonl", "the llm-foundry ICL form, solutions stripped of whitespace"})
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
	t, err := newMCTask("piqa", "1.0-"+variant, "ybisk/piqa (plain_text, validation)", path, docs, false, mcMetrics...)
	if err != nil {
		return nil, err
	}
	t.addNote(note)
	return t, nil
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
