package reports

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"
)

// Reference is a table of published numbers, such as Table 3 of the
// GPT-2 paper: one row per model with its parameter count, one column per
// quantity.
type Reference struct {
	Name    string // the file's base name without extension
	Models  []string
	Params  []int64 // per row, parameter count
	Columns []string
	Values  [][]float64 // [row][column]; NaN where the cell is empty
	// Warnings lists rows left out (no parameter count), e.g. a "prior
	// state of the art" row.
	Warnings []string
}

// ParseReference reads a reference CSV; path names it in errors and
// gives its Name. Lines starting with '#' are comments. The header must
// have a "params" column (parameter count, e.g. 117000000 or 1.5e9) and
// may have a "model" column; every other column is a quantity. Rows
// without a parameter count are left out with a warning.
func ParseReference(r io.Reader, path string) (*Reference, error) {
	var body bytes.Buffer
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	lines := []int{} // CSV record index → file line
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.HasPrefix(strings.TrimSpace(line), "#") || strings.TrimSpace(line) == "" {
			continue
		}
		body.WriteString(line)
		body.WriteByte('\n')
		lines = append(lines, n)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	cr := csv.NewReader(&body)
	recs, err := cr.ReadAll()
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) && pe.Line-1 < len(lines) && pe.Line > 0 {
			return nil, &FormatError{Path: path, Line: lines[pe.Line-1], Msg: pe.Err.Error()}
		}
		return nil, &FormatError{Path: path, Msg: err.Error()}
	}
	if len(recs) == 0 {
		return nil, &FormatError{Path: path, Msg: "no header (want a CSV with a params column)"}
	}
	ref := &Reference{Name: strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))}
	head := recs[0]
	pcol, mcol := -1, -1
	var cols []int
	for i, h := range head {
		switch strings.TrimSpace(h) {
		case "params":
			pcol = i
		case "model":
			mcol = i
		default:
			cols = append(cols, i)
			ref.Columns = append(ref.Columns, strings.TrimSpace(h))
		}
	}
	if pcol < 0 {
		return nil, &FormatError{Path: path, Line: lines[0], Field: "params", Msg: "no params column (reference points need each model's parameter count)"}
	}
	for ri, rec := range recs[1:] {
		line := lines[ri+1]
		model := fmt.Sprintf("row %d", ri+1)
		if mcol >= 0 {
			model = rec[mcol]
		}
		ps := strings.TrimSpace(rec[pcol])
		if ps == "" {
			ref.Warnings = append(ref.Warnings, fmt.Sprintf("%s:%d: %s has no parameter count; left out", path, line, model))
			continue
		}
		pv, err := strconv.ParseFloat(ps, 64)
		if err != nil || !(pv >= 1) || pv > 1e18 {
			return nil, &FormatError{Path: path, Line: line, Field: "params", Msg: fmt.Sprintf("%q is not a parameter count", ps)}
		}
		vals := make([]float64, len(cols))
		for j, c := range cols {
			s := strings.TrimSpace(rec[c])
			if s == "" {
				vals[j] = math.NaN()
				continue
			}
			if vals[j], err = strconv.ParseFloat(s, 64); err != nil || math.IsNaN(vals[j]) || math.IsInf(vals[j], 0) {
				return nil, &FormatError{Path: path, Line: line, Field: ref.Columns[j], Msg: fmt.Sprintf("%q is not a number", s)}
			}
		}
		ref.Models = append(ref.Models, model)
		ref.Params = append(ref.Params, int64(pv))
		ref.Values = append(ref.Values, vals)
	}
	return ref, nil
}

// ReferenceColumn maps a reference column to a task key and metric of
// kshot's results; values are multiplied by Scale (0.01 turns a
// percentage into a fraction).
type ReferenceColumn struct {
	Column, Key, Metric string
	Scale               float64
}

// GPT2Table3Columns maps the columns of the GPT-2 paper's Table 3
// (/work/shared/papers/gpt2_table3.csv) to kshot's tasks. The paper's
// LAMBADA accuracy for the largest model used a stop-word filter
// (lambada_openai_stopfilter); it is mapped to plain lambada_openai.
var GPT2Table3Columns = []ReferenceColumn{
	{"lambada_ppl", "lambada_openai", "perplexity", 1},
	{"lambada_acc", "lambada_openai", "acc", 0.01},
	{"cbt_cn_acc", "cbt_cn", "acc", 0.01},
	{"cbt_ne_acc", "cbt_ne", "acc", 0.01},
	{"wikitext2_ppl", "wikitext2", "word_perplexity", 1},
	{"ptb_ppl", "ptb", "word_perplexity", 1},
	{"enwik8_bpb", "enwik8", "bits_per_byte", 1},
	{"text8_bpc", "text8", "bits_per_byte", 1},
	{"wikitext103_ppl", "wikitext103", "word_perplexity", 1},
	{"1bw_ppl", "lm1b", "word_perplexity", 1},
}

// ParseReferenceColumn parses "COLUMN=KEY/METRIC" or
// "COLUMN=KEY/METRIC*SCALE", e.g. "lambada_acc=lambada_openai/acc*0.01".
func ParseReferenceColumn(s string) (ReferenceColumn, error) {
	col, target, ok := strings.Cut(s, "=")
	target, scale, hasScale := strings.Cut(target, "*")
	key, metric, ok2 := strings.Cut(target, "/")
	rc := ReferenceColumn{Column: strings.TrimSpace(col), Key: strings.TrimSpace(key), Metric: strings.TrimSpace(metric), Scale: 1}
	if !ok || !ok2 || rc.Column == "" || rc.Key == "" || rc.Metric == "" {
		return rc, fmt.Errorf("reference mapping %q: want COLUMN=TASK/METRIC or COLUMN=TASK/METRIC*SCALE (e.g. lambada_acc=lambada_openai/acc*0.01)", s)
	}
	if hasScale {
		v, err := strconv.ParseFloat(strings.TrimSpace(scale), 64)
		if err != nil || v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
			return rc, fmt.Errorf("reference mapping %q: scale %q is not a non-zero number", s, scale)
		}
		rc.Scale = v
	}
	return rc, nil
}

// Points returns the reference values for a task key and metric: from a
// column named "KEY/METRIC", from a mapping in cols, or from
// GPT2Table3Columns, in that order. X is the parameter count; Err is NaN.
func (r *Reference) Points(key, metric string, cols []ReferenceColumn) []Point {
	j, scale := -1, 1.0
	for i, c := range r.Columns {
		if c == key+"/"+metric {
			j = i
		}
	}
	for _, set := range [][]ReferenceColumn{cols, GPT2Table3Columns} {
		for _, m := range set {
			if j >= 0 {
				break
			}
			if m.Key != key || m.Metric != metric {
				continue
			}
			for i, c := range r.Columns {
				if c == m.Column {
					j, scale = i, m.Scale
				}
			}
		}
	}
	if j < 0 {
		return nil
	}
	var pts []Point
	for i, row := range r.Values {
		if !math.IsNaN(row[j]) {
			pts = append(pts, Point{X: float64(r.Params[i]), Y: row[j] * scale, Err: math.NaN()})
		}
	}
	return pts
}
