package textscore

import (
	"math"
	"testing"
)

// The two lines of rouge-score's testdata/target.txt and
// testdata/prediction.txt (random letter strings built to exercise the
// tokenizer and stemmer) and its pyrouge_files/{target,prediction}_multi.0.txt,
// with the ROUGE-1.5.5 values rouge_scorer_test.py asserts to 5 places.
const (
	rougeTarget0 = `ZfbCUIUuePaiLVUlCaUXxkpu XPeWing tUHfPMuZ',-Xd Y BrUgVJing M-HV.-DgdDaY.rFDJCRing Ht-LM EKBDXkME,yz'RBr q'wtion wIojNbN wL,b .a-'XdQggyFl jB-RPP'iyOIcUxer tKM L`
	rougeTarget1 = `KsJdPByEtAor fE-Qg Dpdbring cw-WeFyu vC MoBL Xdn g wkvcEiGvKtion BDFhrpMtion psing sbKao Q m qiing LMmer HqqLFXe,XPY,J XsurkMer ,ed nB'wH'bWVHjWFEing tQ.saefZwJtKrTlixYpMMsJing UCAPwNHeYVjDing c T BUySKtion gMPfJpwGw p'NvxAoping eu pBwMBKV'I DNxqelhu,PHPxDEq,mtion SN`
	rougePred0   = `rFDJCRtion Ht-LM EKtDXkME,yz'RBr q'wer wrojNbN wL,b .a-'XdQggyFl jB-RPP'iyOIcUxi`
	rougePred1   = `n cw-WeFyu vC MoBL Xdn g wkvcEiGvKtion BDFhrpMer pstion sbKao Q m qier LMmed HqqLFXe,XPY,J XsurkMeo ,ed nB'wH'bWVHjWFEer tQ.saefZwJtKrTlixYpMMNJtion UCAPwNHeYVjD`

	rougeTargetMulti = "ZfbCUIUuePaiLVUlCaUXxkpu XPeWing tUHfPMuZ',-Xd Y BrUgVJing M-HV.-DgdDaY.rFDJCRing Ht-LM EKBDXkME,yz'RBr q'wtion wIojNbN wL,b .a-'XdQggyFl jB-RPP'iyOIcUxer tKM L\n" +
		"KsJdPByEtAor fE-Qg Dpdbring cw-WeFyu vC MoBL Xdn g wkvcEiGvKtion BDFhrpMtion psing sbKao Q m qiing LMmer HqqLFXe,XPY,J XsurkMer ,ed nB'wH'bWVHjWFEing tQ.saefZwJtKrTlixYpMMsJing UCAPwNHeYVjDing c T BUySKtion gMPfJpwGw p'NvxAoping eu pBwMBKV'I DNxqelhu,PHPxDEq,mtion SN\n" +
		"NhETebUbBk'er WOvoHMTjSRizKgH'vHiing Xu,hWxfs VkNE QhgKiLHE -HidivzoM.dO anhtion jbLQiSGDTCsuhREebUaKM dv J dVN tmbOT\n" +
		"vMR HDm,xOAetion D,tion HJtodT.mHl UIv-p VjWH'BdyWjnfGU-OjT aEMdFICyLWfQMtion wEMfdOKing AwkeKbO 'DxqNOHBH qKtVvm OYJl mM\n"
	rougePredMulti = "rFDJCRtion Ht-LM EKtDXkME,yz'RBr q'wer wrojNbN wL,b .a-'XdQggyFl jB-RPP'iyOIcUxi\n" +
		"n cw-WeFyu vC MoBL Xdn g wkvcEiGvKtion BDFhrpMer pstion sbKao Q m qier LMmed HqqLFXe,XPY,J XsurkMeo ,ed nB'wH'bWVHjWFEer tQ.saefZwJtKrTlixYpMMNJtion UCAPwNHeYVjD\n" +
		"xfs VkJE QhgKiLHE -HidivzoM.dO anhing jbLQiSGDTCsuhREebUaKM dv J\n" +
		"VjWH'BdyWjnfGU-OjTNaEMdFICyLWfQMing wEMfdOKijg AwkeKbO 'DxqNO\n"
)

func near(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol {
		t.Errorf("%s = %.6f, want %.6f", what, got, want)
	}
}

func nearScore(t *testing.T, what string, got, want Score, tol float64) {
	t.Helper()
	near(t, what+" precision", got.Precision, want.Precision, tol)
	near(t, what+" recall", got.Recall, want.Recall, tol)
	near(t, what+" fmeasure", got.F, want.F, tol)
}

// TestRougeScorerCases are the cases of rouge-score's rouge_scorer_test.py.
func TestRougeScorerCases(t *testing.T) {
	const exact = 1e-12
	for _, c := range []struct {
		name, target, pred string
		stem               bool
		kind               string
		want               Score
		tol                float64
	}{
		{"rouge1", "testing one two", "testing", false, "rouge1", Score{1, 1.0 / 3, 0.5}, exact},
		{"rouge2", "testing one two", "testing one", false, "rouge2", Score{1, 0.5, 2.0 / 3}, exact},
		{"rougeL consecutive", "testing one two", "testing one", false, "rougeL", Score{1, 2.0 / 3, 0.8}, exact},
		{"rougeL non-consecutive", "testing one two", "testing two", false, "rougeL", Score{1, 2.0 / 3, 0.8}, exact},
		{"rouge1 empty", "testing one two", "", false, "rouge1", Score{}, exact},
		{"rouge2 empty", "testing one two", "", false, "rouge2", Score{}, exact},
		{"rougeL empty", "testing one two", "", false, "rougeL", Score{}, exact},
		{"rougeLsum empty", "testing one two", "", false, "rougeLsum", Score{}, exact},
		// rougeLsum: 4 union-LCS hits over 5 target and 10 prediction tokens.
		{"rougeLsum lines", "w1 w2 w3 w4 w5", "w1 w2 w6 w7 w8\nw1 w3 w8 w9 w5", false, "rougeLsum", Score{0.4, 0.8, 0.5333}, 5e-5},
		{"rougeLsum empty target", "", "w1", false, "rougeLsum", Score{}, exact},
		{"rougeLsum only punctuation", "w1 w2 w3 w4 w5", "/", false, "rougeLsum", Score{}, exact},
		// Against ROUGE-1.5.5 (5 places).
		{"rouge1 vs 1.5.5 #0", rougeTarget0, rougePred0, false, "rouge1", Score{0.68750, 0.40741, 0.51163}, 5e-6},
		{"rouge1 vs 1.5.5 #1", rougeTarget1, rougePred1, false, "rouge1", Score{0.65385, 0.40476, 0.50000}, 5e-6},
		{"rouge1 stemmed #0", rougeTarget0, rougePred0, true, "rouge1", Score{0.68750, 0.40741, 0.51163}, 5e-6},
		{"rouge1 stemmed #1", rougeTarget1, rougePred1, true, "rouge1", Score{0.69231, 0.42857, 0.52941}, 5e-6},
		{"rouge2 vs 1.5.5 #0", rougeTarget0, rougePred0, false, "rouge2", Score{0.53333, 0.30769, 0.39024}, 5e-6},
		{"rouge2 vs 1.5.5 #1", rougeTarget1, rougePred1, false, "rouge2", Score{0.48000, 0.29268, 0.36364}, 5e-6},
		{"rouge2 stemmed #1", rougeTarget1, rougePred1, true, "rouge2", Score{0.48000, 0.29268, 0.36364}, 5e-6},
		{"rougeL vs 1.5.5 #0", rougeTarget0, rougePred0, false, "rougeL", Score{0.68750, 0.40741, 0.51163}, 5e-6},
		{"rougeL vs 1.5.5 #1", rougeTarget1, rougePred1, false, "rougeL", Score{0.65385, 0.40476, 0.50000}, 5e-6},
		{"rougeLsum stemmed vs 1.5.5", rougeTargetMulti, rougePredMulti, true, "rougeLsum", Score{0.66667, 0.36538, 0.47205}, 5e-6},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := Rouge(c.target, c.pred, c.stem)
			got := map[string]Score{"rouge1": r.Rouge1, "rouge2": r.Rouge2, "rougeL": r.RougeL, "rougeLsum": r.RougeLsum}[c.kind]
			nearScore(t, c.kind, got, c.want, c.tol)
		})
	}
}

// TestRougeLCSHelpers are rouge-score's testLcsTable, testUnionLcs and
// testSummaryLevelLcs, on tokens.
func TestRougeLCSHelpers(t *testing.T) {
	ref := []string{"1", "2", "3", "4", "5"}
	if got := lcsIndices(ref, []string{"2", "5", "3", "4"}); len(got) != 3 || got[0] != 1 || got[1] != 2 || got[2] != 3 {
		t.Errorf("lcs indices %v, want [1 2 3]", got)
	}
	if got := lcsIndices(ref, []string{"8", "9"}); len(got) != 0 {
		t.Errorf("lcs indices %v, want []", got)
	}
	u := unionLCS(ref, [][]string{{"1", "2", "6", "7", "8"}, {"1", "3", "8", "9", "5"}})
	if len(u) != 4 || u[0] != "1" || u[1] != "2" || u[2] != "3" || u[3] != "5" {
		t.Errorf("union lcs %v, want [1 2 3 5]", u)
	}
}

func TestRougeTokenize(t *testing.T) {
	for _, c := range []struct {
		in   string
		stem bool
		want []string
	}{
		// Non-alphanumerics split; case folded.
		{"The quick-brown FOX's tail.", false, []string{"the", "quick", "brown", "fox", "s", "tail"}},
		// Accented letters are not [a-z0-9]: they split words.
		{"café naïve", false, []string{"caf", "na", "ve"}},
		// Only tokens longer than 3 characters are stemmed.
		{"cats running dogs was", true, []string{"cat", "run", "dog", "was"}},
	} {
		got := RougeTokenize(c.in, c.stem)
		if len(got) != len(c.want) {
			t.Errorf("RougeTokenize(%q) = %q, want %q", c.in, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("RougeTokenize(%q) = %q, want %q", c.in, got, c.want)
				break
			}
		}
	}
}
