package tasks

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/kshot-eval/kshot/datasets/hub"
	"github.com/kshot-eval/kshot/eval"
	"github.com/kshot-eval/kshot/eval/textscore"
)

// CNN/Daily Mail summarisation (the abisee/cnn_dailymail 3.0.0 test set:
// article, newline-separated highlights), zero-shot, scored by
// rouge-score with its Porter stemmer on: rouge1, rouge2, rougeL over the
// whole summaries and rougeLsum over their sentences (the highlights'
// lines; the generated summary split into sentences by kshot's rule, a
// sentence ending at ".", "!" or "?" — closing quotes and brackets kept —
// before white space or the end).
//
// Variants:
//   - lm-eval (default), lm-evaluation-harness's cnn_dailymail_abisee:
//     "Summarize the following article:\n\n{article}\n\nSummary:", greedy,
//     at most 128 tokens until a blank line, the whole generation (white
//     space collapsed, as lm-eval's normalize_text does) as the summary;
//     lm-eval's bertscore metrics are not reported;
//   - gpt2, the GPT-2 paper's §3.6: the article followed by "TL;DR:" (on
//     a line of its own: kshot's reading, the paper says only "after the
//     article"), 100 tokens of top-k sampling with k = 2 (temperature 1,
//     no top-p cut, seeded by the run seed), and the first 3 generated
//     sentences as the summary (Table 4: 29.34 / 8.27 / 26.58 ROUGE-1/2/L
//     for the 1542M model).
func init() {
	Register("cnn_dailymail", Decl{Description: "CNN/Daily Mail (3.0.0, test) summarisation, zero-shot: rouge1, rouge2, rougeL, rougeLsum F1 with stemming (variants lm-eval: greedy, gpt2: TL;DR: with top-k 2 sampling, first 3 sentences)",
		Variants: []string{QAVariantLMEval, SumVariantGPT2}, ZeroShotOnly: true, Kind: eval.KindGenerate, Metrics: rougeMetrics}, newCNNDM)
	hubData["cnn_dailymail"] = hub.Dataset{Repo: "abisee/cnn_dailymail", Config: "3.0.0", Split: "test"}
}

// SumVariantGPT2 is the GPT-2 paper's summarisation format.
const SumVariantGPT2 = "gpt2"

var rougeMetrics = []string{"rouge1", "rouge2", "rougeL", "rougeLsum"}

// zeroShotTask refuses few-shot builds of a genTask.
type zeroShotTask struct{ *genTask }

func (t zeroShotTask) Instances(k int, seed uint64) ([]eval.Instance, error) {
	if k != 0 {
		return nil, fmt.Errorf("task %s is zero-shot only (the articles leave no room for examples): use --shots 0", t.spec.Name)
	}
	return t.genTask.Instances(0, seed)
}

func newCNNDM(o Options) (eval.Task, error) {
	const name = "cnn_dailymail"
	rows, err := taskRecords(name, o, "cnn_dailymail/test.jsonl", "CNN/Daily Mail's test set ({article, highlights}, abisee/cnn_dailymail 3.0.0)", nil)
	if err != nil {
		return nil, err
	}
	t := &genTask{fs: eval.DefaultFewShot()}
	t.spec = eval.TaskSpec{Name: name, Version: "1.0-" + o.Variant, Dataset: "abisee/cnn_dailymail (3.0.0, test)", Description: Description(name)}
	for _, m := range rougeMetrics {
		t.spec.Metrics = append(t.spec.Metrics, eval.Mean(m, true))
	}
	gpt2 := o.Variant == SumVariantGPT2
	for _, row := range rows {
		article, err := row.String("article")
		if err != nil {
			return nil, err
		}
		ref, err := row.String("highlights")
		if err != nil {
			return nil, err
		}
		id, _ := row.String("id")
		q := "Summarize the following article:\n\n" + article + "\n\nSummary:"
		if gpt2 {
			q = article + "\nTL;DR:"
		}
		t.docs = append(t.docs, genDoc{ID: id, Query: q, Target: ref, Golds: []string{ref}, Where: row.Where()})
	}
	if gpt2 {
		t.maxTokens = 100
		t.decoding = func(seed uint64) eval.Decoding {
			return eval.Decoding{Method: eval.DecodeSample, TopK: 2, Temperature: 1, TopP: 1, Seed: int64(seed)}
		}
	} else {
		t.maxTokens, t.until = 128, []string{"\n\n"}
	}
	t.score = func(d genDoc, gen string) map[string][]float64 {
		sents := sentences(gen)
		if gpt2 {
			sents = sents[:min(3, len(sents))]
		}
		return rougeStats(d.Golds[0], sents)
	}
	return zeroShotTask{t}, nil
}

// rougeStats scores the summary sentences against the reference
// (sentences on lines).
func rougeStats(ref string, summary []string) map[string][]float64 {
	joined := strings.Join(summary, " ")
	r := textscore.Rouge(ref, joined, true)
	lsum := textscore.RougeLsum(ref, strings.Join(summary, "\n"), true)
	return map[string][]float64{"rouge1": eval.MeanStats(r.Rouge1.F), "rouge2": eval.MeanStats(r.Rouge2.F),
		"rougeL": eval.MeanStats(r.RougeL.F), "rougeLsum": eval.MeanStats(lsum.F)}
}

// sentences splits text into sentences: a sentence ends at ".", "!" or
// "?" (with any closing quotes or brackets after it) followed by white
// space or the end of the text; white space inside a sentence is
// collapsed and empty sentences dropped.
func sentences(text string) []string {
	var out []string
	rs := []rune(text)
	start := 0
	emit := func(end int) {
		if s := strings.Join(strings.Fields(string(rs[start:end])), " "); s != "" {
			out = append(out, s)
		}
		start = end
	}
	for i := 0; i < len(rs); i++ {
		if rs[i] != '.' && rs[i] != '!' && rs[i] != '?' {
			continue
		}
		j := i + 1
		for j < len(rs) && strings.ContainsRune("\"'”’)]", rs[j]) {
			j++
		}
		if j == len(rs) || unicode.IsSpace(rs[j]) {
			emit(j)
			i = j - 1
		}
	}
	emit(len(rs))
	return out
}
