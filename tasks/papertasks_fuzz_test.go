package tasks

import (
	"strings"
	"testing"
	"unicode"
)

// FuzzSATText checks Turney's SAT layout parser on any text: no panic, and
// every record it accepts has a stem, five choices and an answer line.
func FuzzSATText(f *testing.F) {
	f.Add("# c\n\nsrc\nbird nest n:n\na b\nc d\ne f\ng h\ni j\na\n")
	f.Add("src\nx\n\n\n")
	f.Add("1\n2\n3\n4\n5\n6\n7\n8\n9\n")
	f.Fuzz(func(t *testing.T, text string) {
		recs, err := parseSATText(text, "sat.txt")
		if err != nil {
			return
		}
		for _, r := range recs {
			if len(r.choices) != 5 || r.stem == "" || r.solution == "" || !strings.HasPrefix(r.where, "sat.txt:") {
				t.Fatalf("record %+v", r)
			}
		}
	})
}

// FuzzLM1BDetokenize checks that detokenising only removes spaces between
// the sentence's tokens: the non-space characters are kept in order and
// the text ends with one newline.
func FuzzLM1BDetokenize(f *testing.F) {
	f.Add(`" We 're here , " she said .`)
	f.Add("Cost : $ 5 ( about 3 % more ) ...")
	f.Add(" \" \" ( $ ")
	f.Fuzz(func(t *testing.T, s string) {
		got := LM1BDetokenize(s)
		if !strings.HasSuffix(got, "\n") {
			t.Fatalf("%q does not end with a newline", got)
		}
		noSpace := func(x string) string { return strings.Join(strings.Fields(x), "") }
		if noSpace(got) != noSpace(s) {
			t.Fatalf("LM1BDetokenize(%q) = %q changed the tokens", s, got)
		}
	})
}

// FuzzWSCPassage checks the pronoun marking on any text, index and
// pronoun: no panic, and an accepted passage holds the marked pronoun
// unless detokenisation could have glued punctuation to it.
func FuzzWSCPassage(f *testing.F) {
	f.Add("Tom thanked Bill because he had helped him , a lot .", 4, "he")
	f.Add("He ( the boy ) can't lift it .", 0, "He")
	f.Add("é ü", 2, "ü")
	f.Fuzz(func(t *testing.T, text string, idx int, pronoun string) {
		p, ok := WSCPassage(text, idx, pronoun)
		if !ok {
			return
		}
		if strings.IndexFunc(pronoun, func(r rune) bool { return unicode.IsSpace(r) || strings.ContainsRune(`"'.,()`, r) }) < 0 &&
			!strings.Contains(p, "*"+pronoun+"*") {
			t.Fatalf("WSCPassage(%q, %d, %q) = %q lost the marked pronoun", text, idx, pronoun, p)
		}
	})
}

// FuzzPyLiteral checks the Python-literal reader never panics on any
// text.
func FuzzPyLiteral(f *testing.F) {
	f.Add(`[{'answer': 'A', 'options': ['a', "b's"], 'question': 'q\\n\\x41'}]`)
	f.Add(`{'a': ['\\u00e9']}`)
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = parsePyLiteral(s)
	})
}
