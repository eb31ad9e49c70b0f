package tasks

import (
	"fmt"

	"github.com/kshot-eval/kshot/datasets/hub"
	"github.com/kshot-eval/kshot/eval"
)

func init() {
	Register("lambada_openai_cloze", Decl{Description: "LAMBADA (OpenAI) in GPT-3's few-shot fill-in-the-blank format \"… ____. -> word\"; acc and perplexity (variants lm-eval, gpt3)", Variants: clozeVariants, Kind: eval.KindLoglikelihood, Metrics: lambadaMetrics}, newLambadaCloze)
}

// LAMBADA cloze prompt variants.
const (
	// ClozeVariantLMEval is lm-evaluation-harness's lambada_openai_cloze:
	// query "{passage without its last word} ____. ->", target " {word}";
	// examples are rendered with its default target delimiter " ", so
	// they read "… ____. ->  word" (two spaces), a blank line between.
	ClozeVariantLMEval = "lm-eval"
	// ClozeVariantGPT3 is the GPT-3 paper's layout (§3.1.2 and Figure
	// G.21): the description "Fill in blank: ", then examples
	// "… ____. -> word" with one space before the word. The blank line
	// between examples is kshot's choice (the paper shows the format, not
	// the separator).
	ClozeVariantGPT3 = "gpt3"
)

// ClozeDescription is the task description of ClozeVariantGPT3.
const ClozeDescription = "Fill in blank: "

// ClozeBlank is what the cloze format puts after the passage.
const ClozeBlank = " ____. ->"

// lambadaCloze is LAMBADA in the fill-in-the-blank format, few-shot
// examples drawn from the test set itself, the document excluded.
type lambadaCloze struct {
	window
	spec    eval.TaskSpec
	docs    []lambadaDoc
	variant string
}

func newLambadaCloze(o Options) (eval.Task, error) {
	variant := o.Variant
	if variant == "" {
		variant = ClozeVariantLMEval
	}
	if variant != ClozeVariantLMEval && variant != ClozeVariantGPT3 {
		return nil, fmt.Errorf("task lambada_openai_cloze: unknown prompt variant %q (have %q, %q)", variant, ClozeVariantLMEval, ClozeVariantGPT3)
	}
	base, err := newLambada("lambada_openai_cloze", hub.Dataset{Repo: "EleutherAI/lambada_openai", Config: "default", Split: "test"}, o, false)
	if err != nil {
		return nil, err
	}
	l := base.(*lambada)
	t := &lambadaCloze{spec: l.spec, docs: l.docs, variant: variant}
	t.spec.Version = "1.0-" + variant
	return t, nil
}

func (t *lambadaCloze) Spec() eval.TaskSpec { return t.spec }

func (t *lambadaCloze) Instances(k int, seed uint64) ([]eval.Instance, error) {
	fs := eval.DefaultFewShot()
	if t.variant == ClozeVariantGPT3 {
		fs.Description, fs.TargetDelimiter = ClozeDescription, ""
	}
	pool := make([]eval.Example, len(t.docs))
	for i, d := range t.docs {
		pool[i] = eval.Example{Text: d.Context + ClozeBlank, Target: d.Target}
	}
	s, err := t.sampler(t.spec.Name, fs, pool, k, seed)
	if err != nil {
		return nil, err
	}
	out := make([]eval.Instance, len(t.docs))
	for i, d := range t.docs {
		exs, err := s.draw(i, i, "", fit{tail: pool[i].Text + d.Target})
		if err != nil {
			return nil, err
		}
		req := eval.Loglikelihood{Context: fs.Prompt(exs, pool[i].Text), Continuation: d.Target}
		out[i] = eval.Instance{DocID: i, Doc: d, Target: d.Target, Requests: []eval.Request{req}}
	}
	if err := s.err(); err != nil {
		return nil, err
	}
	return out, nil
}

func (t *lambadaCloze) Score(inst eval.Instance, resps []eval.Response) (map[string][]float64, error) {
	r, ok := resps[0].(eval.LoglikelihoodResult)
	if !ok {
		return nil, fmt.Errorf("task %s: document %d: unexpected response %T", t.spec.Name, inst.DocID, resps[0])
	}
	return map[string][]float64{
		"perplexity": eval.WeightedStats(r.LogProb, 1),
		"acc":        eval.MeanStats(eval.Bool(r.Greedy)),
	}, nil
}
