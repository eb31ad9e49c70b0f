package synth

// Streams of the PCG generator: the training corpus and each evaluation
// set draw from their own stream.
const (
	streamTrain uint64 = iota + 1
	streamLambada
	streamCBT
	streamArithmetic
	streamTranslate
	streamPPL
	streamFewShot
)

// EvalSeed is the seed of every evaluation set, fixed so that results
// are comparable across runs and machines.
const EvalSeed = 20190214

// Corpus returns n training passages drawn from seed's training stream,
// kinds mixed as Mixture says. No passage is a held-out one.
func Corpus(seed uint64, n int) []string {
	g := New(seed, streamTrain)
	out := make([]string, 0, n)
	for len(out) < n {
		k := g.kind()
		p := g.passage(k)
		if k != KindArithmetic && heldOut(p) {
			continue
		}
		out = append(out, p)
	}
	return out
}

// Stories returns n held-out stories for the LAMBADA-like task.
func Stories(n int) []Story {
	g := New(EvalSeed, streamLambada)
	out := make([]Story, 0, n)
	for len(out) < n {
		if s := g.story(); heldOut(s.Text) {
			out = append(out, s)
		}
	}
	return out
}

// Rosters returns n held-out rosters for the CBT-like task.
func Rosters(n int) []Roster {
	g := New(EvalSeed, streamCBT)
	out := make([]Roster, 0, n)
	for len(out) < n {
		if s := g.roster(); heldOut(s.Text()) {
			out = append(out, s)
		}
	}
	return out
}

// Facts returns n arithmetic facts from the evaluation stream (stream 0)
// or the few-shot pool (stream 1), which are drawn independently.
func Facts(n int, stream int) []Fact {
	g := New(EvalSeed, streamArithmetic+uint64(stream)*100)
	out := make([]Fact, n)
	for i := range out {
		out[i] = g.fact()
	}
	return out
}

// Pairs returns n held-out English→lang sentence pairs from the
// evaluation stream (stream 0) or the few-shot pool (stream 1). No English
// sentence of either occurs in a training corpus.
func Pairs(n int, lang Language, stream int) []Pair {
	g := New(EvalSeed, streamTranslate+uint64(stream)*100+uint64(lang)*1000)
	out := make([]Pair, 0, n)
	for len(out) < n {
		if p := g.pair(lang); heldOut(p.English) {
			out = append(out, p)
		}
	}
	return out
}

// Passages returns n held-out passages of mixed kinds for perplexity,
// in the training mixture (arithmetic worksheets included: their facts
// occur in training, their sequences of facts need not).
func Passages(n int) []string {
	g := New(EvalSeed, streamPPL)
	out := make([]string, 0, n)
	for len(out) < n {
		k := g.kind()
		p := g.passage(k)
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
			out = append(out, p)
		}
	}
	return out
}

// IsHeldOut reports whether a passage or English sentence belongs to the
// evaluation half of the split (Corpus never returns one).
func IsHeldOut(text string) bool { return heldOut(text) }
