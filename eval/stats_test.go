package eval

import (
	"math"
	"testing"
)

func mustAggregate(t *testing.T, m Metric, docs [][]float64, iters int, seed uint64) Aggregate {
	t.Helper()
	agg, err := AggregateMetric(m, docs, iters, seed)
	if err != nil {
		t.Fatal(err)
	}
	return agg
}

func TestMeanStderr(t *testing.T) {
	// acc 0.02 on 300 documents: s.d. with n-1 is sqrt(6·294/300/299),
	// over √300 — the acc_stderr lm-evaluation-harness reports (0.0080964).
	docs := make([][]float64, 300)
	for i := range docs {
		docs[i] = MeanStats(Bool(i < 6))
	}
	agg := mustAggregate(t, Mean("acc", true), docs, 0, 1)
	if agg.Value != 0.02 {
		t.Errorf("acc %v, want 0.02", agg.Value)
	}
	if math.Abs(agg.Stderr-0.008096409047527354) > 1e-12 {
		t.Errorf("stderr %v, want 0.008096409047527354", agg.Stderr)
	}
}

func TestCorpusMetrics(t *testing.T) {
	docs := [][]float64{WeightedStats(-10, 5), WeightedStats(-20, 5)}
	if got, want := WeightedPerplexity("word_perplexity").Score(SumStats(docs, nil)), math.Exp(3); math.Abs(got-want) > 1e-12 {
		t.Errorf("word_perplexity %v, want e^3 = %v", got, want)
	}
	if got, want := BitsPerByte().Score(SumStats(docs, nil)), 3/math.Ln2; math.Abs(got-want) > 1e-12 {
		t.Errorf("bits_per_byte %v, want %v", got, want)
	}
	// perplexity is per document: exp(-(−2 + −4)/2) = e^3.
	p := [][]float64{WeightedStats(-2, 1), WeightedStats(-4, 1)}
	if got := mustAggregate(t, Perplexity(), p, 100, 7); math.Abs(got.Value-math.Exp(3)) > 1e-12 || !(got.Stderr > 0) {
		t.Errorf("perplexity %+v, want e^3 with a positive bootstrap stderr", got)
	}
	a := mustAggregate(t, Perplexity(), p, 100, 7)
	b := mustAggregate(t, Perplexity(), p, 100, 7)
	if a.Stderr != b.Stderr {
		t.Errorf("bootstrap not reproducible with the same seed: %v vs %v", a.Stderr, b.Stderr)
	}
}

func TestCountWords(t *testing.T) {
	// Python: len(re.split(r"\s+", s))
	tests := map[string]int{"a b  c": 3, " a b": 3, "a b ": 3, "": 1, "a\n\nb": 2, " ": 2}
	for s, want := range tests {
		if got := CountWords(s); got != want {
			t.Errorf("CountWords(%q) = %d, want %d", s, got, want)
		}
	}
}

func TestAnswerMetrics(t *testing.T) {
	if ExactMatch("The Eiffel Tower!", []string{"eiffel tower"}) != 1 {
		t.Error("exact match after normalisation failed")
	}
	// SQuAD: pred "x b c", gold "b c d": 2 common, P=R=2/3, F1=2/3.
	if got := F1("x b c", []string{"b c d"}); math.Abs(got-2.0/3) > 1e-12 {
		t.Errorf("F1 = %v, want 2/3", got)
	}
}

func TestScoreChoices(t *testing.T) {
	res := ChoiceResult{Options: []LoglikelihoodResult{{LogProb: -4}, {LogProb: -6}}}
	// by characters: -4/2 = -2 vs -6/6 = -1 → option 1 wins acc_norm.
	s := ScoreChoices(res, []string{" a", " abcde"}, 1)
	if s.Acc != 0 || s.AccNorm != 1 {
		t.Errorf("got %+v, want acc 0, acc_norm 1", s)
	}
}

func TestSampleFewShot(t *testing.T) {
	got, err := SampleFewShot(10, 9, 3, 42, 3)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for _, i := range got {
		if i == 3 || seen[i] || i < 0 || i >= 10 {
			t.Fatalf("bad sample %v", got)
		}
		seen[i] = true
	}
	if _, err := SampleFewShot(5, 5, 0, 1, 0); err == nil {
		t.Error("k larger than the pool without the document: no error")
	}
}
