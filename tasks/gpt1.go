package tasks

import (
	"fmt"
	"strings"

	"github.com/kshot-eval/kshot/datasets"
	"github.com/kshot-eval/kshot/eval"
)

// GPT-1's zero-shot probes (Radford et al. 2018, §5 "Zero-shot
// behaviors"): heuristics that read a task's answer off a pre-trained
// language model without any example.
//
//   - gpt1_sst2: the sentence followed by " very"; the prediction is
//     whichever of " positive" and " negative" the model finds likelier;
//   - gpt1_race: each answer after the article and the question; the
//     answer with the highest average token log-probability wins;
//   - gpt1_winograd: the pronoun replaced by each candidate; the
//     candidate after which the rest of the sentence has the highest
//     average token log-probability wins;
//   - gpt1_cola: a sentence's average token log-probability is thresholded;
//     the threshold is the one with the best Matthews correlation on the
//     evaluated (validation) split itself, so oracle_mcc and oracle_acc
//     are optimistic (see eval.BestThreshold).
//
// The paper gives the heuristics, not the exact strings; where it is
// silent (how the article and question are joined for RACE) kshot's choice
// is written below. All four are zero-shot only.
func init() {
	Register("gpt1_sst2", Decl{Description: "GPT-1 zero-shot probe, SST-2 (GLUE validation): sentence + \" very\", compare \" positive\" and \" negative\"; acc", ZeroShotOnly: true, Kind: eval.KindMultipleChoice, Metrics: acc}, newGPT1SST2)
	Register("gpt1_race", Decl{Description: "GPT-1 zero-shot probe, RACE (test): answer with the highest average token log-probability given article and question; acc", ZeroShotOnly: true, Kind: eval.KindMultipleChoice, Metrics: acc}, newGPT1RACE)
	Register("gpt1_winograd", Decl{Description: "GPT-1 zero-shot probe, Winograd WSC273: candidate substituted, rest of the sentence by average token log-probability; acc", ZeroShotOnly: true, Kind: eval.KindMultipleChoice, Metrics: acc}, newGPT1Winograd)
	Register("gpt1_cola", Decl{Description: "GPT-1 zero-shot probe, CoLA (GLUE validation): average token log-probability thresholded (best threshold on the split); oracle_mcc, oracle_acc", ZeroShotOnly: true, Kind: eval.KindLoglikelihood, Metrics: []string{"oracle_mcc", "oracle_acc"}}, newGPT1CoLA)
}

// gpt1Doc is one document of a GPT-1 probe: a multiple choice (Options)
// or, for CoLA, one sentence (Text) with a binary label.
type gpt1Doc struct {
	Options []eval.Loglikelihood `json:"options,omitempty"`
	Text    string               `json:"text,omitempty"`
	Gold    int                  `json:"gold"`
	Where   string               `json:"where"`
}

// gpt1Task is a zero-shot GPT-1 probe. byAverage ranks options by their
// average token log-probability (RACE, Winograd) instead of their total
// (SST-2, whose options are single words).
type gpt1Task struct {
	spec      eval.TaskSpec
	docs      []gpt1Doc
	byAverage bool
	cola      bool
}

func (t *gpt1Task) Spec() eval.TaskSpec { return t.spec }

func (t *gpt1Task) Instances(k int, seed uint64) ([]eval.Instance, error) {
	if k != 0 {
		return nil, fmt.Errorf("%s is GPT-1's zero-shot probe; use --shots 0", t.spec.Name)
	}
	out := make([]eval.Instance, len(t.docs))
	for i, d := range t.docs {
		var req eval.Request = eval.MultipleChoice{Options: d.Options}
		target := ""
		if t.cola {
			req = eval.Loglikelihood{Context: "", Continuation: d.Text}
			target = fmt.Sprint(d.Gold)
		} else {
			target = d.Options[d.Gold].Context + d.Options[d.Gold].Continuation
		}
		out[i] = eval.Instance{DocID: i, Doc: d, Target: target, Requests: []eval.Request{req}}
	}
	return out, nil
}

func (t *gpt1Task) Score(inst eval.Instance, resps []eval.Response) (map[string][]float64, error) {
	d := inst.Doc.(gpt1Doc)
	if t.cola {
		r, ok := resps[0].(eval.LoglikelihoodResult)
		if !ok {
			return nil, fmt.Errorf("%s: unexpected response %T", d.Where, resps[0])
		}
		stats := eval.ThresholdStats(r.LogProb/float64(max(1, r.Tokens)), d.Gold == 1)
		return map[string][]float64{"oracle_mcc": stats, "oracle_acc": stats}, nil
	}
	r, ok := resps[0].(eval.ChoiceResult)
	if !ok || len(r.Options) != len(d.Options) {
		return nil, fmt.Errorf("%s: expected %d option scores, got %T", d.Where, len(d.Options), resps[0])
	}
	s := make([]float64, len(r.Options))
	for i, o := range r.Options {
		s[i] = o.LogProb
		if t.byAverage {
			s[i] /= float64(max(1, o.Tokens))
		}
	}
	return map[string][]float64{"acc": eval.MeanStats(eval.Bool(eval.Argmax(s) == d.Gold))}, nil
}

func newGPT1(name, dataset, path string, docs []gpt1Doc, byAverage, cola bool) (eval.Task, error) {
	if len(docs) == 0 {
		return nil, fmt.Errorf("task %s: %s holds no documents", name, path)
	}
	t := &gpt1Task{docs: docs, byAverage: byAverage, cola: cola,
		spec: eval.TaskSpec{Name: name, Version: "1.0", Dataset: dataset, Description: Description(name)}}
	if cola {
		t.spec.Metrics = []eval.Metric{eval.OracleMCC(), eval.OracleAcc()}
	} else {
		t.spec.Metrics = []eval.Metric{eval.Mean("acc", true)}
	}
	for _, d := range docs {
		if !cola && (d.Gold < 0 || d.Gold >= len(d.Options)) {
			return nil, fmt.Errorf("task %s: %s: gold label %d is out of range (%d options)", name, d.Where, d.Gold, len(d.Options))
		}
	}
	return t, nil
}

// readGPT1 converts every record of path with conv.
func readGPT1(path string, conv func(datasets.Row) (gpt1Doc, error)) ([]gpt1Doc, error) {
	var docs []gpt1Doc
	for row, err := range datasets.Open(path) {
		if err != nil {
			return nil, err
		}
		d, err := conv(row)
		if err != nil {
			return nil, err
		}
		d.Where = row.Where()
		docs = append(docs, d)
	}
	return docs, nil
}

// glueSentence reads GLUE's {sentence, label} (Parquet, JSON Lines, or the
// TSV files with a header, whose labels are text) with a 0/1 label.
func glueSentence(row datasets.Row) (string, int, error) {
	s, err := row.String("sentence")
	if err != nil {
		return "", 0, err
	}
	label, err := labelInt(row, "label")
	if err != nil {
		return "", 0, err
	}
	if label != 0 && label != 1 {
		return "", 0, row.Invalid("label", "is %d, want 0 or 1 (the test split has no labels)", label)
	}
	return strings.TrimSpace(s), label, nil
}

func newGPT1SST2(o Options) (eval.Task, error) {
	path, err := dataFile("gpt1_sst2", o, "glue/sst2/validation-00000-of-00001.parquet", "GLUE SST-2's validation split (nyu-mll/glue, sst2)")
	if err != nil {
		return nil, err
	}
	docs, err := readGPT1(path, func(row datasets.Row) (gpt1Doc, error) {
		s, label, err := glueSentence(row)
		// Option 0 is " negative" and option 1 " positive", so the gold
		// option is the label (1 = positive).
		return gpt1Doc{Options: eval.Choices(s+" very", " negative", " positive").Options, Gold: label}, err
	})
	if err != nil {
		return nil, err
	}
	return newGPT1("gpt1_sst2", "nyu-mll/glue (sst2, validation)", path, docs, false, false)
}

// newGPT1RACE reads RACE rows {article, question, options, answer "A"–"D"}
// (the Hub's ehovy/race). The context is the article, a newline and the
// question; each option follows after a space.
func newGPT1RACE(o Options) (eval.Task, error) {
	path, err := dataFile("gpt1_race", o, "race/all/test-00000-of-00001.parquet", "RACE's test split (ehovy/race, all)")
	if err != nil {
		return nil, err
	}
	docs, err := readGPT1(path, func(row datasets.Row) (gpt1Doc, error) {
		var f [3]string
		for i, k := range []string{"article", "question", "answer"} {
			s, err := row.String(k)
			if err != nil {
				return gpt1Doc{}, err
			}
			f[i] = s
		}
		opts, err := row.Strings("options")
		if err != nil {
			return gpt1Doc{}, err
		}
		ans := strings.TrimSpace(f[2])
		if len(ans) != 1 || ans[0] < 'A' || int(ans[0]-'A') >= len(opts) {
			return gpt1Doc{}, row.Invalid("answer", "is %q, want a letter naming one of the %d options", f[2], len(opts))
		}
		for i, op := range opts {
			if strings.TrimSpace(op) == "" {
				return gpt1Doc{}, row.Invalid(fmt.Sprintf("options[%d]", i), "is empty")
			}
			opts[i] = " " + strings.TrimSpace(op)
		}
		return gpt1Doc{Options: eval.Choices(strings.TrimSpace(f[0])+"\n"+strings.TrimSpace(f[1]), opts...).Options, Gold: int(ans[0] - 'A')}, nil
	})
	if err != nil {
		return nil, err
	}
	return newGPT1("gpt1_race", "ehovy/race (all, test)", path, docs, true, false)
}

// newGPT1Winograd reads WSC273 in the partial-scoring form (kshot's shared
// file) or the Hub's winograd_wsc rows {text, pronoun, pronoun_loc,
// options, label}: the sentence up to the pronoun with each candidate in
// its place, the rest of the sentence as the shared continuation.
func newGPT1Winograd(o Options) (eval.Task, error) {
	path, err := dataFile("gpt1_winograd", o, "wsc/llmfoundry_winograd_wsc273.jsonl", "WSC273 in partial-scoring form")
	if err != nil {
		return nil, err
	}
	docs, err := readGPT1(path, func(row datasets.Row) (gpt1Doc, error) {
		var ctxs []string
		var cont string
		var gold int
		if _, ok := row.Get("context_options"); ok {
			var err error
			if ctxs, err = row.Strings("context_options"); err != nil {
				return gpt1Doc{}, err
			}
			if cont, err = row.String("continuation"); err != nil {
				return gpt1Doc{}, err
			}
			if gold, err = labelInt(row, "gold"); err != nil {
				return gpt1Doc{}, err
			}
		} else {
			text, err := row.String("text")
			if err != nil {
				return gpt1Doc{}, err
			}
			pron, err := row.String("pronoun")
			if err != nil {
				return gpt1Doc{}, err
			}
			loc, err := labelInt(row, "pronoun_loc")
			if err != nil {
				return gpt1Doc{}, err
			}
			if loc < 0 || loc+len(pron) > len(text) || text[loc:loc+len(pron)] != pron {
				return gpt1Doc{}, row.Invalid("pronoun_loc", "is %d, but the text does not hold %q there", loc, pron)
			}
			opts, err := row.Strings("options")
			if err != nil {
				return gpt1Doc{}, err
			}
			for _, op := range opts {
				ctxs = append(ctxs, text[:loc]+op)
			}
			cont = text[loc+len(pron):]
			if gold, err = labelInt(row, "label"); err != nil {
				return gpt1Doc{}, err
			}
		}
		if len(ctxs) < 2 || strings.TrimSpace(cont) == "" {
			return gpt1Doc{}, fmt.Errorf("%s: a Winograd schema needs at least 2 candidates and a continuation (got %d and %q)", row.Where(), len(ctxs), cont)
		}
		return gpt1Doc{Options: eval.PartialChoices(ctxs, " "+strings.TrimSpace(cont)).Options, Gold: gold}, nil
	})
	if err != nil {
		return nil, err
	}
	return newGPT1("gpt1_winograd", "winograd_wsc (wsc273, test)", path, docs, true, false)
}

// newGPT1CoLA reads GLUE CoLA {sentence, label} (1 = acceptable). Each
// sentence is scored alone (after the end-of-text token).
func newGPT1CoLA(o Options) (eval.Task, error) {
	path, err := dataFile("gpt1_cola", o, "glue/cola/validation-00000-of-00001.parquet", "GLUE CoLA's validation split (nyu-mll/glue, cola)")
	if err != nil {
		return nil, err
	}
	docs, err := readGPT1(path, func(row datasets.Row) (gpt1Doc, error) {
		s, label, err := glueSentence(row)
		if err == nil && s == "" {
			err = row.Invalid("sentence", "is empty")
		}
		return gpt1Doc{Text: s, Gold: label}, err
	})
	if err != nil {
		return nil, err
	}
	return newGPT1("gpt1_cola", "nyu-mll/glue (cola, validation)", path, docs, false, true)
}
