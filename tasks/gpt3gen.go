package tasks

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"unicode"
)

// Generators of the GPT-3 paper's synthetic tasks (Brown et al. 2020,
// §3.9.1–3.9.2) in exactly the format and with the operand distribution of
// the files the paper released (openai/gpt-3 data/), as measured on them:
//
//   - nD+, nD−, 2D×: "\n\nQ: What is A plus|minus|times B?\n\nA:" → " R",
//     A and B uniform on [0, 10ⁿ), 2000 distinct problems, negative results
//     written " -38097";
//   - 1DC: "\n\nQ: What is (a o b) o c?\n\nA:", digits uniform on 1–9,
//     operators uniform on + − *, 2000 distinct problems;
//   - word tasks: "\n{scrambled} =" → " {word}", one item per word of the
//     list in a seeded order. Cycle letters rotates by k uniform on
//     [1, len−1]; A1/A2 shuffle all but the first and last 1/2 letters and,
//     when the shuffle gives the word back, rotate the middle left by one
//     (so a middle of equal letters stays as it is, as in the released
//     A2 file); random insertion puts one of " !./" (uniform) between every
//     two letters; reversed words spells the word backwards.
//
// Everything is deterministic from the seed (math/rand/v2's PCG).

// gpt3Item is one record of the paper's files: the natural text is
// Context + Completion, and Completion starts with a space.
type gpt3Item struct {
	Context    string `json:"context"`
	Completion string `json:"completion"`
}

// arithmeticSpec describes one of the ten arithmetic tasks.
type arithmeticSpec struct {
	code   string // lm-evaluation-harness's suffix: 2da, 1dc, …
	file   string // base name of the released file
	op     string // plus, minus, times; "" for 1DC
	digits int
}

var arithmeticSpecs = []arithmeticSpec{
	{"2da", "two_digit_addition", "plus", 2}, {"2ds", "two_digit_subtraction", "minus", 2},
	{"3da", "three_digit_addition", "plus", 3}, {"3ds", "three_digit_subtraction", "minus", 3},
	{"4da", "four_digit_addition", "plus", 4}, {"4ds", "four_digit_subtraction", "minus", 4},
	{"5da", "five_digit_addition", "plus", 5}, {"5ds", "five_digit_subtraction", "minus", 5},
	{"2dm", "two_digit_multiplication", "times", 2}, {"1dc", "single_digit_three_ops", "", 1},
}

// streamOf returns the PCG stream of a task, so that tasks generated with
// the same seed draw independent numbers (FNV-1a of the name).
func streamOf(name string) uint64 {
	h := uint64(14695981039346656037)
	for i := range len(name) {
		h = (h ^ uint64(name[i])) * 1099511628211
	}
	return h
}

// arithmeticItems is the number of problems of each released arithmetic file.
const arithmeticItems = 2000

func applyOp(a int, op string, b int) int {
	switch op {
	case "plus", "+":
		return a + b
	case "minus", "-":
		return a - b
	case "times", "*":
		return a * b
	}
	panic("tasks: unknown arithmetic operator " + op)
}

// generateArithmetic draws n distinct problems of s with the given seed.
func generateArithmetic(s arithmeticSpec, n int, seed uint64) []gpt3Item {
	rng := rand.New(rand.NewPCG(seed, streamOf(s.code)))
	seen := map[string]bool{}
	items := make([]gpt3Item, 0, n)
	for len(items) < n {
		var q string
		var ans int
		if s.op == "" {
			ops := []string{"+", "-", "*"}
			a, b, c := 1+rng.IntN(9), 1+rng.IntN(9), 1+rng.IntN(9)
			o1, o2 := ops[rng.IntN(3)], ops[rng.IntN(3)]
			q = fmt.Sprintf("(%d %s %d) %s %d", a, o1, b, o2, c)
			ans = applyOp(applyOp(a, o1, b), o2, c)
		} else {
			lim := 1
			for range s.digits {
				lim *= 10
			}
			a, b := rng.IntN(lim), rng.IntN(lim)
			q = fmt.Sprintf("%d %s %d", a, s.op, b)
			ans = applyOp(a, s.op, b)
		}
		if seen[q] {
			continue
		}
		seen[q] = true
		items = append(items, gpt3Item{Context: "\n\nQ: What is " + q + "?\n\nA:", Completion: fmt.Sprintf(" %d", ans)})
	}
	return items
}

// wordSpec describes one of the five word-manipulation tasks.
type wordSpec struct {
	name      string // task name (lm-evaluation-harness's)
	file      string // base name of the released file
	minLetter int    // shortest word the transformation can scramble
	transform func(rng *rand.Rand, w []rune) []rune
}

var wordSpecs = []wordSpec{
	{"cycle_letters", "cycle_letters_in_word", 2, cycleLetters},
	{"anagrams1", "mid_word_1_anagrams", 4, midAnagram(1)},
	{"anagrams2", "mid_word_2_anagrams", 6, midAnagram(2)},
	{"random_insertion", "random_insertion_in_word", 2, randomInsertion},
	{"reversed_words", "reversed_words", 2, reverseWord},
}

func cycleLetters(rng *rand.Rand, w []rune) []rune {
	k := 1 + rng.IntN(len(w)-1)
	return append(slices.Clone(w[k:]), w[:k]...)
}

func midAnagram(keep int) func(*rand.Rand, []rune) []rune {
	return func(rng *rand.Rand, w []rune) []rune {
		orig := w[keep : len(w)-keep]
		mid := slices.Clone(orig)
		rng.Shuffle(len(mid), func(i, j int) { mid[i], mid[j] = mid[j], mid[i] })
		if slices.Equal(mid, orig) {
			mid = append(slices.Clone(orig[1:]), orig[0])
		}
		out := slices.Clone(w[:keep])
		out = append(out, mid...)
		return append(out, w[len(w)-keep:]...)
	}
}

// insertionChars are the characters random insertion puts between letters.
const insertionChars = " !./"

func randomInsertion(rng *rand.Rand, w []rune) []rune {
	out := make([]rune, 0, 2*len(w))
	for i, r := range w {
		if i > 0 {
			out = append(out, rune(insertionChars[rng.IntN(len(insertionChars))]))
		}
		out = append(out, r)
	}
	return out
}

func reverseWord(_ *rand.Rand, w []rune) []rune {
	out := slices.Clone(w)
	slices.Reverse(out)
	return out
}

// generateWords scrambles every word of words with s's transformation,
// in an order shuffled with the seed. Each word must be letters only and
// long enough to scramble.
func generateWords(s wordSpec, words []string, seed uint64) ([]gpt3Item, error) {
	rng := rand.New(rand.NewPCG(seed, streamOf(s.name)))
	order := rng.Perm(len(words))
	items := make([]gpt3Item, len(words))
	for i, j := range order {
		w := []rune(words[j])
		if len(w) < s.minLetter || strings.IndexFunc(words[j], func(r rune) bool { return !unicode.IsLetter(r) }) >= 0 {
			return nil, fmt.Errorf("word %d %q: %s needs words of at least %d letters and nothing else", j+1, words[j], s.name, s.minLetter)
		}
		items[i] = gpt3Item{Context: "\n" + string(s.transform(rng, w)) + " =", Completion: " " + words[j]}
	}
	return items, nil
}
