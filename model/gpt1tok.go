package model

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// This file holds GPT-1's (openai-gpt) tokenizer as Hugging Face's
// OpenAIGPTTokenizer computes it when spaCy and ftfy are not installed:
// BERT's BasicTokenizer (clean-up, lower-casing, accent stripping,
// punctuation splitting), then BPE over characters with </w> appended to
// the last character of each word.

// gpt1WordEnd marks the end of a word in GPT-1 tokens.
const gpt1WordEnd = "</w>"

// gpt1 is GPT-1's tokenizer.
type gpt1 struct {
	tokenTable // tokText: the token as in the vocabulary ("low", "er</w>")
	ids        map[string]int32
	merges     *mergeTable
	unk        int32         // id of <unk>; -1 drops unknown symbols
	specials   *addedMatcher // special tokens matched in the text, nil if none
	// lowerFirst lower-cases the text before special tokens are matched,
	// as the Python tokenizer does (tokenize() with do_lower_case);
	// tokenizer.json files match them on the raw text.
	lowerFirst bool
	cache      *wordCache
}

// NewGPT1FromFiles loads GPT-1's tokenizer from Hugging Face's vocab.json
// and merges.txt (openai-gpt). Text is lower-cased and stripped of accents,
// so Decode(Encode(s)) is a normalised s: lower-case, one space between
// words and around punctuation. A symbol outside the vocabulary becomes
// <unk>, or is dropped when the vocabulary has no <unk> (the Python
// tokenizer would produce None there and fail). GPT-1 has no end-of-text
// token: EOT returns -1.
func NewGPT1FromFiles(vocabJSON, mergesTXT string) (Tokenizer, error) {
	vocab, merges, err := readPair(vocabJSON, mergesTXT)
	if err != nil {
		return nil, err
	}
	return gpt1FromBytes(vocabJSON, vocab, mergesTXT, merges)
}

func gpt1FromBytes(vocabPath string, vocabData []byte, mergesPath string, mergesData []byte) (*gpt1, error) {
	vocab, rules, err := parseVocabMerges(vocabPath, vocabData, mergesPath, mergesData)
	if err != nil {
		return nil, err
	}
	unk := ""
	var specials []addedToken
	for _, e := range vocab {
		if e.tok == "<unk>" {
			unk = e.tok
			specials = append(specials, addedToken{content: e.tok, id: e.id})
		}
	}
	t, err := newGPT1(vocabPath, vocab, rules, unk, specials)
	if err != nil {
		return nil, err
	}
	t.lowerFirst = true
	return t, nil
}

func newGPT1(vocabPath string, vocab []vocabEntry, merges []mergeRule, unk string, specials []addedToken) (*gpt1, error) {
	t := &gpt1{unk: -1, ids: make(map[string]int32, len(vocab))}
	maxID := int32(-1)
	for _, e := range vocab {
		t.ids[e.tok] = e.id
		maxID = max(maxID, e.id)
	}
	for _, a := range specials {
		maxID = max(maxID, a.id)
	}
	if int(maxID) >= 2*(len(vocab)+len(specials))+256 {
		return nil, &TokenizerFileError{Path: vocabPath, Msg: fmt.Sprintf("ids run up to %d for %d tokens", maxID, len(vocab)),
			Hint: "a vocabulary numbers its tokens densely from 0"}
	}
	t.vocabSize = int(maxID) + 1
	t.cache = newWordCache(t.vocabSize)
	t.tokText = make([]string, t.vocabSize)
	t.valid = make([]bool, t.vocabSize)
	for _, e := range vocab {
		t.tokText[e.id], t.valid[e.id] = e.tok, true
	}
	for _, a := range specials {
		t.tokText[a.id], t.valid[a.id] = a.content, true
	}
	var err error
	if t.merges, err = buildMerges(vocabPath, t.ids, merges); err != nil {
		return nil, err
	}
	t.unk = lookupUnk(unk, t.ids, specials)
	t.specials = newAddedMatcher(specials)
	return t, nil
}

// Encode implements Tokenizer.
func (t *gpt1) Encode(text string) []int {
	if t.lowerFirst {
		text = lowerRunes(text)
	}
	return t.specials.encode(make([]int, 0, len(text)/4+4), text, t.encodeText)
}

// encodeText runs BERT's BasicTokenizer over s and appends the BPE ids of
// its words to out.
func (t *gpt1) encodeText(out []int, s string) []int {
	basicTokenize(s, func(word string) { out = t.encodeWord(out, word) })
	return out
}

// encodeWord appends the ids of one word: its characters, the last with
// </w> appended, merged by rank.
func (t *gpt1) encodeWord(out []int, w string) []int {
	ids, ok := t.cache.get(w)
	if !ok {
		syms := make([]int32, 0, len(w))
		for i := 0; i < len(w); {
			_, size := utf8.DecodeRuneInString(w[i:])
			s := w[i : i+size]
			if i += size; i == len(w) {
				s += gpt1WordEnd
			}
			id, known := t.ids[s]
			if !known {
				id = -1 // never merges; becomes <unk> below
			}
			syms = append(syms, id)
		}
		ids = t.merges.merge(syms)
		t.cache.put(w, ids)
	}
	for _, id := range ids {
		switch {
		case id >= 0:
			out = append(out, int(id))
		case t.unk >= 0:
			out = append(out, int(t.unk))
		}
	}
	return out
}

// Decode implements Tokenizer as OpenAIGPTTokenizer.convert_tokens_to_string
// does: the tokens joined, </w> turned into a space, the ends trimmed. It
// panics on an id outside the vocabulary; DecodeChecked returns an error.
func (t *gpt1) Decode(ids []int) string {
	s, err := t.decodeChecked(ids)
	if err != nil {
		panic("model: " + err.Error())
	}
	return s
}

func (t *gpt1) decodeChecked(ids []int) (string, error) {
	s, err := t.concat(ids)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(strings.ReplaceAll(s, gpt1WordEnd, " ")), nil
}

// VocabSize implements Tokenizer.

// EOT implements Tokenizer: GPT-1 has no end-of-text token.
func (t *gpt1) EOT() int { return -1 }

// lowerRunes lower-cases s one character at a time, as Python's
// str.lower() on single characters does (no final-sigma rule; İ becomes
// i + U+0307).
func lowerRunes(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			b.WriteByte(c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteByte(c) // keep an invalid byte as it is
		case r == 'İ':
			b.WriteString("i\u0307")
		default:
			b.WriteRune(unicode.ToLower(r))
		}
		i += size
	}
	return b.String()
}

// isChineseChar reports whether r is in the CJK blocks BERT's
// BasicTokenizer surrounds with spaces.
func isChineseChar(r rune) bool {
	return (r >= 0x4E00 && r <= 0x9FFF) || (r >= 0x3400 && r <= 0x4DBF) ||
		(r >= 0x20000 && r <= 0x2A6DF) || (r >= 0x2A700 && r <= 0x2B73F) ||
		(r >= 0x2B740 && r <= 0x2B81F) || (r >= 0x2B820 && r <= 0x2CEAF) ||
		(r >= 0xF900 && r <= 0xFAFF) || (r >= 0x2F800 && r <= 0x2FA1F)
}

// isBertPunct is BERT's _is_punctuation: all non-alphanumeric printable
// ASCII, and Unicode punctuation (category P*).
func isBertPunct(r rune) bool {
	if r < utf8.RuneSelf {
		return (r >= 33 && r <= 47) || (r >= 58 && r <= 64) || (r >= 91 && r <= 96) || (r >= 123 && r <= 126)
	}
	return unicode.IsPunct(r)
}

// isBertControl is BERT's _is_control: categories Cc and Cf except tab,
// newline and carriage return.
func isBertControl(r rune) bool {
	if r == '\t' || r == '\n' || r == '\r' {
		return false
	}
	return unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r)
}

// isBertSpace is BERT's _is_whitespace: space, tab, newline, carriage
// return and category Zs.
func isBertSpace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\r' || unicode.Is(unicode.Zs, r)
}

// basicTokenize is BERT's BasicTokenizer(do_lower_case=True) as
// OpenAIGPTTokenizer uses it, calling yield for every word: control
// characters, NUL and U+FFFD removed, whitespace unified, CJK characters
// and punctuation split off, each word lower-cased and stripped of
// combining marks (NFD, then category Mn removed).
func basicTokenize(s string, yield func(word string)) {
	// Clean-up and lower-casing are both per character, so one pass does
	// both; whitespace becomes a single ASCII space.
	clean := make([]byte, 0, len(s)+8)
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			switch {
			case c == ' ' || c == '\t' || c == '\n' || c == '\r':
				clean = append(clean, ' ')
			case c < 0x20 || c == 0x7f: // control characters, NUL included
			case 'A' <= c && c <= 'Z':
				clean = append(clean, c+'a'-'A')
			default:
				clean = append(clean, c)
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError || isBertControl(r):
			// U+FFFD and invalid bytes (which Python text cannot hold) go too.
		case isBertSpace(r):
			clean = append(clean, ' ')
		case isChineseChar(r):
			clean = append(clean, ' ')
			clean = utf8.AppendRune(clean, r)
			clean = append(clean, ' ')
		case r == 'İ':
			clean = append(clean, "i\u0307"...)
		default:
			clean = utf8.AppendRune(clean, unicode.ToLower(r))
		}
	}
	text := string(clean)
	for _, tok := range strings.FieldsFunc(text, unicode.IsSpace) {
		if !isASCII(tok) {
			tok = stripMarks(norm.NFD.String(tok))
		}
		start := 0 // beginning of the pending word
		for i, r := range tok {
			if isBertPunct(r) {
				if start < i {
					yield(tok[start:i])
				}
				size := utf8.RuneLen(r)
				yield(tok[i : i+size])
				start = i + size
			}
		}
		if start < len(tok) {
			yield(tok[start:])
		}
	}
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// stripMarks removes nonspacing marks (category Mn).
func stripMarks(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Mn, r) {
			return -1
		}
		return r
	}, s)
}
