package tasks

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/kshot-eval/kshot/datasets"
	"github.com/kshot-eval/kshot/eval"
)

// genDoc is one evaluated document of the reading-comprehension,
// open-question and summarisation tasks built on genTask: its own prompt
// text, the answer it shows as a few-shot example, and its gold answers.
type genDoc struct {
	ID     string     `json:"id,omitempty"`
	Query  string     `json:"query"`  // the prompt text after the few-shot examples
	Target string     `json:"target"` // the answer shown when the document is an example
	Golds  []string   `json:"golds"`  // accepted answers (reference summaries)
	Spans  [][]string `json:"spans,omitempty"`
	Where  string     `json:"where"`
	Pool   int        `json:"-"` // index of the document's own item in the few-shot pool, -1 when none
}

// genTask is a task whose documents each send one Generate request and
// are scored by score from the generated text.
type genTask struct {
	window
	drops
	spec      eval.TaskSpec
	docs      []genDoc
	pool      []eval.Example // few-shot examples; nil: the documents themselves
	fs        eval.FewShot
	until     []string
	maxTokens int
	// decoding returns the rule of every request for the run seed; nil
	// is greedy.
	decoding func(seed uint64) eval.Decoding
	score    func(d genDoc, gen string) map[string][]float64
}

func (t *genTask) Spec() eval.TaskSpec { return t.spec }

func (t *genTask) Instances(k int, seed uint64) ([]eval.Instance, error) {
	pool := t.pool
	if pool == nil {
		pool = make([]eval.Example, len(t.docs))
		for i, d := range t.docs {
			pool[i] = eval.Example{Text: d.Query, Target: d.Target}
		}
	}
	s, err := t.sampler(t.spec.Name, t.fs, pool, k, seed)
	if err != nil {
		return nil, err
	}
	var dec eval.Decoding
	if t.decoding != nil {
		dec = t.decoding(seed)
	}
	out := make([]eval.Instance, len(t.docs))
	for i, d := range t.docs {
		exclude := d.Pool
		if t.pool == nil {
			exclude = i
		}
		exs, err := s.draw(i, exclude, d.Where, fit{tail: d.Query, reserve: t.maxTokens})
		if err != nil {
			return nil, err
		}
		ctx := t.fs.Prompt(exs, d.Query)
		reqs := []eval.Request{eval.Generate{Context: ctx, Until: t.until, MaxTokens: t.maxTokens, Decoding: dec, Parts: t.fs.Parts(exs, d.Query)}}
		target := d.Target
		if len(d.Golds) > 0 {
			target = d.Golds[0]
		}
		out[i] = eval.Instance{DocID: i, Doc: d, Target: target, Requests: reqs}
	}
	if err := s.err(); err != nil {
		return nil, err
	}
	return out, nil
}

func (t *genTask) Score(inst eval.Instance, resps []eval.Response) (map[string][]float64, error) {
	g, ok := resps[0].(eval.GenerateResult)
	if !ok {
		return nil, fmt.Errorf("task %s: document %d: unexpected response %T", t.spec.Name, inst.DocID, resps[0])
	}
	return t.score(inst.Doc.(genDoc), g.Text), nil
}

// readRecords reads the records of a data file: the rows of datasets.Open,
// or — for a .json file holding one object, the official releases' form
// (SQuAD's and CoQA's {"data": [...]}, DROP's {id: {...}}) — the objects
// taskRecords resolves a task's data file (dataFile: --data, the data
// directory, or its Hub dataset) and reads its records with readRecords.
func taskRecords(task string, o Options, rel, what string, unwrap func(top map[string]any) ([]map[string]any, error)) ([]datasets.Row, error) {
	path, err := dataFile(task, o, rel, what)
	if err != nil {
		return nil, err
	}
	return readRecords(path, unwrap)
}

// that unwrap returns from the decoded file.
func readRecords(path string, unwrap func(top map[string]any) ([]map[string]any, error)) ([]datasets.Row, error) {
	if strings.HasSuffix(path, ".json") && unwrap != nil {
		if top, ok, err := jsonObjectFile(path); err != nil {
			return nil, err
		} else if ok {
			recs, err := unwrap(top)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
			rows := make([]datasets.Row, len(recs))
			for i, r := range recs {
				rows[i] = datasets.Row{Source: path, Line: i + 1, Unit: datasets.UnitRow, Fields: r}
			}
			if len(rows) == 0 {
				return nil, fmt.Errorf("%s holds no records", path)
			}
			return rows, nil
		}
	}
	var rows []datasets.Row
	for row, err := range datasets.Open(path) {
		if err != nil {
			return nil, err
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// jsonObjectFile decodes path when its first non-space byte opens an
// object spanning the whole file; ok is false for JSON Lines and arrays.
func jsonObjectFile(path string) (map[string]any, bool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, false, err
	}
	trim := strings.TrimLeft(string(b), " \t\r\n\ufeff")
	if !strings.HasPrefix(trim, "{") {
		return nil, false, nil
	}
	var top map[string]any
	if err := json.Unmarshal([]byte(trim), &top); err != nil {
		if strings.Count(trim, "\n") > 1 {
			return nil, false, nil // JSON Lines: one object per line
		}
		return nil, false, fmt.Errorf("%s: %w", path, err)
	}
	return top, true, nil
}

// objects returns v as a list of JSON objects, or an error naming what.
func objects(v any, what string) ([]map[string]any, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%s is %T, want a list of objects", what, v)
	}
	out := make([]map[string]any, len(list))
	for i, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s[%d] is %T, want an object", what, i, e)
		}
		out[i] = m
	}
	return out, nil
}

// textsOf returns the strings under key of a field that is either a list
// of objects ([{key: ...}, ...], the official files) or an object of
// lists ({key: [...]}, the Hub's Parquet layout).
func textsOf(row datasets.Row, field, key string) ([]string, error) {
	v, ok := row.Get(field)
	if !ok {
		return nil, row.Invalid(field, "is missing")
	}
	switch x := v.(type) {
	case []any:
		objs, err := row.Objects(field)
		if err != nil {
			return nil, err
		}
		out := make([]string, len(objs))
		for i, o := range objs {
			if out[i], err = o.String(key); err != nil {
				return nil, err
			}
		}
		return out, nil
	case map[string]any:
		o, err := row.Object(field)
		if err != nil {
			return nil, err
		}
		return o.Strings(key)
	default:
		return nil, row.Invalid(field, "is %T, want a list of objects or an object of lists", x)
	}
}

// firstLine is lm-evaluation-harness's results[0].strip().split("\n")[0].
func firstLine(s string) string {
	s = strings.TrimSpace(s)
	line, _, _ := strings.Cut(s, "\n")
	return line
}
