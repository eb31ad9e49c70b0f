package tasks

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzHellaswagText checks that the 6-lines-per-item parser never panics
// and that what it accepts has one document per 6 lines, each with a
// context and four endings.
func FuzzHellaswagText(f *testing.F) {
	f.Add("Roof shingle removal: A man is sitting on a roof. he\n3\na\nb\nc\nd\n")
	f.Add("x\n0\n\n\n\n\n")
	f.Add("a\nb\nc\n")
	f.Add("q: [title] x. y\r\n9\r\na\r\nb\r\nc\r\nd\r\n")
	f.Fuzz(func(t *testing.T, text string) {
		docs, err := parseHellaswagText(text, "f.txt")
		if err != nil {
			return
		}
		lines := strings.Count(strings.TrimSuffix(text, "\n"), "\n") + 1
		if len(docs) != lines/6 {
			t.Fatalf("%d documents from %d lines", len(docs), lines)
		}
		for _, d := range docs {
			if len(d.Contexts) != 1 || len(d.Choices) != 4 || !strings.HasPrefix(d.Where, "f.txt:") {
				t.Fatalf("document %+v", d)
			}
		}
	})
}

// FuzzHellaswagStrings checks the preprocessing and the ctx_b
// capitalisation on any text: no panic, valid UTF-8 kept valid, and the
// capitalisation changes at most the case of an ASCII text.
func FuzzHellaswagStrings(f *testing.F) {
	f.Add("Home: [header] How to sew [title] Choose. [step] Cut.  x")
	f.Add("Roof shingle removal: A man is sitting on a roof. he")
	f.Add(": . ! ? ")
	f.Fuzz(func(t *testing.T, s string) {
		p := hellaswagPreprocess(s)
		q := hellaswagTextQuery(s)
		if utf8.ValidString(s) && (!utf8.ValidString(p) || !utf8.ValidString(q)) {
			t.Fatalf("invalid UTF-8 from %q", s)
		}
		ascii := strings.IndexFunc(s, func(r rune) bool { return r >= utf8.RuneSelf }) < 0
		if ascii && !strings.EqualFold(q, s) {
			t.Fatalf("capitalisation changed more than case: %q → %q", s, q)
		}
	})
}

// FuzzSynthVariant checks the variant parser: no panic, and a parsed
// variant prints back to a string that parses to the same variant.
func FuzzSynthVariant(f *testing.F) {
	for _, s := range []string{"", "gpt3", "lm-eval+generated", "gpt3+generated:42", "generated:7", "x+y", "generated:-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := parseSynthVariant("t", s)
		if err != nil {
			return
		}
		w, err := parseSynthVariant("t", v.String())
		if err != nil || w != v {
			t.Fatalf("%q → %+v → %q → %+v, %v", s, v, v.String(), w, err)
		}
	})
}
