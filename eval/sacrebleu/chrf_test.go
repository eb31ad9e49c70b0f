package sacrebleu

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

func TestCorpusCHRFPublished(t *testing.T) {
	// sacreBLEU test/test_chrf.py (EPSILON = 1e-4); the corpus_chrf calls
	// there use char_order=6, word_order=0, beta=3. hyps and refs are one
	// reference stream.
	type tc struct {
		hyps, refs []string
		want       float64
	}
	eps := []tc{ // test_chrf: eps_smoothing=True
		{[]string{"abcdefg"}, []string{"hijklmnop"}, 0.0},
		{[]string{"a"}, []string{"b"}, 0.0},
		{[]string{""}, []string{"b"}, 0.0},
		{[]string{""}, []string{"ref"}, 0.0},
		{[]string{""}, []string{"reference"}, 0.0},
		{[]string{"aa"}, []string{"ab"}, 8.3333},
		{[]string{"a", "b"}, []string{"a", "c"}, 8.3333},
		{[]string{"a"}, []string{"a"}, 16.6667},
		{[]string{"a b c"}, []string{"a b c"}, 50.0},
		{[]string{"a b c"}, []string{"abc"}, 50.0},
		{[]string{" risk assessment must be made of those who are qualified and expertise in the sector - these are the scientists ."},
			[]string{"risk assessment has to be undertaken by those who are qualified and expert in that area - that is the scientists ."}, 63.361730},
		{[]string{" Die    Beziehung zwischen  Obama und Netanjahu ist nicht gerade  freundlich. "},
			[]string{"Das Verhältnis zwischen Obama und Netanyahu ist nicht gerade freundschaftlich."}, 64.1302698},
		{[]string{"Niemand hat die Absicht, eine Mauer zu errichten"}, []string{"Niemand hat die Absicht, eine Mauer zu errichten"}, 100.0},
	}
	effective := []tc{ // test_chrf_eff_order: eps_smoothing=False
		{[]string{"a"}, []string{"a"}, 100.0},
		{[]string{""}, []string{"reference"}, 0.0},
		{[]string{"a b c"}, []string{"a b c"}, 100.0},
		{[]string{"a b c"}, []string{"abc"}, 100.0},
		{[]string{""}, []string{"c"}, 0.0},
		{[]string{"a", "b"}, []string{"a", "c"}, 50.0},
		{[]string{"aa"}, []string{"ab"}, 25.0},
	}
	whitespace := []tc{ // test_chrf_keep_whitespace: remove_whitespace=False
		{[]string{"Die Beziehung zwischen Obama und Netanjahu ist nicht gerade freundlich."},
			[]string{"Das Verhältnis zwischen Obama und Netanyahu ist nicht gerade freundschaftlich."}, 67.3481606},
		{[]string{"risk assessment must be made of those who are qualified and expertise in the sector - these are the scientists ."},
			[]string{"risk assessment has to be undertaken by those who are qualified and expert in that area - that is the scientists ."}, 65.2414427},
	}
	groups := []struct {
		name  string
		opt   CHRFOptions
		cases []tc
	}{
		{"test_chrf", CHRFOptions{Beta: 3, EpsSmoothing: true}, eps},
		{"test_chrf_eff_order", CHRFOptions{Beta: 3}, effective},
		{"test_chrf_keep_whitespace", CHRFOptions{Beta: 3, Whitespace: true}, whitespace},
	}
	for _, g := range groups {
		for i, c := range g.cases {
			t.Run(fmt.Sprintf("%s/%d", g.name, i), func(t *testing.T) {
				r, err := CorpusCHRF(c.hyps, [][]string{c.refs}, g.opt)
				if err != nil {
					t.Fatal(err)
				}
				mtAssertNear(t, r.Score, c.want, 1e-4)
			})
		}
	}
}

func TestSentenceCHRFPublished(t *testing.T) {
	// sacreBLEU test/test_chrf.py::test_chrf_sentence_level: sentence_chrf
	// with eps_smoothing=True and the default beta 2 (EPSILON = 1e-4).
	cases := []struct {
		hyp, ref string
		want     float64
	}{
		{"Co nás nejvíc trápí, protože lékaři si vybírají, kdo bude žít a kdo zemře.",
			"Nejvíce smutní jsme z toho, že musíme rozhodovat o tom, kdo bude žít a kdo zemře.", 39.14078509},
		{"Nebo prostě nemají vybavení, které by jim pomohlo, uvedli lékaři.",
			"A někdy nemáme ani potřebný materiál, abychom jim pomohli, popsali lékaři.", 31.22557079},
		{"Lapali po dechu, jejich životy skončily dřív, než skutečně začaly.",
			"Lapali po dechu a pak jejich život skončil - dřív, než skutečně mohl začít, připomněli.", 57.15704367},
	}
	opt := CHRFOptions{EpsSmoothing: true}
	for i, c := range cases {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			s, err := CHRFSegmentStats(c.hyp, []string{c.ref}, opt)
			if err != nil {
				t.Fatal(err)
			}
			mtAssertNear(t, CHRFScoreFromStats(s, opt).Score, c.want, 1e-4)
		})
	}
}

func TestCHRFLegacyTestPy(t *testing.T) {
	// sacreBLEU 1.x test/test.py (scores on 0–1 there, beta 3). sacreBLEU
	// 2.x without eps smoothing keeps that algorithm ("effective match
	// order similar to sacreBLEU < 2.0.0"). The cases with an empty
	// reference are left out: 2.x rejects empty references.
	cases := []struct {
		name, hyp, ref string
		order          int
		want           string // "%.3f" of the 0–100 score
	}{
		{"identical", "Consistency is the last refuge of the unimaginative", "Consistency is the last refuge of the unimaginative", 6, "100.000"},
		{"disjoint", "BBBB", "AAAAAA", 3, "0.000"},
		{"AA vs AB", "AA", "AB", 6, "25.000"},
		{"A vs A", "A", "A", 6, "100.000"},
		{"risk assessment", " risk assessment must be made of those who are qualified and expertise in the sector - these are the scientists .",
			"risk assessment has to be undertaken by those who are qualified and expert in that area - that is the scientists .", 6, "63.362"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := CorpusCHRF([]string{c.hyp}, [][]string{{c.ref}}, CHRFOptions{CharOrder: c.order, Beta: 3})
			if err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprintf("%.3f", r.Score); got != c.want {
				t.Errorf("got %s, want %s", got, c.want)
			}
		})
	}
}

func TestCHRFHuggingFaceExamples(t *testing.T) {
	// huggingface/evaluate metrics/chrf/chrf.py, Examples 1–3 (sacreBLEU
	// 2.x defaults: eps_smoothing=False).
	hyps := []string{"The relationship between cats and dogs is not exactly friendly.",
		"a good bookshop is just a genteel black hole that knows how to read."}
	refs := [][]string{{"The relationship between dogs and cats is not exactly friendly.",
		"A good bookshop is just a genteel Black Hole that knows how to read."}}
	cases := []struct {
		name string
		opt  CHRFOptions
		want float64
	}{
		{"chrF", CHRFOptions{}, 84.64214891738334},
		{"chrF++", CHRFOptions{WordOrder: 2}, 82.87263732906315},
		{"chrF++ lowercase", CHRFOptions{WordOrder: 2, Lowercase: true}, 92.12853119829202},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := CorpusCHRF(hyps, refs, c.opt)
			if err != nil {
				t.Fatal(err)
			}
			mtAssertNear(t, r.Score, c.want, 1e-9)
		})
	}
}

func TestCHRFFormat(t *testing.T) {
	// sacreBLEU README.md: chrf.corpus_score(sys, refs) → "chrF2 = 59.73".
	r, err := CorpusCHRF(mtReadmeHyps, mtReadmeRefs, CHRFOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r.String() != "chrF2 = 59.73" {
		t.Errorf("got %q, want %q", r, "chrF2 = 59.73")
	}
	// Names per sacreBLEU's CHRFScore: "chrF{beta}" + "+" per word order.
	for _, c := range []struct {
		r    CHRFResult
		want string
	}{
		{CHRFResult{Score: 49.04, Beta: 2, WordOrder: 2}, "chrF2++ = 49.0"},
		{CHRFResult{Score: 52.0, Beta: 3, WordOrder: 1}, "chrF3+ = 52.0"},
	} {
		if got := c.r.Format(1); got != c.want {
			t.Errorf("got %q, want %q", got, c.want)
		}
	}
}

func TestCHRFWords(t *testing.T) {
	// sacreBLEU CHRF._remove_punctuation: one punctuation mark is split off
	// the end, or else the start, of a word; "(hi)" → "(hi", ")" (issue #124).
	cases := map[string]string{
		"(hi) you.":    "(hi|)|you|.",
		"'quoted' , x": "'quoted|'|,|x",
		".start end!!": ".|start|end!|!",
		"ünï. ü":       "ünï|.|ü",
	}
	for in, want := range cases {
		if got := strings.Join(chrfWords(in), "|"); got != want {
			t.Errorf("chrfWords(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCHRFMultiReferenceTakesBest(t *testing.T) {
	// sacreBLEU keeps the statistics of the reference with the best F-score.
	opt := CHRFOptions{}
	best, _ := CHRFSegmentStats("the cat sat", []string{"the cat sat"}, opt)
	got, err := CHRFSegmentStats("the cat sat", []string{"a dog stood", "the cat sat", "x"}, opt)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(best) {
		t.Errorf("stats %v, want those of the identical reference %v", got, best)
	}
	if _, err := CorpusCHRF([]string{"a"}, [][]string{{"a"}, {"b", "c"}}, opt); err == nil ||
		!strings.Contains(err.Error(), "reference stream 2 has 2 segments but there are 1 hypotheses") {
		t.Errorf("error %v", err)
	}
	if _, err := CHRFSegmentStats("a", []string{"", ""}, opt); err == nil {
		t.Error("no error when every one of several references is empty")
	}
}

func FuzzCHRF(f *testing.F) {
	f.Add("Die Beziehung zwischen Obama", "Das Verhältnis zwischen Obama", 2, false)
	f.Add("a", "b", 0, true)
	f.Fuzz(func(t *testing.T, hyp, ref string, wordOrder int, lower bool) {
		opt := CHRFOptions{WordOrder: wordOrder % 4, Lowercase: lower}
		if opt.WordOrder < 0 {
			opt.WordOrder = -opt.WordOrder
		}
		s, err := CHRFSegmentStats(hyp, []string{ref}, opt)
		if err != nil {
			if ref != "" {
				t.Fatal(err)
			}
			return
		}
		r := CHRFScoreFromStats(s, opt)
		if math.IsNaN(r.Score) || r.Score < 0 || r.Score > 100+1e-9 {
			t.Fatalf("score %g", r.Score)
		}
		for k := range s.Hyp {
			if s.Match[k] > s.Ref[k] || (s.Hyp[k] > 0 && s.Match[k] > s.Hyp[k]) {
				t.Fatalf("order %d: stats %v", k, s)
			}
		}
	})
}

func BenchmarkCorpusCHRF(b *testing.B) {
	hyps, refs := mtBenchCorpus()
	for b.Loop() {
		if _, err := CorpusCHRF(hyps, refs, CHRFOptions{WordOrder: 2}); err != nil {
			b.Fatal(err)
		}
	}
}
