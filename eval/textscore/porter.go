package textscore

import "strings"

// PorterMode selects a variant of the Porter stemmer as NLTK names them.
type PorterMode int

const (
	// NLTKExtensions is NLTK's default PorterStemmer() mode, the one
	// rouge-score uses: the published algorithm with NLTK's and Martin
	// Porter's later changes (irregular forms, no stemming of words of
	// one or two letters, -ies/-ied of four-letter words, the y→i rule
	// only after a consonant, -bli, -fulli and -logi in step 2, the cvc
	// test at the start of a word).
	NLTKExtensions PorterMode = iota
	// OriginalAlgorithm is Porter (1980) as published.
	OriginalAlgorithm
)

// porterIrregular is NLTK's table of irregular forms (NLTK_EXTENSIONS).
var porterIrregular = map[string]string{
	"sky": "sky", "skies": "sky", "dying": "die", "lying": "lie", "tying": "tie",
	"news": "news", "innings": "inning", "inning": "inning", "outings": "outing",
	"outing": "outing", "cannings": "canning", "canning": "canning", "howe": "howe",
	"proceed": "proceed", "exceed": "exceed", "succeed": "succeed",
}

// PorterStem returns the Porter stem of a word (Porter, "An algorithm for
// suffix stripping", 1980) in the given mode, lower-casing it first as
// NLTK's stem does. The word should be lower-case ASCII letters and
// digits, as rouge-score's tokenizer gives it.
func PorterStem(word string, mode PorterMode) string {
	w := strings.ToLower(word)
	if mode == NLTKExtensions {
		if s, ok := porterIrregular[word]; ok {
			return s
		}
		if len(word) <= 2 {
			return w
		}
	}
	if w == "" {
		return w
	}
	p := porter{mode: mode}
	w = p.step1a(w)
	w = p.step1b(w)
	w = p.step1c(w)
	w = p.step2(w)
	w = p.step3(w)
	w = p.step4(w)
	w = p.step5a(w)
	return p.step5b(w)
}

type porter struct{ mode PorterMode }

func isVowelLetter(c byte) bool { return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' }

// cons reports whether w[i] is a consonant: not a vowel, and a y only
// when it is first or follows a vowel.
func cons(w string, i int) bool {
	switch {
	case isVowelLetter(w[i]):
		return false
	case w[i] != 'y' || i == 0:
		return true
	}
	return !cons(w, i-1) // y after a vowel is a consonant, after a consonant a vowel
}

// measure is m, the number of vowel-consonant sequences VC in [C](VC)^m[V].
func measure(stem string) int {
	m := 0
	for i := 1; i < len(stem); i++ {
		if !cons(stem, i-1) && cons(stem, i) {
			m++
		}
	}
	return m
}

func hasVowel(stem string) bool {
	for i := range len(stem) {
		if !cons(stem, i) {
			return true
		}
	}
	return false
}

// endsDouble is *d: the stem ends with a double consonant.
func endsDouble(w string) bool {
	n := len(w)
	return n >= 2 && w[n-1] == w[n-2] && cons(w, n-1)
}

// endsCVC is *o: consonant-vowel-consonant at the end, the last not w, x
// or y; NLTK_EXTENSIONS also accepts a two-letter vowel-consonant word.
func (p porter) endsCVC(w string) bool {
	n := len(w)
	if n >= 3 && cons(w, n-3) && !cons(w, n-2) && cons(w, n-1) && !strings.ContainsRune("wxy", rune(w[n-1])) {
		return true
	}
	return p.mode == NLTKExtensions && n == 2 && !cons(w, 0) && cons(w, 1)
}

// rule is one suffix rule: suffix → repl when cond(stem) holds (nil:
// always).
type rule struct {
	suffix, repl string
	cond         func(stem string) bool
}

func positive(stem string) bool { return measure(stem) > 0 }
func above1(stem string) bool   { return measure(stem) > 1 }

// apply applies the first rule whose suffix w ends with; when its
// condition fails the word is returned unchanged (no later rule is
// tried), as in the paper.
func apply(w string, rules []rule) string {
	for _, r := range rules {
		if strings.HasSuffix(w, r.suffix) {
			stem := w[:len(w)-len(r.suffix)]
			if r.cond == nil || r.cond(stem) {
				return stem + r.repl
			}
			return w
		}
	}
	return w
}

func (p porter) step1a(w string) string {
	if p.mode == NLTKExtensions && len(w) == 4 && strings.HasSuffix(w, "ies") {
		return w[:1] + "ie"
	}
	return apply(w, []rule{{"sses", "ss", nil}, {"ies", "i", nil}, {"ss", "ss", nil}, {"s", "", nil}})
}

func (p porter) step1b(w string) string {
	if p.mode == NLTKExtensions && strings.HasSuffix(w, "ied") {
		if len(w) == 4 {
			return w[:1] + "ie"
		}
		return w[:len(w)-3] + "i"
	}
	if strings.HasSuffix(w, "eed") {
		if stem := w[:len(w)-3]; measure(stem) > 0 {
			return stem + "ee"
		}
		return w
	}
	stem, ok := "", false
	for _, suf := range []string{"ed", "ing"} {
		if strings.HasSuffix(w, suf) && hasVowel(w[:len(w)-len(suf)]) {
			stem, ok = w[:len(w)-len(suf)], true
			break
		}
	}
	if !ok {
		return w
	}
	switch {
	case strings.HasSuffix(stem, "at"), strings.HasSuffix(stem, "bl"), strings.HasSuffix(stem, "iz"):
		return stem + "e"
	case endsDouble(stem):
		if last := stem[len(stem)-1]; last != 'l' && last != 's' && last != 'z' {
			return stem[:len(stem)-1]
		}
		return stem
	case measure(stem) == 1 && p.endsCVC(stem):
		return stem + "e"
	}
	return stem
}

func (p porter) step1c(w string) string {
	if !strings.HasSuffix(w, "y") {
		return w
	}
	stem := w[:len(w)-1]
	ok := hasVowel(stem)
	if p.mode == NLTKExtensions {
		ok = len(stem) > 1 && cons(stem, len(stem)-1)
	}
	if ok {
		return stem + "i"
	}
	return w
}

func (p porter) step2(w string) string {
	if p.mode == NLTKExtensions && strings.HasSuffix(w, "alli") && positive(w[:len(w)-4]) {
		return p.step2(w[:len(w)-4] + "al")
	}
	bli := rule{"bli", "ble", positive}
	if p.mode == OriginalAlgorithm {
		bli = rule{"abli", "able", positive}
	}
	rules := []rule{
		{"ational", "ate", positive}, {"tional", "tion", positive}, {"enci", "ence", positive},
		{"anci", "ance", positive}, {"izer", "ize", positive}, bli, {"alli", "al", positive},
		{"entli", "ent", positive}, {"eli", "e", positive}, {"ousli", "ous", positive},
		{"ization", "ize", positive}, {"ation", "ate", positive}, {"ator", "ate", positive},
		{"alism", "al", positive}, {"iveness", "ive", positive}, {"fulness", "ful", positive},
		{"ousness", "ous", positive}, {"aliti", "al", positive}, {"iviti", "ive", positive},
		{"biliti", "ble", positive},
	}
	if p.mode == NLTKExtensions {
		// The l of -logi stays with the stem (geo-logi → geolog).
		rules = append(rules, rule{"fulli", "ful", positive},
			rule{"logi", "log", func(string) bool { return positive(w[:len(w)-3]) }})
	}
	return apply(w, rules)
}

func (p porter) step3(w string) string {
	return apply(w, []rule{
		{"icate", "ic", positive}, {"ative", "", positive}, {"alize", "al", positive},
		{"iciti", "ic", positive}, {"ical", "ic", positive}, {"ful", "", positive}, {"ness", "", positive},
	})
}

func (p porter) step4(w string) string {
	return apply(w, []rule{
		{"al", "", above1}, {"ance", "", above1}, {"ence", "", above1}, {"er", "", above1},
		{"ic", "", above1}, {"able", "", above1}, {"ible", "", above1}, {"ant", "", above1},
		{"ement", "", above1}, {"ment", "", above1}, {"ent", "", above1},
		{"ion", "", func(s string) bool { return above1(s) && s != "" && (s[len(s)-1] == 's' || s[len(s)-1] == 't') }},
		{"ou", "", above1}, {"ism", "", above1}, {"ate", "", above1}, {"iti", "", above1},
		{"ous", "", above1}, {"ive", "", above1}, {"ize", "", above1},
	})
}

func (p porter) step5a(w string) string {
	if !strings.HasSuffix(w, "e") {
		return w
	}
	stem := w[:len(w)-1]
	if m := measure(stem); m > 1 || m == 1 && !p.endsCVC(stem) {
		return stem
	}
	return w
}

func (p porter) step5b(w string) string {
	if strings.HasSuffix(w, "ll") && measure(w[:len(w)-1]) > 1 {
		return w[:len(w)-1]
	}
	return w
}
