package eval

import "fmt"

// MacroF1 is the unweighted mean, over the classes 0 … classes−1, of each
// class's F1 = 2·TP / (2·TP + FP + FN) computed over the whole corpus,
// with 0 for a class that is neither a gold label nor a prediction
// (scikit-learn's zero_division default). It is SuperGLUE's CB F1 and
// lm-evaluation-harness's cb_multi_fi (the mean of the three one-class
// binary F1s); with every class present among the golds or predictions
// it equals scikit-learn's f1_score(average='macro'). Each document
// contributes MacroF1Stats(gold, pred, classes).
func MacroF1(name string, classes int) Metric {
	if classes < 2 {
		panic(fmt.Sprintf("eval: MacroF1 %s: %d classes, want 2 or more", name, classes))
	}
	return Metric{Name: name, HigherIsBetter: true, Corpus: true, Width: 3 * classes,
		Check: func(s []float64) error {
			for _, x := range s {
				if x != 0 && x != 1 {
					return fmt.Errorf("%s: a document's count is %g, want 0 or 1", name, x)
				}
			}
			return nil
		},
		Score: func(s []float64) float64 {
			sum := 0.0
			for c := range classes {
				tp, fp, fn := s[3*c], s[3*c+1], s[3*c+2]
				if d := 2*tp + fp + fn; d > 0 {
					sum += 2 * tp / d
				}
			}
			return sum / float64(classes)
		}}
}

// MacroF1Stats returns one document's statistics for MacroF1: for each
// class c, in order, [TP, FP, FN] — 1 in TP when gold and pred are both c,
// in FP when only pred is c, in FN when only gold is c.
func MacroF1Stats(gold, pred, classes int) []float64 {
	if gold < 0 || gold >= classes || pred < 0 || pred >= classes {
		panic(fmt.Sprintf("eval: MacroF1Stats: gold %d, prediction %d outside %d classes", gold, pred, classes))
	}
	s := make([]float64, 3*classes)
	switch {
	case gold == pred:
		s[3*gold] = 1
	default:
		s[3*pred+1], s[3*gold+2] = 1, 1
	}
	return s
}
