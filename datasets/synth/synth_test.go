package synth

import (
	"math"
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

// TestHeldOut checks the split itself: every training story setup,
// roster passage and translation sentence is on the training side,
// every evaluation one on the other.
func TestHeldOut(t *testing.T) {
	for _, p := range append(Corpus(1, 3000), CorpusV2(1, 3000)...) {
		for _, line := range strings.Split(p, "\n") {
			if en, _, ok := strings.Cut(line, " = "); ok && IsHeldOut(en) {
				t.Fatalf("training translation %q is held out", en)
			}
		}
	}
	for _, s := range Stories(50) {
		if !IsHeldOut(s.Text) || !strings.HasPrefix(s.Context, s.Setup+" ") {
			t.Fatalf("evaluation story not held out or its setup not the context's start: %q", s.Text)
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

// TestNoEvaluatedPassageInCorpus looks for every evaluated text, as a
// literal substring, in a training corpus: story contexts, roster
// passages, translation sentences as the prompt writes them ("english
// ="), and perplexity passages. model/train runs the same check on the
// ladder's own corpus.
func TestNoEvaluatedPassageInCorpus(t *testing.T) {
	corpus := strings.Join(Corpus(3, 4000), "\n\n")
	for name, c := range map[string]string{"v1": corpus, "v2": strings.Join(CorpusV2(3, 4000), "\n\n")} {
		if leaks := Leaks(c, 100); len(leaks) > 0 {
			t.Fatalf("%d evaluated texts occur in the %s corpus, the first: %q", len(leaks), name, leaks[0])
		}
	}
	// The check finds a planted one.
	if leaks := Leaks(corpus+"\n\n"+Stories(3)[2].Context, 100); len(leaks) != 1 {
		t.Fatalf("a planted evaluation story gives %d leaks, want 1", len(leaks))
	}
}

// TestConventions checks the lists' conventions against the figures the
// comment at wordsShare derives by hand from the shares (40 % of
// worksheets in words, 45 % of lists in Zanti, 80 % of lines loyal): the
// share of lines in words (0.44) and in Zanti (0.47), and the chance that
// the second line is in words when the first is (0.28/0.44 = 0.64) and
// in Zanti when the first is (0.31/0.47 = 0.66).
func TestConventions(t *testing.T) {
	type count struct{ lines, hits, firsts, both int }
	var words, zanti count
	for _, p := range CorpusV2(7, 40000) {
		lines := strings.Split(p, "\n")
		var c *count
		var is func(string) bool
		switch {
		case strings.Contains(p, " = "):
			c, is = &zanti, func(l string) bool { return strings.Contains(l, " = lo ") }
		case strings.Contains(p, " is ") && !strings.Contains(p, "."):
			c, is = &words, func(l string) bool { return !strings.ContainsAny(l, "0123456789") }
		default:
			continue
		}
		if len(lines) < 2 || len(lines) > 10 {
			t.Fatalf("list of %d lines, want 2 to 10: %q", len(lines), p)
		}
		for _, l := range lines {
			c.lines++
			if is(l) {
				c.hits++
			}
		}
		if is(lines[0]) {
			c.firsts++
			if is(lines[1]) {
				c.both++
			}
		}
	}
	for _, c := range []struct {
		name        string
		c           count
		share, next float64
	}{{"words", words, 0.44, 0.28 / 0.44}, {"Zanti", zanti, 0.47, 0.31 / 0.47}} {
		share, next := float64(c.c.hits)/float64(c.c.lines), float64(c.c.both)/float64(c.c.firsts)
		if math.Abs(share-c.share) > 0.015 || math.Abs(next-c.next) > 0.03 {
			t.Errorf("%s: %.3f of the lines (want %.2f), %.3f of second lines after a first one (want %.2f)", c.name, share, c.share, next, c.next)
		}
	}
}

// TestTrainingStories checks that a version-2 training story binds
// several final words to its setup: one to four final sentences, each
// ending in an entity named before it.
func TestTrainingStories(t *testing.T) {
	finalPrefixes := []string{"Later that day, ", "So ", "In the evening, ", "At last ", "Everyone knew that ", "The "}
	g := New(11, 0)
	seen := map[int]bool{}
	for range 300 {
		text, _ := g.trainingStory()
		sents := strings.Split(strings.TrimSuffix(text, "."), ". ")
		n := 0
		for i := len(sents) - 1; i > 0; i-- {
			f := sents[i]
			final := false
			for _, p := range finalPrefixes {
				final = final || strings.HasPrefix(f, p) && (p != "The " || strings.Contains(f, " was found by "))
			}
			if !final || strings.HasPrefix(f, "The weather") {
				break
			}
			n++
			w := f[strings.LastIndex(f, " ")+1:]
			if before := strings.Join(sents[:i], ". "); !strings.Contains(before, w) {
				t.Fatalf("final word %q of %q is not named before it in %q", w, f, text)
			}
		}
		seen[n] = true
	}
	if !seen[1] || !seen[4] || seen[0] || seen[5] {
		t.Errorf("final sentences per story: %v, want 1 to 4", seen)
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
