package model

import (
	"os"
	"testing"

	"github.com/kshot-eval/kshot/internal/sharedtest"
)

// BenchmarkEncodeWikitext encodes WikiText-2's raw test set (1.29 MB) with
// the GPT-2 tokenizer; go test -bench prints the throughput in MB/s.
// "warm" reuses the word cache between iterations, as a long evaluation
// does; "cold" starts every iteration with an empty cache.
func BenchmarkEncodeWikitext(b *testing.B) {
	text, err := os.ReadFile(sharedtest.Path(b, "data/wikitext2/wiki.test.raw"))
	if err != nil {
		b.Fatal(err)
	}
	tok, ok := tokGPT2Loaders(b)["vocab.json+merges.txt"].(*byteLevel)
	if !ok {
		b.Fatal("GPT-2 tokenizer is not a *byteLevel")
	}
	s := string(text)
	b.Run("warm", func(b *testing.B) {
		tok.Encode(s)
		b.SetBytes(int64(len(s)))
		for b.Loop() {
			tok.Encode(s)
		}
	})
	b.Run("cold", func(b *testing.B) {
		b.SetBytes(int64(len(s)))
		for b.Loop() {
			fresh := *tok
			fresh.cache = newWordCache(tok.vocabSize)
			fresh.Encode(s)
		}
	})
}

// BenchmarkEncodeGPT1 encodes the same text with GPT-1's pipeline over a
// small hand-made vocabulary, which exercises the BasicTokenizer and the
// unknown-symbol path rather than the merges.
func BenchmarkEncodeGPT1(b *testing.B) {
	text, err := os.ReadFile(sharedtest.Path(b, "data/wikitext2/wiki.test.raw"))
	if err != nil {
		b.Fatal(err)
	}
	tok := tokGPT1Fixture(b)
	s := string(text)
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		tok.Encode(s)
	}
}
