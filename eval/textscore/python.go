package textscore

import (
	"math"
	"strconv"
	"strings"
	"unicode"
)

// asciiPunct is Python's string.punctuation.
const asciiPunct = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"

// isPySpace reports whether Python's str.split() splits at r: Unicode
// white space plus the ASCII separators U+001C–U+001F.
func isPySpace(r rune) bool {
	return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f)
}

// pyFields is Python's s.split() with no argument.
func pyFields(s string) []string { return strings.FieldsFunc(s, isPySpace) }

// isPyWord reports whether r matches Python re's \w on str patterns:
// letters, numerals and the underscore.
func isPyWord(r rune) bool { return r == '_' || unicode.IsLetter(r) || unicode.IsNumber(r) }

// removePunct drops every character of Python's string.punctuation.
func removePunct(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 128 && strings.ContainsRune(asciiPunct, r) {
			return -1
		}
		return r
	}, s)
}

// removeArticles is re.sub(r"\b(a|an|the)\b", " ", s) with Python's
// Unicode word boundaries: a whole word a, an or the becomes one space.
func removeArticles(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	start := -1 // start of the current word, -1 outside a word
	flush := func(end int) {
		w := s[start:end]
		if w == "a" || w == "an" || w == "the" {
			b.WriteByte(' ')
		} else {
			b.WriteString(w)
		}
	}
	for i, r := range s {
		if isPyWord(r) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			flush(i)
			start = -1
		}
		b.WriteRune(r)
	}
	if start >= 0 {
		flush(len(s))
	}
	return b.String()
}

// pyFloat parses s as Python's float() does for decimal text: surrounding
// white space is ignored, underscores may separate digits, and "inf",
// "infinity" and "nan" (any case, with a sign) are accepted; hexadecimal
// and other Go-only forms are not.
func pyFloat(s string) (float64, bool) {
	s = strings.TrimFunc(s, isPySpace)
	if s == "" {
		return 0, false
	}
	body := strings.TrimLeft(s, "+-")
	if len(s)-len(body) > 1 {
		return 0, false
	}
	switch strings.ToLower(body) {
	case "inf", "infinity", "nan":
		f, err := strconv.ParseFloat(s, 64)
		return f, err == nil
	}
	// Python accepts decimal digits of any script; keep ASCII plus '_'
	// between digits, which covers what answers hold.
	prev := rune(0)
	var clean strings.Builder
	for i, r := range body {
		switch {
		case r >= '0' && r <= '9', r == '.', r == 'e', r == 'E':
			clean.WriteRune(r)
		case (r == '+' || r == '-') && (prev == 'e' || prev == 'E'):
			clean.WriteRune(r)
		case r == '_' && prev >= '0' && prev <= '9' && i+1 < len(body) && body[i+1] >= '0' && body[i+1] <= '9':
		case unicode.IsDigit(r):
			clean.WriteRune('0' + rune(digitValue(r)))
		default:
			return 0, false
		}
		prev = r
	}
	f, err := strconv.ParseFloat(s[:len(s)-len(body)]+clean.String(), 64)
	if e, ok := err.(*strconv.NumError); ok && e.Err == strconv.ErrRange {
		return f, true // out of range: Python gives inf or 0 too
	}
	return f, err == nil
}

// digitValue returns the value of a Unicode decimal digit (category Nd):
// digits come in runs of ten from a zero, and where runs touch (the
// mathematical digits) the contiguous block is a whole number of runs.
func digitValue(r rune) int {
	start := r
	for unicode.IsDigit(start - 1) {
		start--
	}
	return int(r-start) % 10
}

// pyFloatRepr is Python's str(float): the shortest digits that read back
// to f, in positional form for exponents -4 ≤ e < 16 (with ".0" when
// integral) and as d.ddde±XX otherwise.
func pyFloatRepr(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	}
	e := strconv.FormatFloat(f, 'e', -1, 64) // d.ddde±XX, shortest
	mant, exps, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(exps)
	if exp < -4 || exp >= 16 {
		sign := "+"
		if exp < 0 {
			sign, exp = "-", -exp
		}
		return mant + "e" + sign + leftPad2(exp)
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.ContainsAny(s, ".") {
		s += ".0"
	}
	return s
}

func leftPad2(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}
