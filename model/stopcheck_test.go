package model

import (
	"math/rand/v2"
	"testing"

	"github.com/kshot-eval/kshot/eval"
	"github.com/kshot-eval/kshot/internal/sharedtest"
)

// TestStopCheckMatchesFullDecode checks eval.NewStopCheck, which decodes
// a suffix of the generation, against the rule it replaces — a stop string
// anywhere in the decoding of the whole generation — on random
// generations, with the GPT-2 byte-level tokenizer and GPT-1's, which
// trims the ends of its text: at every prefix until the first stop, both
// must agree.
func TestStopCheckMatchesFullDecode(t *testing.T) {
	gpt2, err := LoadTokenizer(sharedtest.Path(t, "fixtures/models/gpt2-tiny"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		tok   Tokenizer
		vocab int
		words string // half the tokens are drawn from its encoding
		until []string
	}{
		{"gpt2", gpt2, 50257, "café. The\n the of", []string{"\n", ". The", "é"}},
		{"gpt2 long stop", gpt2, 50257, "the of\n\n sing and of ing and", []string{"the of", "\n\n", "ing and"}},
		{"gpt1", tokGPT1Fixture(t), len(tokGPT1Vocab), "", []string{"low ", "er l", "w w", "st ne"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			pool := c.tok.Encode(c.words)
			next := func() int {
				if len(pool) > 0 && rng.IntN(2) == 0 {
					return pool[rng.IntN(len(pool))]
				}
				return rng.IntN(c.vocab)
			}
			stops := 0
			for g := range 300 {
				gen := make([]int, 0, 64)
				check := eval.NewStopCheck(c.tok, c.until)
				for len(gen) < 64 {
					gen = append(gen, next())
					_, full := eval.CutAtStop(c.tok.Decode(gen), c.until)
					if got := check(gen); got != full {
						t.Fatalf("generation %d, %d tokens %v (%q): check %v, whole decode %v", g, len(gen), gen, c.tok.Decode(gen), got, full)
					}
					if full {
						stops++
						break
					}
				}
			}
			if stops < 30 {
				t.Errorf("only %d of 300 generations hit a stop string: the test checks too little", stops)
			}
		})
	}
}
