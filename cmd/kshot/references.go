package main

import (
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/kshot-eval/kshot/eval"
	"github.com/kshot-eval/kshot/reports"
	"github.com/kshot-eval/kshot/tasks/suite"
)

// suiteReference turns a suite's published numbers into a reports
// reference table named name: one row per model, one column per
// "key/metric", the key the results key of the reference's task at its
// shots (a 32-shot number is drawn next to the 32-shot results).
func suiteReference(name string, refs []suite.Reference) (*reports.Reference, []reports.ReferenceColumn) {
	ref := &reports.Reference{Name: name}
	rowOf, colOf := map[string]int{}, map[string]int{}
	var cols []reports.ReferenceColumn
	for _, r := range refs {
		key := eval.ResultKey(r.Task, r.Shots)
		c := key + "/" + r.Metric
		if _, ok := colOf[c]; !ok {
			colOf[c] = len(ref.Columns)
			ref.Columns = append(ref.Columns, c)
			cols = append(cols, reports.ReferenceColumn{Column: c, Key: key, Metric: r.Metric, Scale: 1})
			for i := range ref.Values {
				ref.Values[i] = append(ref.Values[i], math.NaN())
			}
		}
		if _, ok := rowOf[r.Model]; !ok {
			rowOf[r.Model] = len(ref.Models)
			ref.Models = append(ref.Models, r.Model)
			ref.Params = append(ref.Params, int64(r.Params))
			row := make([]float64, len(ref.Columns))
			for i := range row {
				row[i] = math.NaN()
			}
			ref.Values = append(ref.Values, row)
		}
		ref.Values[rowOf[r.Model]][colOf[c]] = r.Value
	}
	return ref, cols
}

// suiteReferences groups a suite's published numbers by their source
// (the paper table or CSV each says it comes from), one reference table
// per source named by it, so that a report labels each reference point
// with where it comes from; numbers without a source are named after
// the suite file.
func suiteReferences(suiteName string, refs []suite.Reference) ([]*reports.Reference, []reports.ReferenceColumn) {
	var order []string
	bySource := map[string][]suite.Reference{}
	for _, r := range refs {
		src := r.Source
		if src == "" {
			src = "suite " + suiteName + " (no source given)"
		}
		if _, ok := bySource[src]; !ok {
			order = append(order, src)
		}
		bySource[src] = append(bySource[src], r)
	}
	var out []*reports.Reference
	var cols []reports.ReferenceColumn
	seen := map[string]bool{}
	for _, src := range order {
		ref, cs := suiteReference(src, bySource[src])
		out = append(out, ref)
		for _, c := range cs {
			if !seen[c.Column] {
				seen[c.Column] = true
				cols = append(cols, c)
			}
		}
	}
	return out, cols
}

// writeReferences writes a suite's published numbers as a reference CSV
// that kshot report --reference reads (columns named task/metric; pass
// --reference-map task/metric=task/metric for each).
func writeReferences(path string, ref *reports.Reference) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	var b strings.Builder
	w := csv.NewWriter(&b)
	w.Write(append([]string{"model", "params"}, ref.Columns...))
	for i, m := range ref.Models {
		row := []string{m, strconv.FormatInt(ref.Params[i], 10)}
		for _, v := range ref.Values[i] {
			if math.IsNaN(v) {
				row = append(row, "")
			} else {
				row = append(row, strconv.FormatFloat(v, 'g', -1, 64))
			}
		}
		w.Write(row)
	}
	w.Flush()
	return eval.WriteFileAtomic(path, []byte(b.String()))
}
