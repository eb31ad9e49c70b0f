package eval

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// fakeLM is a LanguageModel that answers nothing; only Info matters here.
type fakeLM struct{ maxLen int }

func (f fakeLM) Info() ModelInfo { return ModelInfo{Name: "fake", MaxLength: f.maxLen} }
func (fakeLM) Loglikelihood(context.Context, []Loglikelihood) ([]LoglikelihoodResult, error) {
	return nil, nil
}
func (fakeLM) Rolling(context.Context, []Rolling) ([]RollingResult, error)    { return nil, nil }
func (fakeLM) Generate(context.Context, []Generate) ([]GenerateResult, error) { return nil, nil }

// countingLM counts whitespace-separated words as tokens.
type countingLM struct{ fakeLM }

func (countingLM) CountTokens(s string) int { return len(strings.Fields(s)) }

type plainTask struct{}

func (plainTask) Spec() TaskSpec                                           { return TaskSpec{Name: "plain"} }
func (plainTask) Instances(int, uint64) ([]Instance, error)                { return nil, nil }
func (plainTask) Score(Instance, []Response) (map[string][]float64, error) { return nil, nil }

type windowTask struct {
	plainTask
	w ContextWindow
}

func (t *windowTask) SetContextWindow(w ContextWindow) { t.w = w }

func TestShotsMax(t *testing.T) {
	if ShotsLabel(ShotsMax) != "max" || ShotsLabel(5) != "5" {
		t.Errorf("labels %q %q", ShotsLabel(ShotsMax), ShotsLabel(5))
	}
	wt := &windowTask{}
	SetContextWindow(wt, countingLM{fakeLM{2048}})
	if wt.w.Tokens != 2048 || wt.w.Count("a b c") != 3 {
		t.Errorf("window from a token counter: %d tokens, counts %d", wt.w.Tokens, wt.w.Count("a b c"))
	}
	SetContextWindow(wt, fakeLM{1024})
	if wt.w.Tokens != 1024 || wt.w.Count("héllo") != 6 {
		t.Errorf("window without a token counter: %d tokens, counts %d (want UTF-8 bytes)", wt.w.Tokens, wt.w.Count("héllo"))
	}
	SetContextWindow(plainTask{}, fakeLM{1024}) // no-op, must not panic
	for _, c := range []struct {
		task Task
		k    int
		ok   bool
	}{
		{plainTask{}, 0, true}, {plainTask{}, 3, true}, {plainTask{}, ShotsMax, false},
		{wt, ShotsMax, true}, {wt, -2, false},
	} {
		if err := CheckShots(c.task, c.k); (err == nil) != c.ok {
			t.Errorf("CheckShots(%T, %d) = %v, want ok=%v", c.task, c.k, err, c.ok)
		}
	}
}

func TestOracleThreshold(t *testing.T) {
	// Scores and labels, by hand: sorted by score the labels read
	// P P N P N N. Predicting the top 2 or the top 4 positive both give
	// MCC 6/√72 (TP 2 FP 0 TN 3 FN 1; TP 3 FP 1 TN 2 FN 0); the lower
	// threshold wins the tie, with accuracy 5/6.
	docs := []struct {
		s   float64
		pos bool
	}{{-0.51, true}, {-1.01, true}, {-1.51, false}, {-2.01, true}, {-3.01, false}, {-4.01, false}}
	sum := make([]float64, 2*ThresholdBins)
	for _, d := range docs {
		for i, v := range ThresholdStats(d.s, d.pos) {
			sum[i] += v
		}
	}
	r := BestThreshold(sum)
	if math.Abs(r.MCC-6/math.Sqrt(72)) > 1e-12 || math.Abs(r.Acc-5.0/6) > 1e-12 {
		t.Errorf("mcc %v acc %v, want %v and %v", r.MCC, r.Acc, 6/math.Sqrt(72), 5.0/6)
	}
	if r.TP != 3 || r.FP != 1 || r.TN != 2 || r.FN != 0 || !(r.Threshold > -3.01 && r.Threshold <= -2.01) {
		t.Errorf("chosen rule %+v, want threshold in (-3.01, -2.01] with TP 3 FP 1 TN 2 FN 0", r)
	}
	if got := OracleMCC().Score(sum); got != r.MCC {
		t.Errorf("OracleMCC %v", got)
	}
	if got := OracleAcc().Score(sum); got != r.Acc {
		t.Errorf("OracleAcc %v", got)
	}
	// One class only: every rule has MCC 0 (scikit-learn's convention).
	one := ThresholdStats(-1, true)
	if r := BestThreshold(one); r.MCC != 0 || r.Acc != 1 {
		t.Errorf("single positive document: %+v", r)
	}
	// Out-of-range scores are clamped into the end bins.
	if s := ThresholdStats(-100, false); s[0] != 1 {
		t.Error("score below the grid not in the first bin")
	}
	if s := ThresholdStats(3, true); s[2*ThresholdBins-1] != 1 {
		t.Error("score above the grid not in the last bin")
	}
}

// referenceDraw is the few-shot draw as documented, written out
// independently of FewShotDraw: a PCG generator seeded (seed, docID)
// draws uniform indices in [0, size) until k distinct ones other than
// exclude are found.
func referenceDraw(size, k, exclude int, seed uint64, docID int) []int {
	rng := rand.New(rand.NewPCG(seed, uint64(docID)))
	var out []int
	for len(out) < k {
		i := rng.IntN(size)
		if i != exclude && !slices.Contains(out, i) {
			out = append(out, i)
		}
	}
	return out
}

// TestFewShotDraw checks that the on-demand draw and SampleFewShot are the
// documented draw for every k, and that the sequence ends at the pool.
func TestFewShotDraw(t *testing.T) {
	for _, c := range []struct{ size, exclude, doc int }{{10, 3, 3}, {10, -1, 0}, {50, 49, 7}, {1, 0, 0}, {6, 9, 2}} {
		seq := NewFewShotDraw(c.size, c.exclude, 42, c.doc)
		avail := c.size
		if c.exclude >= 0 && c.exclude < c.size {
			avail--
		}
		if seq.Avail() != avail {
			t.Errorf("%+v: Avail %d, want %d", c, seq.Avail(), avail)
		}
		for k := 0; k <= avail; k++ {
			want := referenceDraw(c.size, k, c.exclude, 42, c.doc)
			got, err := SampleFewShot(c.size, k, c.exclude, 42, c.doc)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) || !slices.Equal(seq.First(k), want) {
				t.Fatalf("%+v, k=%d: SampleFewShot %v, FewShotDraw %v, want %v", c, k, got, seq.First(k), want)
			}
		}
		if seq.Has(avail) {
			t.Errorf("%+v: more than %d items drawn", c, avail)
		}
		if _, err := SampleFewShot(c.size, avail+1, c.exclude, 42, c.doc); err == nil {
			t.Errorf("%+v: %d-shot from a pool of %d: no error", c, avail+1, avail)
		}
	}
}

// TestPrompt checks the renderer against a hand-written prompt.
func TestPrompt(t *testing.T) {
	fs := FewShot{Description: "D\n", TargetDelimiter: " ", FewshotDelimiter: "\n\n"}
	got := fs.Prompt([]Example{{"Q: a", "b"}, {"Q: c", "d"}}, "Q: e")
	if want := "D\nQ: a b\n\nQ: c d\n\nQ: e"; got != want {
		t.Errorf("prompt %q, want %q", got, want)
	}
}

// fitTask refuses every k above fit, as a task whose prompts outgrow the
// window does, and records the ks it was built with.
type fitTask struct {
	windowTask
	fit   int
	built []int
}

func (t *fitTask) Instances(k int, _ uint64) ([]Instance, error) {
	t.built = append(t.built, k)
	if k > t.fit {
		return nil, &ShotsError{Task: "fit", Shots: k, Window: 64, Fit: t.fit, Docs: 1, Total: 1}
	}
	return nil, nil
}

// approxLM is a token counter that says its count is an upper bound.
type approxLM struct{ countingLM }

func (approxLM) CountsApprox() bool { return true }

func TestCheckFit(t *testing.T) {
	for _, c := range []struct {
		shots []int
		built []int
		fails bool
	}{
		{[]int{0, 1, 2}, []int{2, 2}, false},
		{[]int{0, 5, 1}, []int{5}, true}, // the largest k decides, first seed
		{[]int{0}, nil, false},
		{[]int{ShotsMax, 0}, nil, false},
	} {
		task := &fitTask{fit: 2}
		err := CheckFit(task, c.shots, []uint64{1, 2})
		var se *ShotsError
		if c.fails != errors.As(err, &se) || !slices.Equal(task.built, c.built) {
			t.Errorf("shots %v: error %v, built %v; want failure %v, built %v", c.shots, err, task.built, c.fails, c.built)
		}
	}
	if err := CheckFit(plainTask{}, []int{1000}, []uint64{1}); err != nil {
		t.Errorf("a task without a window: %v", err)
	}
	wt := &windowTask{}
	for _, c := range []struct {
		lm     LanguageModel
		approx bool
	}{{countingLM{fakeLM{64}}, false}, {fakeLM{64}, true}, {approxLM{countingLM{fakeLM{64}}}, true}} {
		SetContextWindow(wt, c.lm)
		if wt.w.Approx != c.approx {
			t.Errorf("%T: Approx %v, want %v", c.lm, wt.w.Approx, c.approx)
		}
	}
}
