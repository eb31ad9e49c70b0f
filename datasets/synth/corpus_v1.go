package synth

import "strings"

// Version 1 of the training corpus, the one the embedded ladder is
// trained on, kept verbatim so that the ladder rebuilds bit for bit: lists
// of 4 to 8 facts answered in words and of 3 to 6 pairs in one language,
// stories and rosters with one final sentence. The evaluation sets
// (Stories, Rosters, Pairs, Facts, Passages) are drawn with it and with
// its split, whichever corpus a model is trained on.

// worksheetV1 returns 4 to 8 facts, one "text answer" per line.
func (g *Generator) worksheetV1() string {
	n := 4 + g.r.IntN(5)
	lines := make([]string, n)
	for i := range lines {
		f := g.fact()
		lines[i] = f.Text + " " + f.Answer
	}
	return strings.Join(lines, "\n")
}

// translationsV1 returns 3 to 6 training pairs in one language, one
// "english = foreign" per line.
func (g *Generator) translationsV1() string {
	lang := Language(g.r.IntN(2))
	n := 3 + g.r.IntN(4)
	var lines []string
	for len(lines) < n {
		p := g.pair(lang)
		if heldOut(p.English) {
			continue
		}
		lines = append(lines, p.English+" = "+p.Foreign)
	}
	return strings.Join(lines, "\n")
}

// passageV1 draws one passage of kind k.
func (g *Generator) passageV1(k Kind) string {
	switch k {
	case KindStory:
		return g.story().Text
	case KindRoster:
		return g.roster().Text()
	case KindArithmetic:
		return g.worksheetV1()
	default:
		return g.translationsV1()
	}
}

// Corpus returns version 1 of the training corpus: n training passages drawn from seed's training stream,
// kinds mixed as Mixture says. No passage is a held-out one.
func Corpus(seed uint64, n int) []string {
	g := New(seed, streamTrain)
	out := make([]string, 0, n)
	for len(out) < n {
		k := g.kind()
		p := g.passageV1(k)
		if k != KindArithmetic && heldOut(p) {
			continue
		}
		out = append(out, p)
	}
	return out
}

// passagesV1 returns n held-out passages of mixed kinds for perplexity,
// in the training mixture (arithmetic worksheets included: their facts
// occur in training, their sequences of facts need not).
func passagesV1(n int) ([]string, []Kind) {
	g := New(EvalSeed, streamPPL)
	out, kinds := make([]string, 0, n), make([]Kind, 0, n)
	for len(out) < n {
		k := g.kind()
		p := g.passageV1(k)
		if k == KindTranslation {
			// translations() skips held-out sentences; redraw them held out.
			lang := Language(g.r.IntN(2))
			p = ""
			for i := range 4 {
				var q Pair
				for q = g.pair(lang); !heldOut(q.English); q = g.pair(lang) {
				}
				if i > 0 {
					p += "\n"
				}
				p += q.English + " = " + q.Foreign
			}
		}
		if k == KindArithmetic || heldOut(p) || k == KindTranslation {
			out, kinds = append(out, p), append(kinds, k)
		}
	}
	return out, kinds
}
