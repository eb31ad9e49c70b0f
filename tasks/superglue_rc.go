package tasks

import (
	"fmt"
	"sort"
	"strings"

	"github.com/kshot-eval/kshot/datasets"
	"github.com/kshot-eval/kshot/datasets/hub"
	"github.com/kshot-eval/kshot/eval"
	"github.com/kshot-eval/kshot/eval/textscore"
)

// SuperGLUE's reading-comprehension tasks, MultiRC and ReCoRD.
//
// record is lm-evaluation-harness's record: the passage, then each
// highlight as "  - {highlight}.\n", and every distinct entity substituted
// for @placeholder in "  - {query}" as a continuation (after lm-eval's " "
// delimiter); the entity with the highest log-likelihood is the answer,
// scored by f1 and em, the best over the distinct gold answers with
// SQuAD's normalisation (ReCoRD's official scorer; the GPT-3 paper's
// ReCoRD acc is em).
//
// multirc scores every answer option of a question as lm-evaluation-
// harness's multirc prompt does — "{paragraph}\nQuestion: {question}\nAnswer:"
// continued by " {answer}\nIs the answer correct? yes" or "… no" — and
// labels it correct when "yes" is the likelier. A document is a question
// (its options one request each), so that em is SuperGLUE's per-question
// exact match (every option labelled right; the GPT-3 paper's MultiRC
// "acc") and f1a its F1 over all options. lm-eval's own multirc scores
// each option alone with acc, and its YAML maps label 1 (correct) to the
// "no" continuation; kshot maps it to "yes". Few-shot examples are other
// questions' first options with their label.
func init() {
	Register("record", Decl{Description: "ReCoRD (SuperGLUE, validation): each entity substituted into the query, the likeliest scored; f1 and em over the gold answers",
		Kind: eval.KindMultipleChoice, Metrics: []string{"f1", "em"}}, newReCoRD)
	Register("multirc", Decl{Description: "MultiRC (SuperGLUE, validation): each answer option judged yes/no by likelihood; per-question em and f1a over all options",
		Kind: eval.KindMultipleChoice, Metrics: []string{"em", "f1a"}}, newMultiRC)
	hubData["record"] = hub.Dataset{Repo: "aps/super_glue", Config: "record", Split: "validation"}
	hubData["multirc"] = hub.Dataset{Repo: "aps/super_glue", Config: "multirc", Split: "validation"}
}

// recordDoc is one ReCoRD query with its passage's distinct entities and
// the distinct gold answers, both sorted as lm-evaluation-harness sorts
// them.
type recordDoc struct {
	Text     string   `json:"text"`
	Query    string   `json:"query"`
	Entities []string `json:"entities"`
	Answers  []string `json:"answers"`
	Where    string   `json:"where"`
}

type recordTask struct {
	window
	spec eval.TaskSpec
	docs []recordDoc
}

func (t *recordTask) specPtr() *eval.TaskSpec { return &t.spec }
func (t *recordTask) Spec() eval.TaskSpec     { return t.spec }

func newReCoRD(o Options) (eval.Task, error) {
	const name = "record"
	rows, err := taskRecords(name, o, "superglue/record_val.jsonl", "ReCoRD's validation set (SuperGLUE val.jsonl, or aps/super_glue record rows)", nil)
	if err != nil {
		return nil, err
	}
	t := &recordTask{spec: eval.TaskSpec{Name: name, Version: "1.0", Dataset: "aps/super_glue (record, validation)", Description: Description(name),
		Metrics: []eval.Metric{eval.Mean("f1", true), eval.Mean("em", true)}}}
	for _, row := range rows {
		docs, err := readReCoRDRow(row)
		if err != nil {
			return nil, err
		}
		t.docs = append(t.docs, docs...)
	}
	return t, nil
}

// readReCoRDRow reads a Hub row ({passage, query, entities, answers}) or
// a SuperGLUE line ({passage: {text, entities: [{start, end}]}, qas:
// [{query, answers: [{text}]}]}, entity spans inclusive of end), one
// document per query.
func readReCoRDRow(row datasets.Row) ([]recordDoc, error) {
	v, _ := row.Get("passage")
	if _, official := v.(map[string]any); !official {
		passage, err := row.String("passage")
		if err != nil {
			return nil, err
		}
		query, err := row.String("query")
		if err != nil {
			return nil, err
		}
		ents, err := row.Strings("entities")
		if err != nil {
			return nil, err
		}
		ans, err := row.Strings("answers")
		if err != nil {
			return nil, err
		}
		d, err := newRecordDoc(row, passage, query, ents, ans)
		return []recordDoc{d}, err
	}
	p, err := row.Object("passage")
	if err != nil {
		return nil, err
	}
	text, err := p.String("text")
	if err != nil {
		return nil, err
	}
	spans, err := p.Objects("entities")
	if err != nil {
		return nil, err
	}
	var ents []string
	for _, s := range spans {
		start, err := s.Int("start")
		if err != nil {
			return nil, err
		}
		end, err := s.Int("end")
		if err != nil {
			return nil, err
		}
		if start < 0 || end < start || end >= len(text) {
			return nil, s.Invalid("end", "span %d–%d lies outside the passage's %d bytes", start, end, len(text))
		}
		ents = append(ents, text[start:end+1])
	}
	qas, err := row.Objects("qas")
	if err != nil {
		return nil, err
	}
	var out []recordDoc
	for _, q := range qas {
		query, err := q.String("query")
		if err != nil {
			return nil, err
		}
		ans, err := textsOf(q, "answers", "text")
		if err != nil {
			return nil, err
		}
		d, err := newRecordDoc(q, text, query, ents, ans)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

func newRecordDoc(row datasets.Row, passage, query string, ents, ans []string) (recordDoc, error) {
	if len(ents) == 0 || len(ans) == 0 {
		return recordDoc{}, row.Invalid("answers", "a query needs entities and at least one answer (got %d and %d)", len(ents), len(ans))
	}
	initial, highlights, _ := strings.Cut(strings.TrimSpace(passage), "\n@highlight\n")
	text := initial + "\n\n"
	if highlights != "" {
		for _, h := range strings.Split(highlights, "\n@highlight\n") {
			text += "  - " + h + ".\n"
		}
	}
	return recordDoc{Text: text, Query: query, Entities: sortedSet(ents), Answers: sortedSet(ans), Where: row.Where()}, nil
}

func sortedSet(xs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	sort.Strings(out)
	return out
}

func recordAnswer(query, entity string) string {
	return "  - " + strings.ReplaceAll(query, "@placeholder", entity)
}

func (t *recordTask) Instances(k int, seed uint64) ([]eval.Instance, error) {
	fs := eval.DefaultFewShot()
	pool := make([]eval.Example, len(t.docs))
	for i, d := range t.docs {
		pool[i] = eval.Example{Text: d.Text, Target: recordAnswer(d.Query, d.Answers[0])}
	}
	s, err := t.sampler(t.spec.Name, fs, pool, k, seed)
	if err != nil {
		return nil, err
	}
	out := make([]eval.Instance, len(t.docs))
	for i, d := range t.docs {
		conts := make([]string, len(d.Entities))
		longest := ""
		for j, e := range d.Entities {
			conts[j] = " " + recordAnswer(d.Query, e)
			if len(conts[j]) > len(longest) {
				longest = conts[j]
			}
		}
		exs, err := s.draw(i, i, d.Where, fit{tail: d.Text + longest})
		if err != nil {
			return nil, err
		}
		out[i] = eval.Instance{DocID: i, Doc: d, Target: d.Answers[0], Requests: []eval.Request{eval.Choices(fs.Prompt(exs, d.Text), conts...)}}
	}
	if err := s.err(); err != nil {
		return nil, err
	}
	return out, nil
}

func (t *recordTask) Score(inst eval.Instance, resps []eval.Response) (map[string][]float64, error) {
	c, ok := resps[0].(eval.ChoiceResult)
	d := inst.Doc.(recordDoc)
	if !ok || len(c.Options) != len(d.Entities) {
		return nil, fmt.Errorf("task %s: document %d: unexpected response %T", t.spec.Name, inst.DocID, resps[0])
	}
	ll := make([]float64, len(c.Options))
	for i, o := range c.Options {
		ll[i] = o.LogProb
	}
	em, f1 := textscore.MaxOverGolds(d.Answers, d.Entities[eval.Argmax(ll)])
	return map[string][]float64{"f1": eval.MeanStats(f1), "em": eval.MeanStats(em)}, nil
}

// multircDoc is one MultiRC question with its answer options and labels.
type multircDoc struct {
	Paragraph string   `json:"paragraph"`
	Question  string   `json:"question"`
	Answers   []string `json:"answers"`
	Labels    []bool   `json:"labels"`
	Where     string   `json:"where"`
}

type multircTask struct {
	window
	spec eval.TaskSpec
	docs []multircDoc
}

func (t *multircTask) specPtr() *eval.TaskSpec { return &t.spec }
func (t *multircTask) Spec() eval.TaskSpec     { return t.spec }

func newMultiRC(o Options) (eval.Task, error) {
	const name = "multirc"
	path, err := dataFile(name, o, "superglue/multirc_val.jsonl", "MultiRC's validation set (SuperGLUE val.jsonl, or aps/super_glue multirc rows)")
	if err != nil {
		return nil, err
	}
	rows, err := readRecords(path, nil)
	if err != nil {
		return nil, err
	}
	t := &multircTask{spec: eval.TaskSpec{Name: name, Version: "1.0", Dataset: "aps/super_glue (multirc, validation)", Description: Description(name),
		Metrics: []eval.Metric{eval.Mean("em", true), eval.F1aMetric()}}}
	byKey := map[[2]int]int{} // Hub rows: (paragraph, question) → document
	for _, row := range rows {
		if v, _ := row.Get("passage"); v != nil {
			docs, err := readMultiRCPassage(row)
			if err != nil {
				return nil, err
			}
			t.docs = append(t.docs, docs...)
			continue
		}
		// One Hub row per answer option.
		para, err := row.String("paragraph")
		if err != nil {
			return nil, err
		}
		q, err := row.String("question")
		if err != nil {
			return nil, err
		}
		a, err := row.String("answer")
		if err != nil {
			return nil, err
		}
		label, err := row.Int("label")
		if err != nil {
			return nil, err
		}
		idx, err := row.Object("idx")
		if err != nil {
			return nil, err
		}
		pi, err := idx.Int("paragraph")
		if err != nil {
			return nil, err
		}
		qi, err := idx.Int("question")
		if err != nil {
			return nil, err
		}
		key := [2]int{pi, qi}
		j, ok := byKey[key]
		if !ok {
			j = len(t.docs)
			byKey[key] = j
			t.docs = append(t.docs, multircDoc{Paragraph: para, Question: q, Where: row.Where()})
		}
		t.docs[j].Answers = append(t.docs[j].Answers, a)
		t.docs[j].Labels = append(t.docs[j].Labels, label == 1)
	}
	if len(t.docs) == 0 {
		return nil, fmt.Errorf("task %s: %s holds no questions", name, path)
	}
	return t, nil
}

// readMultiRCPassage reads a SuperGLUE line: {passage: {text, questions:
// [{question, answers: [{text, label}]}]}}.
func readMultiRCPassage(row datasets.Row) ([]multircDoc, error) {
	p, err := row.Object("passage")
	if err != nil {
		return nil, err
	}
	text, err := p.String("text")
	if err != nil {
		return nil, err
	}
	qs, err := p.Objects("questions")
	if err != nil {
		return nil, err
	}
	var out []multircDoc
	for _, q := range qs {
		d := multircDoc{Paragraph: text, Where: row.Where()}
		if d.Question, err = q.String("question"); err != nil {
			return nil, err
		}
		opts, err := q.Objects("answers")
		if err != nil {
			return nil, err
		}
		if len(opts) == 0 {
			return nil, q.Invalid("answers", "is empty: a question needs answer options")
		}
		for _, a := range opts {
			s, err := a.String("text")
			if err != nil {
				return nil, err
			}
			l, err := a.Int("label")
			if err != nil {
				return nil, err
			}
			if l != 0 && l != 1 {
				return nil, a.Invalid("label", "is %d, want 0 or 1", l)
			}
			d.Answers = append(d.Answers, s)
			d.Labels = append(d.Labels, l == 1)
		}
		out = append(out, d)
	}
	return out, nil
}

func multircOption(answer string, yes bool) string {
	if yes {
		return answer + "\nIs the answer correct? yes"
	}
	return answer + "\nIs the answer correct? no"
}

func (t *multircTask) Instances(k int, seed uint64) ([]eval.Instance, error) {
	fs := eval.DefaultFewShot()
	query := func(d multircDoc) string { return d.Paragraph + "\nQuestion: " + d.Question + "\nAnswer:" }
	pool := make([]eval.Example, len(t.docs))
	for i, d := range t.docs {
		pool[i] = eval.Example{Text: query(d), Target: multircOption(d.Answers[0], d.Labels[0])}
	}
	s, err := t.sampler(t.spec.Name, fs, pool, k, seed)
	if err != nil {
		return nil, err
	}
	out := make([]eval.Instance, len(t.docs))
	for i, d := range t.docs {
		longest := ""
		for _, a := range d.Answers {
			if c := " " + multircOption(a, true); len(c) > len(longest) {
				longest = c
			}
		}
		exs, err := s.draw(i, i, d.Where, fit{tail: pool[i].Text + longest})
		if err != nil {
			return nil, err
		}
		ctx := fs.Prompt(exs, pool[i].Text)
		reqs := make([]eval.Request, len(d.Answers))
		for j, a := range d.Answers {
			reqs[j] = eval.Choices(ctx, " "+multircOption(a, true), " "+multircOption(a, false))
		}
		out[i] = eval.Instance{DocID: i, Doc: d, Target: fmt.Sprint(d.Labels), Requests: reqs}
	}
	if err := s.err(); err != nil {
		return nil, err
	}
	return out, nil
}

func (t *multircTask) Score(inst eval.Instance, resps []eval.Response) (map[string][]float64, error) {
	d := inst.Doc.(multircDoc)
	if len(resps) != len(d.Answers) {
		return nil, fmt.Errorf("task %s: document %d: %d responses for %d answer options", t.spec.Name, inst.DocID, len(resps), len(d.Answers))
	}
	pred := make([]bool, len(resps))
	for i, r := range resps {
		c, ok := r.(eval.ChoiceResult)
		if !ok || len(c.Options) != 2 {
			return nil, fmt.Errorf("task %s: document %d: unexpected response %T", t.spec.Name, inst.DocID, r)
		}
		pred[i] = c.Options[0].LogProb >= c.Options[1].LogProb // argmax, ties to the first ("yes")
	}
	counts, exact := textscore.MultiRCQuestion(pred, d.Labels)
	return map[string][]float64{"em": eval.MeanStats(eval.Bool(exact)), "f1a": eval.F1aStats(counts)}, nil
}
