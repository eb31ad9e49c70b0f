package model

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Tokenizer converts text to token ids and back. Implementations are safe
// for concurrent use by multiple goroutines.
//
// GPT-2 tokenizers are lossless: Decode(Encode(s)) == s for every string s
// whose bytes are all in the vocabulary, which the real GPT-2 vocabulary
// guarantees (invalid UTF-8 included). GPT-1 lower-cases, strips accents and
// drops whitespace, so its Decode returns a normalised text, not the input.
type Tokenizer interface {
	// Encode returns the token ids of text. Special tokens such as
	// <|endoftext|> that appear literally in text are recognised and
	// encoded as their single id, as Hugging Face's tokenizers do.
	Encode(text string) []int
	// Decode returns the text of ids. An id outside the vocabulary is a
	// bug in the caller and panics; use DecodeChecked for untrusted ids.
	Decode(ids []int) string
	// VocabSize returns the number of token ids, one more than the
	// largest id (added tokens included).
	VocabSize() int
	// EOT returns the id of the end-of-text token <|endoftext|>, or -1
	// when the vocabulary has none (GPT-1).
	EOT() int
}

// checkedDecoder is implemented by the tokenizers of this package.
type checkedDecoder interface {
	decodeChecked(ids []int) (string, error)
}

// DecodeChecked is tok.Decode(ids) for ids from outside the program: it
// returns an error naming the first id that is not in the vocabulary
// instead of panicking.
func DecodeChecked(tok Tokenizer, ids []int) (string, error) {
	if c, ok := tok.(checkedDecoder); ok {
		return c.decodeChecked(ids)
	}
	for i, id := range ids {
		if id < 0 || id >= tok.VocabSize() {
			return "", fmt.Errorf("token id %d at position %d is not in the vocabulary (size %d)", id, i, tok.VocabSize())
		}
	}
	return tok.Decode(ids), nil
}

// LoadTokenizer loads the tokenizer of the model in dir. It uses, in this
// order: tokenizer.json (Hugging Face tokenizers: byte-level BPE, or BPE
// with </w> word ends for GPT-1); vocab.json + merges.txt (GPT-1 when the
// merges end words with </w>, else GPT-2 byte-level); encoder.json +
// vocab.bpe (OpenAI's GPT-2 files).
func LoadTokenizer(dir string) (Tokenizer, error) {
	has := func(name string) bool {
		st, err := os.Stat(filepath.Join(dir, name))
		return err == nil && !st.IsDir()
	}
	path := func(name string) string { return filepath.Join(dir, name) }
	switch {
	case has("tokenizer.json"):
		data, err := os.ReadFile(path("tokenizer.json"))
		if err != nil {
			return nil, err
		}
		return tokenizerFromJSON(path("tokenizer.json"), data, false)
	case has("vocab.json") && has("merges.txt"):
		vocab, merges, err := readPair(path("vocab.json"), path("merges.txt"))
		if err != nil {
			return nil, err
		}
		rules, err := parseMerges(path("merges.txt"), merges)
		if err != nil {
			return nil, err
		}
		if endsWords(rules) {
			return gpt1FromBytes(path("vocab.json"), vocab, path("merges.txt"), merges)
		}
		return gpt2FromBytes(path("vocab.json"), vocab, path("merges.txt"), merges)
	case has("encoder.json") && has("vocab.bpe"):
		return NewGPT2FromEncoderBPE(path("encoder.json"), path("vocab.bpe"))
	}
	var found []string
	for _, f := range []string{"vocab.json", "merges.txt", "encoder.json", "vocab.bpe"} {
		if has(f) {
			found = append(found, f)
		}
	}
	note := ""
	if len(found) > 0 {
		note = fmt.Sprintf(" (found only %s, which is not a complete pair)", strings.Join(found, ", "))
	}
	return nil, fmt.Errorf("no tokenizer files in %s: looked for tokenizer.json, vocab.json + merges.txt and encoder.json + vocab.bpe%s; "+
		"the model may need its tokenizer files copied in from its Hugging Face repository, where they sit beside config.json", dir, note)
}

// endsWords reports whether merges look like GPT-1's, whose tokens mark the
// end of a word with </w> (a few percent of the merges at least).
func endsWords(rules []mergeRule) bool {
	n := 0
	for _, m := range rules {
		if strings.HasSuffix(m.b, "</w>") {
			n++
		}
	}
	return n > 0 && n*20 >= len(rules)
}

// readPair reads a vocabulary file and a merges file.
func readPair(vocabPath, mergesPath string) (vocab, merges []byte, err error) {
	if vocab, err = os.ReadFile(vocabPath); err != nil {
		return nil, nil, err
	}
	if merges, err = os.ReadFile(mergesPath); err != nil {
		return nil, nil, err
	}
	return vocab, merges, nil
}

// NewGPT2FromFiles loads a GPT-2 byte-level BPE tokenizer from Hugging
// Face's vocab.json and merges.txt. <|endoftext|>, when in the vocabulary,
// is recognised in the input as GPT2Tokenizer does.
func NewGPT2FromFiles(vocabJSON, mergesTXT string) (Tokenizer, error) {
	vocab, merges, err := readPair(vocabJSON, mergesTXT)
	if err != nil {
		return nil, err
	}
	return gpt2FromBytes(vocabJSON, vocab, mergesTXT, merges)
}

// NewGPT2FromEncoderBPE loads a GPT-2 tokenizer from OpenAI's original
// encoder.json and vocab.bpe. It encodes exactly as NewGPT2FromFiles does,
// including the recognition of <|endoftext|> in the input, which OpenAI's
// encoder.py lacks.
func NewGPT2FromEncoderBPE(encoderJSON, vocabBPE string) (Tokenizer, error) {
	return NewGPT2FromFiles(encoderJSON, vocabBPE)
}

// NewGPT2FromTokenizerJSON loads a byte-level BPE tokenizer (GPT-2, GPT-Neo
// and the like) from a Hugging Face tokenizer.json: its BPE model, its
// ByteLevel pre-tokenizer settings and its added tokens. Truncation,
// padding and post-processing settings are ignored.
func NewGPT2FromTokenizerJSON(path string) (Tokenizer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return tokenizerFromJSON(path, data, true)
}

// parseVocabMerges parses a vocabulary file (JSON token → id) and a merges
// file, the pair both BPE tokenizers are built from.
func parseVocabMerges(vocabPath string, vocabData []byte, mergesPath string, mergesData []byte) ([]vocabEntry, []mergeRule, error) {
	vocab, err := parseVocab(vocabPath, vocabData, nil, 0, "")
	if err != nil {
		return nil, nil, err
	}
	rules, err := parseMerges(mergesPath, mergesData)
	if err != nil {
		return nil, nil, err
	}
	return vocab, rules, nil
}

// gpt2FromBytes builds a GPT-2 tokenizer from the contents of a vocabulary
// file and a merges file.
func gpt2FromBytes(vocabPath string, vocabData []byte, mergesPath string, mergesData []byte) (*byteLevel, error) {
	vocab, rules, err := parseVocabMerges(vocabPath, vocabData, mergesPath, mergesData)
	if err != nil {
		return nil, err
	}
	var opt byteLevelOptions
	for _, e := range vocab {
		if e.tok == eotText {
			opt.added = []addedToken{{content: eotText, id: e.id}}
		}
	}
	return newByteLevel(vocabPath, vocab, rules, opt)
}

// tokenizerFromJSON builds a tokenizer from tokenizer.json; byteLevelOnly
// rejects GPT-1 style files.
func tokenizerFromJSON(path string, data []byte, byteLevelOnly bool) (Tokenizer, error) {
	tj, vocab, rules, err := parseTokenizerJSON(path, data)
	if err != nil {
		return nil, err
	}
	m := tj.Model
	unsupported := func(field, msg string) error {
		return &TokenizerFileError{Path: path, Field: field, Msg: msg,
			Hint: "kshot reads GPT-2 style byte-level BPE and GPT-1 BPE with </w> word ends"}
	}
	if m.Dropout != nil && *m.Dropout != 0 {
		return nil, unsupported("model.dropout", "BPE dropout makes tokenization random and is not supported")
	}
	if m.ByteFallback {
		return nil, unsupported("model.byte_fallback", "byte fallback is not supported")
	}
	if m.ContinuingSubwordPrefix != nil && *m.ContinuingSubwordPrefix != "" {
		return nil, unsupported("model.continuing_subword_prefix", fmt.Sprintf("continuing-subword prefix %q is not supported", *m.ContinuingSubwordPrefix))
	}
	var added []addedToken
	for i, a := range tj.AddedTokens {
		field := fmt.Sprintf("added_tokens[%d]", i)
		if a.ID == nil || *a.ID < 0 || *a.ID >= maxTokenID {
			return nil, &TokenizerFileError{Path: path, Field: field, Msg: "added token needs an id in [0, 16777216)"}
		}
		if a.Content == "" {
			return nil, &TokenizerFileError{Path: path, Field: field, Msg: "added token has empty content"}
		}
		added = append(added, addedToken{content: a.Content, id: int32(*a.ID), singleWord: a.SingleWord, lstrip: a.Lstrip, rstrip: a.Rstrip})
	}
	if err := checkAdded(path, vocab, added); err != nil {
		return nil, err
	}
	unk := ""
	if m.UnkToken != nil {
		unk = *m.UnkToken
	}
	suffix := ""
	if m.EndOfWordSuffix != nil {
		suffix = *m.EndOfWordSuffix
	}
	pre := tj.PreTokenizer
	switch {
	case suffix == gpt1WordEnd && !byteLevelOnly:
		// GPT-1's pipeline is BERT's: anything else would tokenize differently.
		if pre == nil || pre.Type != "BertPreTokenizer" {
			return nil, unsupported("pre_tokenizer", "with </w> word ends only GPT-1's BertPreTokenizer is supported")
		}
		if n := tj.Normalizer; n == nil || n.Type != "BertNormalizer" || isFalse(n.Lowercase) ||
			isFalse(n.StripAccents) || isFalse(n.CleanText) || isFalse(n.HandleChineseChars) {
			return nil, unsupported("normalizer", "with </w> word ends only GPT-1's BertNormalizer "+
				"(lower-casing, accent stripping, clean-up, CJK spacing) is supported")
		}
		return newGPT1(path, vocab, rules, unk, added)
	case suffix != "":
		return nil, unsupported("model.end_of_word_suffix", fmt.Sprintf("end-of-word suffix %q is not supported here", suffix))
	}
	if pre == nil || pre.Type != "ByteLevel" {
		typ := "null"
		if pre != nil {
			typ = fmt.Sprintf("%q", pre.Type)
		}
		return nil, unsupported("pre_tokenizer", "pre-tokenizer "+typ+" is not supported, only ByteLevel")
	}
	if tj.Normalizer != nil {
		return nil, unsupported("normalizer", fmt.Sprintf("normalizer %q is not supported with a ByteLevel pre-tokenizer", tj.Normalizer.Type))
	}
	opt := byteLevelOptions{added: added, unk: unk, fuseUnk: m.FuseUnk, addPrefixSpace: pre.AddPrefixSpace,
		noRegex: pre.UseRegex != nil && !*pre.UseRegex, ignoreMerges: m.IgnoreMerges}
	return newByteLevel(path, vocab, rules, opt)
}

func isFalse(b *bool) bool { return b != nil && !*b }

// checkAdded rejects added tokens whose id the vocabulary or an earlier
// added token gives to another text.
func checkAdded(path string, vocab []vocabEntry, added []addedToken) error {
	if len(added) == 0 {
		return nil
	}
	byID := make(map[int32]string, len(vocab)+len(added))
	for _, e := range vocab {
		byID[e.id] = e.tok
	}
	seen := make(map[int32]string)
	for i, a := range added {
		other, ok := seen[a.id]
		if !ok {
			if tok, inVocab := byID[a.id]; inVocab && tok != a.content {
				other, ok = tok, true
			}
		}
		if ok && other != a.content {
			return &TokenizerFileError{Path: path, Field: fmt.Sprintf("added_tokens[%d]", i),
				Msg: fmt.Sprintf("added token %q has id %d, which %q already has", a.content, a.id, other)}
		}
		seen[a.id] = a.content
	}
	return nil
}

// tokenTable is the id → text table both BPE tokenizers decode with.
type tokenTable struct {
	vocabSize int
	tokText   []string // id → text; "" with !valid for unused ids
	valid     []bool
}

// VocabSize implements Tokenizer.
func (t *tokenTable) VocabSize() int { return t.vocabSize }

// concat joins the texts of ids, or fails on an id outside the vocabulary.
func (t *tokenTable) concat(ids []int) (string, error) {
	var b strings.Builder
	for i, id := range ids {
		if id < 0 || id >= t.vocabSize || !t.valid[id] {
			return "", fmt.Errorf("token id %d at position %d is not in the vocabulary (size %d)", id, i, t.vocabSize)
		}
		b.WriteString(t.tokText[id])
	}
	return b.String(), nil
}
