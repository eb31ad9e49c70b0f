package tasks

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/kshot-eval/kshot/datasets"
	"github.com/kshot-eval/kshot/datasets/hub"
	"github.com/kshot-eval/kshot/eval"
	"github.com/kshot-eval/kshot/eval/textscore"
)

// SQuAD 2.0 and DROP, reading comprehension with generated answers.
//
// squadv2 is lm-evaluation-harness's task (its SQuAD2 class): the prompt
// "Title: {title}\n\nBackground: {context}\n\nQuestion: {question}\n\nAnswer:",
// a greedy answer until a newline; few-shot targets " {first answer}" or " unanswerable"
// after lm-eval's " " delimiter (two spaces, as lm-eval renders them). The
// generated text is scored by SQuAD 2.0's evaluate-v2.0.py (exact, f1,
// and both on the answerable and unanswerable questions), on its 0–100
// scale as lm-eval reports it. lm-eval also asks for the log-likelihood of
// " unanswerable" for its best_exact and best_f1 (a no-answer threshold
// sweep); kshot reports neither and does not send that request.
//
// drop is lm-evaluation-harness's drop: "{passage} {question}" with no
// delimiter before the target, a greedy answer until ".", em and f1 of
// drop_eval.py over the gold answer and the validated answers; few-shot
// targets are the first answer's spans joined by ",". Variant gpt3 is the
// GPT-3 paper's Figure G.20, "Passage: {passage}\nQuestion: {question}\nAnswer:"
// (the line breaks are kshot's reading of the figure), examples a blank
// line apart, generation until a newline, decoded by the paper's beam
// search (width 4, length penalty 0.6; gpt3Beam).
func init() {
	Register("squadv2", Decl{Description: "SQuAD 2.0 (validation): greedy answer; exact and f1 of evaluate-v2.0.py, overall and on answerable / unanswerable questions (0-100)",
		Kind: eval.KindGenerate, Metrics: squadMetrics}, newSQuADv2)
	Register("drop", Decl{Description: "DROP (validation): greedy answer after the passage and question (gpt3: beam width 4, length penalty 0.6); em and f1 of drop_eval.py (numbers, multi-span alignment) (variants lm-eval, gpt3)",
		Variants: []string{QAVariantLMEval, QAVariantGPT3}, Kind: eval.KindGenerate, Metrics: emF1}, newDROP)
	hubData["squadv2"] = hub.Dataset{Repo: "rajpurkar/squad_v2", Config: "squad_v2", Split: "validation"}
	hubData["drop"] = hub.Dataset{Repo: "EleutherAI/drop", Config: "default", Split: "validation"}
}

var squadMetrics = []string{"exact", "f1", "HasAns_exact", "HasAns_f1", "NoAns_exact", "NoAns_f1"}

func newSQuADv2(o Options) (eval.Task, error) {
	const name = "squadv2"
	rows, err := taskRecords(name, o, "squadv2/dev-v2.0.json", "SQuAD 2.0's development set (dev-v2.0.json, or rajpurkar/squad_v2 rows)", unwrapSQuAD)
	if err != nil {
		return nil, err
	}
	t := &genTask{fs: eval.DefaultFewShot(), until: []string{"\n"}, maxTokens: genMaxTokens}
	t.spec = eval.TaskSpec{Name: name, Version: "1.0", Dataset: "rajpurkar/squad_v2 (squad_v2, validation)", Description: Description(name),
		Metrics: []eval.Metric{eval.Mean("exact", true), eval.Mean("f1", true), eval.SubsetMean("HasAns_exact"),
			eval.SubsetMean("HasAns_f1"), eval.SubsetMean("NoAns_exact"), eval.SubsetMean("NoAns_f1")}}
	for _, row := range rows {
		var title, context, question, id string
		for _, f := range []struct {
			key string
			dst *string
		}{{"title", &title}, {"context", &context}, {"question", &question}, {"id", &id}} {
			if *f.dst, err = row.String(f.key); err != nil {
				return nil, err
			}
		}
		answers, err := textsOf(row, "answers", "text")
		if err != nil {
			return nil, err
		}
		target := " unanswerable"
		if len(answers) > 0 {
			target = " " + answers[0]
		}
		t.docs = append(t.docs, genDoc{ID: id, Where: row.Where(), Golds: answers, Target: target,
			Query: "Title: " + title + "\n\nBackground: " + context + "\n\nQuestion: " + question + "\n\nAnswer:"})
	}
	t.score = func(d genDoc, gen string) map[string][]float64 {
		em, f1, has := textscore.SQuADv2Scores(d.Golds, gen)
		em, f1 = 100*em, 100*f1
		return map[string][]float64{"exact": eval.MeanStats(em), "f1": eval.MeanStats(f1),
			"HasAns_exact": eval.SubsetStats(em, has), "HasAns_f1": eval.SubsetStats(f1, has),
			"NoAns_exact": eval.SubsetStats(em, !has), "NoAns_f1": eval.SubsetStats(f1, !has)}
	}
	return t, nil
}

// unwrapSQuAD flattens dev-v2.0.json ({"data": [{title, paragraphs:
// [{context, qas: [{id, question, answers}]}]}]}) into one record per
// question with the Hub's fields.
func unwrapSQuAD(top map[string]any) ([]map[string]any, error) {
	articles, err := objects(top["data"], "data")
	if err != nil {
		return nil, err
	}
	var out []map[string]any
	for i, a := range articles {
		paras, err := objects(a["paragraphs"], fmt.Sprintf("data[%d].paragraphs", i))
		if err != nil {
			return nil, err
		}
		for j, p := range paras {
			qas, err := objects(p["qas"], fmt.Sprintf("data[%d].paragraphs[%d].qas", i, j))
			if err != nil {
				return nil, err
			}
			for _, q := range qas {
				out = append(out, map[string]any{"title": a["title"], "context": p["context"], "id": q["id"],
					"question": q["question"], "answers": q["answers"]})
			}
		}
	}
	return out, nil
}

func newDROP(o Options) (eval.Task, error) {
	const name = "drop"
	path, err := dataFile(name, o, "drop/drop_dataset_dev.json", "DROP's development set (drop_dataset_dev.json, or EleutherAI/drop rows)")
	if err != nil {
		return nil, err
	}
	rows, err := readRecords(path, unwrapDROP)
	if err != nil {
		return nil, err
	}
	t := &genTask{maxTokens: genMaxTokens}
	t.spec = eval.TaskSpec{Name: name, Version: "1.0-" + o.Variant, Dataset: "EleutherAI/drop (validation)", Description: Description(name),
		Metrics: []eval.Metric{eval.Mean("em", true), eval.Mean("f1", true)}}
	query := func(p, q string) string { return p + " " + q }
	t.fs, t.until = eval.FewShot{TargetDelimiter: "", FewshotDelimiter: "\n\n"}, []string{"."}
	if o.Variant == QAVariantGPT3 {
		// 1.1-gpt3: the paper's beam search (gpt3Beam) instead of greedy.
		t.spec.Version, t.decoding = "1.1-gpt3", gpt3BeamRule
		query = func(p, q string) string { return "Passage: " + p + "\nQuestion: " + q + "\nAnswer:" }
		t.fs, t.until = eval.DefaultFewShot(), []string{"\n"}
	}
	read, dropped := 0, 0
	for _, row := range rows {
		passage, err := row.String("passage")
		if err != nil {
			return nil, err
		}
		question, err := row.String("question")
		if err != nil {
			return nil, err
		}
		golds, err := dropAnswers(row)
		if err != nil {
			return nil, err
		}
		read++
		if len(golds) == 0 {
			dropped++
			continue
		}
		id, _ := row.String("query_id")
		t.docs = append(t.docs, genDoc{ID: id, Where: row.Where(), Query: query(passage, question),
			Target: strings.Join(golds[0], ","), Spans: golds})
	}
	t.add(dropped, read, "questions", "no gold answer with a non-blank first span (drop_eval.py skips them)")
	if len(t.docs) == 0 {
		return nil, fmt.Errorf("task %s: %s holds no question with an answer", name, path)
	}
	t.score = func(d genDoc, gen string) map[string][]float64 {
		em, f1 := textscore.DROPScores([]string{gen}, d.Spans)
		return map[string][]float64{"em": eval.MeanStats(em), "f1": eval.MeanStats(f1)}
	}
	return t, nil
}

// unwrapDROP flattens drop_dataset_dev.json ({passage_id: {passage,
// qa_pairs: [{question, query_id, answer, validated_answers}]}}) into one
// record per question, the passages in the sorted order of their ids
// (the file's object has no order a decoder keeps).
func unwrapDROP(top map[string]any) ([]map[string]any, error) {
	ids := make([]string, 0, len(top))
	for id := range top {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var out []map[string]any
	for _, id := range ids {
		p, ok := top[id].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("passage %q is %T, want an object", id, top[id])
		}
		qas, err := objects(p["qa_pairs"], id+".qa_pairs")
		if err != nil {
			return nil, err
		}
		for _, q := range qas {
			r := map[string]any{"passage": p["passage"], "section_id": id}
			for k, v := range q {
				r[k] = v
			}
			out = append(out, r)
		}
	}
	return out, nil
}

// dropAnswers returns a question's distinct gold answers (each a list of
// spans) as lm-evaluation-harness's get_answers does: the answer, then the
// validated answers, each parsed as its number, its spans, or its date
// "day month year"; answers whose first span is blank are left out, as
// drop_eval.py skips them.
func dropAnswers(row datasets.Row) ([][]string, error) {
	ans, err := row.Object("answer")
	if err != nil {
		return nil, err
	}
	cands := []datasets.Row{ans}
	if v, ok := row.Get("validated_answers"); ok && v != nil {
		switch v.(type) {
		case []any:
			objs, err := row.Objects("validated_answers")
			if err != nil {
				return nil, err
			}
			cands = append(cands, objs...)
		default: // the Hub's object of lists
			va, err := row.Object("validated_answers")
			if err != nil {
				return nil, err
			}
			flat, err := flattenValidated(va)
			if err != nil {
				return nil, err
			}
			cands = append(cands, flat...)
		}
	}
	var out [][]string
	seen := map[string]bool{}
	for _, c := range cands {
		a, err := parseDROPAnswer(c)
		if err != nil {
			return nil, err
		}
		key := strings.Join(a, "\x00")
		if seen[key] || len(a) == 0 || strings.TrimSpace(a[0]) == "" {
			continue
		}
		seen[key] = true
		out = append(out, a)
	}
	return out, nil
}

// flattenValidated turns {number: [...], date: [...] or {day: [...], …},
// spans: [[...]]} into one answer object per index.
func flattenValidated(va datasets.Row) ([]datasets.Row, error) {
	numbers, err := va.Strings("number")
	if err != nil {
		return nil, err
	}
	spans := make([][]any, len(numbers))
	if v, ok := va.Get("spans"); ok {
		list, _ := v.([]any)
		for i := range min(len(list), len(numbers)) {
			spans[i], _ = list[i].([]any)
		}
	}
	dates := make([]any, len(numbers))
	if v, ok := va.Get("date"); ok {
		switch d := v.(type) {
		case []any:
			copy(dates, d)
		case map[string]any:
			for i := range numbers {
				m := map[string]any{}
				for _, k := range []string{"day", "month", "year"} {
					if l, ok := d[k].([]any); ok && i < len(l) {
						m[k] = l[i]
					}
				}
				dates[i] = m
			}
		}
	}
	out := make([]datasets.Row, len(numbers))
	for i, n := range numbers {
		out[i] = datasets.Row{Source: va.Source, Line: va.Line, Unit: va.Unit,
			Fields: map[string]any{"number": n, "spans": spans[i], "date": dates[i]}}
	}
	return out, nil
}

// parseDROPAnswer is lm-evaluation-harness's parse_answer.
func parseDROPAnswer(a datasets.Row) ([]string, error) {
	if v, ok := a.Get("number"); ok && v != nil {
		switch n := v.(type) {
		case string:
			if n != "" {
				return []string{n}, nil
			}
		case int64:
			return []string{fmt.Sprint(n)}, nil
		case float64:
			if n == math.Trunc(n) {
				return []string{fmt.Sprint(int64(n))}, nil
			}
			return []string{fmt.Sprint(n)}, nil
		}
	}
	if v, ok := a.Get("spans"); ok && v != nil {
		spans, err := a.Strings("spans")
		if err != nil {
			return nil, err
		}
		if len(spans) > 0 {
			return spans, nil
		}
	}
	var parts []string
	if v, ok := a.Get("date"); ok && v != nil {
		d, err := a.Object("date")
		if err != nil {
			return nil, err
		}
		for _, k := range []string{"day", "month", "year"} {
			s, _ := d.String(k)
			parts = append(parts, s)
		}
	}
	return []string{strings.TrimSpace(strings.Join(parts, " "))}, nil
}
