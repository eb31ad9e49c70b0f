package tasks

import (
	"strings"

	"github.com/kshot-eval/kshot/eval"
)

// Declarations shared by several registrations (see Decl).
var (
	mcVariants    = []string{MCVariantLMEval, MCVariantGPT3}
	qaVariants    = []string{QAVariantLMEval, QAVariantGPT3}
	clozeVariants = []string{ClozeVariantLMEval, ClozeVariantGPT3}
	wmtVariants   = []string{WMTVariantGPT2, WMTVariantLMEval, WMTVariantGPT3}
	// synthVariants are the named forms of the GPT-3 synthetic tasks'
	// variants; ParseVariant also takes "+generated:SEED".
	synthVariants = []string{SynthFormatLMEval, SynthFormatGPT3, SynthFormatLMEval + "+generated",
		SynthFormatGPT3 + "+generated", "generated"}
	lambadaMetrics    = []string{"perplexity", "acc"}
	wikitextMetrics   = []string{"word_perplexity", "byte_perplexity", "bits_per_byte"}
	translateMetrics  = []string{"bleu", "chrf"}
	wmtMetrics        = []string{"bleu", "ter", "chrf"} // lm-evaluation-harness's wmt14 order
	exactMatch        = []string{"exact_match"}
	acc               = []string{"acc"}
	mcDeclMetrics     = []string{"acc", "acc_norm", "acc_token"}
	uncondDeclMetrics = []string{"acc", "acc_norm", "acc_token", "acc_uncond"}
)

// Summary formats a declaration for kshot tasks: request kind, metrics,
// variants (the default first) and the shot counts it supports, e.g.
// "multiple_choice; acc, acc_norm; variants lm-eval (default), gpt3; k-shot".
func Summary(d Decl) string {
	v := d.variants()
	vs := "variant " + v[0]
	if len(v) > 1 {
		vs = "variants " + v[0] + " (default), " + strings.Join(v[1:], ", ")
	}
	shots := "k-shot"
	if d.ZeroShotOnly {
		shots = "zero-shot only"
	}
	return d.Kind.String() + "; " + strings.Join(d.Metrics, ", ") + "; " + vs + "; " + shots
}

// parseSynthVariantName is Decl.ParseVariant of the GPT-3 synthetic task
// named task: the canonical name of variant v.
func parseSynthVariantName(task string) func(v string) (string, error) {
	return func(v string) (string, error) {
		sv, err := parseSynthVariant(task, v)
		if err != nil {
			return "", err
		}
		return sv.String(), nil
	}
}

func (t *choiceTask) specPtr() *eval.TaskSpec     { return &t.spec }
func (t *lambadaCloze) specPtr() *eval.TaskSpec   { return &t.spec }
func (t *gpt1Task) specPtr() *eval.TaskSpec       { return &t.spec }
func (t *gpt3SynthTask) specPtr() *eval.TaskSpec  { return &t.spec }
func (t *lambada) specPtr() *eval.TaskSpec        { return &t.spec }
func (t *mcTask) specPtr() *eval.TaskSpec         { return &t.spec }
func (t *perplexityTask) specPtr() *eval.TaskSpec { return &t.spec }
func (t *qaTask) specPtr() *eval.TaskSpec         { return &t.spec }
func (t *synthKShot) specPtr() *eval.TaskSpec     { return &t.spec }
func (t *wmtTask) specPtr() *eval.TaskSpec        { return &t.spec }
