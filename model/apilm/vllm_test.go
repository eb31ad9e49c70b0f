package apilm

import (
	"context"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/kshot-eval/kshot/eval"
)

// TestProbeVLLM checks what the probe finds on the vLLM stand-in, field
// by field, for releases that echo with max_tokens 0 and for those that
// refuse it.
func TestProbeVLLM(t *testing.T) {
	for _, refuse := range []bool{false, true} {
		f := newFakeVLLM(t, newWordTok(), 2048)
		f.refuseZero = refuse
		r, err := Probe(context.Background(), Config{Endpoints: []string{f.url()}})
		if err != nil {
			t.Fatal(err)
		}
		want := Report{Server: "vLLM", Model: "gpt2-xl", Window: 2048, WindowSource: "GET /models max_model_len",
			PromptLogprobs: true, MaxTokensZero: "honoured", Stop: "honoured", LogprobsFormat: "completions",
			Completions: true, Chat: true, Tokenize: true}
		if refuse {
			want.MaxTokensZero, want.EchoMaxTokens, want.ScoringGenerates = "refused", 1, 1
		}
		got := Report{Server: r.Server, Model: r.Model, Window: r.Window, WindowSource: r.WindowSource,
			PromptLogprobs: r.PromptLogprobs, MaxTokensZero: r.MaxTokensZero, EchoMaxTokens: r.EchoMaxTokens,
			ScoringGenerates: r.ScoringGenerates, Stop: r.Stop, LogprobsFormat: r.LogprobsFormat,
			Completions: r.Completions, Chat: r.Chat, Tokenize: r.Tokenize}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("refuse max_tokens 0 %v: report\n %+v\nwant\n %+v\nnotes %q", refuse, got, want, r.Notes)
		}
		if r.ProbeTokenCount != len(words(ProbeText)) {
			t.Errorf("probe tokens %d, want %d (the stand-in's /tokenize)", r.ProbeTokenCount, len(words(ProbeText)))
		}
		for _, req := range []eval.Request{eval.Loglikelihood{}, eval.Rolling{}, eval.Generate{}} {
			if err := r.Refusal(req); err != nil {
				t.Errorf("Refusal(%T) on vLLM: %v", req, err)
			}
		}
	}
}

// TestOpenVLLM runs every request kind on the vLLM stand-in with a
// 32-token max_model_len, as kshot run does (Open: probe, then New):
// log-likelihoods and greedy flags against the toy model's values worked
// out by hand, a context longer than the window cut from the left so
// that no request passes max_model_len (the stand-in refuses those), a
// rolling text scored token by token exactly once, and generation cut at
// its stop string.
func TestOpenVLLM(t *testing.T) {
	long := strings.Repeat(" word", 60)
	text := "The" + strings.Repeat(" a b", 35) // 71 tokens
	for _, refuse := range []bool{false, true} {
		tok := newWordTok()
		f := newFakeVLLM(t, tok, 32)
		f.refuseZero = refuse
		m, err := Open(context.Background(), Config{Endpoints: []string{f.url()}, Tokenizer: tok, Retries: -1})
		if err != nil {
			t.Fatal(err)
		}
		// max_model_len less the prompt's unscored first token and what a
		// scoring request generates (0, or 1 where max_tokens 0 is refused).
		wantWindow := 31
		if refuse {
			wantWindow = 30
		}
		if m.MaxLength() != wantWindow {
			t.Errorf("refuse %v: window %d, want %d", refuse, m.MaxLength(), wantWindow)
		}
		got, err := m.Loglikelihood(context.Background(), []eval.Loglikelihood{
			{Context: "The cat sat on the", Continuation: " mat"},
			{Context: "Paris is in", Continuation: " France"},
			{Context: long, Continuation: " end"},
		})
		if err != nil {
			t.Fatalf("refuse %v: %v", refuse, err)
		}
		want := []eval.LoglikelihoodResult{
			{LogProb: -2, Greedy: true, Tokens: 1},    // " mat": 4 characters × -0.5, its own top-1
			{LogProb: -3.5, Greedy: false, Tokens: 1}, // " France": 7 × -0.5; " the" is the top-1
			{LogProb: -2, Greedy: true, Tokens: 1},    // " end", after the context cut to the window
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("refuse %v: loglikelihood %+v, want %+v", refuse, got, want)
		}
		roll, err := m.Rolling(context.Background(), []eval.Rolling{{Text: text}})
		if err != nil {
			t.Fatal(err)
		}
		// Every token of the text once: "The" (-1.5) and 70 one-letter
		// words with their space (-1 each).
		if roll[0].Tokens != 71 || math.Abs(roll[0].LogProb-(-1.5-70)) > 1e-9 {
			t.Errorf("refuse %v: rolling %+v, want 71 tokens, log-probability %g", refuse, roll[0], -1.5-70.0)
		}
		gen, err := m.Generate(context.Background(), []eval.Generate{{Context: "Q: capital of France?\nA:", Until: []string{"\n"}, MaxTokens: 8}})
		if err != nil || gen[0].Text != " Paris." {
			t.Errorf("refuse %v: generate %+v %v, want \" Paris.\"", refuse, gen, err)
		}
		if f.longest > 32 {
			t.Errorf("refuse %v: a request of %d tokens reached a 32-token server", refuse, f.longest)
		}
	}
}
