package model

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// tokGPT1Vocab and tokGPT1Merges are the files of Hugging Face's
// OpenAIGPTTokenizer test (tests/models/openai/test_tokenization_openai.py,
// after Sennrich et al.): ids are positions in this list.
var tokGPT1Vocab = []string{
	"l", "o", "w", "e", "r", "s", "t", "i", "d", "n", // 0-9
	"w</w>", "r</w>", "t</w>", "lo", "low", "er</w>", // 10-15
	"low</w>", "lowest</w>", "newer</w>", "wider</w>", "<unk>", // 16-20
}

const tokGPT1Merges = "#version: 0.2\nl o\nlo w\ne r</w>\n"

func tokGPT1VocabJSON(t testing.TB, words []string) []byte {
	t.Helper()
	m := map[string]int{}
	for i, w := range words {
		m[w] = i
	}
	data, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func tokGPT1Fixture(t testing.TB) Tokenizer {
	t.Helper()
	tok, err := gpt1FromBytes("vocab.json", tokGPT1VocabJSON(t, tokGPT1Vocab), "merges.txt", []byte(tokGPT1Merges))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestGPT1Encode: the first case is HF's test_full_tokenizer ("lower" →
// low, er</w> = 14, 15); the others are derived by hand from the three
// merges (l o, lo w, e r</w>) and BasicTokenizer's rules.
func TestGPT1Encode(t *testing.T) {
	tok := tokGPT1Fixture(t)
	cases := []struct {
		text string
		want []int
	}{
		{"lower", []int{14, 15}},
		{"LOWER", []int{14, 15}},                 // lower-cased
		{"lówer", []int{14, 15}},                 // accent stripped (NFD, Mn removed)
		{"  lower\t\n", []int{14, 15}},           // whitespace dropped
		{"lowest", []int{14, 3, 5, 12}},          // low e s t</w>
		{"newer", []int{9, 3, 2, 15}},            // n e w er</w>
		{"low,er", []int{13, 10, 20, 15}},        // lo w</w> | ,</w> unknown | er</w>
		{"lower <unk> x", []int{14, 15, 20, 20}}, // literal <unk>; x</w> unknown
		{"<UNK>", []int{20}},                     // lower-cased before special tokens are matched
		{"low\u00adest", []int{14, 3, 5, 12}},    // soft hyphen (Cf) removed
		{"", []int{}},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%q", c.text), func(t *testing.T) {
			if got := tok.Encode(c.text); !slices.Equal(got, c.want) {
				t.Errorf("Encode = %v, want %v", got, c.want)
			}
		})
	}
	if tok.EOT() != -1 || tok.VocabSize() != 21 {
		t.Errorf("EOT %d VocabSize %d, want -1 and 21", tok.EOT(), tok.VocabSize())
	}
}

// TestGPT1Decode: HF's get_input_output_texts pair ("lower newer" decodes
// to itself) and convert_tokens_to_string's </w> → space rule.
func TestGPT1Decode(t *testing.T) {
	tok := tokGPT1Fixture(t)
	cases := []struct {
		ids  []int
		want string
	}{
		{[]int{14, 15, 9, 3, 2, 15}, "lower newer"},
		{[]int{13, 10, 20, 15}, "low <unk>er"},
		{[]int{17}, "lowest"},
	}
	for _, c := range cases {
		if got := tok.Decode(c.ids); got != c.want {
			t.Errorf("Decode(%v) = %q, want %q", c.ids, got, c.want)
		}
	}
	if got := tok.Decode(tok.Encode("Lower NEWER")); got != "lower newer" {
		t.Errorf("round trip = %q", got)
	}
}

// TestBasicTokenize checks the BERT BasicTokenizer(do_lower_case=True)
// cases of Hugging Face's tests/models/bert/test_tokenization_bert.py.
func TestBasicTokenize(t *testing.T) {
	cases := []struct {
		text string
		want []string
	}{
		{" \tHeLLo!how  \n Are yoU?  ", []string{"hello", "!", "how", "are", "you", "?"}},
		{"H\u00E9llo", []string{"hello"}},
		{" \tHäLLo!how  \n Are yoU?  ", []string{"hallo", "!", "how", "are", "you", "?"}},
		{"ah\u535A\u63A8zz", []string{"ah", "\u535A", "\u63A8", "zz"}},
		{"a\n'll !!to?'d of, can't.", []string{"a", "'", "ll", "!", "!", "to", "?", "'", "d", "of", ",", "can", "'", "t", "."}},
		{"\u200E\u200F", nil},
		{"\xad", nil},
		{"UNwant\u00E9d,running", []string{"unwanted", ",", "running"}},
		{"A, naïve", []string{"a", ",", "naive"}},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%q", c.text), func(t *testing.T) {
			var got []string
			basicTokenize(lowerRunes(c.text), func(w string) { got = append(got, w) })
			if !slices.Equal(got, c.want) {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

// TestLoadTokenizerGPT1 checks that LoadTokenizer recognises GPT-1's
// merges by their </w> word ends.
func TestLoadTokenizerGPT1(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "vocab.json"), tokGPT1VocabJSON(t, tokGPT1Vocab), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "merges.txt"), []byte(tokGPT1Merges), 0o644); err != nil {
		t.Fatal(err)
	}
	tok, err := LoadTokenizer(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := tok.(*gpt1); !ok {
		t.Fatalf("LoadTokenizer gave %T, want the GPT-1 tokenizer", tok)
	}
	if got := tok.Encode("Lower"); !slices.Equal(got, []int{14, 15}) {
		t.Errorf("Encode = %v", got)
	}
	tok2, err := NewGPT1FromFiles(filepath.Join(dir, "vocab.json"), filepath.Join(dir, "merges.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if got := tok2.Encode("newer"); !slices.Equal(got, []int{9, 3, 2, 15}) {
		t.Errorf("NewGPT1FromFiles Encode = %v", got)
	}
}

// TestGPT1NoUnk: without <unk> in the vocabulary, unknown symbols are
// dropped (as tokenizers does for a BPE model without unk_token).
func TestGPT1NoUnk(t *testing.T) {
	words := slices.Clone(tokGPT1Vocab[:20])
	tok, err := gpt1FromBytes("vocab.json", tokGPT1VocabJSON(t, words), "merges.txt", []byte(tokGPT1Merges))
	if err != nil {
		t.Fatal(err)
	}
	if got := tok.Encode("low,er x"); !slices.Equal(got, []int{13, 10, 15}) {
		t.Errorf("Encode = %v, want [13 10 15]", got)
	}
}

// TestGPT1TokenizerJSON loads the same tokenizer in the form of a
// tokenizers tokenizer.json (BertNormalizer, BertPreTokenizer, BPE with
// end_of_word_suffix </w>). Added tokens are matched on the raw text there,
// so "<UNK>" is not the unknown token but the word "<", "unk", ">".
func TestGPT1TokenizerJSON(t *testing.T) {
	js := fmt.Sprintf(`{"added_tokens": [{"id": 20, "content": "<unk>", "special": true}],
		"normalizer": {"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true, "strip_accents": null, "lowercase": true},
		"pre_tokenizer": {"type": "BertPreTokenizer"},
		"model": {"type": "BPE", "unk_token": "<unk>", "end_of_word_suffix": "</w>", "vocab": %s, "merges": ["l o", "lo w", "e r</w>"]}}`,
		tokGPT1VocabJSON(t, tokGPT1Vocab))
	tok, err := tokenizerFromJSON("tokenizer.json", []byte(js), false)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		text string
		want []int
	}{
		{"Lower newer", []int{14, 15, 9, 3, 2, 15}},
		{"low,er", []int{13, 10, 20, 15}},
		{"x<unk>", []int{20, 20}},
		{"<UNK>", []int{20, 20, 9, 20, 20}}, // <</w>, u, n, k</w>, ></w>
	}
	for _, c := range cases {
		if got := tok.Encode(c.text); !slices.Equal(got, c.want) {
			t.Errorf("Encode(%q) = %v, want %v", c.text, got, c.want)
		}
	}
	if _, err := tokenizerFromJSON("tokenizer.json", []byte(js), true); err == nil {
		t.Error("NewGPT2FromTokenizerJSON accepted a GPT-1 tokenizer.json")
	}
}
