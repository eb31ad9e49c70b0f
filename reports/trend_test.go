package reports

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kshot-eval/kshot/eval"
)

// TestFitSeriesBounded checks that extrapolations stay inside what the
// metric can be, with the trend's own value kept for the footnote.
func TestFitSeriesBounded(t *testing.T) {
	cases := []struct {
		name    string
		kind    FitKind
		metric  string
		pts     []Point
		at      float64
		y, raw  float64
		capped  bool
		noTrend string
	}{
		// 0.2 per decade from 0.6 at 1e8: at 175e9, 0.6 + 0.2·(log10 175e9 − 8).
		{"accuracy past 1", FitLogLinear, "acc", []Point{{1e8, 0.6, 0}, {1e9, 0.8, 0}}, 175e9, 1, 0.6 + 0.2*(math.Log10(175e9)-8), true, ""},
		// −0.2 per decade from 0.6 at 1e8: at 1e12, 0.6 − 0.8 = −0.2.
		{"accuracy below 0", FitLogLinear, "acc", []Point{{1e8, 0.6, 0}, {1e9, 0.4, 0}}, 1e12, 0, -0.2, true, ""},
		// 8 at 1e6, 2 at 1e8 halves per decade: at 1e12, 2·0.5⁴ = 0.125.
		{"perplexity below 1", FitPowerLaw, "perplexity", []Point{{1e6, 8, 0}, {1e8, 2, 0}}, 1e12, 1, 0.125, true, ""},
		// Inside the range: 0.6 + 0.2·1 = 0.8 at 1e9 from 1e8 and 1e10.
		{"inside", FitLogLinear, "acc", []Point{{1e8, 0.6, 0}, {1e10, 1, 0}}, 1e9, 0.8, 0.8, false, ""},
		{"one size", FitLogLinear, "acc", []Point{{117e6, 0.5, 0}}, 1e9, 0, 0, false,
			"no trend: only one model size (117M) has a value, and a trend needs at least two"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sf := fitSeries("s", c.kind, c.pts, []float64{c.at}, eval.MetricRange(c.metric))
			if c.noTrend != "" {
				if sf.NoTrend != c.noTrend || len(sf.Predictions) != 0 {
					t.Errorf("NoTrend %q, predictions %v", sf.NoTrend, sf.Predictions)
				}
				return
			}
			if sf.NoTrend != "" || len(sf.Predictions) != 1 {
				t.Fatalf("%+v", sf)
			}
			q := sf.Predictions[0]
			if !near(q.Y, c.y, 1e-9) || !near(q.Raw, c.raw, 1e-9) || q.Capped != c.capped {
				t.Errorf("prediction %+v, want y %g raw %g capped %v", q, c.y, c.raw, c.capped)
			}
		})
	}
}

// TestReportPrintsTrends checks that a report with --fit prints each row's
// trend and extrapolation in its table, capped ones with a footnote, and
// that a row with one model size gets a footnote in words instead of a
// "no trend: reports: …" warning.
func TestReportPrintsTrends(t *testing.T) {
	dir := t.TempDir()
	// winograd 1-shot: 2 of 4 at 1M, 4 of 4 at 8M: 0.5 + 0.5·log10(N/1e6)/log10 8,
	// at 1e9 0.5 + 1.5/log10 8 = 2.1610 → capped at 1. copa: small only.
	a := writeTestRun(t, dir, testModel{Name: "small", Params: 1e6, Fingerprint: "fa"},
		binaryTask("winograd", "1.0", 1, "acc", true, []float64{1, 1, 0, 0}),
		binaryTask("copa", "1.0", 0, "acc", true, []float64{1, 0, 1, 1}))
	b := writeTestRun(t, dir, testModel{Name: "large", Params: 8e6, Fingerprint: "fb"},
		binaryTask("winograd", "1.0", 1, "acc", true, []float64{1, 1, 1, 1}))
	runs, err := LoadRuns([]string{a, b})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := WriteReport(filepath.Join(dir, "report"), runs, ReportOptions{Extrapolate: []float64{1e9}})
	if err != nil {
		t.Fatal(err)
	}
	text, err := os.ReadFile(filepath.Join(dir, "report", "table.txt"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(text)
	slope := 0.5 / math.Log10(8)
	for _, want := range []string{
		"trend at 1B",
		// B = 0.5/log10 8 = 0.55365, A = 0.5 − 6·B = −2.82193.
		"y = -2.822 + 0.5537·log10(N) (R² 1.000)",
		"winograd_1shot acc at 1B: the trend gives " + FormatValue(0.5+3*slope) + ", outside what acc can be; shown at its bound 1.0000",
		"copa acc: no trend: only one model size (1M) has a value, and a trend needs at least two",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("table.txt lacks %q:\n%s", want, s)
		}
	}
	for _, w := range rep.Warnings {
		if strings.Contains(w, "no trend") || strings.Contains(w, "reports:") {
			t.Errorf("warning %q (should be a footnote in words)", w)
		}
	}
	html, _ := os.ReadFile(filepath.Join(dir, "report", "report.html"))
	if !strings.Contains(string(html), "(capped; the trend gives "+FormatValue(0.5+3*slope)+")") {
		t.Error("report.html does not show the capped extrapolation")
	}
}
