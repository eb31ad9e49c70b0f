package tasks

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/kshot-eval/kshot/datasets"
	"github.com/kshot-eval/kshot/datasets/hub"
	"github.com/kshot-eval/kshot/eval"
)

func init() {
	Register("lambada_openai", Decl{Description: "LAMBADA (OpenAI's preprocessed test set): predict the last word of a passage; acc and perplexity", ZeroShotOnly: true, Kind: eval.KindLoglikelihood, Metrics: lambadaMetrics}, func(o Options) (eval.Task, error) {
		return newLambada("lambada_openai", hub.Dataset{Repo: "EleutherAI/lambada_openai", Config: "default", Split: "test"}, o, false)
	})
	Register("lambada_standard", Decl{Description: "LAMBADA (original cimec test set): predict the last word of a passage; acc and perplexity", ZeroShotOnly: true, Kind: eval.KindLoglikelihood, Metrics: lambadaMetrics}, func(o Options) (eval.Task, error) {
		return newLambada("lambada_standard", hub.Dataset{Repo: "cimec/lambada", Config: "plain_text", Split: "test"}, o, false)
	})
	Register("lambada_openai_stopfilter", Decl{Description: "LAMBADA (OpenAI) with the GPT-2 paper's stop-word filter on the greedy prediction; acc", ZeroShotOnly: true, Kind: eval.KindGenerate, Metrics: acc}, func(o Options) (eval.Task, error) {
		return newLambada("lambada_openai_stopfilter", hub.Dataset{Repo: "EleutherAI/lambada_openai", Config: "default", Split: "test"}, o, true)
	})
}

// lambadaDoc is one LAMBADA passage split at its last space.
type lambadaDoc struct {
	Context string `json:"context"`
	Target  string `json:"target"` // " " + last word
}

type lambada struct {
	spec       eval.TaskSpec
	docs       []lambadaDoc
	stopFilter bool
}

// newLambada reads a LAMBADA file: JSONL (or Parquet) rows with "text"
// (OpenAI's lambada_test.jsonl, the Hub's EleutherAI/lambada_openai) or
// with "context" + "continuation" (llm-foundry's form).
func newLambada(name string, src hub.Dataset, o Options, stopFilter bool) (eval.Task, error) {
	rel, what := "lambada/lambada_test.jsonl", "LAMBADA's test set (OpenAI's lambada_test.jsonl)"
	if name == "lambada_standard" {
		// The original text, not OpenAI's detokenized file the other
		// two read: the data directory holds it under its own name.
		rel, what = "lambada/lambada_standard_test.jsonl", "the original LAMBADA test set (cimec/lambada's test split as JSONL rows with \"text\")"
	}
	paths, err := dataFiles(name, o, rel, what, src)
	if err != nil {
		return nil, err
	}
	t := &lambada{stopFilter: stopFilter}
	t.spec = eval.TaskSpec{Name: name, Version: "1.0", Dataset: src.String(), Description: Description(name)}
	if stopFilter {
		t.spec.Metrics = []eval.Metric{eval.Mean("acc", true)}
	} else {
		t.spec.Metrics = []eval.Metric{eval.Perplexity(), eval.Mean("acc", true)}
	}
	for row, err := range datasets.OpenAll(paths) {
		if err != nil {
			return nil, err
		}
		var d lambadaDoc
		if _, ok := row.Get("text"); ok {
			text, err := row.String("text")
			if err != nil {
				return nil, err
			}
			i := strings.LastIndex(text, " ")
			if i < 0 {
				return nil, row.Invalid("text", "has no space to split the last word from its context")
			}
			d = lambadaDoc{Context: text[:i], Target: text[i:]}
		} else {
			if _, ok := row.Get("context"); !ok {
				return nil, row.NeedOneOf("a LAMBADA row", []string{"text"}, []string{"context", "continuation"})
			}
			ctx, err := row.String("context")
			if err != nil {
				return nil, err
			}
			cont, err := row.String("continuation")
			if err != nil {
				return nil, err
			}
			d = lambadaDoc{Context: ctx, Target: " " + strings.TrimLeft(cont, " ")}
		}
		t.docs = append(t.docs, d)
	}
	if len(t.docs) == 0 {
		return nil, fmt.Errorf("task %s: %s holds no documents", name, strings.Join(paths, ", "))
	}
	return t, nil
}

func (t *lambada) Spec() eval.TaskSpec { return t.spec }

func (t *lambada) Instances(k int, seed uint64) ([]eval.Instance, error) {
	if k != 0 {
		return nil, fmt.Errorf("%s is zero-shot only (the GPT-2 protocol); use --shots 0", t.spec.Name)
	}
	out := make([]eval.Instance, len(t.docs))
	for i, d := range t.docs {
		var req eval.Request = eval.Loglikelihood{Context: d.Context, Continuation: d.Target}
		if t.stopFilter {
			req = eval.Generate{Context: d.Context, MaxTokens: 8, Exclude: StopWords}
		}
		out[i] = eval.Instance{DocID: i, Doc: d, Target: d.Target, Requests: []eval.Request{req}}
	}
	return out, nil
}

func (t *lambada) Score(inst eval.Instance, resps []eval.Response) (map[string][]float64, error) {
	if t.stopFilter {
		g := resps[0].(eval.GenerateResult)
		target := strings.TrimSpace(inst.Target)
		return map[string][]float64{"acc": eval.MeanStats(eval.Bool(FirstWord(g.Text) == target))}, nil
	}
	r := resps[0].(eval.LoglikelihoodResult)
	return map[string][]float64{
		"perplexity": eval.WeightedStats(r.LogProb, 1),
		"acc":        eval.MeanStats(eval.Bool(r.Greedy)),
	}, nil
}

// FirstWord returns the first word of a generation: leading spaces
// skipped, then letters, digits, apostrophes and hyphens.
func FirstWord(s string) string {
	s = strings.TrimLeftFunc(s, unicode.IsSpace)
	end := strings.IndexFunc(s, func(r rune) bool {
		return !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '\'' || r == '-')
	})
	if end < 0 {
		return s
	}
	return s[:end]
}

// StopWords is the stop-word list of lambada_openai_stopfilter: NLTK's
// English list (179 words). The GPT-2 paper names no list; this is the
// common choice.
var StopWords = strings.Fields(`i me my myself we our ours ourselves you you're you've you'll you'd
your yours yourself yourselves he him his himself she she's her hers herself it it's its itself
they them their theirs themselves what which who whom this that that'll these those am is are was
were be been being have has had having do does did doing a an the and but if or because as until
while of at by for with about against between into through during before after above below to
from up down in out on off over under again further then once here there when where why how all
any both each few more most other some such no nor not only own same so than too very s t can
will just don don't should should've now d ll m o re ve y ain aren aren't couldn couldn't didn
didn't doesn doesn't hadn hadn't hasn hasn't haven haven't isn isn't ma mightn mightn't mustn
mustn't needn needn't shan shan't shouldn shouldn't wasn wasn't weren weren't won won't wouldn
wouldn't`)
