package sacrebleu

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

// Expected values below are copied from published test files: sacreBLEU
// (github.com/mjpost/sacrebleu, test/*.py and README.md) and HuggingFace
// evaluate (metrics/*/*.py docstring examples, which run sacreBLEU 2.x).
// Each case names its file and test.

// mtReadmeHyps and mtReadmeRefs are the corpus of sacreBLEU's README and
// of test/test_bleu.py (_hyps, _refs): two reference streams.
var (
	mtReadmeHyps = []string{"The dog bit the man.", "It wasn't surprising.", "The man had just bitten him."}
	mtReadmeRefs = [][]string{
		{"The dog bit the man.", "It was not unexpected.", "The man bit him first."},
		{"The dog had bit the man.", "No one was surprised.", "The man had bitten the dog."},
	}
)

func mtAssertNear(t *testing.T, got, want, eps float64) {
	t.Helper()
	if math.Abs(got-want) >= eps {
		t.Errorf("got %.12g, want %.12g (±%g)", got, want, eps)
	}
}

func TestCorpusBLEUPublished(t *testing.T) {
	// test/test_bleu.py::test_corpus_bleu (EPSILON = 1e-8).
	cases := []struct {
		name string
		hyps []string
		opt  BLEUOptions
		want float64
	}{
		{"default", mtReadmeHyps, BLEUOptions{}, 48.530827},
		{"empty hypotheses are kept", []string{"", "", ""}, BLEUOptions{}, 0},
		{"tokenize none", mtReadmeHyps, BLEUOptions{Tokenize: "none"}, 49.1919566},
		{"tokenize 13a", mtReadmeHyps, BLEUOptions{Tokenize: "13a"}, 48.530827},
		{"tokenize intl", mtReadmeHyps, BLEUOptions{Tokenize: "intl"}, 43.91623493},
		{"smooth none", mtReadmeHyps, BLEUOptions{Smooth: "none"}, 48.530827},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := CorpusBLEU(c.hyps, mtReadmeRefs, c.opt)
			if err != nil {
				t.Fatal(err)
			}
			mtAssertNear(t, r.Score, c.want, 1e-8)
		})
	}
}

func TestBLEUMaxNGramOrder(t *testing.T) {
	// test/test_bleu.py::test_max_ngram_order (compares "%.2f").
	for order, want := range map[int]string{1: "77.65", 2: "60.50", 3: "53.93", 4: "48.53", 5: "46.14", 6: "43.28"} {
		t.Run(fmt.Sprint(order), func(t *testing.T) {
			r, err := CorpusBLEU(mtReadmeHyps, mtReadmeRefs, BLEUOptions{MaxNGramOrder: order})
			if err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprintf("%.2f", r.Score); got != want {
				t.Errorf("got %s, want %s", got, want)
			}
			if len(r.Precisions) != order {
				t.Errorf("%d precisions, want %d", len(r.Precisions), order)
			}
		})
	}
}

// mtRawBLEU is sacreBLEU's compat raw_corpus_bleu: floor smoothing, no
// tokenization, effective order.
func mtRawBLEU(value float64) BLEUOptions {
	return BLEUOptions{Smooth: "floor", SmoothValue: value, Tokenize: "none", EffectiveOrder: true}
}

func TestRawCorpusBLEU(t *testing.T) {
	cases := []struct {
		name string
		hyps []string
		refs [][]string
		opt  BLEUOptions
		want float64 // on 0–1, as the Python tests divide by 100
	}{
		// test/test_bleu.py::test_raw_bleu (smooth value .01)
		{"raw no match (#141)", []string{"this is a test", "another test"}, [][]string{{"ref1", "ref2"}}, mtRawBLEU(.01), 0},
		{"raw identical", []string{"this is a test"}, [][]string{{"this is a test"}}, mtRawBLEU(.01), 1},
		{"raw one word off", []string{"this is a fest"}, [][]string{{"this is a test"}}, mtRawBLEU(.01), 0.223606797749979},
		// test/test_bleu.py::test_effective_order
		{"effective order 1", []string{"test"}, [][]string{{"a test"}}, mtRawBLEU(.01), 0.3678794411714425},
		{"effective order 2", []string{"a test"}, [][]string{{"a test"}}, mtRawBLEU(.01), 1},
		{"effective order 3", []string{"a little test"}, [][]string{{"a test"}}, mtRawBLEU(.01), 0.03218297948685433},
		// test/test_bleu.py::test_offset: the default floor of 0.1 …
		{"offset default", []string{"am I am a character sequence"}, [][]string{{"I am a symbol string sequence a a"}}, mtRawBLEU(0), 0.1555722182},
		{"offset 0.1", []string{"am I am a character sequence"}, [][]string{{"I am a symbol string sequence a a"}}, mtRawBLEU(0.1), 0.1555722182},
		// … and a floor of 0.0, which equals no smoothing (here SmoothValue
		// 0 selects the default, so the case is written with "none").
		{"offset zero", []string{"am I am a character sequence"}, [][]string{{"I am a symbol string sequence a a"}},
			BLEUOptions{Smooth: "none", Tokenize: "none", EffectiveOrder: true}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := CorpusBLEU(c.hyps, c.refs, c.opt)
			if err != nil {
				t.Fatal(err)
			}
			mtAssertNear(t, r.Score/100, c.want, 1e-8)
		})
	}
}

func TestBLEUStatistics(t *testing.T) {
	// test/test_bleu.py::test_statistics
	r, err := CorpusBLEU([]string{"am I am a character sequence"}, [][]string{{"I am a symbol string sequence a a"}}, mtRawBLEU(.01))
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(r.Counts, r.Totals) != "[4 2 1 0] [6 5 4 3]" {
		t.Errorf("counts %v totals %v, want [4 2 1 0] [6 5 4 3]", r.Counts, r.Totals)
	}
}

func TestBLEUScoreFromStats(t *testing.T) {
	// BLEU.compute_bleu's own defaults are smoothing "none" and no
	// effective order.
	cases := []struct {
		name           string
		matches, total []int
		sys, ref       int
		opt            BLEUOptions
		want           float64 // on 0–1
	}{
		// test/test_bleu.py::test_scoring
		{"scoring", []int{9, 7, 5, 3}, []int{10, 8, 6, 4}, 11, 11, BLEUOptions{Smooth: "none"}, 0.8375922397},
		// test/test_bleu.py::test_degenerate_statistics (floor with the
		// given offset; an offset of 0.0 is written as "none").
		{"degenerate 1", []int{0, 0, 0, 0}, []int{4, 4, 2, 1}, 0, 1, BLEUOptions{Smooth: "none"}, 0},
		{"degenerate 2", []int{0, 0, 0, 0}, []int{10, 11, 12, 0}, 14, 10, BLEUOptions{Smooth: "none"}, 0},
		{"degenerate 3", []int{0, 0, 0, 0}, []int{0, 0, 0, 0}, 0, 0, BLEUOptions{Smooth: "none"}, 0},
		{"degenerate 4", []int{6, 5, 4, 0}, []int{6, 5, 4, 3}, 6, 6, BLEUOptions{Smooth: "none"}, 0},
		{"degenerate 5", []int{0, 0, 0, 0}, []int{0, 0, 0, 0}, 0, 0, BLEUOptions{Smooth: "floor", SmoothValue: 0.1}, 0},
		{"degenerate 6", []int{0, 0, 0, 0}, []int{0, 0, 0, 0}, 1, 5, BLEUOptions{Smooth: "floor", SmoothValue: 0.01}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := BLEUScoreFromStats(BLEUStats{HypLen: c.sys, RefLen: c.ref, Matches: c.matches, Totals: c.total}, c.opt)
			if c.want == 0 {
				if r.Score != 0 {
					t.Errorf("score %g, want exactly 0", r.Score)
				}
				return
			}
			mtAssertNear(t, r.Score/100, c.want, 1e-8)
		})
	}
}

func TestSentenceBLEUPublished(t *testing.T) {
	// test/test_sentence_bleu.py::test_api_sentence_bleu and
	// test_compat_sentence_bleu (EPSILON = 1e-3), example from issue #98.
	const ref = "producţia de zahăr brut se exprimă în zahăr alb;"
	const sys = "Producția de zahăr primă va fi exprimată în ceea ce privește zahărul alb;"
	cases := []struct {
		smooth string
		value  float64
		lower  bool
		tok    string
		want   float64
	}{
		{"exp", 0, false, "13a", 8.493},
		{"none", 0, false, "13a", 0.0},
		{"floor", 0, false, "13a", 4.51688},
		{"floor", 0.1, false, "13a", 4.51688},
		{"floor", 0.5, false, "13a", 10.10},
		{"add-k", 0, false, "13a", 14.882},
		{"add-k", 1, false, "13a", 14.882},
		{"add-k", 2, false, "13a", 21.389},
		{"exp", 0, false, "none", 7.347},
		{"exp", 0, false, "intl", 8.493},
		{"exp", 0, false, "char", 40.8759},
		{"exp", 0, true, "char", 42.0267},
	}
	for _, c := range cases {
		opt := BLEUOptions{Smooth: c.smooth, SmoothValue: c.value, Lowercase: c.lower, Tokenize: c.tok, EffectiveOrder: true}
		t.Run(fmt.Sprintf("%s/%g/%v/%s", c.smooth, c.value, c.lower, c.tok), func(t *testing.T) {
			s, err := BLEUSegmentStats(sys, []string{ref}, opt)
			if err != nil {
				t.Fatal(err)
			}
			mtAssertNear(t, BLEUScoreFromStats(s, opt).Score, c.want, 1e-3)
		})
	}
	// test/test_sentence_bleu.py::test_api_sentence_bleu_zero (issue #141)
	for _, smooth := range []string{"exp", "none", "floor", "add-k"} {
		for _, value := range []float64{0, 0.1, 1} {
			opt := BLEUOptions{Smooth: smooth, EffectiveOrder: true}
			if (smooth == "floor" && value == 0.1) || (smooth == "add-k" && value == 1) {
				opt.SmoothValue = value
			} else if value != 0 {
				continue
			}
			t.Run("zero/"+smooth+fmt.Sprint(value), func(t *testing.T) {
				s, err := BLEUSegmentStats("this is a cat", []string{"okay thanks"}, opt)
				if err != nil {
					t.Fatal(err)
				}
				if r := BLEUScoreFromStats(s, opt); r.Score != 0 {
					t.Errorf("score %g, want 0", r.Score)
				}
			})
		}
	}
}

func TestBLEUFormatReadme(t *testing.T) {
	// README.md, "Using SacreBLEU from Python" and "Variable Number of
	// References" (an empty reference counts as missing).
	varRefs := [][]string{append([]string{""}, mtReadmeRefs[0][1:]...), mtReadmeRefs[1]}
	cases := []struct {
		name string
		refs [][]string
		want string
	}{
		{"two refs", mtReadmeRefs, "BLEU = 48.53 82.4/50.0/45.5/37.5 (BP = 0.943 ratio = 0.944 hyp_len = 17 ref_len = 18)"},
		{"variable refs", varRefs, "BLEU = 29.44 82.4/42.9/27.3/12.5 (BP = 0.889 ratio = 0.895 hyp_len = 17 ref_len = 19)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := CorpusBLEU(mtReadmeHyps, c.refs, BLEUOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if r.String() != c.want {
				t.Errorf("got  %s\nwant %s", r, c.want)
			}
		})
	}
}

func TestBLEUHuggingFaceExamples(t *testing.T) {
	// huggingface/evaluate metrics/sacrebleu/sacrebleu.py, Examples 1 and 2
	// (references given per prediction there; transposed to streams here).
	cases := []struct {
		name string
		hyps []string
		refs [][]string
		want string // round(score, 1)
	}{
		{"example 1", []string{"hello there general kenobi", "foo bar foobar"},
			[][]string{{"hello there general kenobi", "foo bar foobar"}, {"hello there !", "foo bar foobar"}}, "100.0"},
		{"example 2", []string{"hello there general kenobi", "on our way to ankh morpork"},
			[][]string{{"hello there general kenobi", "goodbye ankh morpork"}, {"hello there !", "ankh morpork"}}, "39.8"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := CorpusBLEU(c.hyps, c.refs, BLEUOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprintf("%.1f", r.Score); got != c.want {
				t.Errorf("got %s, want %s", got, c.want)
			}
		})
	}
}

func TestBLEUSegmentStatsAddUp(t *testing.T) {
	// Summing per-segment statistics (in any grouping) reproduces the
	// corpus score, which is what bootstrapping relies on.
	var sum BLEUStats
	var vec []float64
	for i, h := range mtReadmeHyps {
		s, err := BLEUSegmentStats(h, mtSegmentRefs(mtReadmeRefs, i), BLEUOptions{})
		if err != nil {
			t.Fatal(err)
		}
		sum = sum.Add(s)
		if vec == nil {
			vec = s.Floats()
		} else {
			for j, x := range s.Floats() {
				vec[j] += x
			}
		}
	}
	want, _ := CorpusBLEU(mtReadmeHyps, mtReadmeRefs, BLEUOptions{})
	if got := BLEUScoreFromStats(sum, BLEUOptions{}); got.String() != want.String() {
		t.Errorf("summed stats give %s, corpus %s", got, want)
	}
	if got := BLEUScoreFromStats(BLEUStatsFromFloats(vec), BLEUOptions{}); got.Score != want.Score {
		t.Errorf("from floats %g, corpus %g", got.Score, want.Score)
	}
	// test_bleu.py reports hyp_len 17, ref_len 18 for this corpus.
	if sum.HypLen != 17 || sum.RefLen != 18 {
		t.Errorf("lengths %d/%d, want 17/18", sum.HypLen, sum.RefLen)
	}
}

func TestBLEUErrors(t *testing.T) {
	cases := []struct {
		name, want string
		hyps       []string
		refs       [][]string
		opt        BLEUOptions
	}{
		{"short stream", "reference stream 2 has 2 segments but there are 3 hypotheses", mtReadmeHyps,
			[][]string{mtReadmeRefs[0], mtReadmeRefs[1][:2]}, BLEUOptions{}},
		{"no hypotheses", "no hypotheses", nil, [][]string{{}}, BLEUOptions{}},
		{"no streams", "no reference streams", []string{"a"}, nil, BLEUOptions{}},
		{"unknown tokenizer", `unknown tokenizer "zh" (valid: 13a, char, intl, none)`, []string{"a"}, [][]string{{"a"}}, BLEUOptions{Tokenize: "zh"}},
		{"unknown smoothing", `unknown smoothing method "add-one" (valid: add-k, exp, floor, none)`, []string{"a"}, [][]string{{"a"}}, BLEUOptions{Smooth: "add-one"}},
		{"value for exp", "takes no value", []string{"a"}, [][]string{{"a"}}, BLEUOptions{SmoothValue: 0.5}},
		{"negative value", "must be a finite number", []string{"a"}, [][]string{{"a"}}, BLEUOptions{Smooth: "floor", SmoothValue: -1}},
		{"empty references", "segment 2: bleu: every reference is empty", []string{"a", "b"}, [][]string{{"a", ""}, {"a", ""}}, BLEUOptions{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := CorpusBLEU(c.hyps, c.refs, c.opt)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want it to contain %q", err, c.want)
			}
		})
	}
}

func FuzzBLEU(f *testing.F) {
	f.Add("The dog bit the man.", "The dog had bit the man.", "13a")
	f.Add("Producția de zahăr", "producţia de zahăr", "intl")
	f.Add("", "a", "char")
	f.Fuzz(func(t *testing.T, hyp, ref, tok string) {
		opt := BLEUOptions{Tokenize: tok}
		s, err := BLEUSegmentStats(hyp, []string{ref}, opt)
		if err != nil {
			if opt.Validate() == nil && ref != "" {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		r := BLEUScoreFromStats(s, opt)
		if !(r.Score >= 0 && r.Score <= 100+1e-9) {
			t.Fatalf("score %g out of range", r.Score)
		}
		for i := range s.Matches {
			if s.Matches[i] > s.Totals[i] {
				t.Fatalf("order %d: %d matches of %d n-grams", i+1, s.Matches[i], s.Totals[i])
			}
		}
		if self, _ := BLEUSegmentStats(hyp, []string{hyp}, opt); hyp != "" && self.Totals[3] > 0 {
			if r := BLEUScoreFromStats(self, opt); math.Abs(r.Score-100) > 1e-9 {
				t.Fatalf("hypothesis against itself scores %g", r.Score)
			}
		}
	})
}

func BenchmarkCorpusBLEU(b *testing.B) {
	hyps, refs := mtBenchCorpus()
	for b.Loop() {
		if _, err := CorpusBLEU(hyps, refs, BLEUOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// mtBenchCorpus returns 300 segments built from the README corpus.
func mtBenchCorpus() ([]string, [][]string) {
	var hyps []string
	refs := [][]string{nil}
	for i := range 100 {
		for j, h := range mtReadmeHyps {
			hyps = append(hyps, fmt.Sprintf("%s %d", h, i))
			refs[0] = append(refs[0], fmt.Sprintf("%d %s", i, mtReadmeRefs[1][j]))
		}
	}
	return hyps, refs
}

func TestMTZeroStatsAreIdentity(t *testing.T) {
	// Zero values add like empty corpora and score as zero.
	if r := BLEUScoreFromStats(BLEUStats{}.Add(BLEUStats{}), BLEUOptions{}); r.Score != 0 || len(r.Precisions) != 4 {
		t.Errorf("empty BLEU %+v", r)
	}
	s, _ := BLEUSegmentStats("a b", []string{"a b"}, BLEUOptions{})
	if got := s.Add(BLEUStats{}); fmt.Sprint(got) != fmt.Sprint(s) {
		t.Errorf("s + 0 = %v, want %v", got, s)
	}
	if r := CHRFScoreFromStats(CHRFStats{}.Add(CHRFStats{}), CHRFOptions{}); r.Score != 0 {
		t.Errorf("empty chrF %+v", r)
	}
	c, _ := CHRFSegmentStats("a b", []string{"a c"}, CHRFOptions{})
	if got := (CHRFStats{}).Add(c); fmt.Sprint(got) != fmt.Sprint(c) {
		t.Errorf("0 + c = %v, want %v", got, c)
	}
}
