package reports

import (
	"fmt"
	"math"

	"github.com/kshot-eval/kshot/eval"
)

// RowTrends fits, for every row of a combined table of models (Rows), the
// trend the report's scaling plots draw: log-linear in log10 N for a
// higher-is-better metric, a power law for a lower-is-better one, with
// predictions at extrapolate kept inside the metric's range
// (eval.MetricRange). Rows come in Rows order; a row with one model size
// gets NoTrend.
func RowTrends(models []*Model, extrapolate []float64) []SeriesFit {
	var out []SeriesFit
	for _, r := range Rows(models) {
		ser := scalingSeries(models, r, r.Key, ReportOptions{})
		pts, _ := usable(ser.Points, false)
		kind := FitLogLinear
		if !r.HigherIsBetter {
			kind = FitPowerLaw
		}
		out = append(out, fitSeries(r.Key, kind, pts, extrapolate, eval.MetricRange(r.Metric)))
	}
	return out
}

// AddTrends appends to t, a CombinedTable of models, a "trend" column
// (the fitted formula and its R²) and one column per extrapolated size,
// so that a report prints what its plots draw. A row without a trend
// gets "—" and a footnote saying why in words; a prediction held at the
// metric's bound gets a footnote with the trend's own value.
func AddTrends(t *Table, models []*Model, extrapolate []float64) {
	t.Header = append(t.Header, "trend")
	var xs []float64
	for _, x := range extrapolate {
		if x > 0 {
			xs = append(xs, x)
			t.Header = append(t.Header, "trend at "+FormatParams(int64(math.Round(x))))
		}
	}
	rows := Rows(models)
	trends := RowTrends(models, xs)
	if len(t.rowKeys) != len(t.Rows) {
		panic("reports: AddTrends on a table that is not a CombinedTable")
	}
	for ti, ri := range t.rowKeys {
		if ri < 0 { // one seed's row
			for range len(xs) + 1 {
				t.Rows[ti] = append(t.Rows[ti], TextCell(""))
			}
			continue
		}
		if ri >= len(trends) {
			panic("reports: AddTrends on a table that is not the CombinedTable of its models")
		}
		i, sf := ti, trends[ri]
		if sf.NoTrend != "" {
			c := TextCell("—")
			c.Notes = []int{t.Note(rows[ri].Key + " " + rows[ri].Metric + ": " + sf.NoTrend)}
			t.Rows[i] = append(t.Rows[i], c)
			for range xs {
				t.Rows[i] = append(t.Rows[i], TextCell("—"))
			}
			continue
		}
		t.Rows[i] = append(t.Rows[i], TextCell(fmt.Sprintf("%s (R² %.3f)", sf.Fit, sf.Fit.R2)))
		for _, q := range sf.Predictions {
			c := Cell{Text: FormatValue(q.Y), Numeric: true, Value: q.Y, Stderr: math.NaN()}
			if q.Capped {
				c.Notes = []int{t.Note(fmt.Sprintf("%s %s at %s: the trend gives %s, outside what %s can be; shown at its bound %s",
					rows[ri].Key, rows[ri].Metric, FormatParams(int64(math.Round(q.X))), FormatValue(q.Raw), rows[ri].Metric, FormatValue(q.Y)))}
			}
			t.Rows[i] = append(t.Rows[i], c)
		}
	}
}
