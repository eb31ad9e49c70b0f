package sacrebleu

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// mt13aSymbols are the ASCII characters 13a always splits off.
const mt13aSymbols = "{|}~[\\]^_`!\"#$%&()*+:;<=>?@/"

func TestTokenize13a(t *testing.T) {
	// Hand-derived from mteval-v13a.pl's rules as sacreBLEU's
	// tokenizer_13a.py / tokenizer_re.py implement them.
	cases := []struct{ name, in, want string }{
		{"punctuation", "Hello, world!", "Hello , world !"},
		{"apostrophe kept", "It's John's.", "It's John's ."},
		{"decimal and thousands kept", "pi is 3.14 and 1,000 people", "pi is 3.14 and 1,000 people"},
		{"period after digit at the end", "in 2019.", "in 2019 ."},
		{"dash after digit", "5-6 a-b --", "5 - 6 a-b --"},
		{"symbols", "a+b=c (x) [y] {z} $5 @me #1 50%", "a + b = c ( x ) [ y ] { z } $ 5 @ me # 1 50 %"},
		{"entities", "&quot;Tom &amp; Jerry&quot; &lt;3 &gt;", `" Tom & Jerry " < 3 >`},
		{"skipped and line breaks", "<skipped>hyphen-\nated\nlines", "hyphenated lines"},
		{"whitespace squeezed", "  a \t b\u00a0c\u2003d  ", "a b c d"},
		{"non-ASCII untouched", "Producția «zahăr»—alb…", "Producția «zahăr»—alb…"},
		{"empty", "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Tokenize13a(c.in); got != c.want {
				t.Errorf("Tokenize13a(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}

func TestTokenizeIntl(t *testing.T) {
	// Hand-derived from mteval-v14.pl's international rules
	// (tokenizer_intl.py): \p{P} split unless next to a digit on the side
	// considered, \p{S} always split.
	cases := []struct{ name, in, want string }{
		{"punctuation", "Hello, world!", "Hello , world !"},
		{"apostrophe split", "It's", "It ' s"},
		{"numbers", "3.14 and 1,000", "3.14 and 1,000"},
		{"number then final period kept (mteval-v14 quirk)", "in 2019.", "in 2019."},
		{"unicode punctuation", "«zahăr»—alb…", "« zahăr » — alb …"},
		{"symbols", "€5 + 2°", "€ 5 + 2 °"},
		{"dash between digits kept", "5-6 a-b", "5-6 a - b"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := TokenizeIntl(c.in); got != c.want {
				t.Errorf("TokenizeIntl(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}

func TestTokenizeChar(t *testing.T) {
	cases := map[string]string{"zahăr": "z a h ă r", "": "", "a b": "a   b", "美众": "美 众"}
	for in, want := range cases {
		if got := TokenizeChar(in); got != want {
			t.Errorf("TokenizeChar(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPythonStringSemantics(t *testing.T) {
	// str.lower() cases from CPython's Lib/test/test_unicode.py::test_lower.
	lower := []struct{ in, want string }{
		{"HeLLo", "hello"},
		{"\U00010427", "\U0001044F"},
		{"X\U00010427x\U0001044F", "x\U0001044Fx\U0001044F"},
		{"ﬁ", "ﬁ"},
		{"\u0130", "\u0069\u0307"},
		{"\u03a3", "\u03c3"},
		{"\u0345\u03a3", "\u0345\u03c3"},
		{"A\u0345\u03a3", "a\u0345\u03c2"},
		{"A\u0345\u03a3a", "a\u0345\u03c3a"},
		{"A\u03a3\u0345", "a\u03c2\u0345"},
		{"\u03a3\u0345 ", "\u03c3\u0345 "},
		{"\U0008fffe", "\U0008fffe"},
		{"\u2177", "\u2177"},
		{"bad \xff BYTE", "bad \xff byte"},
	}
	for _, c := range lower {
		if got := mtLower(c.in); got != c.want {
			t.Errorf("mtLower(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	// str.split() also splits on U+001C..U+001F, unlike strings.Fields.
	if got := strings.Join(mtFields("a\x1cb\x1fc\u3000d\u200be"), "|"); got != "a|b|c|d\u200be" {
		t.Errorf("mtFields = %q", got)
	}
	if got := mtRStrip("x \x1e\t\r\n"); got != "x" {
		t.Errorf("mtRStrip = %q", got)
	}
}

func FuzzTokenizers(f *testing.F) {
	f.Add("Hello, world! 3.14 &quot;x&quot; 5-6")
	f.Add("«zahăr»—alb… €5")
	f.Fuzz(func(t *testing.T, s string) {
		for name, tok := range mtTokenizers {
			out := tok(s)
			if name != "none" && name != "char" && out != mtSqueeze(out) {
				t.Fatalf("%s(%q) = %q is not whitespace-normalized", name, s, out)
			}
			// Symbols end up as tokens of their own: ASCII ones for 13a,
			// every \p{S} for intl (later rules only insert spaces).
			for _, tk := range mtFields(out) {
				if utf8.RuneCountInString(tk) < 2 {
					continue
				}
				if name == "13a" && strings.ContainsAny(tk, mt13aSymbols) {
					t.Fatalf("13a(%q) = %q keeps a symbol inside %q", s, out, tk)
				}
				if name == "intl" && strings.IndexFunc(tk, func(r rune) bool { return unicode.IsSymbol(r) }) >= 0 {
					t.Fatalf("intl(%q) = %q keeps a symbol inside %q", s, out, tk)
				}
			}
		}
		_ = TERTokenize(s, TEROptions{Normalized: true, NoPunct: true, AsianSupport: true})
		_ = mtLower(s)
	})
}

func BenchmarkTokenize13a(b *testing.B) {
	line := "The relationship between cats and dogs (and, frankly, 3.5 hamsters) isn't exactly friendly!"
	for b.Loop() {
		Tokenize13a(line)
	}
}
