package textscore

import (
	"math"
	"strings"
)

// DROPNormalize is _normalize of DROP's drop_eval.py (and of
// lm-evaluation-harness's drop task): the answer is split at spaces and
// hyphens, and each piece lower-cased, stripped of punctuation unless it
// is a number, written as Python's str(float) when it is a number, and
// cleared of articles; empty pieces are dropped.
func DROPNormalize(answer string) string {
	var toks []string
	for _, t := range splitSpaceHyphen(answer) {
		t = strings.ToLower(t)
		if _, num := pyFloat(t); !num {
			t = removePunct(t)
		}
		if f, num := pyFloat(t); num {
			t = pyFloatRepr(f)
		}
		t = strings.Join(pyFields(removeArticles(t)), " ")
		if strings.TrimFunc(t, isPySpace) != "" {
			toks = append(toks, t)
		}
	}
	return strings.TrimFunc(strings.Join(toks, " "), isPySpace)
}

// splitSpaceHyphen is re.split(" |-", s).
func splitSpaceHyphen(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '-' }) // empty pieces are dropped later anyway
}

// bag is the set of a normalised span's tokens.
type bag map[string]bool

func answerBags(spans []string) (norm []string, bags []bag) {
	for _, s := range spans {
		n := DROPNormalize(s)
		b := bag{}
		for _, w := range pyFields(n) {
			b[w] = true
		}
		norm = append(norm, n)
		bags = append(bags, b)
	}
	return norm, bags
}

// DROPMetrics is get_metrics of drop_eval.py: exact match (1 when the
// sets of normalised spans are equal and the span counts too) and F1, the
// best one-to-one alignment of predicted and gold spans by the F1 of
// their token sets (a pair whose gold has numbers scores only when the
// prediction shares one), summed and divided by the larger span count,
// rounded to 2 decimals as the script does.
func DROPMetrics(pred, gold []string) (em, f1 float64) {
	pn, pb := answerBags(pred)
	gn, gb := answerBags(gold)
	if len(pn) == len(gn) && sameSet(pn, gn) {
		em = 1
	}
	scores := make([][]float64, len(gb))
	for i, g := range gb {
		scores[i] = make([]float64, len(pb))
		for j, p := range pb {
			if matchNumbers(g, p) {
				scores[i][j] = bagF1(p, g)
			}
		}
	}
	n := max(len(gb), len(pb))
	if n == 0 {
		return em, 0 // np.mean of nothing is nan in the script; no task sends empty answers
	}
	f1 = maxAssignment(scores) / float64(n)
	return em, math.RoundToEven(f1*100) / 100
}

// DROPScores scores one question as lm-evaluation-harness's drop
// process_results and drop_eval.py's evaluate_json: the best exact match
// and F1 of the predicted spans over the gold answers (each a list of
// spans), skipping gold answers whose first span is blank.
func DROPScores(pred []string, golds [][]string) (em, f1 float64) {
	for _, g := range golds {
		if len(g) == 0 || strings.TrimFunc(g[0], isPySpace) == "" {
			continue
		}
		e, f := DROPMetrics(pred, g)
		em, f1 = max(em, e), max(f1, f)
	}
	return em, f1
}

func sameSet(a, b []string) bool {
	sa, sb := map[string]bool{}, map[string]bool{}
	for _, x := range a {
		sa[x] = true
	}
	for _, x := range b {
		sb[x] = true
	}
	if len(sa) != len(sb) {
		return false
	}
	for x := range sa {
		if !sb[x] {
			return false
		}
	}
	return true
}

// bagF1 is _compute_f1 of drop_eval.py on token sets.
func bagF1(pred, gold bag) float64 {
	inter := 0
	for w := range gold {
		if pred[w] {
			inter++
		}
	}
	prec, rec := 1.0, 1.0
	if len(pred) > 0 {
		prec = float64(inter) / float64(len(pred))
	}
	if len(gold) > 0 {
		rec = float64(inter) / float64(len(gold))
	}
	if prec == 0 && rec == 0 {
		return 0
	}
	return 2 * prec * rec / (prec + rec)
}

// matchNumbers is _match_numbers_if_present: true when the gold has no
// number or shares one with the prediction.
func matchNumbers(gold, pred bag) bool {
	has := false
	for w := range gold {
		if _, ok := pyFloat(w); ok {
			has = true
			if pred[w] {
				return true
			}
		}
	}
	return !has
}

// maxAssignment returns the largest sum of w[i][σ(i)] over one-to-one
// assignments of rows to columns (scipy's linear_sum_assignment on −w),
// by the Hungarian algorithm on the matrix padded square with zeros.
func maxAssignment(w [][]float64) float64 {
	rows := len(w)
	cols := 0
	if rows > 0 {
		cols = len(w[0])
	}
	n := max(rows, cols)
	if n == 0 {
		return 0
	}
	cost := func(i, j int) float64 { // minimise −w; padding costs 0
		if i < rows && j < cols {
			return -w[i][j]
		}
		return 0
	}
	// Potentials u (rows), v (columns); p[j] is the row matched to
	// column j, 1-based with 0 as the virtual start.
	u := make([]float64, n+1)
	v := make([]float64, n+1)
	p := make([]int, n+1)
	way := make([]int, n+1)
	for i := 1; i <= n; i++ {
		p[0] = i
		j0 := 0
		minv := make([]float64, n+1)
		used := make([]bool, n+1)
		for j := range minv {
			minv[j] = math.Inf(1)
		}
		for {
			used[j0] = true
			i0, delta, j1 := p[j0], math.Inf(1), 0
			for j := 1; j <= n; j++ {
				if used[j] {
					continue
				}
				if cur := cost(i0-1, j-1) - u[i0] - v[j]; cur < minv[j] {
					minv[j], way[j] = cur, j0
				}
				if minv[j] < delta {
					delta, j1 = minv[j], j
				}
			}
			for j := 0; j <= n; j++ {
				if used[j] {
					u[p[j]] += delta
					v[j] -= delta
				} else {
					minv[j] -= delta
				}
			}
			j0 = j1
			if p[j0] == 0 {
				break
			}
		}
		for j0 != 0 {
			j1 := way[j0]
			p[j0] = p[j1]
			j0 = j1
		}
	}
	sum := 0.0
	for j := 1; j <= n; j++ {
		if i := p[j] - 1; i < rows && j-1 < cols {
			sum += w[i][j-1]
		}
	}
	return sum
}
