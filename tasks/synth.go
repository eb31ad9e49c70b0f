package tasks

import (
	"fmt"
	"strings"

	"github.com/kshot-eval/kshot/datasets/synth"
	"github.com/kshot-eval/kshot/eval"
	"github.com/kshot-eval/kshot/eval/sacrebleu"
)

// The synthetic suite: tasks built from kshot's generated held-out
// passages (package datasets/synth), the same way as their real
// counterparts, so that the embedded ladder can be evaluated without any
// download.
func init() {
	Register("synth_lambada", Decl{Description: "synthetic LAMBADA: predict the last word of a generated story (an entity named earlier); acc and perplexity", ZeroShotOnly: true, Kind: eval.KindLoglikelihood, Metrics: lambadaMetrics}, func(o Options) (eval.Task, error) {
		return newSynthLambada(o)
	})
	Register("synth_cbt", Decl{Description: "synthetic Children's Book Test: 10 objects of a generated passage substituted into the question sentence; acc", ZeroShotOnly: true, Kind: eval.KindMultipleChoice, Metrics: acc}, func(o Options) (eval.Task, error) {
		return newSynthCBT(o)
	})
	Register("synth_arithmetic", Decl{Description: "synthetic arithmetic in words (\"three plus four is\" → seven), k-shot; acc of the greedy answer", Kind: eval.KindLoglikelihood, Metrics: acc}, func(o Options) (eval.Task, error) {
		return newSynthArithmetic(o)
	})
	Register("synth_translate", Decl{Description: "synthetic translation English→Zanti (an invented language), k-shot \"english = zanti\" lines; BLEU and chrF", Kind: eval.KindGenerate, Metrics: translateMetrics}, func(o Options) (eval.Task, error) {
		return newSynthTranslate(o)
	})
	Register("synth_ppl", Decl{Description: "synthetic held-out passages of every kind: rolling log-likelihood; bits per byte, word perplexity", ZeroShotOnly: true, Kind: eval.KindRolling, Metrics: []string{"bits_per_byte", "word_perplexity"}}, func(o Options) (eval.Task, error) {
		return newSynthPPL(o)
	})
}

// SynthSuite lists the synthetic tasks in the order of the default run.
var SynthSuite = []string{"synth_lambada", "synth_cbt", "synth_arithmetic", "synth_translate", "synth_ppl"}

// SynthFewShot reports whether a synthetic task accepts k > 0 examples
// (the others, like their real counterparts, are zero-shot only).
func SynthFewShot(name string) bool {
	d, err := Declared(name)
	return err == nil && !d.ZeroShotOnly
}

// Default document counts of the synthetic tasks, chosen so that the
// default run over the whole ladder takes a few minutes; --limit lowers
// them.
const (
	synthLambadaDocs    = 500
	synthCBTDocs        = 300
	synthArithmeticDocs = 500
	synthTranslateDocs  = 300
	synthPPLDocs        = 200
	synthPoolDocs       = 200 // few-shot pools
)

const synthDataset = "kshot synthetic (datasets/synth, held-out evaluation seed)"

func noSynthData(name string, o Options) error {
	if o.DataPath != "" {
		return fmt.Errorf("task %s generates its documents; --data does not apply", name)
	}
	return nil
}

func newSynthLambada(o Options) (eval.Task, error) {
	if err := noSynthData("synth_lambada", o); err != nil {
		return nil, err
	}
	t := &lambada{spec: eval.TaskSpec{Name: "synth_lambada", Version: "1.0", Dataset: synthDataset,
		Description: Description("synth_lambada"), Metrics: []eval.Metric{eval.Perplexity(), eval.Mean("acc", true)}}}
	for _, s := range synth.Stories(synthLambadaDocs) {
		t.docs = append(t.docs, lambadaDoc{Context: s.Context, Target: s.Target})
	}
	return t, nil
}

func newSynthCBT(o Options) (eval.Task, error) {
	if err := noSynthData("synth_cbt", o); err != nil {
		return nil, err
	}
	t := &choiceTask{spec: eval.TaskSpec{Name: "synth_cbt", Version: "1.0", Dataset: synthDataset,
		Description: Description("synth_cbt"), Metrics: []eval.Metric{eval.Mean("acc", true)}}}
	for _, r := range synth.Rosters(synthCBTDocs) {
		d := choiceDoc{Gold: r.Gold}
		for _, c := range r.Options {
			d.Contexts = append(d.Contexts, r.Passage)
			d.Continuations = append(d.Continuations, " "+strings.Replace(r.Question, synth.Blank, c, 1))
		}
		t.docs = append(t.docs, d)
	}
	return t, nil
}

// synthKShot is a k-shot task over generated examples: each document's
// prompt is k examples from a separate pool, one per line, then its text.
type synthKShot struct {
	window
	spec  eval.TaskSpec
	docs  []eval.Example
	pool  []eval.Example
	build func(p *eval.PromptParts, d eval.Example) eval.Request
	fit   func(d eval.Example) fit // what must fit the window after the examples
	score func(d eval.Example, r eval.Response) (map[string][]float64, error)
}

// synthTranslateTokens is synth_translate's generation budget.
const synthTranslateTokens = 24

// synthPrompt is the layout of the k-shot synthetic tasks: examples
// "text target" one per line, as the training passages write them.
var synthPrompt = eval.FewShot{TargetDelimiter: " ", FewshotDelimiter: "\n"}

func (t *synthKShot) Spec() eval.TaskSpec { return t.spec }

func (t *synthKShot) Instances(k int, seed uint64) ([]eval.Instance, error) {
	s, err := t.sampler(t.spec.Name, synthPrompt, t.pool, k, seed)
	if err != nil {
		return nil, err
	}
	out := make([]eval.Instance, len(t.docs))
	for i, d := range t.docs {
		exs, err := s.draw(i, -1, "", t.fit(d))
		if err != nil {
			return nil, err
		}
		out[i] = eval.Instance{DocID: i, Doc: d, Target: d.Target, Requests: []eval.Request{t.build(synthPrompt.Parts(exs, d.Text), d)}}
	}
	if err := s.err(); err != nil {
		return nil, err
	}
	return out, nil
}

func (t *synthKShot) Score(inst eval.Instance, resps []eval.Response) (map[string][]float64, error) {
	return t.score(inst.Doc.(eval.Example), resps[0])
}

func newSynthArithmetic(o Options) (eval.Task, error) {
	if err := noSynthData("synth_arithmetic", o); err != nil {
		return nil, err
	}
	t := &synthKShot{spec: eval.TaskSpec{Name: "synth_arithmetic", Version: "1.0", Dataset: synthDataset,
		Description: Description("synth_arithmetic"), Metrics: []eval.Metric{eval.Mean("acc", true)}}}
	for _, f := range synth.Facts(synthArithmeticDocs, 0) {
		t.docs = append(t.docs, eval.Example{Text: f.Text, Target: f.Answer})
	}
	for _, f := range synth.Facts(synthPoolDocs, 1) {
		t.pool = append(t.pool, eval.Example{Text: f.Text, Target: f.Answer})
	}
	t.build = func(ctx *eval.PromptParts, d eval.Example) eval.Request {
		return eval.Loglikelihood{Context: ctx.String(), Continuation: " " + d.Target}
	}
	t.fit = func(d eval.Example) fit { return fit{tail: d.Text + " " + d.Target} }
	t.score = func(_ eval.Example, r eval.Response) (map[string][]float64, error) {
		return map[string][]float64{"acc": eval.MeanStats(eval.Bool(r.(eval.LoglikelihoodResult).Greedy))}, nil
	}
	return t, nil
}

func newSynthTranslate(o Options) (eval.Task, error) {
	if err := noSynthData("synth_translate", o); err != nil {
		return nil, err
	}
	t := &synthKShot{spec: eval.TaskSpec{Name: "synth_translate", Version: "1.0", Dataset: synthDataset,
		Description: Description("synth_translate"),
		Metrics:     []eval.Metric{eval.BLEUMetric(sacrebleu.BLEUOptions{}), eval.CHRFMetric(sacrebleu.CHRFOptions{})}}}
	for _, p := range synth.Pairs(synthTranslateDocs, synth.Zanti, 0) {
		t.docs = append(t.docs, eval.Example{Text: p.English + " =", Target: p.Foreign})
	}
	for _, p := range synth.Pairs(synthPoolDocs, synth.Zanti, 1) {
		t.pool = append(t.pool, eval.Example{Text: p.English + " =", Target: p.Foreign})
	}
	t.build = func(ctx *eval.PromptParts, _ eval.Example) eval.Request {
		return eval.Generate{Context: ctx.String(), Until: []string{"\n"}, MaxTokens: synthTranslateTokens, Parts: ctx}
	}
	t.fit = func(d eval.Example) fit { return fit{tail: d.Text, reserve: synthTranslateTokens} }
	t.score = func(d eval.Example, r eval.Response) (map[string][]float64, error) {
		hyp := strings.TrimSpace(r.(eval.GenerateResult).Text)
		b, err := sacrebleu.BLEUSegmentStats(hyp, []string{d.Target}, sacrebleu.BLEUOptions{})
		if err != nil {
			return nil, err
		}
		c, err := sacrebleu.CHRFSegmentStats(hyp, []string{d.Target}, sacrebleu.CHRFOptions{})
		if err != nil {
			return nil, err
		}
		return map[string][]float64{"bleu": b.Floats(), "chrf": c.Floats()}, nil
	}
	return t, nil
}

func newSynthPPL(o Options) (eval.Task, error) {
	if err := noSynthData("synth_ppl", o); err != nil {
		return nil, err
	}
	t := newStream("synth_ppl", synthDataset, synth.Passages(synthPPLDocs), func(s string) string { return s }, o)
	t.spec.Metrics = []eval.Metric{eval.BitsPerByte(), eval.WeightedPerplexity("word_perplexity")}
	return t, nil
}
