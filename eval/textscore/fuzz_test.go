package textscore

import (
	"math"
	"testing"
)

func in01(x float64) bool { return x >= 0 && x <= 1 && !math.IsNaN(x) }

// FuzzScorers feeds arbitrary text to every scorer: none panics, every
// score is in [0, 1], and an answer scored against itself is perfect.
func FuzzScorers(f *testing.F) {
	for _, s := range []string{"", "The Broncos", "1,000 yards", "-5.5e3", "thé a", "4 July 1776", "a\nb. c!", "Infinity nan", "１２", "x_1"} {
		f.Add(s, "the broncos")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		em, f1, _ := SQuADv2Scores([]string{a}, b)
		ce, cf := CoQAScores([]string{a, b}, b)
		de, df := DROPMetrics([]string{b}, []string{a})
		for _, x := range []float64{em, f1, ce, cf, de, df} {
			if !in01(x) {
				t.Fatalf("score %v of %q vs %q out of [0, 1]", x, a, b)
			}
		}
		r := Rouge(a, b, true)
		for _, s := range []Score{r.Rouge1, r.Rouge2, r.RougeL, r.RougeLsum} {
			if !in01(s.Precision) || !in01(s.Recall) || !in01(s.F) {
				t.Fatalf("rouge %+v of %q vs %q out of [0, 1]", s, a, b)
			}
		}
		if e, f := MaxOverGolds([]string{a}, a); e != 1 || f != 1 {
			t.Fatalf("%q against itself: em %v f1 %v", a, e, f)
		}
		if DROPNormalize(a) != "" {
			if e, f := DROPMetrics([]string{a}, []string{a}); e != 1 || f != 1 {
				t.Fatalf("DROP %q against itself: em %v f1 %v", a, e, f)
			}
		}
		if toks := RougeTokenize(a, true); len(toks) > 0 {
			if s := RougeL(toks, toks); s.F != 1 {
				t.Fatalf("rougeL of %q against itself %v", a, s.F)
			}
		}
	})
}
