package sacrebleu

// Corpus BLEU (Papineni et al., 2002) computed exactly as sacreBLEU 2.x
// does (sacrebleu/metrics/bleu.py): per-segment sufficient statistics that
// add up, and a score computed from the summed statistics, so that corpus
// BLEU can be bootstrapped over segments.

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// BLEUOptions configures BLEU like sacreBLEU's BLEU class. The zero value
// is sacreBLEU's default: 13a tokenization, exponential smoothing, mixed
// case, n-grams up to 4, no effective order.
type BLEUOptions struct {
	// Tokenize is "13a" (the default when empty), "intl", "char" or
	// "none"; see BLEUTokenizerNames.
	Tokenize string
	// Smooth is "exp" (the default when empty; NIST's geometric decay),
	// "floor", "add-k" or "none"; see BLEUSmoothMethods.
	Smooth string
	// SmoothValue is the value for "floor" and "add-k"; zero selects the
	// method's default (0.1 for floor, 1 for add-k). Both methods with a
	// value of zero would equal "none". Other methods must leave it zero.
	SmoothValue float64
	// Lowercase scores case-insensitively (Python's str.lower).
	Lowercase bool
	// MaxNGramOrder is the largest n-gram order; zero means 4.
	MaxNGramOrder int
	// EffectiveOrder stops the geometric mean at the largest order for
	// which the hypotheses have any n-gram, as sacreBLEU recommends for
	// sentence-level BLEU.
	EffectiveOrder bool
}

// BLEUSmoothMethods returns the names BLEUOptions.Smooth accepts, sorted.
func BLEUSmoothMethods() []string { return []string{"add-k", "exp", "floor", "none"} }

// bleuSmoothDefaults are sacreBLEU's SMOOTH_DEFAULTS (from Chen & Cherry,
// 2014); NaN marks methods that take no value.
var bleuSmoothDefaults = map[string]float64{"none": math.NaN(), "exp": math.NaN(), "floor": 0.1, "add-k": 1}

func (o BLEUOptions) tokenizer() string {
	if o.Tokenize == "" {
		return "13a"
	}
	return o.Tokenize
}

func (o BLEUOptions) smooth() string {
	if o.Smooth == "" {
		return "exp"
	}
	return o.Smooth
}

func (o BLEUOptions) order() int {
	if o.MaxNGramOrder == 0 {
		return 4
	}
	return o.MaxNGramOrder
}

func (o BLEUOptions) smoothValue() float64 {
	if o.SmoothValue == 0 {
		return bleuSmoothDefaults[o.smooth()]
	}
	return o.SmoothValue
}

// Validate returns an error naming the valid choices when an option is
// unknown or out of range.
func (o BLEUOptions) Validate() error {
	if _, ok := mtTokenizers[o.tokenizer()]; !ok {
		return fmt.Errorf("bleu: unknown tokenizer %q (valid: %s)", o.Tokenize, strings.Join(BLEUTokenizerNames(), ", "))
	}
	def, ok := bleuSmoothDefaults[o.smooth()]
	if !ok {
		return fmt.Errorf("bleu: unknown smoothing method %q (valid: %s)", o.Smooth, strings.Join(BLEUSmoothMethods(), ", "))
	}
	if o.SmoothValue != 0 && math.IsNaN(def) {
		return fmt.Errorf("bleu: smoothing method %q takes no value (got %g); only floor and add-k do", o.smooth(), o.SmoothValue)
	}
	if o.SmoothValue < 0 || math.IsNaN(o.SmoothValue) || math.IsInf(o.SmoothValue, 0) {
		return fmt.Errorf("bleu: smoothing value %g must be a finite number ≥ 0", o.SmoothValue)
	}
	if o.MaxNGramOrder < 0 {
		return fmt.Errorf("bleu: max n-gram order %d must be positive", o.MaxNGramOrder)
	}
	return nil
}

// BLEUStats are one segment's (or, summed, a corpus's) BLEU sufficient
// statistics, counted in tokens after tokenization. The zero value is the
// statistics of an empty corpus and the identity of Add.
type BLEUStats struct {
	// HypLen is the hypothesis length.
	HypLen int
	// RefLen is the length of the reference closest in length to the
	// hypothesis (the shorter one on ties), sacreBLEU's rule.
	RefLen int
	// Matches[n-1] counts hypothesis n-grams that occur in a reference,
	// each clipped to its largest count in any single reference.
	Matches []int
	// Totals[n-1] counts hypothesis n-grams.
	Totals []int
}

// Add returns the element-wise sum of s and o. Statistics of different
// n-gram orders cannot be added (a bug: it panics).
func (s BLEUStats) Add(o BLEUStats) BLEUStats {
	if len(s.Matches) == 0 && len(s.Totals) == 0 {
		s.Matches, s.Totals = make([]int, len(o.Matches)), make([]int, len(o.Totals))
	}
	if len(o.Matches) == 0 && len(o.Totals) == 0 {
		o.Matches, o.Totals = make([]int, len(s.Matches)), make([]int, len(s.Totals))
	}
	if len(s.Matches) != len(o.Matches) || len(s.Totals) != len(o.Totals) {
		panic(fmt.Sprintf("eval: adding BLEU statistics of orders %d and %d", len(s.Matches), len(o.Matches)))
	}
	r := BLEUStats{HypLen: s.HypLen + o.HypLen, RefLen: s.RefLen + o.RefLen,
		Matches: make([]int, len(s.Matches)), Totals: make([]int, len(s.Totals))}
	for i := range r.Matches {
		r.Matches[i] = s.Matches[i] + o.Matches[i]
		r.Totals[i] = s.Totals[i] + o.Totals[i]
	}
	return r
}

// Floats returns the statistics as sacreBLEU lays them out:
// [HypLen, RefLen, Matches..., Totals...].
func (s BLEUStats) Floats() []float64 {
	v := make([]float64, 0, 2+len(s.Matches)+len(s.Totals))
	v = append(v, float64(s.HypLen), float64(s.RefLen))
	for _, m := range s.Matches {
		v = append(v, float64(m))
	}
	for _, t := range s.Totals {
		v = append(v, float64(t))
	}
	return v
}

// BLEUStatsFromFloats inverts Floats (for example after summing the vectors
// of many segments). The vector's length must be 2+2·order.
func BLEUStatsFromFloats(v []float64) BLEUStats {
	if len(v) < 4 || len(v)%2 != 0 {
		panic(fmt.Sprintf("eval: BLEU statistics vector of length %d", len(v)))
	}
	k := (len(v) - 2) / 2
	s := BLEUStats{HypLen: int(v[0]), RefLen: int(v[1]), Matches: make([]int, k), Totals: make([]int, k)}
	for i := range k {
		s.Matches[i] = int(v[2+i])
		s.Totals[i] = int(v[2+k+i])
	}
	return s
}

// BLEUResult is a BLEU score with the numbers sacreBLEU reports.
type BLEUResult struct {
	// Score is BLEU on sacreBLEU's 0–100 scale.
	Score float64
	// Counts and Totals are the matched and total n-grams per order
	// (before add-k smoothing).
	Counts, Totals []int
	// Precisions are the (smoothed) n-gram precisions in percent.
	Precisions []float64
	// BP is the brevity penalty.
	BP float64
	// SysLen and RefLen are the hypothesis and effective reference lengths
	// in tokens; Ratio is SysLen/RefLen (0 when RefLen is 0).
	SysLen, RefLen int
	Ratio          float64
}

// Format renders r like sacreBLEU's BLEUScore.format with the given number
// of decimals for the score, e.g.
// "BLEU = 48.53 82.4/50.0/45.5/37.5 (BP = 0.943 ratio = 0.944 hyp_len = 17 ref_len = 18)".
func (r BLEUResult) Format(width int) string {
	prec := make([]string, len(r.Precisions))
	for i, p := range r.Precisions {
		prec[i] = strconv.FormatFloat(p, 'f', 1, 64)
	}
	return fmt.Sprintf("BLEU = %s %s (BP = %.3f ratio = %.3f hyp_len = %d ref_len = %d)",
		strconv.FormatFloat(r.Score, 'f', width, 64), strings.Join(prec, "/"), r.BP, r.Ratio, r.SysLen, r.RefLen)
}

// String is Format(2), sacreBLEU's repr of a BLEU score.
func (r BLEUResult) String() string { return r.Format(2) }

// bleuLog is sacreBLEU's my_log: the natural log, with log(0) floored at
// −9999999999.
func bleuLog(x float64) float64 {
	if x == 0 {
		return -9999999999
	}
	return math.Log(x)
}

// BLEUScoreFromStats computes BLEU from (summed) statistics following
// sacreBLEU's BLEU.compute_bleu, including its smoothing methods and the
// zero score when nothing matches. The options must be valid (see
// Validate); invalid ones are a bug and panic.
func BLEUScoreFromStats(s BLEUStats, opt BLEUOptions) BLEUResult {
	if err := opt.Validate(); err != nil {
		panic("eval: " + err.Error())
	}
	order := opt.order()
	if len(s.Matches) == 0 && len(s.Totals) == 0 {
		s.Matches, s.Totals = make([]int, order), make([]int, order)
	}
	if len(s.Matches) != order || len(s.Totals) != order {
		panic(fmt.Sprintf("eval: BLEU statistics of order %d scored with order %d", len(s.Matches), order))
	}
	method, value := opt.smooth(), opt.smoothValue()
	r := BLEUResult{
		Counts: append([]int(nil), s.Matches...), Totals: append([]int(nil), s.Totals...),
		Precisions: make([]float64, order), SysLen: s.HypLen, RefLen: s.RefLen, BP: 1,
	}
	if s.RefLen != 0 {
		r.Ratio = float64(s.HypLen) / float64(s.RefLen)
	}
	if s.HypLen < s.RefLen {
		r.BP = 0
		if s.HypLen > 0 {
			r.BP = math.Exp(1 - float64(s.RefLen)/float64(s.HypLen))
		}
	}
	anyMatch := false
	for _, m := range s.Matches {
		anyMatch = anyMatch || m != 0
	}
	if !anyMatch {
		return r // sacreBLEU issue #141: no matches, score 0
	}
	correct, total := make([]float64, order), make([]float64, order)
	for i := range order {
		correct[i], total[i] = float64(s.Matches[i]), float64(s.Totals[i])
	}
	smoothMteval := 1.0
	effOrder := order
	for n := 1; n <= order; n++ {
		if method == "add-k" && n > 1 {
			correct[n-1] += value
			total[n-1] += value
		}
		if total[n-1] == 0 {
			break
		}
		if opt.EffectiveOrder {
			effOrder = n
		}
		switch {
		case correct[n-1] != 0:
			r.Precisions[n-1] = 100 * correct[n-1] / total[n-1]
		case method == "exp":
			smoothMteval *= 2
			r.Precisions[n-1] = 100 / (smoothMteval * total[n-1])
		case method == "floor":
			r.Precisions[n-1] = 100 * value / total[n-1]
		}
	}
	sum := 0.0
	for _, p := range r.Precisions[:effOrder] {
		sum += bleuLog(p)
	}
	r.Score = r.BP * math.Exp(sum/float64(effOrder))
	return r
}

// bleuNGrams counts the n-grams (1 ≤ n ≤ order) of a whitespace-split
// token sequence; counts[n-1] maps an n-gram (tokens joined by single
// spaces) to its count. It also returns the number of tokens.
func bleuNGrams(line string, order int) (counts []map[string]int, length int) {
	toks := mtFields(line)
	joined := strings.Join(toks, " ")
	start := make([]int, len(toks)+1) // byte offset of each token in joined
	off := 0
	for i, t := range toks {
		start[i] = off
		off += len(t) + 1
	}
	start[len(toks)] = off
	counts = make([]map[string]int, order)
	for n := 1; n <= order; n++ {
		m := make(map[string]int, max(0, len(toks)-n+1))
		for i := 0; i+n <= len(toks); i++ {
			m[joined[start[i]:start[i+n]-1]]++
		}
		counts[n-1] = m
	}
	return counts, len(toks)
}

// bleuPreprocess applies sacreBLEU's per-segment BLEU preprocessing:
// optional lower-casing, removal of trailing whitespace, tokenization.
func bleuPreprocess(s string, opt BLEUOptions) string {
	if opt.Lowercase {
		s = mtLower(s)
	}
	return mtTokenizers[opt.tokenizer()](mtRStrip(s))
}

// errNoReference reports a segment whose references are all empty.
var errNoReference = errors.New("every reference is empty (sacreBLEU skips empty references but needs one)")

// mtNonEmpty returns the references that are not the empty string, which
// sacreBLEU treats as missing (a variable number of references per segment)
// when there are several; a segment's only reference is kept even when
// empty, as sacreBLEU scores it (test_ter.py: "empty reference", TER 100).
func mtNonEmpty(refs []string) ([]string, error) {
	if len(refs) == 1 {
		return refs, nil
	}
	out := make([]string, 0, len(refs))
	for _, r := range refs {
		if r != "" {
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		return nil, errNoReference
	}
	return out, nil
}

// BLEUSegmentStats returns the BLEU statistics of one hypothesis against
// its references. Empty references are skipped; at least one must remain.
func BLEUSegmentStats(hyp string, refs []string, opt BLEUOptions) (BLEUStats, error) {
	if err := opt.Validate(); err != nil {
		return BLEUStats{}, err
	}
	refs, err := mtNonEmpty(refs)
	if err != nil {
		return BLEUStats{}, fmt.Errorf("bleu: %w", err)
	}
	order := opt.order()
	var refMax []map[string]int
	refLens := make([]int, len(refs))
	for k, ref := range refs {
		c, n := bleuNGrams(bleuPreprocess(ref, opt), order)
		refLens[k] = n
		if refMax == nil {
			refMax = c
			continue
		}
		for i, m := range c {
			for g, cnt := range m {
				if cnt > refMax[i][g] {
					refMax[i][g] = cnt
				}
			}
		}
	}
	hc, hypLen := bleuNGrams(bleuPreprocess(hyp, opt), order)
	s := BLEUStats{HypLen: hypLen, RefLen: bleuClosestRefLen(hypLen, refLens),
		Matches: make([]int, order), Totals: make([]int, order)}
	for i, m := range hc {
		for g, cnt := range m {
			s.Totals[i] += cnt
			s.Matches[i] += min(cnt, refMax[i][g])
		}
	}
	return s, nil
}

// bleuClosestRefLen returns the reference length closest to hypLen,
// preferring the shorter one on ties.
func bleuClosestRefLen(hypLen int, refLens []int) int {
	best, bestDiff := -1, -1
	for _, l := range refLens {
		d := hypLen - l
		if d < 0 {
			d = -d
		}
		if bestDiff == -1 || d < bestDiff || (d == bestDiff && l < best) {
			best, bestDiff = l, d
		}
	}
	return best
}

// mtCheckCorpus checks that there is at least one hypothesis and one
// reference stream and that every stream has one segment per hypothesis.
func mtCheckCorpus(metric string, hyps []string, refs [][]string) error {
	if len(hyps) == 0 {
		return fmt.Errorf("%s: no hypotheses", metric)
	}
	if len(refs) == 0 {
		return fmt.Errorf("%s: no reference streams", metric)
	}
	for r, stream := range refs {
		if len(stream) != len(hyps) {
			return fmt.Errorf("%s: reference stream %d has %d segments but there are %d hypotheses", metric, r+1, len(stream), len(hyps))
		}
	}
	return nil
}

// mtSegmentRefs returns the references of segment i (refs[r][i] for every
// stream r).
func mtSegmentRefs(refs [][]string, i int) []string {
	out := make([]string, len(refs))
	for r := range refs {
		out[r] = refs[r][i]
	}
	return out
}

// CorpusBLEU computes corpus BLEU like sacreBLEU's BLEU.corpus_score:
// refs[r][i] is reference stream r's translation of segment i, every stream
// has len(hyps) segments, and empty references are skipped.
func CorpusBLEU(hyps []string, refs [][]string, opt BLEUOptions) (BLEUResult, error) {
	if err := opt.Validate(); err != nil {
		return BLEUResult{}, err
	}
	if err := mtCheckCorpus("bleu", hyps, refs); err != nil {
		return BLEUResult{}, err
	}
	var sum BLEUStats
	for i, h := range hyps {
		s, err := BLEUSegmentStats(h, mtSegmentRefs(refs, i), opt)
		if err != nil {
			return BLEUResult{}, fmt.Errorf("segment %d: %w", i+1, err)
		}
		sum = sum.Add(s)
	}
	return BLEUScoreFromStats(sum, opt), nil
}
