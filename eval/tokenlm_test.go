package eval

import (
	"context"
	"reflect"
	"strings"
	"testing"
)

// byteTok is a tokenizer with one token per byte and EOT 256.
type byteTok struct{}

func (byteTok) Encode(s string) []int {
	ids := make([]int, len(s))
	for i := 0; i < len(s); i++ {
		ids[i] = int(s[i])
	}
	return ids
}
func (byteTok) Decode(ids []int) string {
	b := make([]byte, 0, len(ids))
	for _, id := range ids {
		if id < 256 {
			b = append(b, byte(id))
		}
	}
	return string(b)
}
func (byteTok) EOT() int { return 256 }

// recordScorer records the sequences it is asked to score and gives every
// token log-probability -1 and greedy when the token is even.
type recordScorer struct {
	maxLen int
	seen   []TokenSeq
}

func (r *recordScorer) MaxLength() int { return r.maxLen }
func (r *recordScorer) Score(_ context.Context, seqs []TokenSeq) ([]TokenScores, error) {
	out := make([]TokenScores, len(seqs))
	for i, s := range seqs {
		r.seen = append(r.seen, s)
		for _, t := range s.Tokens[s.From:] {
			out[i].LogProbs = append(out[i].LogProbs, -1)
			out[i].Greedy = append(out[i].Greedy, t%2 == 0)
		}
	}
	return out, nil
}
func (r *recordScorer) Generate(_ context.Context, reqs []TokenGenerate, stop func(int, []int) bool) ([][]int, error) {
	out := make([][]int, len(reqs))
	for i := range reqs {
		for _, c := range []byte("abc\ndef") {
			out[i] = append(out[i], int(c))
			if stop(i, out[i]) || len(out[i]) >= reqs[i].MaxNew {
				break
			}
		}
	}
	return out, nil
}

func TestEncodePair(t *testing.T) {
	tests := []struct {
		name      string
		req       Loglikelihood
		ctx, cont string
	}{
		{"plain", Loglikelihood{"The cat", " sat"}, "The cat", " sat"},
		{"trailing space moves", Loglikelihood{"The cat ", "sat"}, "The cat", " sat"},
		{"several trailing spaces", Loglikelihood{"Q:\n \t", "x"}, "Q:", "\n \tx"},
		{"all space context", Loglikelihood{"   ", "x"}, "", "   x"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, k := EncodePair(byteTok{}, tc.req)
			if got := (byteTok{}).Decode(c); got != tc.ctx {
				t.Errorf("context %q, want %q", got, tc.ctx)
			}
			if got := (byteTok{}).Decode(k); got != tc.cont {
				t.Errorf("continuation %q, want %q", got, tc.cont)
			}
		})
	}
	c, k := EncodePair(byteTok{}, Loglikelihood{"", "hi"})
	if !reflect.DeepEqual(c, []int{256}) || !reflect.DeepEqual(k, []int{'h', 'i'}) {
		t.Errorf("empty context: got %v %v, want [256] [104 105]", c, k)
	}
}

// TestRollingWindowsLMEval checks the disjoint windows against
// lm-evaluation-harness's own test (tests/test_utils.py,
// test_get_rolling_token_windows_v1: 34 tokens, max_seq_len 10,
// context_len 1, prefix token -100).
func TestRollingWindowsLMEval(t *testing.T) {
	toks := make([]int, 34)
	for i := range toks {
		toks[i] = i
	}
	gold := []struct{ in, pred []int }{
		{[]int{-100, 0, 1, 2, 3, 4, 5, 6, 7, 8}, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}},
		{[]int{9, 10, 11, 12, 13, 14, 15, 16, 17, 18}, []int{10, 11, 12, 13, 14, 15, 16, 17, 18, 19}},
		{[]int{19, 20, 21, 22, 23, 24, 25, 26, 27, 28}, []int{20, 21, 22, 23, 24, 25, 26, 27, 28, 29}},
		{[]int{23, 24, 25, 26, 27, 28, 29, 30, 31, 32}, []int{30, 31, 32, 33}},
	}
	wins := RollingWindows(toks, []int{-100}, 10, 0)
	if len(wins) != len(gold) {
		t.Fatalf("%d windows, want %d", len(wins), len(gold))
	}
	for i, w := range wins {
		in := w.Tokens[:len(w.Tokens)-1]
		pred := w.Tokens[w.From:]
		if !reflect.DeepEqual(in, gold[i].in) || !reflect.DeepEqual(pred, gold[i].pred) {
			t.Errorf("window %d: input %v predicts %v, want %v predicts %v", i, in, pred, gold[i].in, gold[i].pred)
		}
	}
}

func TestRollingWindowsStride(t *testing.T) {
	toks := []int{0, 1, 2, 3, 4, 5, 6}
	// max 4, stride 2: first window predicts 0..3 from [E 0 1 2],
	// then 4,5 with context [1 2 3], then 6 with context [2 3 4 5].
	wins := RollingWindows(toks, []int{9}, 4, 2)
	want := []TokenSeq{
		{Tokens: []int{9, 0, 1, 2, 3}, From: 1},
		{Tokens: []int{1, 2, 3, 4, 5}, From: 3},
		{Tokens: []int{2, 3, 4, 5, 6}, From: 4},
	}
	if !reflect.DeepEqual(wins, want) {
		t.Errorf("got %v, want %v", wins, want)
	}
	// every token scored exactly once
	n := 0
	for _, w := range wins {
		n += len(w.Tokens) - w.From
	}
	if n != len(toks) {
		t.Errorf("%d tokens scored, want %d", n, len(toks))
	}
}

func TestLoglikelihoodTruncation(t *testing.T) {
	sc := &recordScorer{maxLen: 5}
	lm, err := NewTokenLM(ModelInfo{Name: "fake"}, byteTok{}, sc)
	if err != nil {
		t.Fatal(err)
	}
	res, err := lm.Loglikelihood(context.Background(), []Loglikelihood{{"abcdefgh", " xy"}})
	if err != nil {
		t.Fatal(err)
	}
	// window 5 (+1): keep the last 6 tokens "gh xy" preceded by 'f'.
	want := TokenSeq{Tokens: []int{'f', 'g', 'h', ' ', 'x', 'y'}, From: 3}
	if !reflect.DeepEqual(sc.seen[0], want) {
		t.Errorf("scored %v, want %v", sc.seen[0], want)
	}
	if res[0].LogProb != -3 || res[0].Tokens != 3 || res[0].Greedy {
		t.Errorf("result %+v, want logprob -3 over 3 tokens, not greedy (' ' is even, 'y' odd)", res[0])
	}
	if _, err := lm.Loglikelihood(context.Background(), []Loglikelihood{{"a", " too long"}}); err == nil {
		t.Error("continuation longer than the window: no error")
	}
}

func TestGenerateStops(t *testing.T) {
	lm, _ := NewTokenLM(ModelInfo{Name: "fake"}, byteTok{}, &recordScorer{maxLen: 50})
	out, err := lm.Generate(context.Background(), []Generate{{Context: "q", Until: []string{"\n"}}, {Context: "q", Until: []string{"c"}, MaxTokens: 2}, {Context: "q"}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"abc", "ab", "abc\ndef"}
	for i, o := range out {
		if o.Text != want[i] {
			t.Errorf("generation %d = %q, want %q", i, o.Text, want[i])
		}
	}
}

// noEOT is byteTok without an end-of-text token (like GPT-1's vocabulary).
type noEOT struct{ byteTok }

func (noEOT) EOT() int { return -1 }

func TestNoEndOfTextToken(t *testing.T) {
	c, k := EncodePair(noEOT{}, Loglikelihood{"", "abc"})
	if !reflect.DeepEqual(c, []int{'a'}) || !reflect.DeepEqual(k, []int{'b', 'c'}) {
		t.Errorf("empty context without EOT: %v %v, want [a] [b c]", c, k)
	}
	wins := RollingWindows([]int{1, 2, 3, 4, 5}, nil, 3, 0)
	want := []TokenSeq{{Tokens: []int{1, 2, 3, 4}, From: 1}, {Tokens: []int{2, 3, 4, 5}, From: 3}}
	if !reflect.DeepEqual(wins, want) {
		t.Errorf("rolling without EOT: %v, want %v", wins, want)
	}
}

// countTok is byteTok recording the longest sequence it was asked to
// decode while watching is set.
type countTok struct {
	byteTok
	watching bool
	longest  int
}

func (c *countTok) Decode(ids []int) string {
	if c.watching {
		c.longest = max(c.longest, len(ids))
	}
	return c.byteTok.Decode(ids)
}

// longScorer generates 200 × "ab" then "\n\n", watching its tokenizer's
// decodes while the stop callback runs.
type longScorer struct{ tok *countTok }

func (longScorer) MaxLength() int { return 1000 }
func (longScorer) Score(context.Context, []TokenSeq) ([]TokenScores, error) {
	return nil, nil
}
func (s longScorer) Generate(_ context.Context, reqs []TokenGenerate, stop func(int, []int) bool) ([][]int, error) {
	text := strings.Repeat("ab", 200) + "\n\nrest"
	out := make([][]int, len(reqs))
	s.tok.watching = true
	defer func() { s.tok.watching = false }()
	for i := range reqs {
		for j := 0; j < len(text) && len(out[i]) < reqs[i].MaxNew; j++ {
			out[i] = append(out[i], int(text[j]))
			if stop(i, out[i]) {
				break
			}
		}
	}
	return out, nil
}

// TestStopCheckedIncrementally checks that the stop strings are looked
// for in the end of the generation, not in a decoding of all of it at
// every token, and that the stop is still found.
func TestStopCheckedIncrementally(t *testing.T) {
	tok := &countTok{}
	lm, _ := NewTokenLM(ModelInfo{Name: "fake"}, tok, longScorer{tok})
	out, err := lm.Generate(context.Background(), []Generate{{Context: "q", Until: []string{"\n\n", "ba\n"}, MaxTokens: 900}})
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.Repeat("ab", 200); out[0].Text != want {
		t.Errorf("text of %d bytes, want the %d before the stop", len(out[0].Text), len(want))
	}
	// The longest stop is 3 bytes: a suffix of 4 tokens, doubled at most
	// once when the last token decodes to nothing.
	if tok.longest > 8 {
		t.Errorf("the stop check decoded %d tokens at once, want at most 8", tok.longest)
	}
}
