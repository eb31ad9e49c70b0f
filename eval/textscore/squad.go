package textscore

import "strings"

// NormalizeSQuAD is the answer normalisation of SQuAD's official
// evaluation scripts (v1.1 and v2.0, also transformers' squad_metrics,
// which CoQA, ReCoRD and lm-evaluation-harness use): lower case, remove
// ASCII punctuation, replace the articles a, an, the by a space, and
// collapse white space.
func NormalizeSQuAD(s string) string {
	return strings.Join(pyFields(removeArticles(removePunct(strings.ToLower(s)))), " ")
}

// squadTokens is get_tokens of evaluate-v2.0.py.
func squadTokens(s string) []string {
	if s == "" {
		return nil
	}
	return pyFields(NormalizeSQuAD(s))
}

// SQuADExact is compute_exact: 1 when the normalised answers are equal.
func SQuADExact(gold, pred string) float64 {
	if NormalizeSQuAD(gold) == NormalizeSQuAD(pred) {
		return 1
	}
	return 0
}

// SQuADF1 is compute_f1 of evaluate-v2.0.py: the F1 of the bags of
// normalised tokens; when either side has no token it is 1 if both are
// empty, else 0.
func SQuADF1(gold, pred string) float64 {
	g, p := squadTokens(gold), squadTokens(pred)
	if len(g) == 0 || len(p) == 0 {
		if len(g) == len(p) {
			return 1
		}
		return 0
	}
	same := commonCount(g, p)
	if same == 0 {
		return 0
	}
	prec := float64(same) / float64(len(p))
	rec := float64(same) / float64(len(g))
	return 2 * prec * rec / (prec + rec)
}

// commonCount is sum((Counter(a) & Counter(b)).values()).
func commonCount(a, b []string) int {
	count := make(map[string]int, len(a))
	for _, w := range a {
		count[w]++
	}
	n := 0
	for _, w := range b {
		if count[w] > 0 {
			count[w]--
			n++
		}
	}
	return n
}

// MaxOverGolds returns the best exact match and the best F1 of pred over
// golds (metric_max_over_ground_truths with SQuADExact and SQuADF1, as
// ReCoRD and SQuAD v1.1 score); both are 0 when golds is empty.
func MaxOverGolds(golds []string, pred string) (em, f1 float64) {
	for _, g := range golds {
		em = max(em, SQuADExact(g, pred))
		f1 = max(f1, SQuADF1(g, pred))
	}
	return em, f1
}

// SQuADv2Scores scores one SQuAD 2.0 question as get_raw_scores of
// evaluate-v2.0.py: gold answers that normalise to nothing are dropped;
// a question left with none is unanswerable and its only gold answer is
// "" (so the empty prediction scores 1). hasAns reports whether the
// question has an answer (the HasAns / NoAns split).
func SQuADv2Scores(golds []string, pred string) (em, f1 float64, hasAns bool) {
	var kept []string
	for _, g := range golds {
		if NormalizeSQuAD(g) != "" {
			kept = append(kept, g)
		}
	}
	if len(kept) == 0 {
		kept = []string{""}
	}
	em, f1 = MaxOverGolds(kept, pred)
	return em, f1, kept[0] != ""
}

// CoQAScores scores one CoQA turn as the official evaluate-v1.0.py
// (compute_turn_score): with several human answers, the prediction is
// compared with each leave-one-out subset and the best match over the
// subset is averaged over the subsets; with one answer, that answer alone.
// Normalisation and F1 are SQuAD's.
func CoQAScores(golds []string, pred string) (em, f1 float64) {
	if len(golds) == 0 {
		return 0, 0
	}
	if len(golds) == 1 {
		return SQuADExact(golds[0], pred), SQuADF1(golds[0], pred)
	}
	for i := range golds {
		var e, f float64
		for j, g := range golds {
			if j != i {
				e = max(e, SQuADExact(g, pred))
				f = max(f, SQuADF1(g, pred))
			}
		}
		em += e
		f1 += f
	}
	n := float64(len(golds))
	return em / n, f1 / n
}
