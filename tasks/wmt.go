package tasks

import (
	"fmt"
	"strings"

	"github.com/kshot-eval/kshot/datasets"
	"github.com/kshot-eval/kshot/eval"
	"github.com/kshot-eval/kshot/eval/sacrebleu"
)

func init() {
	Register("wmt14_fr_en", Decl{Description: "WMT14 newstest2014 French→English: greedy translation until a newline; BLEU and chrF (sacreBLEU defaults)", Variants: wmtVariants, Kind: eval.KindGenerate, Metrics: wmtMetrics}, func(o Options) (eval.Task, error) {
		return newWMT("wmt14_fr_en", "fr", "en", o)
	})
	Register("wmt14_en_fr", Decl{Description: "WMT14 newstest2014 English→French: greedy translation until a newline; BLEU and chrF (sacreBLEU defaults)", Variants: wmtVariants, Kind: eval.KindGenerate, Metrics: wmtMetrics}, func(o Options) (eval.Task, error) {
		return newWMT("wmt14_en_fr", "en", "fr", o)
	})
}

var langNames = map[string]string{"en": "English", "fr": "French", "de": "German"}

// wmtDoc is one source sentence and its reference translation.
type wmtDoc struct {
	DocID  string `json:"docid"`
	SegID  string `json:"segid"`
	Source string `json:"source"`
	Ref    string `json:"reference"`
}

type wmtTask struct {
	window
	spec    eval.TaskSpec
	docs    []wmtDoc
	variant string
	src     string
	tgt     string
}

// WMT prompt variants.
const (
	// WMTVariantGPT2 is the GPT-2 paper's format: examples
	// "source = target" one per line, the query "source =".
	WMTVariantGPT2 = "gpt2"
	// WMTVariantLMEval is lm-evaluation-harness's format:
	// "French phrase: …\nEnglish phrase:", examples separated by a blank line.
	WMTVariantLMEval = "lm-eval"
	// WMTVariantGPT3 is the GPT-3 paper's format as its Appendix G gives
	// it: examples "source = target", the query "source ="; zero-shot, the
	// question "Q: What is the {language} translation of {source}\nA:".
	// The figures show one example each, so the blank line between
	// examples and the line break before "A:" are kshot's choices.
	WMTVariantGPT3 = "gpt3"
)

// newWMT reads newstest2014 from its SGML files: with --data TASK=SRC.sgm
// the reference is the file with "-src.xx" replaced by "-ref.yy".
func newWMT(name, src, tgt string, o Options) (eval.Task, error) {
	variant := o.Variant
	if variant == "" {
		variant = WMTVariantGPT2
	}
	if variant != WMTVariantGPT2 && variant != WMTVariantLMEval && variant != WMTVariantGPT3 {
		return nil, fmt.Errorf("task %s: unknown prompt variant %q (have %q, %q, %q)", name, variant, WMTVariantGPT2, WMTVariantLMEval, WMTVariantGPT3)
	}
	srcPath, err := dataFile(name, o, "wmt14/newstest2014-fren-src."+src+".sgm", "newstest2014's "+src+" source SGML file")
	if err != nil {
		return nil, err
	}
	refPath := strings.Replace(srcPath, "-src."+src, "-ref."+tgt, 1)
	if refPath == srcPath {
		return nil, fmt.Errorf("task %s: cannot derive the reference file from %s (expected a name containing -src.%s)", name, srcPath, src)
	}
	pairs, err := datasets.ParallelSGML(srcPath, refPath)
	if err != nil {
		return nil, err
	}
	t := &wmtTask{variant: variant, src: src, tgt: tgt}
	t.spec = eval.TaskSpec{Name: name, Version: wmtVersion(variant), Dataset: "wmt14 (fr-en, test)", Description: Description(name),
		// lm-evaluation-harness's wmt14 tasks report bleu, ter and chrf.
		Metrics: []eval.Metric{eval.BLEUMetric(sacrebleu.BLEUOptions{}), eval.TERMetric(sacrebleu.TEROptions{}), eval.CHRFMetric(sacrebleu.CHRFOptions{})}}
	for _, p := range pairs {
		t.docs = append(t.docs, wmtDoc{DocID: p.Source.DocID, SegID: p.Source.SegID, Source: p.Source.Text, Ref: p.Reference.Text})
	}
	if len(t.docs) == 0 {
		return nil, fmt.Errorf("task %s: %s holds no segments", name, srcPath)
	}
	return t, nil
}

func (t *wmtTask) Spec() eval.TaskSpec { return t.spec }

func (t *wmtTask) prompt() (eval.FewShot, func(wmtDoc) eval.Example) {
	if t.variant == WMTVariantGPT2 || t.variant == WMTVariantGPT3 {
		fs := eval.FewShot{TargetDelimiter: " ", FewshotDelimiter: "\n"}
		if t.variant == WMTVariantGPT3 {
			fs.FewshotDelimiter = "\n\n"
		}
		return fs, func(d wmtDoc) eval.Example {
			return eval.Example{Text: d.Source + " =", Target: d.Ref}
		}
	}
	s, g := langNames[t.src], langNames[t.tgt]
	// lm-eval's doc_to_target is ' {{translation[…]}}' and its target
	// delimiter adds another space: its examples read "English phrase:  ref".
	return eval.DefaultFewShot(), func(d wmtDoc) eval.Example {
		return eval.Example{Text: s + " phrase: " + d.Source + "\n" + g + " phrase:", Target: " " + d.Ref}
	}
}

func (t *wmtTask) Instances(k int, seed uint64) ([]eval.Instance, error) {
	fs, ex := t.prompt()
	// The few-shot pool is the test set itself, the document excluded (no
	// other newstest year ships with kshot's data).
	pool := make([]eval.Example, len(t.docs))
	for i, d := range t.docs {
		pool[i] = ex(d)
	}
	s, err := t.sampler(t.spec.Name, fs, pool, k, seed)
	if err != nil {
		return nil, err
	}
	out := make([]eval.Instance, len(t.docs))
	for i, d := range t.docs {
		q := pool[i]
		if t.variant == WMTVariantGPT3 && k == 0 {
			q.Text = "Q: What is the " + langNames[t.tgt] + " translation of " + d.Source + "\nA:"
		}
		exs, err := s.draw(i, i, "", fit{tail: q.Text, reserve: eval.DefaultMaxGenTokens})
		if err != nil {
			return nil, err
		}
		req := eval.Generate{Context: fs.Prompt(exs, q.Text), Until: []string{"\n"}, Parts: fs.Parts(exs, q.Text)}
		out[i] = eval.Instance{DocID: i, Doc: d, Target: d.Ref, Requests: []eval.Request{req}}
	}
	if err := s.err(); err != nil {
		return nil, err
	}
	return out, nil
}

func (t *wmtTask) Score(inst eval.Instance, resps []eval.Response) (map[string][]float64, error) {
	hyp := strings.TrimSpace(resps[0].(eval.GenerateResult).Text)
	ref := inst.Doc.(wmtDoc).Ref
	b, err := sacrebleu.BLEUSegmentStats(hyp, []string{ref}, sacrebleu.BLEUOptions{})
	if err != nil {
		return nil, err
	}
	c, err := sacrebleu.CHRFSegmentStats(hyp, []string{ref}, sacrebleu.CHRFOptions{})
	if err != nil {
		return nil, err
	}
	ter, err := sacrebleu.TERSegmentStats(hyp, []string{ref}, sacrebleu.TEROptions{})
	if err != nil {
		return nil, err
	}
	return map[string][]float64{"bleu": b.Floats(), "ter": ter.Floats(), "chrf": c.Floats()}, nil
}

// wmtVersion is a variant's version: lm-eval's became 1.2 when its
// few-shot examples took lm-eval's double space before the reference.
func wmtVersion(variant string) string {
	if variant == WMTVariantLMEval {
		return "1.2-" + variant
	}
	return "1.1-" + variant
}
