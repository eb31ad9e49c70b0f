package textscore

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// Score is one ROUGE score: precision, recall and their F-measure.
type Score struct {
	Precision, Recall, F float64
}

func fmeasure(p, r float64) Score {
	s := Score{Precision: p, Recall: r}
	if p+r > 0 {
		s.F = 2 * p * r / (p + r)
	}
	return s
}

// RougeTokenize is rouge-score's tokenize.tokenize: lower case, every run
// of characters other than a–z and 0–9 becomes a space, the text is split
// at white space, and with stem set every token of more than 3 characters
// goes through the Porter stemmer (NLTK's PorterStemmer() as rouge-score
// constructs it, mode NLTK_EXTENSIONS); tokens that are not [a-z0-9]+
// are dropped.
func RougeTokenize(text string, stem bool) []string {
	text = strings.ToLower(text)
	toks := strings.FieldsFunc(text, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') })
	if stem {
		for i, t := range toks {
			if utf8.RuneCountInString(t) > 3 {
				toks[i] = PorterStem(t, NLTKExtensions)
			}
		}
	}
	out := toks[:0]
	for _, t := range toks {
		if t != "" && strings.Trim(t, "abcdefghijklmnopqrstuvwxyz0123456789") == "" {
			out = append(out, t)
		}
	}
	return out
}

// RougeN is rouge-score's rougeN between the target (reference) and the
// prediction: clipped n-gram overlap over the prediction's and the
// target's n-gram counts.
func RougeN(target, prediction []string, n int) Score {
	if n < 1 {
		panic("textscore: RougeN with n < 1")
	}
	tg, pg := ngrams(target, n), ngrams(prediction, n)
	inter, tn, pn := 0, 0, 0
	for g, c := range tg {
		inter += min(c, pg[g])
		tn += c
	}
	for _, c := range pg {
		pn += c
	}
	return fmeasure(float64(inter)/float64(max(pn, 1)), float64(inter)/float64(max(tn, 1)))
}

func ngrams(toks []string, n int) map[string]int {
	m := map[string]int{}
	for i := 0; i+n <= len(toks); i++ {
		m[strings.Join(toks[i:i+n], " ")]++
	}
	return m
}

// RougeL is rouge-score's rougeL: the longest common subsequence over
// the prediction's and the target's lengths; 0 when either is empty.
func RougeL(target, prediction []string) Score {
	if len(target) == 0 || len(prediction) == 0 {
		return Score{}
	}
	t := lcsTable(target, prediction)
	l := float64(t[len(target)][len(prediction)])
	return fmeasure(l/float64(len(prediction)), l/float64(len(target)))
}

func lcsTable(ref, can []string) [][]int {
	t := make([][]int, len(ref)+1)
	for i := range t {
		t[i] = make([]int, len(can)+1)
	}
	for i := 1; i <= len(ref); i++ {
		for j := 1; j <= len(can); j++ {
			if ref[i-1] == can[j-1] {
				t[i][j] = t[i-1][j-1] + 1
			} else {
				t[i][j] = max(t[i-1][j], t[i][j-1])
			}
		}
	}
	return t
}

// lcsIndices is rouge-score's _backtrack_norec: the indices into ref of
// one longest common subsequence, in order.
func lcsIndices(ref, can []string) []int {
	t := lcsTable(ref, can)
	var out []int
	i, j := len(ref), len(can)
	for i > 0 && j > 0 {
		switch {
		case ref[i-1] == can[j-1]:
			out = append(out, i-1)
			i--
			j--
		case t[i][j-1] > t[i-1][j]:
			j--
		default:
			i--
		}
	}
	slices.Reverse(out)
	return out
}

// unionLCS is rouge-score's _union_lcs: the tokens of ref at the union
// of its LCS indices with every candidate sentence, in ref's order.
func unionLCS(ref []string, cands [][]string) []string {
	set := map[int]bool{}
	for _, c := range cands {
		for _, i := range lcsIndices(ref, c) {
			set[i] = true
		}
	}
	idx := make([]int, 0, len(set))
	for i := range set {
		idx = append(idx, i)
	}
	slices.Sort(idx)
	out := make([]string, len(idx))
	for k, i := range idx {
		out[k] = ref[i]
	}
	return out
}

// RougeLsum is rouge-score's summary-level rougeLsum (ROUGE-1.5.5's
// ROUGE-L over sentences): for each target sentence the union LCS with
// all prediction sentences, hits counted at most as often as each token
// occurs on both sides, over the summaries' token counts. The sentences
// are the non-empty lines of each text, tokenised with RougeTokenize.
func RougeLsum(target, prediction string, stem bool) Score {
	ref := rougeSentences(target, stem)
	can := rougeSentences(prediction, stem)
	if len(ref) == 0 || len(can) == 0 {
		return Score{}
	}
	m, n := 0, 0
	cr, cc := map[string]int{}, map[string]int{}
	for _, s := range ref {
		m += len(s)
		for _, t := range s {
			cr[t]++
		}
	}
	for _, s := range can {
		n += len(s)
		for _, t := range s {
			cc[t]++
		}
	}
	if m == 0 || n == 0 {
		return Score{}
	}
	hits := 0
	for _, r := range ref {
		for _, t := range unionLCS(r, can) {
			if cc[t] > 0 && cr[t] > 0 {
				hits++
				cc[t]--
				cr[t]--
			}
		}
	}
	return fmeasure(float64(hits)/float64(n), float64(hits)/float64(m))
}

func rougeSentences(text string, stem bool) [][]string {
	var out [][]string
	for _, line := range strings.Split(text, "\n") {
		if line != "" {
			out = append(out, RougeTokenize(line, stem))
		}
	}
	return out
}

// RougeScores holds the four ROUGE F-measures lm-evaluation-harness and
// the summarisation papers report.
type RougeScores struct {
	Rouge1, Rouge2, RougeL, RougeLsum Score
}

// Rouge scores prediction against target as rouge-score's
// RougeScorer(["rouge1", "rouge2", "rougeL", "rougeLsum"],
// use_stemmer=stem).score(target, prediction).
func Rouge(target, prediction string, stem bool) RougeScores {
	t, p := RougeTokenize(target, stem), RougeTokenize(prediction, stem)
	return RougeScores{
		Rouge1:    RougeN(t, p, 1),
		Rouge2:    RougeN(t, p, 2),
		RougeL:    RougeL(t, p),
		RougeLsum: RougeLsum(target, prediction, stem),
	}
}
