package sacrebleu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestCorpusTERPublished(t *testing.T) {
	// sacreBLEU test/test_ter.py::test_ter with default options; it checks
	// |score − 100·expected| < 1e-3.
	cases := []struct {
		name       string
		hyps, refs []string
		want       float64 // on 0–1 as in the test file
	}{
		{"perfect match", []string{"aaaa bbbb cccc dddd"}, []string{"aaaa bbbb cccc dddd"}, 0},
		{"no overlap", []string{"dddd eeee ffff"}, []string{"aaaa bbbb cccc"}, 1},
		{"empty hypothesis", []string{""}, []string{"a"}, 1},
		{"a single shift fixes MT", []string{"d e f g h a b c"}, []string{"a b c d e f g h"}, 1.0 / 8},
		{"realistic example from WMT dev data (2019)", []string{
			`wählen Sie " Bild neu berechnen , " um beim Ändern der Bildgröße Pixel hinzuzufügen oder zu entfernen , damit das Bild ungefähr dieselbe Größe aufweist wie die andere Größe .`,
			`wenn Sie alle Aufgaben im aktuellen Dokument aktualisieren möchten , wählen Sie im Menü des Aufgabenbedienfelds die Option " Alle Aufgaben aktualisieren . "`,
			`klicken Sie auf der Registerkarte " Optionen " auf die Schaltfläche " Benutzerdefiniert " und geben Sie Werte für " Fehlerkorrektur-Level " und " Y / X-Verhältnis " ein .`,
			`Sie können beispielsweise ein Dokument erstellen , das ein Auto über die Bühne enthält .`,
			`wählen Sie im Dialogfeld " Neu aus Vorlage " eine Vorlage aus und klicken Sie auf " Neu . "`,
		}, []string{
			`wählen Sie " Bild neu berechnen , " um beim Ändern der Bildgröße Pixel hinzuzufügen oder zu entfernen , damit die Darstellung des Bildes in einer anderen Größe beibehalten wird .`,
			`wenn Sie alle Aufgaben im aktuellen Dokument aktualisieren möchten , wählen Sie im Menü des Aufgabenbedienfelds die Option " Alle Aufgaben aktualisieren . "`,
			`klicken Sie auf der Registerkarte " Optionen " auf die Schaltfläche " Benutzerdefiniert " und geben Sie für " Fehlerkorrektur-Level " und " Y / X-Verhältnis " niedrigere Werte ein .`,
			`Sie können beispielsweise ein Dokument erstellen , das ein Auto enthalt , das sich über die Bühne bewegt .`,
			`wählen Sie im Dialogfeld " Neu aus Vorlage " eine Vorlage aus und klicken Sie auf " Neu . "`,
		}, 0.136},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := CorpusTER(c.hyps, [][]string{c.refs}, TEROptions{})
			if err != nil {
				t.Fatal(err)
			}
			mtAssertNear(t, r.Score, 100*c.want, 1e-3)
		})
	}
}

func TestTERHuggingFaceExamples(t *testing.T) {
	// huggingface/evaluate metrics/ter/ter.py, Examples 1–5 (references
	// given per prediction there; transposed to two streams here).
	hyps := []string{"does this sentence match??", "what about this sentence?", "What did the TER metric user say to the developer?"}
	refs := [][]string{
		{"does this sentence match", "wHaT aBoUt ThIs SeNtEnCe?", "Your jokes are..."},
		{"does this sentence match!?!", "wHaT aBoUt ThIs SeNtEnCe?", "...TERrible"},
	}
	two := [][]string{refs[0][:2], refs[1][:2]}
	cases := []struct {
		name   string
		hyps   []string
		refs   [][]string
		opt    TEROptions
		score  float64
		edits  int
		refLen float64
	}{
		{"example 1", hyps, refs, TEROptions{CaseSensitive: true}, 150.0, 15, 10.0},
		{"example 2", hyps[:2], two, TEROptions{CaseSensitive: true}, 62.5, 5, 8.0},
		{"example 3", hyps[:2], two, TEROptions{Normalized: true, CaseSensitive: true}, 57.14285714285714, 6, 10.5},
		{"example 4", hyps[:2], two, TEROptions{NoPunct: true}, 0.0, 0, 8.0},
		{"example 5", hyps, refs, TEROptions{NoPunct: true}, 100.0, 10, 10.0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := CorpusTER(c.hyps, c.refs, c.opt)
			if err != nil {
				t.Fatal(err)
			}
			mtAssertNear(t, r.Score, c.score, 1e-9)
			if r.Edits != c.edits || r.RefLen != c.refLen {
				t.Errorf("edits %d ref length %g, want %d and %g", r.Edits, r.RefLen, c.edits, c.refLen)
			}
		})
	}
}

func TestTERTokenize(t *testing.T) {
	// sacreBLEU test/test_tokenizer_ter.py
	cases := []struct {
		name, in, want string
		opt            TEROptions
	}{
		{"default", "a b c d", "a b c d", TEROptions{}},
		{"default empty", "", "", TEROptions{}},
		{"default period", "a b c d.", "a b c d.", TEROptions{}},
		{"default lower-cases", "A B C D.", "a b c d.", TEROptions{}},
		{"no punct", "a b c d.", "a b c d", TEROptions{NoPunct: true}},
		{"no punct mixed", "A ; B ) C : D.", "a b c d", TEROptions{NoPunct: true}},
		{"norm brackets", "a b (c) d.", "a b ( c ) d .", TEROptions{Normalized: true}},
		{"norm possessive", "Jim's car.", "jim 's car .", TEROptions{Normalized: true}},
		{"norm decimal", "4.2", "4.2", TEROptions{Normalized: true}},
		{"asian Chinese", "美众院公布对特", "美 众 院 公 布 对 特", TEROptions{Normalized: true, AsianSupport: true}},
		{"asian Japanese", "りの拳銃を持", "りの 拳 銃 を 持", TEROptions{Normalized: true, AsianSupport: true}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := TERTokenize(c.in, c.opt); got != c.want {
				t.Errorf("TERTokenize(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}

func TestTERShiftMechanics(t *testing.T) {
	// Hand-checked: moving the block "a b c" to the end is one shift and
	// leaves no other edit; swapping two words needs a shift too.
	cases := []struct {
		hyp, ref string
		edits    int
	}{
		{"d e f g h a b c", "a b c d e f g h", 1},
		{"b a", "a b", 1},
		{"a b c", "a b c", 0},
		{"a b c", "", 3},
		{"x y", "a b c", 3},
	}
	for _, c := range cases {
		t.Run(c.hyp+"|"+c.ref, func(t *testing.T) {
			ids := map[string]int32{}
			conv := func(s string) []int32 {
				var out []int32
				for _, w := range strings.Fields(s) {
					if _, ok := ids[w]; !ok {
						ids[w] = int32(len(ids))
					}
					out = append(out, ids[w])
				}
				return out
			}
			h, r := conv(c.hyp), conv(c.ref)
			if got, n := terEdits(h, r); got != c.edits || n != len(r) {
				t.Errorf("edits %d length %d, want %d and %d", got, n, c.edits, len(r))
			}
		})
	}
}

func TestTERStatsAndFormat(t *testing.T) {
	s := TERStats{Edits: 3, RefLen: 8}.Add(TERStats{Edits: 4, RefLen: 11.5})
	r := TERScoreFromStats(TERStatsFromFloats(s.Floats()), TEROptions{})
	if r.String() != "TER = 35.90" || r.Edits != 7 || r.RefLen != 19.5 {
		t.Errorf("got %v (%d edits, length %g)", r, r.Edits, r.RefLen)
	}
	// Empty references: 100 with edits, 0 without (sacreBLEU's rule).
	for _, c := range []struct {
		s    TERStats
		want float64
	}{{TERStats{Edits: 2}, 100}, {TERStats{}, 0}} {
		if got := TERScoreFromStats(c.s, TEROptions{}).Score; got != c.want {
			t.Errorf("%+v: score %g, want %g", c.s, got, c.want)
		}
	}
	if _, err := TERSegmentStats("a", []string{"", ""}, TEROptions{}); err == nil {
		t.Error("no error when every reference is empty")
	}
}

func FuzzTER(f *testing.F) {
	f.Add("d e f g h a b c", "a b c d e f g h", false)
	f.Add("Jim's car (red).", "the car of Jim", true)
	f.Fuzz(func(t *testing.T, hyp, ref string, norm bool) {
		opt := TEROptions{Normalized: norm, AsianSupport: norm}
		s, err := TERSegmentStats(hyp, []string{ref}, opt)
		if err != nil {
			if ref != "" {
				t.Fatal(err)
			}
			return
		}
		nh := len(mtFields(TERTokenize(mtRStrip(hyp), opt)))
		// Shifts only happen when they lower the edit distance, so TER
		// never exceeds the plain edit distance, itself ≤ max(len) words.
		if s.Edits < 0 || s.Edits > max(nh, int(s.RefLen)) {
			t.Fatalf("%d edits for %d hypothesis and %g reference words", s.Edits, nh, s.RefLen)
		}
		if self, _ := TERSegmentStats(hyp, []string{hyp}, opt); hyp != "" && self.Edits != 0 {
			t.Fatalf("hypothesis against itself needs %d edits", self.Edits)
		}
	})
}

func BenchmarkCorpusTER(b *testing.B) {
	hyps, refs := mtBenchCorpus()
	for b.Loop() {
		if _, err := CorpusTER(hyps, refs, TEROptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func ExampleCorpusTER() {
	r, _ := CorpusTER([]string{"d e f g h a b c"}, [][]string{{"a b c d e f g h"}}, TEROptions{})
	fmt.Println(r)
	// Output: TER = 12.50
}

// terBeamLiteral is a direct transcription of sacreBLEU's
// BeamEditDistance._edit_distance without caching: a fresh matrix of
// "infinite" cells per call. It is the oracle for terBeam's row reuse and
// partial resets.
func terBeamLiteral(hyp, ref []int32) (int32, string) {
	nh, w := len(hyp), len(ref)+1
	dist := make([][]terCell, nh+1)
	for i := range dist {
		dist[i] = make([]terCell, w)
		for j := range dist[i] {
			dist[i][j] = terCell{terInf, terOpUndef}
			if i == 0 {
				dist[i][j] = terCell{int32(j), terOpIns}
			}
		}
	}
	ratio := 1.0
	if nh > 0 {
		ratio = float64(len(ref)) / float64(nh)
	}
	beam := terBeamWidth
	if float64(terBeamWidth) < ratio/2 {
		beam = int(math.Ceil(ratio/2 + terBeamWidth))
	}
	for i := 1; i <= nh; i++ {
		diag := int(math.Floor(float64(i) * ratio))
		minJ, maxJ := max(0, diag-beam), min(w, diag+beam)
		if i == nh {
			maxJ = w
		}
		for j := minJ; j < maxJ; j++ {
			if j == 0 {
				dist[i][j] = terCell{dist[i-1][j].cost + 1, terOpDel}
				continue
			}
			sub, op := int32(1), byte(terOpSub)
			if hyp[i-1] == ref[j-1] {
				sub, op = 0, terOpNop
			}
			for _, c := range []terCell{{dist[i-1][j-1].cost + sub, op}, {dist[i-1][j].cost + 1, terOpDel}, {dist[i][j-1].cost + 1, terOpIns}} {
				if dist[i][j].cost > c.cost {
					dist[i][j] = c
				}
			}
		}
	}
	trace := ""
	for i, j := nh, len(ref); i > 0 || j > 0; {
		op := dist[i][j].op
		trace = string(op) + trace
		switch op {
		case terOpSub, terOpNop:
			i, j = i-1, j-1
		case terOpIns:
			j--
		default:
			i--
		}
	}
	return dist[nh][len(ref)].cost, trace
}

func TestTERBeamMatchesLiteral(t *testing.T) {
	// Long, unequal sequences exercise the beam (25 each side of the
	// pseudo-diagonal) and its widening; successive hypotheses share
	// prefixes, exercising row reuse.
	rng := rand.New(rand.NewPCG(7, 11))
	for _, shape := range [][2]int{{3, 5}, {40, 40}, {80, 30}, {30, 90}, {10, 200}, {120, 119}} {
		nh, nr := shape[0], shape[1]
		ref := make([]int32, nr)
		for j := range ref {
			ref[j] = int32(rng.IntN(8))
		}
		b := newTERBeam(ref, nh)
		hyp := make([]int32, nh)
		for trial := range 30 {
			if trial == 0 {
				for i := range hyp {
					hyp[i] = int32(rng.IntN(8))
				}
			} else { // change one word: rows before it are reused
				hyp[rng.IntN(nh)] = int32(rng.IntN(8))
			}
			gotD, gotT := b.distance(hyp)
			wantD, wantT := terBeamLiteral(hyp, ref)
			if gotD != wantD || string(gotT) != wantT {
				t.Fatalf("%dx%d trial %d: distance %d trace %q, want %d %q", nh, nr, trial, gotD, gotT, wantD, wantT)
			}
		}
	}
}
