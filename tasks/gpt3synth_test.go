package tasks

import (
	"fmt"
	"math"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/kshot-eval/kshot/eval"
	"github.com/kshot-eval/kshot/internal/sharedtest"
)

// The released files' formats, written from SOURCES.md's description of
// openai/gpt-3 data/ (not from the generator).
var (
	arithRe = regexp.MustCompile(`^\n\nQ: What is (\d+) (plus|minus|times) (\d+)\?\n\nA:$`)
	oneDCRe = regexp.MustCompile(`^\n\nQ: What is \((\d) ([-+*]) (\d)\) ([-+*]) (\d)\?\n\nA:$`)
	wordRe  = regexp.MustCompile(`^\n(.+) =$`)
)

// operands parses an arithmetic item and checks its answer; it returns
// the operands.
func checkArithmetic(it gpt3Item) ([]int, error) {
	atoi := func(s string) int { n, _ := strconv.Atoi(s); return n }
	var ops []int
	var want int
	if m := arithRe.FindStringSubmatch(it.Context); m != nil {
		a, b := atoi(m[1]), atoi(m[3])
		ops = []int{a, b}
		want = map[string]int{"plus": a + b, "minus": a - b, "times": a * b}[m[2]]
	} else if m := oneDCRe.FindStringSubmatch(it.Context); m != nil {
		a, b, c := atoi(m[1]), atoi(m[3]), atoi(m[5])
		ops = []int{a, b, c}
		do := func(x int, o string, y int) int {
			return map[string]int{"+": x + y, "-": x - y, "*": x * y}[o]
		}
		want = do(do(a, m[2], b), m[4], c)
	} else {
		return nil, fmt.Errorf("context %q does not have the released format", it.Context)
	}
	if it.Completion != fmt.Sprintf(" %d", want) {
		return nil, fmt.Errorf("%q: completion %q, want %q", it.Context, it.Completion, fmt.Sprintf(" %d", want))
	}
	return ops, nil
}

// checkWord checks that an item's scrambled word fits its task's
// transformation (the rules of SOURCES.md: rotation, anagram with fixed
// ends, one inserted character between letters, reversal).
func checkWord(task string, it gpt3Item) error {
	m := wordRe.FindStringSubmatch(it.Context)
	if m == nil || !strings.HasPrefix(it.Completion, " ") {
		return fmt.Errorf("item %q → %q does not have the released format", it.Context, it.Completion)
	}
	q, w := []rune(m[1]), []rune(it.Completion[1:])
	sorted := func(r []rune) string { s := slices.Clone(r); slices.Sort(s); return string(s) }
	ok := false
	switch task {
	case "cycle_letters":
		for k := 1; k < len(w); k++ {
			ok = ok || string(w[k:])+string(w[:k]) == string(q)
		}
	case "anagrams1", "anagrams2":
		k := 1
		if task == "anagrams2" {
			k = 2
		}
		ok = len(q) == len(w) && string(q[:k]) == string(w[:k]) && string(q[len(q)-k:]) == string(w[len(w)-k:]) && sorted(q) == sorted(w)
	case "random_insertion":
		ok = len(q) == 2*len(w)-1
		for i := 0; ok && i < len(q); i++ {
			if i%2 == 0 {
				ok = q[i] == w[i/2]
			} else {
				ok = strings.ContainsRune(insertionChars, q[i])
			}
		}
	case "reversed_words":
		r := slices.Clone(w)
		slices.Reverse(r)
		ok = string(r) == string(q)
	}
	if !ok {
		return fmt.Errorf("%s: %q is not a valid scramble of %q", task, string(q), string(w))
	}
	return nil
}

func synthItems(t *testing.T, name string, o Options) []gpt3Item {
	t.Helper()
	task, err := New(name, o)
	if err != nil {
		t.Fatal(err)
	}
	return task.(*gpt3SynthTask).items
}

// TestGPT3SyntheticPublished reads the paper's released files as tasks:
// their sizes, their first records (quoted in SOURCES.md) and every
// answer, recomputed.
func TestGPT3SyntheticPublished(t *testing.T) {
	dataDir := sharedtest.Path(t, "data/gpt3")
	dataDir = strings.TrimSuffix(dataDir, "/gpt3")
	// First records as SOURCES.md quotes them ("" where it quotes none).
	firsts := map[string][2]string{
		"arithmetic_2da": {"Question: What is 98 plus 45?\nAnswer:", " 143"},
		"arithmetic_1dc": {"Question: What is (9 + 8) * 2?\nAnswer:", " 34"},
		"arithmetic_5ds": {"", " -38097"},
		"cycle_letters":  {"\nasinoc =", " casino"},
		"anagrams1":      {"\nskicts =", " sticks"},
		"anagrams2":      {"\nvolwskagen =", " volkswagen"},
		"reversed_words": {"\ntaefed =", " defeat"},
	}
	var names []string
	for _, s := range arithmeticSpecs {
		names = append(names, "arithmetic_"+s.code)
	}
	for _, s := range wordSpecs {
		names = append(names, s.name)
	}
	for _, name := range names {
		first := firsts[name]
		t.Run(name, func(t *testing.T) {
			task, err := New(name, Options{DataDir: dataDir})
			if err != nil {
				t.Fatal(err)
			}
			in, err := task.Instances(0, 1)
			if err != nil {
				t.Fatal(err)
			}
			items := task.(*gpt3SynthTask).items
			want := 2000
			if !strings.HasPrefix(name, "arithmetic_") {
				want = 10000
			}
			if len(in) != want {
				t.Errorf("%d documents, want %d", len(in), want)
			}
			var ctx, cont string
			switch r := in[0].Requests[0].(type) {
			case eval.Loglikelihood:
				ctx, cont = r.Context, r.Continuation
			case eval.Generate:
				ctx, cont = r.Context, in[0].Target
				if !reflect.DeepEqual(r.Until, []string{"\n"}) {
					t.Errorf("until %q", r.Until)
				}
			}
			if (first[0] != "" && ctx != first[0]) || (first[1] != "" && cont != first[1]) {
				t.Errorf("first request %q → %q, want %q → %q", ctx, cont, first[0], first[1])
			}
			for i, it := range items {
				var err error
				if strings.HasPrefix(name, "arithmetic_") {
					_, err = checkArithmetic(it)
				} else {
					err = checkWord(name, it)
				}
				if err != nil {
					t.Fatalf("record %d: %v", i+1, err)
				}
			}
		})
	}
}

// operandStats summarises a set of arithmetic items: the fraction of
// operands with fewer digits than the task's, the mean operand over the
// operand range, the fraction of negative answers, and the operator
// pairs of 1DC.
type operandStats struct {
	short, mean, negative float64
	pairs                 map[string]int
	minOp, maxOp          int
}

func arithmeticStats(t *testing.T, s arithmeticSpec, items []gpt3Item) operandStats {
	t.Helper()
	st := operandStats{pairs: map[string]int{}, minOp: math.MaxInt}
	lim := math.Pow10(s.digits)
	n := 0.0
	for _, it := range items {
		ops, err := checkArithmetic(it)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range ops {
			st.minOp, st.maxOp = min(st.minOp, o), max(st.maxOp, o)
			if len(strconv.Itoa(o)) < s.digits {
				st.short++
			}
			st.mean += float64(o) / lim
			n++
		}
		if strings.HasPrefix(it.Completion, " -") {
			st.negative++
		}
		if m := oneDCRe.FindStringSubmatch(it.Context); m != nil {
			st.pairs[m[2]+m[4]]++
		}
	}
	st.short /= n
	st.mean /= n
	st.negative /= float64(len(items))
	return st
}

// TestGPT3ArithmeticGenerated compares generated sets with the released
// ones: format, answers, distinct problems, operand range and
// distribution.
func TestGPT3ArithmeticGenerated(t *testing.T) {
	dataDir := strings.TrimSuffix(sharedtest.Path(t, "data/gpt3"), "/gpt3")
	for _, s := range arithmeticSpecs {
		t.Run(s.code, func(t *testing.T) {
			name := "arithmetic_" + s.code
			gen := synthItems(t, name, Options{Variant: "generated:7"})
			pub := synthItems(t, name, Options{DataDir: dataDir})
			if len(gen) != len(pub) {
				t.Errorf("%d generated problems, the paper has %d", len(gen), len(pub))
			}
			seen := map[string]bool{}
			for _, it := range gen {
				if seen[it.Context] {
					t.Fatalf("problem %q drawn twice (the released problems are distinct)", it.Context)
				}
				seen[it.Context] = true
			}
			g, p := arithmeticStats(t, s, gen), arithmeticStats(t, s, pub)
			// Uniform operands on [0, 10ⁿ): 10% have fewer digits, the
			// mean is half the range; 1DC uses the digits 1–9.
			if s.op != "" {
				if g.minOp < 0 || g.maxOp >= int(math.Pow10(s.digits)) {
					t.Errorf("operands in [%d, %d], want [0, 10^%d)", g.minOp, g.maxOp, s.digits)
				}
				if math.Abs(g.short-p.short) > 0.03 || math.Abs(g.short-0.1) > 0.025 {
					t.Errorf("fraction of short operands %.3f, released %.3f", g.short, p.short)
				}
			} else {
				if g.minOp != 1 || g.maxOp != 9 || p.minOp != 1 || p.maxOp != 9 {
					t.Errorf("1DC digits in [%d, %d] (released [%d, %d]), want [1, 9]", g.minOp, g.maxOp, p.minOp, p.maxOp)
				}
				if len(g.pairs) != 9 {
					t.Errorf("operator pairs %v, want all 9", g.pairs)
				}
				for k, c := range g.pairs {
					if c < 150 || c > 300 || p.pairs[k] < 150 || p.pairs[k] > 300 {
						t.Errorf("operators %s: %d generated, %d released, want about 222 each", k, c, p.pairs[k])
					}
				}
			}
			if math.Abs(g.mean-p.mean) > 0.03 {
				t.Errorf("mean operand %.3f of the range, released %.3f", g.mean, p.mean)
			}
			if math.Abs(g.negative-p.negative) > 0.05 {
				t.Errorf("fraction of negative answers %.3f, released %.3f", g.negative, p.negative)
			}
		})
	}
	a := synthItems(t, "arithmetic_2da", Options{Variant: "generated:7"})
	b := synthItems(t, "arithmetic_2da", Options{Variant: "generated:7"})
	c := synthItems(t, "arithmetic_2da", Options{Variant: "generated:8"})
	if !reflect.DeepEqual(a, b) || reflect.DeepEqual(a, c) {
		t.Error("generation is not a function of the seed")
	}
}

// wordStats measures what distinguishes the released transformations:
// the rotation amounts of cycle letters, how often an anagram's middle is
// the original rotated left by one, the inserted characters.
func wordStats(t *testing.T, task string, items []gpt3Item) (stat float64, words []string, unchanged int) {
	t.Helper()
	var num, den float64
	for _, it := range items {
		if err := checkWord(task, it); err != nil {
			t.Fatal(err)
		}
		q, w := []rune(wordRe.FindStringSubmatch(it.Context)[1]), []rune(it.Completion[1:])
		words = append(words, string(w))
		if string(q) == string(w) {
			unchanged++
		}
		switch task {
		case "cycle_letters": // fraction rotated by one
			den++
			if string(w[1:])+string(w[:1]) == string(q) {
				num++
			}
		case "anagrams1", "anagrams2": // 3-letter distinct middles rotated by one
			k := 1
			if task == "anagrams2" {
				k = 2
			}
			mid, qm := w[k:len(w)-k], q[k:len(q)-k]
			if len(mid) == 3 && mid[0] != mid[1] && mid[1] != mid[2] && mid[0] != mid[2] {
				den++
				if string(mid[1:])+string(mid[:1]) == string(qm) {
					num++
				}
			}
		case "random_insertion": // fraction of spaces among inserted characters
			for i := 1; i < len(q); i += 2 {
				den++
				if q[i] == ' ' {
					num++
				}
			}
		case "reversed_words":
			den = 1
		}
	}
	sort.Strings(words)
	return num / den, words, unchanged
}

// TestGPT3WordsGenerated scrambles the released words again and compares
// the result with the released set.
func TestGPT3WordsGenerated(t *testing.T) {
	dataDir := strings.TrimSuffix(sharedtest.Path(t, "data/gpt3"), "/gpt3")
	// Expected values of the statistics for the released procedures:
	// rotation by one with probability E[1/(len−1)] (about 0.15 for these
	// words), a 3-letter middle rotated by one in 2 of 6 cases, one of 4
	// characters inserted.
	tol := map[string]float64{"cycle_letters": 0.02, "anagrams1": 0.06, "anagrams2": 0.06, "random_insertion": 0.01, "reversed_words": 0}
	for _, s := range wordSpecs {
		t.Run(s.name, func(t *testing.T) {
			pub := synthItems(t, s.name, Options{DataDir: dataDir})
			gen := synthItems(t, s.name, Options{DataDir: dataDir, Variant: "gpt3+generated"})
			ps, pw, pu := wordStats(t, s.name, pub)
			gs, gw, gu := wordStats(t, s.name, gen)
			if !reflect.DeepEqual(pw, gw) {
				t.Error("the generated set does not hold the released words")
			}
			if math.Abs(ps-gs) > tol[s.name] {
				t.Errorf("statistic %.4f generated, %.4f released", gs, ps)
			}
			// Words left unchanged: none, except A2 words whose middle is
			// one repeated letter and palindromes reversed (193 and 1 in
			// the released files); the rule makes the count exact.
			if gu != pu {
				t.Errorf("%d words unchanged, the released file has %d", gu, pu)
			}
		})
	}
}

func TestGPT3SyntheticPrompts(t *testing.T) {
	arith := writeFile(t, "a.jsonl", `{"context": "\n\nQ: What is 1 plus 2?\n\nA:", "completion": " 3"}`+"\n"+`{"context": "\n\nQ: What is 5 minus 7?\n\nA:", "completion": " -2"}`+"\n")
	words := writeFile(t, "w.jsonl", `{"context": "\nasinoc =", "completion": " casino"}`+"\n"+`{"context": "\ntaefed =", "completion": " defeat"}`+"\n")
	three := writeFile(t, "w3.jsonl", `{"context": "\nasinoc =", "completion": " casino"}`+"\n"+`{"context": "\ntaefed =", "completion": " defeat"}`+"\n"+
		`{"context": "\nskicts =", "completion": " sticks"}`+"\n")
	cases := []struct {
		task, variant, data string
		k                   int
		want                eval.Request
	}{
		{"arithmetic_2da", "", arith, 1, eval.Loglikelihood{Context: "Question: What is 5 minus 7?\nAnswer: -2\n\nQuestion: What is 1 plus 2?\nAnswer:", Continuation: " 3"}},
		{"arithmetic_2da", "gpt3", arith, 1, eval.Loglikelihood{Context: "\n\nQ: What is 5 minus 7?\n\nA: -2\n\nQ: What is 1 plus 2?\n\nA:", Continuation: " 3"}},
		{"cycle_letters", "", words, 1, eval.Generate{Context: "\ntaefed =  defeat\n\n\nasinoc =", Until: []string{"\n"}}}, // no max_gen_toks in unscramble/cycle_letters.yaml
		// The paper's description before zero- and one-shot prompts
		// (Figure G.19: "Please unscramble … word: asinoc =").
		{"cycle_letters", "gpt3", words, 0, eval.Generate{Context: "Please unscramble the letters into a word, and write that word:\nasinoc =", Until: []string{"\n"}, MaxTokens: wordMaxTokens}},
		{"cycle_letters", "gpt3", words, 1, eval.Generate{Context: "Please unscramble the letters into a word, and write that word:\ntaefed = defeat\nasinoc =", Until: []string{"\n"}, MaxTokens: wordMaxTokens}},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s/%s/%d", c.task, c.variant, c.k), func(t *testing.T) {
			in := instances(t, c.task, Options{DataPath: c.data, Variant: c.variant}, c.k)
			if got := withoutParts(t, in[0].Requests[0]); !reflect.DeepEqual(got, c.want) {
				t.Errorf("request\n got %#v\nwant %#v", got, c.want)
			}
		})
	}
	// Two examples, in the seeded draw's order, and no description.
	idx, _ := eval.SampleFewShot(3, 2, 0, 1234, 0)
	ex := []string{"\nasinoc = casino", "\ntaefed = defeat", "\nskicts = sticks"}
	in := instances(t, "cycle_letters", Options{DataPath: three, Variant: "gpt3"}, 2)
	if got, want := in[0].Requests[0].(eval.Generate).Context, ex[idx[0]]+ex[idx[1]]+"\nasinoc ="; got != want {
		t.Errorf("2-shot context %q, want %q", got, want)
	}
	task, _ := New("cycle_letters", Options{DataPath: words})
	in, _ = task.Instances(0, 1)
	for gen, want := range map[string]float64{" casino": 1, "casino": 0, " casino ": 0, " Casino": 0} {
		s, err := task.Score(in[0], []eval.Response{eval.GenerateResult{Text: gen}})
		if err != nil || len(s["exact_match"]) == 0 || s["exact_match"][0] != want {
			t.Errorf("generation %q: %v %v, want exact_match %v (lm-evaluation-harness's name)", gen, s, err, want)
		}
	}
	at, _ := New("arithmetic_2da", Options{DataPath: arith})
	ain, _ := at.Instances(0, 1)
	for greedy, want := range map[bool]float64{true: 1, false: 0} {
		s, _ := at.Score(ain[0], []eval.Response{eval.LoglikelihoodResult{LogProb: -1, Greedy: greedy, Tokens: 1}})
		if s["acc"][0] != want {
			t.Errorf("greedy %v: acc %v", greedy, s["acc"])
		}
	}
	// A word list as text, scrambled by a generated variant.
	list := writeFile(t, "words.txt", "casino\nstrand\n\n")
	items := synthItems(t, "reversed_words", Options{DataPath: list, Variant: "generated:3"})
	got := []string{items[0].Context + items[0].Completion, items[1].Context + items[1].Completion}
	sort.Strings(got)
	if want := []string{"\ndnarts = strand", "\nonisac = casino"}; !reflect.DeepEqual(got, want) {
		t.Errorf("generated from a list: %q, want %q", got, want)
	}
}

func TestGPT3SyntheticVariants(t *testing.T) {
	for variant, want := range map[string]string{
		"generated": "1.0-lm-eval+generated:2020", "gpt3+generated:9": "1.0-gpt3+generated:9",
		"lm-eval+generated": "1.0-lm-eval+generated:2020",
	} {
		task, err := New("arithmetic_3ds", Options{Variant: variant})
		if err != nil {
			t.Fatalf("variant %q: %v", variant, err)
		}
		if v := task.Spec().Version; v != want {
			t.Errorf("variant %q: version %q, want %q", variant, v, want)
		}
	}
	for _, bad := range []string{"gpt4", "generated+gpt3", "generated:x", "gpt3+extra"} {
		if _, err := New("arithmetic_2da", Options{Variant: bad}); err == nil || !strings.Contains(err.Error(), "variant") {
			t.Errorf("variant %q: error %v", bad, err)
		}
	}
	if _, err := New("arithmetic_2da", Options{Variant: "generated", DataPath: writeFile(t, "x.jsonl", "")}); err == nil || !strings.Contains(err.Error(), "--data") {
		t.Errorf("generated arithmetic with --data: %v", err)
	}
	short := writeFile(t, "short.txt", "casino\nab\n")
	if _, err := New("anagrams2", Options{DataPath: short, Variant: "generated"}); err == nil || !strings.Contains(err.Error(), `"ab"`) {
		t.Errorf("a word too short for anagrams2: %v", err)
	}
}
