package model

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// tokTinyVocab is a small byte-level vocabulary: the 256 byte symbols
// (ids 0-255 in byte order) and a few merged tokens.
func tokTinyVocab(extra ...string) string {
	var b strings.Builder
	b.WriteString("{\n")
	for i := 0; i < 256; i++ {
		fmt.Fprintf(&b, "%q: %d,\n", string(byteToRune[i]), i)
	}
	for i, e := range extra {
		fmt.Fprintf(&b, "%q: %d,\n", e, 256+i)
	}
	s := strings.TrimSuffix(b.String(), ",\n")
	return s + "\n}\n"
}

func TestTokenizerFileErrors(t *testing.T) {
	vocab := tokTinyVocab("he", "Ġt", "Ġthe")
	merges := "#version: 0.2\nh e\nĠ t\nĠt he\n"
	cases := []struct {
		name          string
		vocab, merges string
		want          []string // substrings of the error; nil: no error
	}{
		{"valid", vocab, merges, nil},
		{"valid CRLF merges", vocab, strings.ReplaceAll(merges, "\n", "\r\n"), nil},
		{"valid without header or final newline", vocab, "h e\nĠ t\nĠt he", nil},
		{"vocab not JSON", "{\"a\": 1,\n oops}", merges, []string{"vocab.json:2", "invalid JSON"}},
		{"vocab truncated", "{\"a\": 1,", merges, []string{"vocab.json:1", "invalid JSON"}},
		{"vocab is an array", "[1, 2]", merges, []string{"vocab.json:1", "JSON object"}},
		{"vocab string id", "{\n\"a\": 0,\n\"b\": \"1\"\n}", "", []string{"vocab.json:3", `token "b": id must be a number`}},
		{"vocab fractional id", "{\"a\": 0.5}", "", []string{"vocab.json:1", "not an integer"}},
		{"vocab negative id", "{\"a\": -1}", "", []string{"vocab.json:1", "not an integer"}},
		{"vocab duplicate id", "{\n\"a\": 0,\n\"b\": 1,\n\"c\": 1\n}", "", []string{"vocab.json:4", `"b" and "c" have the same id 1`}},
		{"vocab duplicate token", "{\n\"a\": 0,\n\"a\": 1\n}", "", []string{"vocab.json:3", `"a" appears twice`}},
		{"vocab sparse ids", "{\"a\": 0, \"b\": 1000000}", "", []string{"vocab.json", "densely"}},
		{"vocab empty", "{}", "", []string{"vocab.json", "empty"}},
		{"vocab trailing data", "{\"a\": 0} {}", "", []string{"vocab.json:1", "after the vocabulary"}},
		{"merge with one token", vocab, "#version: 0.2\nh e\nĠt\n", []string{"merges.txt:3", "two tokens"}},
		{"merge with three tokens", vocab, "h e x\n", []string{"merges.txt:1", "two tokens"}},
		{"empty merge line", vocab, "h e\n\nĠ t\n", []string{"merges.txt:2", "two tokens"}},
		{"merge token not in vocab", vocab, "#version: 0.2\nh e\nq zz\n", []string{"merges.txt:3", `token "zz" is not in the vocabulary`}},
		{"merged token not in vocab", vocab, "h e\nt h\n", []string{"merges.txt:2", `merged token "th" is not in the vocabulary`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := gpt2FromBytes("vocab.json", []byte(c.vocab), "merges.txt", []byte(c.merges))
			if c.want == nil {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			var fe *TokenizerFileError
			if !errors.As(err, &fe) {
				t.Errorf("error %T is not a *TokenizerFileError", err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestTokenizerJSONErrors(t *testing.T) {
	valid := `{
  "added_tokens": [{"id": 3, "content": "<|endoftext|>", "special": true}],
  "normalizer": null,
  "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false},
  "model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2, "<|endoftext|>": 3}, "merges": ["a b"]}
}`
	cases := []struct {
		name string
		json string
		want []string // nil: no error
	}{
		{"valid", valid, nil},
		{"valid pair merges", strings.Replace(valid, `["a b"]`, `[["a", "b"]]`, 1), nil},
		{"syntax", "{\n\"model\": {\n}}}", []string{"tokenizer.json:3", "invalid"}},
		{"wrong type", `{"model": {"type": 7}}`, []string{"tokenizer.json:1", "model.type"}},
		{"wordpiece", `{"model": {"type": "WordPiece", "vocab": {"a": 0}}}`, []string{"model.type", `"WordPiece" is not supported`}},
		{"metaspace", strings.Replace(valid, `"ByteLevel"`, `"Metaspace"`, 1), []string{"pre_tokenizer", `"Metaspace" is not supported`}},
		{"normalizer", strings.Replace(valid, `"normalizer": null`, `"normalizer": {"type": "NFC"}`, 1), []string{"normalizer", `"NFC"`}},
		{"dropout", strings.Replace(valid, `"type": "BPE"`, `"type": "BPE", "dropout": 0.1`, 1), []string{"model.dropout"}},
		{"bad merge", strings.Replace(valid, `["a b"]`, `["a b", "ab"]`, 1), []string{"model.merges[1]", "two tokens"}},
		{"bad merge pair", strings.Replace(valid, `["a b"]`, `[["a", "b", "c"]]`, 1), []string{"model.merges[0]"}},
		{"merge not in vocab", strings.Replace(valid, `["a b"]`, `["a c"]`, 1), []string{"model.merges[0]", `token "c"`}},
		{"bad vocab id", strings.Replace(valid, `"ab": 2`, `"ab": "2"`, 1), []string{"tokenizer.json:5", "model.vocab", `token "ab"`}},
		{"added id clash", strings.Replace(valid, `"id": 3`, `"id": 2`, 1), []string{"added_tokens[0]", `which "ab" already has`}},
		{"added no id", strings.Replace(valid, `"id": 3, `, ``, 1), []string{"added_tokens[0]", "needs an id"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tok, err := tokenizerFromJSON("tokenizer.json", []byte(c.json), false)
			if c.want == nil {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if got := tok.Encode("ab<|endoftext|>ba"); !slices.Equal(got, []int{2, 3, 1, 0}) {
					t.Errorf("Encode = %v, want [2 3 1 0]", got)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

// TestByteLevelOptions covers tokenizer.json settings on hand-made files:
// dropped and unknown bytes, add_prefix_space, use_regex, ignore_merges and
// the lstrip/rstrip/single_word options of added tokens.
func TestByteLevelOptions(t *testing.T) {
	vocab := `{"a": 0, "b": 1, "ab": 2, "Ġ": 3, "Ġa": 4, "<unk>": 5, "<x>": 6, "Ġab": 7, "bab": 8, "Ġb": 9}`
	build := func(pre, model, added string) string {
		return fmt.Sprintf(`{"added_tokens": [%s], "pre_tokenizer": {"type": "ByteLevel"%s},
			"model": {"type": "BPE", "vocab": %s, "merges": ["a b", "Ġ a"]%s}}`, added, pre, vocab, model)
	}
	cases := []struct {
		name, json, text string
		want             []int
	}{
		// \x01 has no symbol: dropped before merging, so a and b merge.
		{"drop unknown byte", build(`, "use_regex": false`, "", ""), "a\x01b", []int{2}},
		{"unk", build(`, "use_regex": false`, `, "unk_token": "<unk>"`, ""), "a\x01\x01b", []int{0, 5, 5, 1}},
		{"fuse unk", build(`, "use_regex": false`, `, "unk_token": "<unk>", "fuse_unk": true`, ""), "a\x01\x01b", []int{0, 5, 1}},
		{"regex splits", build("", "", ""), "ab ab", []int{2, 3, 2}}, // Ġ a b: a b has the lower rank
		{"no regex", build(`, "use_regex": false`, "", ""), "ab ab", []int{2, 3, 2}},
		{"prefix space", build(`, "add_prefix_space": true`, "", ""), "ab", []int{3, 2}},
		{"ignore merges", build("", `, "ignore_merges": true`, ""), "bab", []int{8}},
		{"ignore merges, two bytes", build("", `, "ignore_merges": true`, ""), " b", []int{9}},
		{"two bytes", build("", "", ""), " b", []int{3, 1}},
		{"merges", build("", "", ""), "bab", []int{1, 2}},
		{"plain added", build("", "", `{"id": 6, "content": "<x>"}`), "a <x> b", []int{0, 3, 6, 3, 1}},
		{"lstrip", build("", "", `{"id": 6, "content": "<x>", "lstrip": true}`), "a <x> b", []int{0, 6, 3, 1}},
		{"rstrip", build("", "", `{"id": 6, "content": "<x>", "rstrip": true}`), "a <x> b", []int{0, 3, 6, 1}},
		{"single word alone", build("", "", `{"id": 6, "content": "<x>", "single_word": true}`), "a <x> b", []int{0, 3, 6, 3, 1}},
		// Inside a word <x> is not matched; its bytes have no symbols.
		{"single word inside", build("", "", `{"id": 6, "content": "<x>", "single_word": true}`), "a<x>b", []int{0, 1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tok, err := tokenizerFromJSON("tokenizer.json", []byte(c.json), false)
			if err != nil {
				t.Fatal(err)
			}
			if got := tok.Encode(c.text); !slices.Equal(got, c.want) {
				t.Errorf("Encode(%q) = %v, want %v", c.text, got, c.want)
			}
		})
	}
}
