package tasks

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/kshot-eval/kshot/datasets"
	"github.com/kshot-eval/kshot/datasets/hub"
	"github.com/kshot-eval/kshot/eval"
)

func init() {
	Register("winograd", Decl{Description: "Winograd Schema Challenge (WSC273), partial scoring: each candidate substituted, the rest of the sentence scored; acc (variants lm-eval, gpt3)", Variants: mcVariants, ZeroShotOnly: true, Kind: eval.KindMultipleChoice, Metrics: acc}, newWinograd)
	Register("cbt_cn", Decl{Description: "Children's Book Test, common nouns: each of 10 candidates substituted into the question sentence, scored given the passage; acc", ZeroShotOnly: true, Kind: eval.KindMultipleChoice, Metrics: acc}, func(o Options) (eval.Task, error) {
		return newCBT("cbt_cn", "CN", o)
	})
	Register("cbt_ne", Decl{Description: "Children's Book Test, named entities: each of 10 candidates substituted into the question sentence, scored given the passage; acc", ZeroShotOnly: true, Kind: eval.KindMultipleChoice, Metrics: acc}, func(o Options) (eval.Task, error) {
		return newCBT("cbt_ne", "NE", o)
	})
}

// choiceDoc is a multiple-choice document: option i is
// Contexts[i]+Continuations[i] (one of the two lists may repeat a value).
type choiceDoc struct {
	Contexts      []string `json:"contexts"`
	Continuations []string `json:"continuations"`
	Gold          int      `json:"gold"`
}

// choiceTask scores documents whose options differ in context or in
// continuation; acc picks the highest total log-likelihood.
type choiceTask struct {
	notes
	spec eval.TaskSpec
	docs []choiceDoc
}

func (t *choiceTask) Spec() eval.TaskSpec { return t.spec }

func (t *choiceTask) Instances(k int, seed uint64) ([]eval.Instance, error) {
	if k != 0 {
		return nil, fmt.Errorf("%s is zero-shot only (the GPT-2 protocol); use --shots 0", t.spec.Name)
	}
	out := make([]eval.Instance, len(t.docs))
	for i, d := range t.docs {
		mc := eval.MultipleChoice{}
		for j := range d.Contexts {
			mc.Options = append(mc.Options, eval.Loglikelihood{Context: d.Contexts[j], Continuation: d.Continuations[j]})
		}
		out[i] = eval.Instance{DocID: i, Doc: d, Target: d.Contexts[d.Gold] + d.Continuations[d.Gold], Requests: []eval.Request{mc}}
	}
	return out, nil
}

func (t *choiceTask) Score(inst eval.Instance, resps []eval.Response) (map[string][]float64, error) {
	r := resps[0].(eval.ChoiceResult)
	ll := make([]float64, len(r.Options))
	for i, o := range r.Options {
		ll[i] = o.LogProb
	}
	return map[string][]float64{"acc": eval.MeanStats(eval.Bool(eval.Argmax(ll) == inst.Doc.(choiceDoc).Gold))}, nil
}

// newWinograd reads WSC273 in its original fields {text, pronoun,
// pronoun_loc, options, label} (the Hub's winograd_wsc, wsc273, which
// lm-evaluation-harness reads) or in llm-foundry's partial-scoring form
// {"context_options": [two sentence beginnings with the candidate in
// place of the pronoun], "continuation": rest, "gold": 0|1}; the original
// is preferred when both are local.
//
// Variant lm-eval is lm-evaluation-harness's wsc273 (wsc273/default.yaml
// and utils.py): double spaces of the text made single, each option
// lower-cased or given "'s" as utils.py's __normalize_option does, option
// i's context the text up to the pronoun with the option in its place,
// the continuation the target delimiter " " and the rest of the text
// after the pronoun, its own leading space kept — two spaces whenever the
// rest starts with a word. The llm-foundry form has lost that space; it
// is put back unless the rest starts with a full stop or other closing
// punctuation (.,;:!?)). Variant gpt3 is
// the paper's partial scoring with one space before the rest.
func newWinograd(o Options) (eval.Task, error) {
	variant, err := mcVariant("winograd", o.Variant)
	if err != nil {
		return nil, err
	}
	path, note, err := preferredDataFile("winograd", o, "WSC273",
		dataForm{"wsc/wsc273.jsonl", "the original fields text, pronoun, pronoun_loc, options"},
		dataForm{"wsc/llmfoundry_winograd_wsc273.jsonl", "llm-foundry's partial-scoring form"})
	if err != nil {
		return nil, err
	}
	t := &choiceTask{spec: eval.TaskSpec{Name: "winograd", Version: "1.1-" + variant, Dataset: "winograd_wsc (wsc273, test)",
		Description: Description("winograd"), Metrics: []eval.Metric{eval.Mean("acc", true)}}}
	t.addNote(note)
	for row, err := range datasets.Open(path) {
		if err != nil {
			return nil, err
		}
		var d choiceDoc
		var rest string
		if _, ok := row.Get("context_options"); ok {
			if d.Contexts, err = row.Strings("context_options"); err != nil {
				return nil, err
			}
			if rest, err = row.String("continuation"); err != nil {
				return nil, err
			}
			if d.Gold, err = labelInt(row, "gold"); err != nil {
				return nil, err
			}
			rest = strings.TrimLeft(rest, " ")
			if r, _ := utf8.DecodeRuneInString(rest); variant == MCVariantLMEval && !strings.ContainsRune(".,;:!?)", r) {
				rest = " " + rest
			}
		} else if d.Contexts, rest, d.Gold, err = wsc273Original(row); err != nil {
			return nil, err
		}
		if variant == MCVariantGPT3 {
			rest = strings.TrimLeft(rest, " ")
		}
		if len(d.Contexts) < 2 || d.Gold < 0 || d.Gold >= len(d.Contexts) {
			return nil, row.Invalid("gold", "is %d with %d options", d.Gold, len(d.Contexts))
		}
		for range d.Contexts {
			d.Continuations = append(d.Continuations, " "+rest)
		}
		t.docs = append(t.docs, d)
	}
	if len(t.docs) == 0 {
		return nil, fmt.Errorf("task winograd: %s holds no documents", path)
	}
	return t, nil
}

// wsc273UpperPronouns are the option-initial words that
// lm-evaluation-harness's wsc273 lower-cases inside a sentence.
var wsc273UpperPronouns = []string{"A", "An", "The", "She", "He", "It", "They", "My", "His", "Her", "Their"}

// wsc273Original reads a row of the original WSC273 fields as
// lm-evaluation-harness's wsc273 process_doc does, in Python's character
// (code point) offsets: the option contexts, the text after the pronoun
// (its leading space kept) and the gold index.
func wsc273Original(row datasets.Row) (ctxs []string, rest string, gold int, err error) {
	text, err := row.String("text")
	if err != nil {
		return nil, "", 0, err
	}
	pron, err := row.String("pronoun")
	if err != nil {
		return nil, "", 0, err
	}
	loc, err := labelInt(row, "pronoun_loc")
	if err != nil {
		return nil, "", 0, err
	}
	opts, err := row.Strings("options")
	if err != nil {
		return nil, "", 0, err
	}
	if gold, err = labelInt(row, "label"); err != nil {
		return nil, "", 0, err
	}
	// process_doc replaces double spaces before anything else, and keeps
	// pronoun_loc as it was.
	t := []rune(strings.ReplaceAll(text, "  ", " "))
	n := utf8.RuneCountInString(pron)
	if loc < 0 || loc+n > len(t) || loc < 2 && len(t) < 2 {
		return nil, "", 0, row.Invalid("pronoun_loc", "is %d, outside the text (%d characters) for pronoun %q", loc, len(t), pron)
	}
	before := loc - 2 // text[pronoun_loc - 2], a negative index counting from the end as in Python
	if before < 0 {
		before += len(t)
	}
	startOfSentence := t[before] == '.'
	for _, op := range opts {
		if slices.Contains([]string{"my", "his", "her", "our", "their"}, strings.ToLower(pron)) {
			op += "'s"
		}
		first := op
		if f := strings.Fields(op); len(f) > 0 {
			first = f[0]
		}
		if !startOfSentence && slices.Contains(wsc273UpperPronouns, first) {
			op = strings.ReplaceAll(op, first, strings.ToLower(first))
		}
		ctxs = append(ctxs, string(t[:loc])+op)
	}
	return ctxs, string(t[loc+n:]), gold, nil
}

// CBTDetokenize undoes the Children's Book Test's tokenisation (PTB-style
// quotes and spaced punctuation), as lm-evaluation-harness's cbt task does.
func CBTDetokenize(s string) string {
	for _, p := range [][2]string{
		{" '", "'"}, {" \n", "\n"}, {"\n ", "\n"}, {" n't", "n't"}, {"`` ", `"`}, {"''", `"`},
		{" :", ":"}, {" ;", ";"}, {" !", "!"}, {" ?", "?"}, {" ,", ","}, {" .", "."},
	} {
		s = strings.ReplaceAll(s, p[0], p[1])
	}
	return s
}

// newCBT reads the Children's Book Test from the original text files
// (cbtest_CN_test_2500ex.txt: 20 numbered passage lines, then line 21
// "question\tanswer\t\tc1|c2|…|c10", blocks separated by blank lines) or
// from JSONL/Parquet rows with sentences, question, answer and options
// (the Hub's cbt dataset).
func newCBT(name, kind string, o Options) (eval.Task, error) {
	paths, err := dataFiles(name, o, "cbt/cbtest_"+kind+"_test_2500ex.txt", "the Children's Book Test "+kind+" file",
		hub.Dataset{Repo: "cbt", Config: kind, Split: "test"})
	if err != nil {
		return nil, err
	}
	path := paths[0]
	t := &choiceTask{spec: eval.TaskSpec{Name: name, Version: "1.0", Dataset: "cbt (" + kind + ", test)",
		Description: Description(name), Metrics: []eval.Metric{eval.Mean("acc", true)}}}
	type raw struct {
		sentences []string
		question  string
		answer    string
		options   []string
		where     string
	}
	var docs []raw
	if strings.HasSuffix(path, ".txt") {
		text, err := datasets.ReadText(path)
		if err != nil {
			return nil, err
		}
		var cur raw
		for i, line := range strings.Split(text, "\n") {
			line = strings.TrimRight(line, "\r")
			if strings.TrimSpace(line) == "" {
				continue
			}
			num, rest, ok := strings.Cut(line, " ")
			if !ok {
				return nil, fmt.Errorf("%s:%d: expected a numbered line", path, i+1)
			}
			if num != "21" {
				cur.sentences = append(cur.sentences, rest)
				continue
			}
			f := strings.Split(rest, "\t")
			if len(f) != 4 {
				return nil, fmt.Errorf("%s:%d: question line has %d tab-separated fields, want 4 (question, answer, empty, candidates)", path, i+1, len(f))
			}
			cur.question, cur.answer, cur.options = f[0], f[1], strings.Split(f[3], "|")
			cur.where = fmt.Sprintf("%s:%d", path, i+1)
			docs = append(docs, cur)
			cur = raw{}
		}
	} else {
		for row, err := range datasets.OpenAll(paths) {
			if err != nil {
				return nil, err
			}
			var d raw
			if d.sentences, err = row.Strings("sentences"); err != nil {
				return nil, err
			}
			if d.question, err = row.String("question"); err != nil {
				return nil, err
			}
			if d.answer, err = row.String("answer"); err != nil {
				return nil, err
			}
			if d.options, err = row.Strings("options"); err != nil {
				return nil, err
			}
			d.where = row.Where()
			docs = append(docs, d)
		}
	}
	for _, d := range docs {
		gold := -1
		for i, c := range d.options {
			if c == d.answer {
				gold = i
			}
		}
		if gold < 0 || !strings.Contains(d.question, "XXXXX") {
			return nil, fmt.Errorf("%s: answer %q is not among the candidates or the question has no XXXXX", d.where, d.answer)
		}
		passage := CBTDetokenize(strings.Join(d.sentences, " "))
		cd := choiceDoc{Gold: gold}
		for _, c := range d.options {
			cd.Contexts = append(cd.Contexts, passage)
			cd.Continuations = append(cd.Continuations, " "+CBTDetokenize(strings.ReplaceAll(d.question, "XXXXX", c)))
		}
		t.docs = append(t.docs, cd)
	}
	if len(t.docs) == 0 {
		return nil, fmt.Errorf("task %s: %s holds no documents", name, path)
	}
	return t, nil
}
