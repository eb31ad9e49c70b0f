package tasks

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/kshot-eval/kshot/datasets"
	"github.com/kshot-eval/kshot/datasets/hub"
	"github.com/kshot-eval/kshot/eval"
)

// SuperGLUE beyond BoolQ and COPA: CB, RTE, WiC and WSC, each a multiple
// choice between the class names after the premise (or sentences) and a
// question, scored on the validation split as the GPT-3 paper and
// lm-evaluation-harness do. The rows are SuperGLUE's JSON Lines (or the
// Hub's aps/super_glue Parquet); labels may be integers, booleans,
// "true"/"false" strings or the class names (superglueLabel).
//
// Variants:
//   - lm-eval (default): lm-evaluation-harness's super_glue YAMLs (cb, rte
//     as sglue_rte, wic, wsc);
//   - gpt3 (CB, RTE, WiC): the GPT-3 paper's Figures G.30–G.32: the
//     premise, then "question: … ", then "answer:", lower-case labels for
//     CB. The line breaks are kshot's reading of the figures, as for
//     BoolQ. WSC has no gpt3 variant: Figure G.33 asks for the referent as
//     free text ("mr. moncrieff") while the data labels one candidate
//     true or false, and the paper does not say how one became the other.
func init() {
	Register("cb", Decl{Description: "CommitmentBank (SuperGLUE validation): does the premise entail the hypothesis, True/False/Neither; acc, acc_norm, acc_token, and the macro F1 of acc's and acc_token's predictions (variants lm-eval, gpt3)", Variants: mcVariants, Kind: eval.KindMultipleChoice, Metrics: cbMetrics}, newCB)
	Register("rte", Decl{Description: "RTE (SuperGLUE validation): does the premise entail the hypothesis, True/False; acc, acc_norm, acc_token (variants lm-eval, gpt3)", Variants: mcVariants, Kind: eval.KindMultipleChoice, Metrics: mcDeclMetrics}, newRTE)
	Register("wic", Decl{Description: "Word-in-Context (SuperGLUE validation): is the word used in the same sense in both sentences, yes/no; acc, acc_norm, acc_token (variants lm-eval, gpt3)", Variants: mcVariants, Kind: eval.KindMultipleChoice, Metrics: mcDeclMetrics}, newWiC)
	Register("wsc", Decl{Description: "SuperGLUE WSC (validation; not WSC273): does the marked pronoun refer to the noun, yes/no; acc, acc_norm, acc_token", Kind: eval.KindMultipleChoice, Metrics: mcDeclMetrics}, newWSC)
}

// superglueLabel returns field key of a SuperGLUE row as a class index.
// names are the classes in the dataset's label order. The field may be an
// integer (0 ≤ n < len(names)), a quoted integer ("1"), one of names as a
// string ("entailment"), or — for a task whose classes are false and true
// — a boolean or a "true"/"false" string (some copies of SuperGLUE quote
// their booleans).
func superglueLabel(row datasets.Row, key string, names ...string) (int, error) {
	v, ok := row.Get(key)
	if !ok {
		_, err := row.String(key) // the missing-field error, with its hint
		return 0, err
	}
	want := fmt.Sprintf("want 0 to %d or one of %q", len(names)-1, names)
	switch x := v.(type) {
	case bool:
		if len(names) == 2 && names[0] == "false" && names[1] == "true" {
			return int(eval.Bool(x)), nil
		}
		return 0, row.Invalid(key, "is the boolean %v, %s", x, want)
	case string:
		s := strings.TrimSpace(x)
		for i, n := range names {
			if strings.EqualFold(s, n) {
				return i, nil
			}
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			return 0, row.Invalid(key, "is %q, %s", x, want)
		}
		if n < 0 || n >= len(names) {
			return 0, row.Invalid(key, "is %d, %s", n, want)
		}
		return n, nil
	}
	n, err := row.Int(key)
	if err != nil {
		return 0, err
	}
	if n < 0 || n >= len(names) {
		if n == -1 {
			return 0, row.Invalid(key, "is -1, the label of an unlabelled (test) row; %s (use the validation split)", want)
		}
		return 0, row.Invalid(key, "is %d, %s", n, want)
	}
	return n, nil
}

// superglueFile resolves a SuperGLUE task's data: --data, the file rel in
// the data directory, or the validation split of aps/super_glue's config
// from the Hub.
func superglueFile(task, config, rel string, o Options) (string, error) {
	src := hub.Dataset{Repo: "aps/super_glue", Config: config, Split: "validation"}
	paths, err := dataFiles(task, o, rel, "SuperGLUE "+strings.ToUpper(task)+"'s validation set", src)
	if err != nil {
		return "", err
	}
	if len(paths) != 1 {
		return "", fmt.Errorf("task %s: %s has %d Parquet files; this task reads one (download them and pass --data %s=PATH for the first)", task, src, len(paths), task)
	}
	return paths[0], nil
}

// rowStrings returns the string fields keys of row.
func rowStrings(row datasets.Row, keys ...string) ([]string, error) {
	out := make([]string, len(keys))
	for i, k := range keys {
		s, err := row.String(k)
		if err != nil {
			return nil, err
		}
		out[i] = s
	}
	return out, nil
}

// superglueTask reads path with conv and builds a multiple-choice task
// reporting mcMetrics.
func superglueTask(name, version, config, path, forms string, conv func(datasets.Row) (mcDoc, error)) (eval.Task, error) {
	docs, err := readMC(path, forms, conv)
	if err != nil {
		return nil, err
	}
	return newMCTask(name, version, "aps/super_glue ("+config+", validation)", path, docs, false, mcMetrics...)
}

// cbMetrics are CB's metrics: f1_macro is lm-evaluation-harness's cb
// "f1" (cb_multi_fi, the prediction acc makes), under another name as
// kshot's "f1" is a per-document mean; f1_macro_token is the macro F1 of
// acc_token's prediction, the GPT-3 suite's reading of Table H.1's CB F1
// (the suite's CB acc is acc_token).
var cbMetrics = append(append([]string(nil), mcDeclMetrics...), "f1_macro", "f1_macro_token")

// newCB: lm-eval "{premise}\nQuestion: {hypothesis}. True, False, or
// Neither?\nAnswer:"; gpt3 "{premise}\nquestion: {hypothesis} true,
// false, or neither?\nanswer:". Labels entailment, contradiction,
// neutral are the options True, False, Neither.
func newCB(o Options) (eval.Task, error) {
	variant, err := mcVariant("cb", o.Variant)
	if err != nil {
		return nil, err
	}
	path, err := superglueFile("cb", "cb", "superglue/cb_val.jsonl", o)
	if err != nil {
		return nil, err
	}
	t, err := superglueTask("cb", "1.0-"+variant, "cb", path, "{premise, hypothesis, label} (SuperGLUE CB)", func(row datasets.Row) (mcDoc, error) {
		f, err := rowStrings(row, "premise", "hypothesis")
		if err != nil {
			return mcDoc{}, err
		}
		gold, err := superglueLabel(row, "label", "entailment", "contradiction", "neutral")
		if err != nil {
			return mcDoc{}, err
		}
		if variant == MCVariantGPT3 {
			return mcDoc{Contexts: []string{f[0] + "\nquestion: " + f[1] + ". true, false, or neither?\nanswer:"},
				Choices: []string{"true", "false", "neither"}, Gold: gold}, nil
		}
		return mcDoc{Contexts: []string{f[0] + "\nQuestion: " + f[1] + ". True, False, or Neither?\nAnswer:"},
			Choices: []string{"True", "False", "Neither"}, Gold: gold}, nil
	})
	if err != nil {
		return nil, err
	}
	t.(*mcTask).addMacroF1(3)
	return t, nil
}

// newRTE: lm-eval (sglue_rte) "{premise}\nQuestion: {hypothesis} True or
// False?\nAnswer:"; gpt3 the same with "question:" and "answer:". Labels
// entailment, not_entailment are the options True, False.
func newRTE(o Options) (eval.Task, error) {
	variant, err := mcVariant("rte", o.Variant)
	if err != nil {
		return nil, err
	}
	path, err := superglueFile("rte", "rte", "superglue/rte_val.jsonl", o)
	if err != nil {
		return nil, err
	}
	q, a := "\nQuestion: ", "\nAnswer:"
	if variant == MCVariantGPT3 {
		q, a = "\nquestion: ", "\nanswer:"
	}
	return superglueTask("rte", "1.0-"+variant, "rte", path, "{premise, hypothesis, label} (SuperGLUE RTE)", func(row datasets.Row) (mcDoc, error) {
		f, err := rowStrings(row, "premise", "hypothesis")
		if err != nil {
			return mcDoc{}, err
		}
		gold, err := superglueLabel(row, "label", "entailment", "not_entailment")
		if err != nil {
			return mcDoc{}, err
		}
		return mcDoc{Contexts: []string{f[0] + q + f[1] + " True or False?" + a}, Choices: []string{"True", "False"}, Gold: gold}, nil
	})
}

// runeSlice is Python's s[start:end] on code points; ok is false when the
// bounds are out of order or past the end (Python would clip; a WiC span
// outside its sentence is bad data).
func runeSlice(s string, start, end int) (string, bool) {
	if start < 0 || end < start || end > utf8.RuneCountInString(s) {
		return "", false
	}
	r := []rune(s)
	return string(r[start:end]), true
}

// newWiC: lm-eval "Sentence 1: {s1}\nSentence 2: {s2}\nQuestion: Is the
// word '{w}' used in the same way in the two sentences above?\nAnswer:",
// gpt3 "{s1}\n{s2}\nquestion: Is the word '{w}' …?\nanswer:", where w is
// sentence1[start1:end1] (the word as it appears, not the lemma). Options
// no, yes.
func newWiC(o Options) (eval.Task, error) {
	variant, err := mcVariant("wic", o.Variant)
	if err != nil {
		return nil, err
	}
	path, err := superglueFile("wic", "wic", "superglue/wic_val.jsonl", o)
	if err != nil {
		return nil, err
	}
	return superglueTask("wic", "1.0-"+variant, "wic", path, "{sentence1, sentence2, start1, end1, label} (SuperGLUE WiC)", func(row datasets.Row) (mcDoc, error) {
		f, err := rowStrings(row, "sentence1", "sentence2")
		if err != nil {
			return mcDoc{}, err
		}
		start, err := row.Int("start1")
		if err != nil {
			return mcDoc{}, err
		}
		end, err := row.Int("end1")
		if err != nil {
			return mcDoc{}, err
		}
		word, ok := runeSlice(f[0], start, end)
		if !ok || strings.TrimSpace(word) == "" {
			return mcDoc{}, row.Invalid("start1", "and end1 (%d, %d) do not mark a word of sentence1 (%d characters)", start, end, utf8.RuneCountInString(f[0]))
		}
		gold, err := superglueLabel(row, "label", "false", "true")
		if err != nil {
			return mcDoc{}, err
		}
		question := "Is the word '" + word + "' used in the same way in the two sentences above?"
		ctx := "Sentence 1: " + f[0] + "\nSentence 2: " + f[1] + "\nQuestion: " + question + "\nAnswer:"
		if variant == MCVariantGPT3 {
			ctx = f[0] + "\n" + f[1] + "\nquestion: " + question + "\nanswer:"
		}
		return mcDoc{Contexts: []string{ctx}, Choices: []string{"no", "yes"}, Gold: gold}, nil
	})
}

var detokQuote = regexp.MustCompile(` (['.,])`)

// GeneralDetokenize is lm-evaluation-harness's general_detokenize: " n't"
// → "n't", " )" → ")", "( " → "(", `" ` → `"`, ` "` → `"`, and the space
// before ', . and , removed, in that order.
func GeneralDetokenize(s string) string {
	for _, p := range [][2]string{{" n't", "n't"}, {" )", ")"}, {"( ", "("}, {`" `, `"`}, {` "`, `"`}} {
		s = strings.ReplaceAll(s, p[0], p[1])
	}
	return detokQuote.ReplaceAllString(s, "$1")
}

// WSCPassage marks the pronoun of a SuperGLUE WSC text as
// lm-evaluation-harness does: the first span2Index whitespace-separated
// words joined by single spaces, then " *pronoun*", then the text after
// that many characters plus the pronoun's length and one, all
// detokenised (GeneralDetokenize). Lengths count code points, as Python's
// do. ok is false when the text is shorter than the cut.
func WSCPassage(text string, span2Index int, pronoun string) (string, bool) {
	words := strings.Fields(text)
	if span2Index < 0 || span2Index > len(words) {
		return "", false
	}
	pre := strings.Join(words[:span2Index], " ")
	r := []rune(text)
	cut := utf8.RuneCountInString(pre) + utf8.RuneCountInString(pronoun) + 1
	post := ""
	if cut < len(r) {
		post = string(r[cut:])
	}
	return GeneralDetokenize(pre + " *" + pronoun + "*" + post), true
}

// newWSC: lm-eval "Passage: {passage with *pronoun*}\nQuestion: In the
// passage above, does the pronoun \"*{pronoun}*\" refer to
// \"*{noun}*\"?\nAnswer:", options no, yes; the rows are SuperGLUE's
// {text, target: {span1_text, span2_index, span2_text}, label} or the
// Hub's flat {text, span1_text, span2_index, span2_text, label}.
func newWSC(o Options) (eval.Task, error) {
	path, err := superglueFile("wsc", "wsc.fixed", "superglue/wsc_val.jsonl", o)
	if err != nil {
		return nil, err
	}
	return superglueTask("wsc", "1.0", "wsc.fixed", path, "{text, target: {span1_text, span2_index, span2_text}, label} (SuperGLUE) or the same fields flat (Hub)", func(row datasets.Row) (mcDoc, error) {
		text, err := row.String("text")
		if err != nil {
			return mcDoc{}, err
		}
		spans := row
		if _, nested := row.Get("target"); nested {
			if spans, err = row.Object("target"); err != nil {
				return mcDoc{}, err
			}
		}
		f, err := rowStrings(spans, "span1_text", "span2_text")
		if err != nil {
			return mcDoc{}, err
		}
		idx, err := spans.Int("span2_index")
		if err != nil {
			return mcDoc{}, err
		}
		passage, ok := WSCPassage(text, idx, f[1])
		if !ok {
			return mcDoc{}, spans.Invalid("span2_index", "is %d, but the text has %d words", idx, len(strings.Fields(text)))
		}
		gold, err := superglueLabel(row, "label", "false", "true")
		if err != nil {
			return mcDoc{}, err
		}
		ctx := "Passage: " + passage + "\nQuestion: In the passage above, does the pronoun \"*" + f[1] + "*\" refer to \"*" + f[0] + "*\"?\nAnswer:"
		return mcDoc{Contexts: []string{ctx}, Choices: []string{"no", "yes"}, Gold: gold}, nil
	})
}
