package synth

import "strings"

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

// CorpusV2 returns n passages of version 2 of the training corpus
// (issue #22): lists of 2 to 10 lines whose conventions vary (see
// wordsShare), stories with one to four final sentences and rosters with
// one to three answered questions, drawn from seed's training stream. No
// evaluated text occurs in it: a passage is dropped when any text the
// evaluation sets could draw from its setup is on the held-out side.
func CorpusV2(seed uint64, n int) []string {
	g := New(seed, streamTrain)
	out := make([]string, 0, n)
	for len(out) < n {
		if p, ok := g.passage(g.kind(), false); ok {
			out = append(out, p)
		}
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
// in version 1's mixture (arithmetic worksheets included: their facts
// occur in training, their sequences of facts need not).
func Passages(n int) []string {
	out, _ := passagesV1(n)
	return out
}

// IsHeldOut reports whether a passage or English sentence belongs to the
// evaluation half of the split (Corpus never returns one).
func IsHeldOut(text string) bool { return heldOut(text) }

// Leaks returns the evaluated texts of the first n documents of every
// evaluation set that occur in corpus as literal substrings: story
// contexts, roster passages, translation prompts ("english =" at a line
// start, evaluation and few-shot pool) and perplexity passages.
// Arithmetic facts and worksheets are left out: they are shared by design.
func Leaks(corpus string, n int) []string {
	var texts []string
	for _, s := range Stories(n) {
		texts = append(texts, s.Context)
	}
	for _, r := range Rosters(n) {
		texts = append(texts, r.Passage)
	}
	for stream := range 2 {
		for _, p := range Pairs(n, Zanti, stream) {
			texts = append(texts, "\n"+p.English+" =")
		}
	}
	ps, kinds := passagesV1(n)
	for i, p := range ps {
		if kinds[i] != KindArithmetic {
			texts = append(texts, p)
		}
	}
	corpus = "\n" + corpus
	var out []string
	for _, t := range texts {
		if strings.Contains(corpus, t) {
			out = append(out, t)
		}
	}
	return out
}
