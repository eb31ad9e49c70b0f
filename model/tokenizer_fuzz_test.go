package model

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/kshot-eval/kshot/internal/sharedtest"
)

// FuzzRoundTrip checks that the GPT-2 tokenizer is lossless: Decode(Encode(s))
// == s for any input (valid UTF-8 or not), that every id is in range, and
// that the heap merge agrees with the scan merge on the input's bytes.
func FuzzRoundTrip(f *testing.F) {
	for _, v := range tokLlamaCppVectors(f) {
		f.Add(v.text)
	}
	f.Add("<|endoftext|>x<|endoftext|><|endoftext")
	f.Add("'s's 'S 're've'll'd'm't ?!")
	f.Add(strings.Repeat("ab", 40) + "\xff\xfe")
	tok, ok := tokGPT2Loaders(f)["tokenizer.json"].(*byteLevel)
	if !ok {
		f.Fatal("GPT-2 tokenizer is not a *byteLevel")
	}
	f.Fuzz(func(t *testing.T, s string) {
		ids := tok.Encode(s)
		for _, id := range ids {
			if id < 0 || id >= tok.VocabSize() {
				t.Fatalf("Encode(%q) gave id %d", s, id)
			}
		}
		if back := tok.Decode(ids); back != s {
			t.Fatalf("Decode(Encode(%q)) = %q (ids %v)", s, back, ids)
		}
		tokMergeAgree(t, tok.merges, s, tok.byteID[:])
	})
}

// tokMergeAgree compares merge (scan or heap by length), the heap merge
// and a plain reference loop on the bytes of s.
func tokMergeAgree(t *testing.T, m *mergeTable, s string, byteID []int32) {
	t.Helper()
	var syms []int32
	for i := 0; i < len(s) && len(syms) < 300; i++ {
		if id := byteID[s[i]]; id >= 0 {
			syms = append(syms, id)
		}
	}
	ref := tokScanMerge(m, slices.Clone(syms))
	if heap := m.mergeHeap(slices.Clone(syms)); !slices.Equal(heap, ref) {
		t.Fatalf("merges of %q: heap %v, reference %v", s, heap, ref)
	}
	if got := m.merge(slices.Clone(syms)); !slices.Equal(got, ref) {
		t.Fatalf("merges of %q: merge %v, reference %v", s, got, ref)
	}
}

// tokScanMerge is the quadratic reference merge for any length: merge the
// leftmost pair of lowest rank until none is left.
func tokScanMerge(m *mergeTable, syms []int32) []int32 {
	for {
		best, bestRank, bestID := -1, noRank, int32(0)
		for i := 0; i+1 < len(syms); i++ {
			if r, id, ok := m.get(syms[i], syms[i+1]); ok && r < bestRank {
				best, bestRank, bestID = i, r, id
			}
		}
		if best < 0 {
			return syms
		}
		syms[best] = bestID
		syms = append(syms[:best+1], syms[best+2:]...)
	}
}

// tokFuzzMerges is a small valid merges file over tokTinyVocab's extras.
const tokFuzzMerges = "#version: 0.2\nh e\nĠ t\nĠt he\nĠ Ġ\nĠĠ ĠĠ\n"

var tokFuzzExtras = []string{"he", "Ġt", "Ġthe", "ĠĠ", "ĠĠĠĠ"}

// tokCheckLoadError requires a loader error to be a *TokenizerFileError
// naming the file, or a plain error for reading problems.
func tokCheckLoadError(t *testing.T, err error, paths ...string) {
	t.Helper()
	var fe *TokenizerFileError
	if !errors.As(err, &fe) {
		t.Fatalf("error %T %v is not a *TokenizerFileError", err, err)
	}
	if !slices.Contains(paths, fe.Path) {
		t.Fatalf("error %q names %q, want one of %q", err, fe.Path, paths)
	}
	if msg := err.Error(); msg == "" || strings.ToLower(fe.Msg[:1]) != fe.Msg[:1] {
		t.Fatalf("error message %q should start lower-case", fe.Msg)
	}
}

// tokExercise encodes and decodes a few texts with a freshly loaded
// tokenizer: nothing may panic and every id must decode.
func tokExercise(t *testing.T, tok Tokenizer) {
	t.Helper()
	for _, s := range []string{"", "the  the\the", "Hello, world! 'll <|endoftext|> \xff", strings.Repeat("he", 30)} {
		ids := tok.Encode(s)
		if _, err := DecodeChecked(tok, ids); err != nil {
			t.Fatalf("Encode(%q) = %v: %v", s, ids, err)
		}
	}
}

// FuzzLoadVocab feeds arbitrary vocab.json contents to the GPT-2 and GPT-1
// loaders: a malformed file must give a *TokenizerFileError, never a panic.
func FuzzLoadVocab(f *testing.F) {
	f.Add([]byte(tokTinyVocab(tokFuzzExtras...)))
	f.Add([]byte(`{"a": 0, "b": 1, "ab": 2}`))
	f.Add([]byte(`{"a": 0, "b": 0}`))
	f.Add([]byte(`{"a": "0"}`))
	f.Add([]byte(`{"\u0120t": 1e3, "x": -0}`))
	f.Add([]byte(`[{"a": 0}]`))
	f.Add([]byte(`{"a": 0,}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tok, err := gpt2FromBytes("vocab.json", data, "merges.txt", []byte(tokFuzzMerges))
		if err != nil {
			tokCheckLoadError(t, err, "vocab.json", "merges.txt")
		} else {
			tokExercise(t, tok)
		}
		g, err := gpt1FromBytes("vocab.json", data, "merges.txt", []byte("#version: 0.2\n"))
		if err != nil {
			tokCheckLoadError(t, err, "vocab.json", "merges.txt")
		} else {
			tokExercise(t, g)
		}
	})
}

// FuzzLoadMerges feeds arbitrary merges files with a vocabulary that holds
// every byte: a loaded tokenizer must still round-trip, and its heap and
// scan merges must agree.
func FuzzLoadMerges(f *testing.F) {
	vocab := []byte(tokTinyVocab(tokFuzzExtras...))
	f.Add([]byte(tokFuzzMerges), "the  the")
	f.Add([]byte("#version: 0.2\n#version: 0.2\nh e\r\n"), "he")
	f.Add([]byte("h e x\n"), "")
	f.Add([]byte("he Ġt\n"), "")
	f.Add([]byte("ĠĠ ĠĠ\nĠ Ġ\n"), strings.Repeat(" ", 70))
	f.Add([]byte("\n\n"), "")
	f.Fuzz(func(t *testing.T, merges []byte, text string) {
		tok, err := gpt2FromBytes("vocab.json", vocab, "merges.txt", merges)
		if err != nil {
			tokCheckLoadError(t, err, "vocab.json", "merges.txt")
			return
		}
		tokExercise(t, tok)
		if back := tok.Decode(tok.Encode(text)); back != text {
			t.Fatalf("Decode(Encode(%q)) = %q", text, back)
		}
		tokMergeAgree(t, tok.merges, text+strings.Repeat(text, 60/(len(text)+1)), tok.byteID[:])
	})
}

// FuzzTokenizerJSON feeds arbitrary tokenizer.json contents to the loader.
func FuzzTokenizerJSON(f *testing.F) {
	for _, s := range sharedtest.Corrupted(f, 0, "data/tiny_gpt2/tokenizer.json") {
		f.Add(s)
	}
	f.Add([]byte(`{"added_tokens": [{"id": 3, "content": "<|endoftext|>", "special": true}],
		"pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": true, "use_regex": false},
		"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2, "<|endoftext|>": 3}, "merges": ["a b"]}}`))
	f.Add([]byte(`{"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": [["a", "b"]],
		"unk_token": "a", "fuse_unk": true, "ignore_merges": true}, "pre_tokenizer": {"type": "ByteLevel"}}`))
	f.Add([]byte(`{"normalizer": {"type": "BertNormalizer"}, "pre_tokenizer": {"type": "BertPreTokenizer"},
		"added_tokens": [{"id": 4, "content": "<unk>", "special": true}],
		"model": {"type": "BPE", "end_of_word_suffix": "</w>", "unk_token": "<unk>",
		"vocab": {"l": 0, "o": 1, "w</w>": 2, "lo": 3, "<unk>": 4}, "merges": ["l o"]}}`))
	f.Add([]byte(`{"model": {"type": "BPE", "vocab": [], "merges": "x"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tok, err := tokenizerFromJSON("tokenizer.json", data, false)
		if err != nil {
			tokCheckLoadError(t, err, "tokenizer.json")
			return
		}
		tokExercise(t, tok)
	})
}

// FuzzGPT1Encode checks that GPT-1's text pipeline never panics and gives
// only vocabulary ids, for any input.
func FuzzGPT1Encode(f *testing.F) {
	f.Add("Lower NEWER, wider! <unk> <UNK> naïve 博推 \u00ad\u200e İ ΣΑΣ")
	f.Add("\xff\xfe low")
	tok := tokGPT1Fixture(f)
	f.Fuzz(func(t *testing.T, s string) {
		ids := tok.Encode(s)
		if _, err := DecodeChecked(tok, ids); err != nil {
			t.Fatalf("Encode(%q) = %v: %v", s, ids, err)
		}
	})
}
