package tasks

import (
	"fmt"
	"strings"

	"github.com/kshot-eval/kshot/datasets"
	"github.com/kshot-eval/kshot/datasets/hub"
	"github.com/kshot-eval/kshot/eval"
)

func init() {
	Register("winograd", Decl{Description: "Winograd Schema Challenge (WSC273), partial scoring: each candidate substituted, the rest of the sentence scored; acc", ZeroShotOnly: true, Kind: eval.KindMultipleChoice, Metrics: acc}, newWinograd)
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

// newWinograd reads WSC273 in the partial-scoring form
// {"context_options": [two sentence beginnings with the candidate in
// place of the pronoun], "continuation": rest, "gold": 0|1}.
func newWinograd(o Options) (eval.Task, error) {
	path, err := dataFile("winograd", o, "wsc/llmfoundry_winograd_wsc273.jsonl", "WSC273 in partial-scoring form")
	if err != nil {
		return nil, err
	}
	t := &choiceTask{spec: eval.TaskSpec{Name: "winograd", Version: "1.0", Dataset: "winograd_wsc (wsc273, test)",
		Description: Description("winograd"), Metrics: []eval.Metric{eval.Mean("acc", true)}}}
	for row, err := range datasets.Open(path) {
		if err != nil {
			return nil, err
		}
		ctxs, err := row.Strings("context_options")
		if err != nil {
			return nil, err
		}
		cont, err := row.String("continuation")
		if err != nil {
			return nil, err
		}
		gold, err := row.Int("gold")
		if err != nil {
			return nil, err
		}
		if len(ctxs) < 2 || gold < 0 || gold >= len(ctxs) {
			return nil, row.Invalid("gold", "is %d with %d options", gold, len(ctxs))
		}
		d := choiceDoc{Contexts: ctxs, Gold: gold}
		for range ctxs {
			d.Continuations = append(d.Continuations, " "+strings.TrimLeft(cont, " "))
		}
		t.docs = append(t.docs, d)
	}
	if len(t.docs) == 0 {
		return nil, fmt.Errorf("task winograd: %s holds no documents", path)
	}
	return t, nil
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
