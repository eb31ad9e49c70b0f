package tasks

import (
	"strings"
	"unicode/utf8"

	"github.com/kshot-eval/kshot/datasets"
	"github.com/kshot-eval/kshot/eval"
)

// Reading SuperGLUE's rows in the forms they are distributed in: the
// official JSONL files (labels as integers, or JSON booleans for BoolQ,
// WiC and WSC), the OpenCompass bundle that kshot's shared data holds
// (the same rows with boolean labels written as the strings "true" and
// "false"), and the Hub's Parquet conversion aps/super_glue (integer
// class labels). lm-evaluation-harness reads the Hub form, where false
// is 0 and true is 1.

// superglueBinary returns a false/true SuperGLUE label as 0 or 1: an
// integer, a quoted integer, a JSON boolean or "true"/"false" (any case);
// superglueLabel (superglue_tasks.go) reads every form.
func superglueBinary(row datasets.Row, key string) (int, error) {
	return superglueLabel(row, key, "false", "true")
}

// newCOPA reads SuperGLUE's {premise, choice1, choice2, question, label}
// or the llm-foundry form (query "premise, because"): the context is the
// premise without its final character (its full stop) and " because" or
// " therefore", the choices start lower-case (lm-evaluation-harness's
// super_glue/copa/utils.py). With variant lm-eval each choice keeps the
// space that lm-evaluation-harness's doc_to_choice puts before it, so
// that with the target delimiter the continuation starts with two spaces
// ("  the toilet filled with water."); variant gpt3 is the paper's single
// space. SuperGLUE's file is preferred to the llm-foundry copy.
func newCOPA(o Options) (eval.Task, error) {
	variant, err := mcVariant("copa", o.Variant)
	if err != nil {
		return nil, err
	}
	path, note, err := preferredDataFile("copa", o, "COPA's validation set",
		dataForm{"superglue/copa_val.jsonl", "SuperGLUE's original rows"}, dataForm{"copa/llmfoundry_copa.jsonl", "the llm-foundry ICL form"})
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
			if gold, err = superglueBinary(row, "label"); err != nil {
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
			if variant == MCVariantLMEval {
				choices[i] = " " + choices[i]
			}
		}
		return mcDoc{Contexts: []string{ctx}, Choices: choices, Gold: gold}, nil
	})
	if err != nil {
		return nil, err
	}
	t, err := newMCTask("copa", "1.1-"+variant, "aps/super_glue (copa, validation)", path, docs, false, mcMetrics...)
	if err != nil {
		return nil, err
	}
	t.addNote(note)
	return t, nil
}

// newBoolQ reads SuperGLUE's {passage, question, label} (label an
// integer, a boolean or "true"/"false"), google/boolq's {passage,
// question, answer (boolean)} or the llm-foundry form (query "Passage:
// …\nQuestion: …?"); the choices are no and yes. The context is
// lm-evaluation-harness's "{passage}\nQuestion: {question}?\nAnswer:" or,
// with variant gpt3, the paper's lower-case
// "{passage}\nquestion: {question}?\nanswer:" (Appendix G). SuperGLUE's
// passages start with the page title ("Ethanol fuel -- …"), as
// lm-evaluation-harness's do; google/boolq's and llm-foundry's have lost
// it, so SuperGLUE's file is preferred.
func newBoolQ(o Options) (eval.Task, error) {
	variant, err := mcVariant("boolq", o.Variant)
	if err != nil {
		return nil, err
	}
	path, note, err := preferredDataFile("boolq", o, "BoolQ's validation set",
		dataForm{"superglue/boolq_val.jsonl", "SuperGLUE's original rows, passages with their titles"},
		dataForm{"boolq/llmfoundry_boolq_dev.jsonl", "the llm-foundry ICL form, passages without their titles"})
	if err != nil {
		return nil, err
	}
	qWord, aWord := "\nQuestion: ", "\nAnswer:"
	if variant == MCVariantGPT3 {
		qWord, aWord = "\nquestion: ", "\nanswer:"
	}
	docs, err := readMC(path, `{passage, question, label or answer} (SuperGLUE, Hub) or {query, choices, gold} (llm-foundry)`, func(row datasets.Row) (mcDoc, error) {
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
			gold, err = superglueBinary(row, "label")
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
	t, err := newMCTask("boolq", "1.1-"+variant, "aps/super_glue (boolq, validation)", path, docs, false, mcMetrics...)
	if err != nil {
		return nil, err
	}
	t.addNote(note)
	return t, nil
}
