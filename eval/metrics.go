package eval

import (
	"fmt"
	"math"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Metric describes how per-document statistics become a task score.
//
// Every document contributes a vector of sufficient statistics (Stats);
// the task score is Score(Σ stats over documents). A mean is Σx/Σ1, a
// perplexity exp(-Σ loglik/Σ count), a corpus BLEU its formula over summed
// n-gram counts. Mean metrics get the standard error of the mean (sample
// s.d. with n−1 over √n); corpus metrics a seeded bootstrap.
type Metric struct {
	Name           string
	HigherIsBetter bool
	// Corpus is true when Score is not a plain mean, so the standard error
	// comes from the bootstrap.
	Corpus bool
	// Score maps summed statistics to the metric's value.
	Score func(sum []float64) float64
	// Options are the metric's options as written into results files
	// (a JSON-encodable struct), nil when it has none. BuildMetric with
	// the encoded options rebuilds the same metric.
	Options any
	// Width is the length of one document's statistics vector, 0 when
	// it varies with the options (Check then validates it).
	Width int
	// Check, when set, validates one document's statistics vector.
	Check func(stats []float64) error
	// Filter is the name of the lm-evaluation-harness filter whose output
	// the metric scores ("remove_whitespace", "strict-match"), written
	// after the name in results keys ("exact_match,remove_whitespace");
	// "" is lm-evaluation-harness's "none" (the response as it came).
	// It names the metric's post-processing, it does not perform it.
	Filter string
}

// NoFilter is the filter name of results keys when Metric.Filter is "".
const NoFilter = "none"

// FilterName returns m.Filter, or NoFilter when it is "".
func (m Metric) FilterName() string {
	if m.Filter == "" {
		return NoFilter
	}
	return m.Filter
}

// Filtered returns m with Filter set to filter.
func (m Metric) Filtered(filter string) Metric {
	if strings.ContainsAny(filter, ", ") || filter == NoFilter {
		panic(fmt.Sprintf("eval: metric %s: bad filter name %q", m.Name, filter))
	}
	m.Filter = filter
	return m
}

// Kind returns MeanKind or CorpusKind.
func (m Metric) Kind() MetricKind {
	if m.Corpus {
		return CorpusKind
	}
	return MeanKind
}

// StderrMethod returns how m's standard error is estimated.
func (m Metric) StderrMethod() StderrMethod {
	if m.Corpus {
		return StderrBootstrap
	}
	return StderrOfMean
}

// CheckStats reports whether stats can be one document's statistics for
// m: non-empty, of the metric's width, and accepted by Check.
func (m Metric) CheckStats(stats []float64) error {
	if len(stats) == 0 {
		return fmt.Errorf("empty statistics vector")
	}
	if m.Width > 0 && len(stats) != m.Width {
		return fmt.Errorf("%s wants %d statistics per document, got %d", m.Name, m.Width, len(stats))
	}
	if m.Check != nil {
		return m.Check(stats)
	}
	return nil
}

// Mean returns a metric that averages one value per document; each
// document's statistics are MeanStats(x).
func Mean(name string, higherIsBetter bool) Metric {
	return Metric{Name: name, HigherIsBetter: higherIsBetter, Width: 2, Score: func(s []float64) float64 { return s[0] / s[1] },
		Check: func(s []float64) error {
			if !(s[1] > 0) {
				return fmt.Errorf("%s: a document's count is %g, want 1", name, s[1])
			}
			return nil
		}}
}

// MeanStats returns the statistics of one document's value x for a Mean metric.
func MeanStats(x float64) []float64 { return []float64{x, 1} }

// Bool returns 1 for true and 0 for false.
func Bool(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// Perplexity is exp(−mean log-likelihood) over documents (lm-evaluation-
// harness's "perplexity": per target, not per token). Document statistics
// are WeightedStats(loglik, 1).
func Perplexity() Metric {
	return Metric{Name: "perplexity", Corpus: true, Width: 2, Score: func(s []float64) float64 { return math.Exp(-s[0] / s[1]) }}
}

// WeightedPerplexity is exp(−Σ loglik / Σ weight): word_perplexity with
// weight = words, byte_perplexity with weight = bytes. Document statistics
// are WeightedStats(loglik, weight).
func WeightedPerplexity(name string) Metric {
	return Metric{Name: name, Corpus: true, Width: 2, Score: func(s []float64) float64 { return math.Exp(-s[0] / s[1]) }}
}

// BitsPerByte is −Σ loglik / (Σ bytes · ln 2). Document statistics are
// WeightedStats(loglik, bytes).
func BitsPerByte() Metric {
	return Metric{Name: "bits_per_byte", Corpus: true, Width: 2, Score: func(s []float64) float64 { return -s[0] / s[1] / math.Ln2 }}
}

// WeightedStats returns the statistics (loglik, weight) of one document.
func WeightedStats(loglik, weight float64) []float64 { return []float64{loglik, weight} }

// Argmax returns the index of the largest value (the first on ties).
func Argmax(xs []float64) int {
	best := 0
	for i, x := range xs {
		if x > xs[best] {
			best = i
		}
	}
	return best
}

// ChoiceScores holds one multiple-choice document's three accuracy
// variants.
type ChoiceScores struct {
	Acc, AccNorm, AccBytes float64
}

// ScoreChoices scores a multiple-choice answer: acc picks the option with
// the highest log-likelihood, acc_norm the highest log-likelihood per
// character of the continuation (lm-evaluation-harness), acc_bytes per
// UTF-8 byte.
func ScoreChoices(res ChoiceResult, continuations []string, gold int) ChoiceScores {
	n := len(res.Options)
	ll := make([]float64, n)
	byChar := make([]float64, n)
	byByte := make([]float64, n)
	for i, o := range res.Options {
		ll[i] = o.LogProb
		byChar[i] = o.LogProb / float64(max(1, utf8.RuneCountInString(continuations[i])))
		byByte[i] = o.LogProb / float64(max(1, len(continuations[i])))
	}
	return ChoiceScores{
		Acc:      Bool(Argmax(ll) == gold),
		AccNorm:  Bool(Argmax(byChar) == gold),
		AccBytes: Bool(Argmax(byByte) == gold),
	}
}

// UnconditionalAcc is GPT-3's normalisation: the option with the highest
// log P(option | context) − log P(option | unconditional prompt such as
// "Answer:") wins.
func UnconditionalAcc(cond, uncond ChoiceResult, gold int) float64 {
	d := make([]float64, len(cond.Options))
	for i := range d {
		d[i] = cond.Options[i].LogProb - uncond.Options[i].LogProb
	}
	return Bool(Argmax(d) == gold)
}

// CountWords counts whitespace-separated words as lm-evaluation-harness
// does for word_perplexity (Python's len(re.split(r"\s+", text))).
func CountWords(text string) int {
	// re.split on \s+ yields len(fields)+1 pieces when the text starts or
	// ends with whitespace (empty first/last piece), so count separators.
	n := 1
	inSpace := false
	for _, r := range text {
		if isSpace(r) {
			if !inSpace {
				n++
			}
			inSpace = true
		} else {
			inSpace = false
		}
	}
	return n
}

// NormalizeAnswer lower-cases, removes punctuation and the articles a, an,
// the, and collapses whitespace (the SQuAD normalisation used for exact
// match and F1).
func NormalizeAnswer(s string) string {
	s = strings.ToLower(s)
	var b strings.Builder
	for _, r := range s {
		if unicode.IsPunct(r) || unicode.IsSymbol(r) && r < 128 {
			continue
		}
		b.WriteRune(r)
	}
	var words []string
	for _, w := range strings.Fields(b.String()) {
		if w == "a" || w == "an" || w == "the" {
			continue
		}
		words = append(words, w)
	}
	return strings.Join(words, " ")
}

// ExactMatch is 1 when the normalised prediction equals any normalised
// gold answer.
func ExactMatch(pred string, golds []string) float64 {
	p := NormalizeAnswer(pred)
	for _, g := range golds {
		if p == NormalizeAnswer(g) {
			return 1
		}
	}
	return 0
}

// F1 is the best token-level F1 between the normalised prediction and any
// gold answer (SQuAD's definition).
func F1(pred string, golds []string) float64 {
	best := 0.0
	pt := strings.Fields(NormalizeAnswer(pred))
	for _, g := range golds {
		gt := strings.Fields(NormalizeAnswer(g))
		if len(pt) == 0 || len(gt) == 0 {
			best = math.Max(best, Bool(len(pt) == len(gt)))
			continue
		}
		count := map[string]int{}
		for _, w := range gt {
			count[w]++
		}
		common := 0
		for _, w := range pt {
			if count[w] > 0 {
				common++
				count[w]--
			}
		}
		if common == 0 {
			continue
		}
		prec := float64(common) / float64(len(pt))
		rec := float64(common) / float64(len(gt))
		best = math.Max(best, 2*prec*rec/(prec+rec))
	}
	return best
}
