package textscore

// MultiRCCounts holds one MultiRC question's contribution to F1a, the
// F1 over every answer option of the split with "true" as the positive
// class (SuperGLUE's multirc f1a): true positives, false positives and
// false negatives.
type MultiRCCounts struct {
	TP, FP, FN int
}

// MultiRCQuestion scores the answer options of one question: the counts
// for F1a and whether every option was labelled correctly (the question's
// exact match). It panics when the slices differ in length (a caller's
// bug).
func MultiRCQuestion(pred, gold []bool) (c MultiRCCounts, exact bool) {
	if len(pred) != len(gold) {
		panic("textscore: MultiRCQuestion with different numbers of predictions and labels")
	}
	exact = true
	for i := range pred {
		switch {
		case pred[i] && gold[i]:
			c.TP++
		case pred[i] && !gold[i]:
			c.FP++
		case !pred[i] && gold[i]:
			c.FN++
		}
		if pred[i] != gold[i] {
			exact = false
		}
	}
	return c, exact
}

// F1FromCounts is the binary F1 2·TP / (2·TP + FP + FN), 0 when there is
// no positive prediction or label at all (scikit-learn's f1_score).
func F1FromCounts(tp, fp, fn float64) float64 {
	if d := 2*tp + fp + fn; d > 0 {
		return 2 * tp / d
	}
	return 0
}
