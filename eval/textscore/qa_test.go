package textscore

import "testing"

func TestNormalizeSQuAD(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"The  Quick, brown-fox!", "quick brownfox"}, // punctuation goes first, so "brown-fox" joins
		{"an and the theatre", "and theatre"},        // whole words only
		{"“Paris”", "“paris”"},                       // curly quotes are not in string.punctuation
		{"thé a", "thé"},                             // é is a word character for Python's \b
		{"théa", "théa"},                             // so "a" after it is not a word of its own
		{"a_b", "ab"},                                // "_" is in string.punctuation: removed before the articles
	} {
		if got := NormalizeSQuAD(c.in); got != c.want {
			t.Errorf("NormalizeSQuAD(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestSQuADScores(t *testing.T) {
	for _, c := range []struct {
		name   string
		golds  []string
		pred   string
		em, f1 float64
		hasAns bool
	}{
		// gold [denver broncos], pred [broncos]: P=1, R=1/2, F1=2/3.
		{"partial", []string{"Denver Broncos"}, "the Broncos", 0, 2.0 / 3, true},
		// best over golds: "Broncos" matches the second exactly.
		{"best gold", []string{"Denver Broncos", "Broncos"}, "Broncos.", 1, 1, true},
		// no answer: the empty prediction is right.
		{"no answer, abstained", nil, "", 1, 1, false},
		{"no answer, answered", nil, "unanswerable", 0, 0, false},
		// a gold that normalises to nothing does not count as an answer.
		{"article-only gold", []string{"The"}, "", 1, 1, false},
		// answerable, empty prediction: 0.
		{"answerable, abstained", []string{"Paris"}, "", 0, 0, true},
		// gold [a b c d] minus articles = [b c d]; pred [b b x]: common 1 (b once),
		// P=1/3, R=1/3, F1=1/3.
		{"counts clipped", []string{"b c d"}, "b b x", 0, 1.0 / 3, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			em, f1, has := SQuADv2Scores(c.golds, c.pred)
			near(t, "em", em, c.em, 1e-12)
			near(t, "f1", f1, c.f1, 1e-12)
			if has != c.hasAns {
				t.Errorf("hasAns = %v, want %v", has, c.hasAns)
			}
		})
	}
}

func TestCoQAScores(t *testing.T) {
	for _, c := range []struct {
		name   string
		golds  []string
		pred   string
		em, f1 float64
	}{
		// F1 vs each: white 1, "white cat" 2/3, dog 0. Leave-one-out:
		// without white max(2/3, 0) = 2/3, without "white cat" 1, without
		// dog 1: F1 = (2/3+1+1)/3 = 8/9; EM = (0+1+1)/3 = 2/3.
		{"leave one out", []string{"white", "white cat", "dog"}, "white", 2.0 / 3, 8.0 / 9},
		// A single reference is scored alone.
		{"one reference", []string{"white cat"}, "white", 0, 2.0 / 3},
		// Four identical references: every subset holds one.
		{"agreeing references", []string{"Yes", "yes", "yes.", "YES"}, "yes", 1, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			em, f1 := CoQAScores(c.golds, c.pred)
			near(t, "em", em, c.em, 1e-12)
			near(t, "f1", f1, c.f1, 1e-12)
		})
	}
}

func TestDROPNormalize(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"1,000", "1000.0"}, // not a float: punctuation removed, then a number
		{"3.50", "3.5"},     // a float: kept, written as Python's str(float)
		{"The well-known answer", "well known answer"}, // split at hyphens; "the" dropped
		{"1e20", "1e+20"}, // Python's exponent form
		{"0.00001", "1e-05"},
		{"-5", "5.0"}, // the hyphen is a separator: the sign is lost, as in drop_eval.py
		{"Seven", "seven"},
		{"١٢", "12.0"}, // Arabic-Indic digits are a float for Python too
		{"𝟗𝟘", "90.0"}, // mathematical bold 9, double-struck 0: touching runs of digits
	} {
		if got := DROPNormalize(c.in); got != c.want {
			t.Errorf("DROPNormalize(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestDROPMetrics(t *testing.T) {
	for _, c := range []struct {
		name       string
		pred, gold []string
		em, f1     float64
	}{
		{"same number", []string{"4"}, []string{"4.0"}, 1, 1},
		// The gold has a number the prediction lacks: the pair scores 0.
		{"number mismatch", []string{"4 yards"}, []string{"5 yards"}, 0, 0},
		{"word for number", []string{"four"}, []string{"4"}, 0, 0},
		// One of two gold spans found: F1 = (1 + 0) / 2.
		{"missing span", []string{"Chicago"}, []string{"Chicago", "Boston"}, 0, 0.5},
		// Best alignment pairs chicago-chicago (1) and san francisco-boston (0): 1/2.
		{"aligned spans", []string{"San Francisco", "Chicago"}, []string{"Chicago", "Boston"}, 0, 0.5},
		// Span order does not matter.
		{"reordered", []string{"Boston", "Chicago"}, []string{"Chicago", "Boston"}, 1, 1},
		// Three predicted, two gold: (1 + 1 + 0)/3 = 0.666… rounded to 0.67.
		{"extra span", []string{"Boston", "Chicago", "Denver"}, []string{"Chicago", "Boston"}, 0, 0.67},
		// Bags x y z vs x y w v: inter 2, P 2/3, R 1/2, F1 4/7 = 0.5714… → 0.57.
		{"rounded", []string{"x y z"}, []string{"x y w v"}, 0, 0.57},
	} {
		t.Run(c.name, func(t *testing.T) {
			em, f1 := DROPMetrics(c.pred, c.gold)
			near(t, "em", em, c.em, 1e-12)
			near(t, "f1", f1, c.f1, 1e-12)
		})
	}
	// Over several gold answers the best counts; a blank gold is skipped.
	em, f1 := DROPScores([]string{"Boston"}, [][]string{{""}, {"Chicago"}, {"Boston"}})
	near(t, "best em", em, 1, 0)
	near(t, "best f1", f1, 1, 0)
}

func TestMaxAssignment(t *testing.T) {
	// Greedy would take 0.9 and be left with 0.1 (total 1.0); the best
	// assignment is 0.8 + 0.7 = 1.5.
	w := [][]float64{{0.9, 0.8}, {0.7, 0.1}}
	near(t, "assignment", maxAssignment(w), 1.5, 1e-12)
	// Rectangular: 3 rows, 1 column.
	near(t, "rectangular", maxAssignment([][]float64{{0.2}, {0.5}, {0.1}}), 0.5, 1e-12)
}

func TestMultiRC(t *testing.T) {
	// Question 1: options T F T predicted T T F: TP 1, FP 1, FN 1, not exact.
	c1, ex1 := MultiRCQuestion([]bool{true, true, false}, []bool{true, false, true})
	// Question 2: options F T predicted F T: TP 1, exact.
	c2, ex2 := MultiRCQuestion([]bool{false, true}, []bool{false, true})
	if c1 != (MultiRCCounts{1, 1, 1}) || ex1 || c2 != (MultiRCCounts{1, 0, 0}) || !ex2 {
		t.Fatalf("counts %+v %v, %+v %v", c1, ex1, c2, ex2)
	}
	// F1a over all options: 2·2 / (2·2 + 1 + 1) = 2/3.
	near(t, "f1a", F1FromCounts(2, 1, 1), 2.0/3, 1e-12)
	near(t, "f1a of nothing", F1FromCounts(0, 0, 0), 0, 0)
}
