package tasks

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/kshot-eval/kshot/datasets"
	"github.com/kshot-eval/kshot/eval"
)

var hellaswagBrackets = regexp.MustCompile(`\[.*?\]`)

// hellaswagPreprocess is lm-evaluation-harness's HellaSwag preprocess:
// strip, " [title]" → ". ", drop [bracketed] WikiHow markers, then one
// pass of "  " → " ".
func hellaswagPreprocess(s string) string {
	s = strings.TrimSpace(s)
	s = strings.ReplaceAll(s, " [title]", ". ")
	s = hellaswagBrackets.ReplaceAllString(s, "")
	return strings.ReplaceAll(s, "  ", " ")
}

// hellaswagTextQuery restores lm-evaluation-harness's capitalisation of
// ctx_b in a query of the 6-lines-per-item text form, which is
// activity_label + ": " + ctx_a + " " + ctx_b preprocessed but with ctx_b
// as in the data (lower case). ctx_b is taken to be the fragment after the
// last sentence end (". ", "? ", "! ") when the query does not itself end
// a sentence: in the 10042 validation items that fragment is all lower
// case and is ctx_b of the 3243 ActivityNet items, while the WikiHow items
// (empty ctx_b) end with a full stop. A reconstruction, not the original
// fields: read the Hub's Parquet for ctx_a and ctx_b themselves.
func hellaswagTextQuery(q string) string {
	if strings.HasSuffix(q, ".") || strings.HasSuffix(q, "?") || strings.HasSuffix(q, "!") {
		return q
	}
	start := strings.Index(q, ": ") + 2
	if start < 2 {
		start = 0
	}
	for _, sep := range []string{". ", "? ", "! "} {
		if i := strings.LastIndex(q, sep); i >= 0 && i+2 > start {
			start = i + 2
		}
	}
	return q[:start] + pyCapitalize(q[start:])
}

// newHellaswag reads Rowan Zellers' original JSONL (hellaswag_val.jsonl:
// {activity_label, ctx_a, ctx_b, endings, label}, the Hub's columns too),
// preferred when local, or the 6-lines-per-item text form, or the
// llm-foundry form. From the original fields the query is exactly
// lm-evaluation-harness's (hellaswag/utils.py process_docs); the text
// form's is a reconstruction (hellaswagTextQuery), which the run notes.
func newHellaswag(o Options) (eval.Task, error) {
	path, note, err := preferredDataFile("hellaswag", o, "HellaSwag's validation set",
		dataForm{"hellaswag/hellaswag_val.jsonl", "Rowan Zellers' original rows"},
		dataForm{"hellaswag/hellaswag_val_full.txt.bz2", "the preprocessed 6-lines-per-item text form"})
	if err != nil {
		return nil, err
	}
	var docs []mcDoc
	if isTextForm(path) {
		docs, err = readHellaswagText(path)
	} else {
		docs, err = readMC(path, `{activity_label, ctx_a, ctx_b, endings, label} (original, Hub) or {query, choices, gold} (llm-foundry)`, hellaswagRow)
	}
	if err != nil {
		return nil, err
	}
	t, err := newMCTask("hellaswag", "1.0", "Rowan/hellaswag (default, validation)", path, docs, false, mcMetrics...)
	if err != nil {
		return nil, err
	}
	t.addNote(note)
	if isTextForm(path) {
		t.addNote("read " + path + ", the preprocessed text form: the capitalisation of ctx_b in the queries is reconstructed, not lm-evaluation-harness's own; give Rowan Zellers' hellaswag_val.jsonl for its exact queries")
	}
	return t, nil
}

// hellaswagRow reads a Hub row {activity_label, ctx_a, ctx_b, endings,
// label} or an llm-foundry row, whose query and choices are already
// preprocessed.
func hellaswagRow(row datasets.Row) (mcDoc, error) {
	if _, ok := row.Get("ctx_a"); !ok {
		q, choices, gold, err := foundry(row)
		return mcDoc{Contexts: []string{q}, Choices: choices, Gold: gold}, err
	}
	var f [3]string
	for i, k := range []string{"activity_label", "ctx_a", "ctx_b"} {
		s, err := row.String(k)
		if err != nil {
			return mcDoc{}, err
		}
		f[i] = s
	}
	endings, err := row.Strings("endings")
	if err != nil {
		return mcDoc{}, err
	}
	gold, err := labelInt(row, "label")
	if err != nil {
		return mcDoc{}, err
	}
	d := mcDoc{Contexts: []string{hellaswagPreprocess(f[0] + ": " + f[1] + " " + pyCapitalize(f[2]))}, Gold: gold}
	for _, e := range endings {
		d.Choices = append(d.Choices, hellaswagPreprocess(e))
	}
	return d, nil
}

// readHellaswagText reads the text form (see parseHellaswagText).
func readHellaswagText(path string) ([]mcDoc, error) {
	text, err := datasets.ReadText(path)
	if err != nil {
		return nil, err
	}
	return parseHellaswagText(text, path)
}

// parseHellaswagText parses the text form read from path: per item a
// query line, the gold label (0–3) and four ending lines.
func parseHellaswagText(text, path string) ([]mcDoc, error) {
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines)%6 != 0 || text == "" {
		return nil, fmt.Errorf("%s: %d lines, not a positive multiple of 6 (the text form has 6 lines per item: context, gold label, four endings)", path, len(lines))
	}
	docs := make([]mcDoc, 0, len(lines)/6)
	for i := 0; i < len(lines); i += 6 {
		for j := i; j < i+6; j++ {
			lines[j] = strings.TrimSuffix(lines[j], "\r")
		}
		gold, err := strconv.Atoi(strings.TrimSpace(lines[i+1]))
		if err != nil {
			return nil, fmt.Errorf("%s:%d: gold label %q is not an integer (expected line 2 of a 6-line item)", path, i+2, lines[i+1])
		}
		docs = append(docs, mcDoc{Contexts: []string{hellaswagTextQuery(lines[i])}, Choices: append([]string(nil), lines[i+2:i+6]...),
			Gold: gold, Where: fmt.Sprintf("%s:%d", path, i+1)})
	}
	return docs, nil
}
