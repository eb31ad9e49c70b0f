package synth

import (
	"slices"
	"strings"
	"testing"
)

// number parses a number word written by hand here, independently of
// the generator's table.
func number(t *testing.T, w string) int {
	t.Helper()
	words := strings.Fields("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty")
	i := slices.Index(words, w)
	if i < 0 {
		t.Fatalf("%q is not a number word", w)
	}
	return i
}

func TestDeterministic(t *testing.T) {
	a, b := Corpus(5, 300), Corpus(5, 300)
	if !slices.Equal(a, b) {
		t.Error("Corpus(5, 300) differs between calls")
	}
	if c := Corpus(6, 300); slices.Equal(a, c) {
		t.Error("seeds 5 and 6 give the same corpus")
	}
	if !slices.Equal(Stories(20), Stories(20)[:20]) || !slices.Equal(Passages(10), Passages(10)) {
		t.Error("evaluation sets differ between calls")
	}
}

// TestHeldOut checks that no evaluation passage or sentence can occur in
// a training corpus: training passages and translation sentences are all
// on the training side of the split, evaluation ones on the other.
func TestHeldOut(t *testing.T) {
	for _, p := range Corpus(1, 3000) {
		switch {
		case strings.Contains(p, " = "):
			for _, line := range strings.Split(p, "\n") {
				en, _, _ := strings.Cut(line, " = ")
				if IsHeldOut(en) {
					t.Fatalf("training translation %q is held out", en)
				}
			}
		case strings.Contains(p, " is ") && !strings.Contains(p, "."):
			// arithmetic worksheet: shared facts by design
		default:
			if IsHeldOut(p) {
				t.Fatalf("training passage is held out: %q", p)
			}
		}
	}
	for _, s := range Stories(50) {
		if !IsHeldOut(s.Text) {
			t.Fatalf("evaluation story not held out: %q", s.Text)
		}
	}
	for _, r := range Rosters(50) {
		if !IsHeldOut(r.Text()) {
			t.Fatalf("evaluation roster not held out: %q", r.Text())
		}
	}
	for _, p := range append(Pairs(50, Zanti, 0), Pairs(50, Korel, 1)...) {
		if !IsHeldOut(p.English) {
			t.Fatalf("evaluation sentence not held out: %q", p.English)
		}
	}
}

// TestStories checks the LAMBADA property: the target word occurs earlier
// in the passage.
func TestStories(t *testing.T) {
	for _, s := range Stories(200) {
		w := strings.TrimPrefix(s.Target, " ")
		if !strings.HasPrefix(s.Target, " ") || strings.ContainsAny(w, " .") {
			t.Fatalf("target %q is not one space-led word", s.Target)
		}
		i := strings.LastIndex(s.Context, ".")
		if !strings.Contains(s.Context[:i], w) {
			t.Fatalf("target %q does not occur before the last sentence of %q", w, s.Context)
		}
		if s.Text != s.Context+s.Target+"." {
			t.Fatalf("text %q is not context+target+.", s.Text)
		}
	}
}

// TestRosters checks the CBT property: ten distinct candidates from the
// passage, and the gold one is what the questioned character had.
func TestRosters(t *testing.T) {
	for _, r := range Rosters(100) {
		if len(r.Options) != 10 || len(slices.Compact(slices.Clone(r.Options))) != 10 || !slices.IsSorted(r.Options) {
			t.Fatalf("options %q: want 10 distinct sorted words", r.Options)
		}
		for _, o := range r.Options {
			if !strings.Contains(r.Passage, " "+o+" ") && !strings.Contains(r.Passage, " "+o+".") {
				t.Fatalf("option %q not in passage %q", o, r.Passage)
			}
		}
		f := strings.Fields(r.Question)
		name := f[1]
		if !strings.Contains(r.Passage, name+" had the "+r.Options[r.Gold]+".") {
			t.Fatalf("gold %q is not what %s had in %q", r.Options[r.Gold], name, r.Passage)
		}
		if strings.Count(r.Question, Blank) != 1 {
			t.Fatalf("question %q has no single blank", r.Question)
		}
	}
}

func TestFacts(t *testing.T) {
	for _, f := range append(Facts(300, 0), Facts(100, 1)...) {
		w := strings.Fields(f.Text)
		if len(w) != 4 || w[3] != "is" {
			t.Fatalf("fact %q is not \"a op b is\"", f.Text)
		}
		a, b, c := number(t, w[0]), number(t, w[2]), number(t, f.Answer)
		if (w[1] == "plus" && a+b != c) || (w[1] == "minus" && a-b != c) || (w[1] != "plus" && w[1] != "minus") {
			t.Fatalf("wrong fact %q %q", f.Text, f.Answer)
		}
	}
}

// TestTranslation checks hand-picked word pairs and that the mapping is
// a consistent word-for-word one (Zanti with the adjective after the noun).
func TestTranslation(t *testing.T) {
	cases := []struct {
		lang     Language
		en, want string // one English word and its translation
	}{
		{Zanti, "dog", "kano"}, {Zanti, "lamp", "lumo"}, {Zanti, "sees", "vidra"}, {Zanti, "the", "lo"},
		{Korel, "dog", "hund"}, {Korel, "red", "tek"}, {Korel, "the", "ur"},
	}
	for _, c := range cases {
		t.Run(c.lang.String()+"/"+c.en, func(t *testing.T) {
			seen := false
			for _, p := range Pairs(400, c.lang, 0) {
				en, fo := strings.Fields(p.English), strings.Fields(p.Foreign)
				if len(en) != len(fo) {
					t.Fatalf("%q → %q: word counts differ", p.English, p.Foreign)
				}
				if i := slices.Index(en, c.en); i >= 0 {
					seen = true
					if !slices.Contains(fo, c.want) {
						t.Fatalf("%q → %q lacks %q", p.English, p.Foreign, c.want)
					}
				}
			}
			if !seen {
				t.Fatalf("no sentence with %q", c.en)
			}
		})
	}
	// "the red dog sees the lamp" in each language, built by hand.
	for _, p := range Pairs(2000, Zanti, 0) {
		if p.English == "the red dog sees the lamp" && p.Foreign != "lo kano rossi vidra lo lumo" {
			t.Errorf("Zanti: %q", p.Foreign)
		}
	}
}
