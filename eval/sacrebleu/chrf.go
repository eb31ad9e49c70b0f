package sacrebleu

// chrF (Popović, 2015) and chrF++ (Popović, 2017) computed exactly as
// sacreBLEU 2.x does (sacrebleu/metrics/chrf.py), as additive per-segment
// statistics and a score from the summed statistics.

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// CHRFOptions configures chrF like sacreBLEU's CHRF class. The zero value
// is sacreBLEU's default chrF2: character n-grams up to 6, no word n-grams,
// beta 2, whitespace removed, mixed case, effective-order averaging.
type CHRFOptions struct {
	// CharOrder is the largest character n-gram order; zero means 6.
	CharOrder int
	// WordOrder is the largest word n-gram order; 0 is chrF, 2 is chrF++.
	WordOrder int
	// Beta weighs recall Beta times as much as precision; zero means 2.
	Beta int
	// Lowercase scores case-insensitively (Python's str.lower).
	Lowercase bool
	// Whitespace keeps whitespace characters in character n-grams.
	Whitespace bool
	// EpsSmoothing averages per-order F-scores with ε = 1e-16 for orders
	// without n-grams, like chrF++.py, NLTK and Moses. The default (false) is
	// sacreBLEU 2.x's default: precision and recall are averaged over the
	// orders where both hypothesis and reference have n-grams, and one
	// F-score is taken from the averages.
	EpsSmoothing bool
}

func (o CHRFOptions) charOrder() int {
	if o.CharOrder == 0 {
		return 6
	}
	return o.CharOrder
}

func (o CHRFOptions) beta() int {
	if o.Beta == 0 {
		return 2
	}
	return o.Beta
}

func (o CHRFOptions) order() int { return o.charOrder() + o.WordOrder }

// Validate returns an error when an order or beta is negative.
func (o CHRFOptions) Validate() error {
	if o.CharOrder < 0 || o.WordOrder < 0 || o.Beta < 0 {
		return fmt.Errorf("chrf: orders and beta must not be negative (char order %d, word order %d, beta %d)", o.CharOrder, o.WordOrder, o.Beta)
	}
	return nil
}

// CHRFStats are one segment's (or, summed, a corpus's) chrF statistics.
// Index k runs over the character orders 1..CharOrder and then the word
// orders 1..WordOrder. The zero value is the identity of Add.
type CHRFStats struct {
	// Hyp[k] counts hypothesis n-grams; it is 0 when the reference has no
	// n-gram of that order (sacreBLEU does not count such hits).
	Hyp []int
	// Ref[k] counts reference n-grams.
	Ref []int
	// Match[k] counts hypothesis n-grams found in the reference, clipped to
	// the reference's count.
	Match []int
}

// Add returns the element-wise sum of s and o. Statistics with different
// numbers of orders cannot be added (a bug: it panics).
func (s CHRFStats) Add(o CHRFStats) CHRFStats {
	if len(s.Hyp) == 0 && len(s.Ref) == 0 && len(s.Match) == 0 {
		s = CHRFStats{Hyp: make([]int, len(o.Hyp)), Ref: make([]int, len(o.Ref)), Match: make([]int, len(o.Match))}
	}
	if len(o.Hyp) == 0 && len(o.Ref) == 0 && len(o.Match) == 0 {
		o = CHRFStats{Hyp: make([]int, len(s.Hyp)), Ref: make([]int, len(s.Ref)), Match: make([]int, len(s.Match))}
	}
	if len(s.Hyp) != len(o.Hyp) || len(s.Ref) != len(o.Ref) || len(s.Match) != len(o.Match) {
		panic(fmt.Sprintf("eval: adding chrF statistics of %d and %d orders", len(s.Hyp), len(o.Hyp)))
	}
	r := CHRFStats{Hyp: make([]int, len(s.Hyp)), Ref: make([]int, len(s.Ref)), Match: make([]int, len(s.Match))}
	for k := range r.Hyp {
		r.Hyp[k] = s.Hyp[k] + o.Hyp[k]
		r.Ref[k] = s.Ref[k] + o.Ref[k]
		r.Match[k] = s.Match[k] + o.Match[k]
	}
	return r
}

// Floats returns the statistics as sacreBLEU lays them out: a
// (hyp, ref, match) triple per order.
func (s CHRFStats) Floats() []float64 {
	v := make([]float64, 0, 3*len(s.Hyp))
	for k := range s.Hyp {
		v = append(v, float64(s.Hyp[k]), float64(s.Ref[k]), float64(s.Match[k]))
	}
	return v
}

// CHRFStatsFromFloats inverts Floats; the length must be a positive
// multiple of 3.
func CHRFStatsFromFloats(v []float64) CHRFStats {
	if len(v) == 0 || len(v)%3 != 0 {
		panic(fmt.Sprintf("eval: chrF statistics vector of length %d", len(v)))
	}
	k := len(v) / 3
	s := CHRFStats{Hyp: make([]int, k), Ref: make([]int, k), Match: make([]int, k)}
	for i := range k {
		s.Hyp[i], s.Ref[i], s.Match[i] = int(v[3*i]), int(v[3*i+1]), int(v[3*i+2])
	}
	return s
}

// CHRFResult is a chrF or chrF++ score.
type CHRFResult struct {
	// Score is chrF on sacreBLEU's 0–100 scale.
	Score                      float64
	CharOrder, WordOrder, Beta int
}

// Name is sacreBLEU's name of the metric: "chrF" and beta, then one "+"
// per word order ("chrF2", "chrF2++").
func (r CHRFResult) Name() string {
	return "chrF" + strconv.Itoa(r.Beta) + strings.Repeat("+", r.WordOrder)
}

// Format renders r like sacreBLEU's Score.format, e.g. "chrF2 = 59.73",
// with width decimals.
func (r CHRFResult) Format(width int) string {
	return r.Name() + " = " + strconv.FormatFloat(r.Score, 'f', width, 64)
}

// String is Format(2), sacreBLEU's repr of a chrF score.
func (r CHRFResult) String() string { return r.Format(2) }

// chrfFScore is sacreBLEU's CHRF._compute_f_score on 0–100.
func chrfFScore(s CHRFStats, opt CHRFOptions) float64 {
	const eps = 1e-16
	factor := float64(opt.beta() * opt.beta())
	score, avgPrec, avgRec := 0.0, 0.0, 0.0
	effOrder := 0
	for k := range s.Hyp {
		nHyp, nRef, nMatch := float64(s.Hyp[k]), float64(s.Ref[k]), float64(s.Match[k])
		prec, rec := eps, eps
		if nHyp > 0 {
			prec = nMatch / nHyp
		}
		if nRef > 0 {
			rec = nMatch / nRef
		}
		if denom := factor*prec + rec; denom > 0 {
			score += (1 + factor) * prec * rec / denom
		} else {
			score += eps
		}
		if nHyp > 0 && nRef > 0 {
			avgPrec += prec
			avgRec += rec
			effOrder++
		}
	}
	if opt.EpsSmoothing {
		return 100 * score / float64(len(s.Hyp))
	}
	if effOrder == 0 {
		return 0
	}
	avgPrec /= float64(effOrder)
	avgRec /= float64(effOrder)
	if avgPrec+avgRec == 0 {
		return 0
	}
	score = (1 + factor) * avgPrec * avgRec
	score /= factor*avgPrec + avgRec
	return 100 * score
}

// CHRFScoreFromStats computes chrF from (summed) statistics. The number of
// orders must match the options (a mismatch is a bug and panics).
func CHRFScoreFromStats(s CHRFStats, opt CHRFOptions) CHRFResult {
	if err := opt.Validate(); err != nil {
		panic("eval: " + err.Error())
	}
	k := opt.order()
	if len(s.Hyp) == 0 && len(s.Ref) == 0 && len(s.Match) == 0 {
		s = CHRFStats{Hyp: make([]int, k), Ref: make([]int, k), Match: make([]int, k)}
	}
	if len(s.Hyp) != k || len(s.Ref) != k || len(s.Match) != k {
		panic(fmt.Sprintf("eval: chrF statistics of %d orders scored with %d", len(s.Hyp), k))
	}
	return CHRFResult{Score: chrfFScore(s, opt), CharOrder: opt.charOrder(), WordOrder: opt.WordOrder, Beta: opt.beta()}
}

// chrfCharNGrams counts the character n-grams (code points) of a line for
// n = 1..order, after removing whitespace unless keepSpace.
func chrfCharNGrams(line string, order int, keepSpace bool) []map[string]int {
	if !keepSpace {
		line = strings.Join(mtFields(line), "")
	}
	starts := make([]int, 0, len(line)+1) // byte offset of each code point, then len(line)
	for i := 0; i < len(line); {
		starts = append(starts, i)
		_, size := utf8.DecodeRuneInString(line[i:])
		i += size
	}
	nChars := len(starts)
	starts = append(starts, len(line))
	out := make([]map[string]int, order)
	for n := 1; n <= order; n++ {
		m := make(map[string]int, max(0, nChars-n+1))
		for i := 0; i+n <= nChars; i++ {
			m[line[starts[i]:starts[i+n]]]++
		}
		out[n-1] = m
	}
	return out
}

// chrfPunct is Python's string.punctuation, which chrF++ splits off words.
const chrfPunct = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"

// chrfWords tokenizes a line for chrF++'s word n-grams like sacreBLEU's
// CHRF._remove_punctuation: split on whitespace, then split one ASCII
// punctuation character off the end of a word, or else off its start.
func chrfWords(line string) []string {
	var out []string
	for _, w := range mtFields(line) {
		if utf8.RuneCountInString(w) == 1 {
			out = append(out, w)
			continue
		}
		last := w[len(w)-1]
		if strings.IndexByte(chrfPunct, last) >= 0 {
			out = append(out, w[:len(w)-1], w[len(w)-1:])
		} else if strings.IndexByte(chrfPunct, w[0]) >= 0 {
			out = append(out, w[:1], w[1:])
		} else {
			out = append(out, w)
		}
	}
	return out
}

// chrfWordNGrams counts word n-grams (words joined by spaces) for
// n = 1..order.
func chrfWordNGrams(words []string, order int) []map[string]int {
	out := make([]map[string]int, order)
	for n := 1; n <= order; n++ {
		m := make(map[string]int)
		for i := 0; i+n <= len(words); i++ {
			m[strings.Join(words[i:i+n], " ")]++
		}
		out[n-1] = m
	}
	return out
}

// chrfNGrams returns the character then word n-gram counts of a line.
func chrfNGrams(line string, opt CHRFOptions) []map[string]int {
	if opt.Lowercase {
		line = mtLower(line)
	}
	grams := chrfCharNGrams(line, opt.charOrder(), opt.Whitespace)
	if opt.WordOrder > 0 {
		grams = append(grams, chrfWordNGrams(chrfWords(line), opt.WordOrder)...)
	}
	return grams
}

// CHRFSegmentStats returns the chrF statistics of one hypothesis against
// the reference that gives it the best F-score (the first on ties), as
// sacreBLEU does. Empty references are skipped; at least one must remain.
func CHRFSegmentStats(hyp string, refs []string, opt CHRFOptions) (CHRFStats, error) {
	if err := opt.Validate(); err != nil {
		return CHRFStats{}, err
	}
	refs, err := mtNonEmpty(refs)
	if err != nil {
		return CHRFStats{}, fmt.Errorf("chrf: %w", err)
	}
	hg := chrfNGrams(hyp, opt)
	var best CHRFStats
	bestF := -1.0
	for _, ref := range refs {
		rg := chrfNGrams(ref, opt)
		s := CHRFStats{Hyp: make([]int, len(hg)), Ref: make([]int, len(hg)), Match: make([]int, len(hg))}
		for k := range hg {
			hypCount, match, refCount := 0, 0, 0
			for g, c := range hg[k] {
				hypCount += c
				match += min(c, rg[k][g])
			}
			for _, c := range rg[k] {
				refCount += c
			}
			if len(rg[k]) > 0 {
				s.Hyp[k] = hypCount
			}
			s.Ref[k], s.Match[k] = refCount, match
		}
		if f := chrfFScore(s, opt); f > bestF {
			best, bestF = s, f
		}
	}
	return best, nil
}

// CorpusCHRF computes corpus chrF (chrF++ with WordOrder 2) like
// sacreBLEU's CHRF.corpus_score; refs[r][i] is reference stream r's
// translation of segment i.
func CorpusCHRF(hyps []string, refs [][]string, opt CHRFOptions) (CHRFResult, error) {
	if err := opt.Validate(); err != nil {
		return CHRFResult{}, err
	}
	if err := mtCheckCorpus("chrf", hyps, refs); err != nil {
		return CHRFResult{}, err
	}
	var sum CHRFStats
	for i, h := range hyps {
		s, err := CHRFSegmentStats(h, mtSegmentRefs(refs, i), opt)
		if err != nil {
			return CHRFResult{}, fmt.Errorf("segment %d: %w", i+1, err)
		}
		sum = sum.Add(s)
	}
	return CHRFScoreFromStats(sum, opt), nil
}
