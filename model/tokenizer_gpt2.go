package model

import (
	"fmt"
	"unicode"
	"unicode/utf8"
)

// This file holds GPT-2's byte-level BPE tokenizer: OpenAI's encoder.py and
// Hugging Face's GPT2Tokenizer / tokenizers ByteLevel + BPE.

// byteToRune is GPT-2's bytes_to_unicode: printable Latin-1 bytes map to
// themselves, the other 68 bytes to U+0100 onwards, so that every token is
// a printable string without spaces.
var byteToRune [256]rune

// runeToByte inverts byteToRune; runes absent from it stand for no byte.
var runeToByte = map[rune]byte{}

// Character classes of the GPT-2 pre-tokenizer regex.
const (
	clsOther  = iota // [^\s\p{L}\p{N}]
	clsLetter        // \p{L}
	clsNumber        // \p{N}
	clsSpace         // \s (Unicode White_Space)
)

var asciiClass [utf8.RuneSelf]uint8

func init() {
	n := 0
	for b := 0; b < 256; b++ {
		if ('!' <= b && b <= '~') || (0xA1 <= b && b <= 0xAC) || (0xAE <= b && b <= 0xFF) {
			byteToRune[b] = rune(b)
		} else {
			byteToRune[b] = rune(256 + n)
			n++
		}
		runeToByte[byteToRune[b]] = byte(b)
	}
	for c := rune(0); c < utf8.RuneSelf; c++ {
		asciiClass[c] = unicodeClass(c)
	}
}

func unicodeClass(r rune) uint8 {
	switch {
	case unicode.IsLetter(r):
		return clsLetter
	case unicode.IsNumber(r):
		return clsNumber
	case unicode.IsSpace(r):
		return clsSpace
	}
	return clsOther
}

// classAt returns the class and byte length of the character at s[i]. A
// byte that does not begin valid UTF-8 is a one-byte character of class
// other, so that byte-level encoding still covers it.
func classAt(s string, i int) (uint8, int) {
	if c := s[i]; c < utf8.RuneSelf {
		return asciiClass[c], 1
	}
	r, size := utf8.DecodeRuneInString(s[i:])
	if r == utf8.RuneError && size == 1 {
		return clsOther, 1
	}
	return unicodeClass(r), size
}

// nextPretoken returns the end of the pre-token that starts at s[i] under
// GPT-2's pattern
//
//	's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//
// evaluated as a backtracking engine does: the first alternative that
// matches at i wins. Every character matches some alternative, so the
// pre-tokens tile the text.
func nextPretoken(s string, i int) int {
	c := s[i]
	if c == '\'' && i+1 < len(s) {
		switch s[i+1] {
		case 's', 't', 'm', 'd':
			return i + 2
		case 'r', 'v':
			if i+2 < len(s) && s[i+2] == 'e' {
				return i + 3
			}
		case 'l':
			if i+2 < len(s) && s[i+2] == 'l' {
				return i + 3
			}
		}
	}
	cls, size := classAt(s, i)
	j := i + size
	if c == ' ' && j < len(s) {
		if c2, size2 := classAt(s, j); c2 != clsSpace {
			cls, j = c2, j+size2 // " ?" followed by a letter, number or other
		}
	}
	if cls == clsSpace {
		// \s+(?!\S) takes the run but leaves its last character when a
		// non-space follows; a single space before a non-space is \s+.
		last := i
		for j < len(s) {
			c2, size2 := classAt(s, j)
			if c2 != clsSpace {
				break
			}
			last = j
			j += size2
		}
		if j < len(s) && last > i {
			return last
		}
		return j
	}
	for j < len(s) {
		if b := s[j]; b < utf8.RuneSelf {
			if asciiClass[b] != cls {
				break
			}
			j++
			continue
		}
		c2, size2 := classAt(s, j)
		if c2 != cls {
			break
		}
		j += size2
	}
	return j
}

// byteLevel is a GPT-2 style tokenizer: added tokens split out first, then
// the GPT-2 pre-tokenizer, then BPE over the bytes of each pre-token.
type byteLevel struct {
	tokenTable // tokText: the decoded text of each id
	eot        int
	byteID     [256]int32 // initial symbol of each byte, -1 when absent
	merges     *mergeTable
	added      *addedMatcher // nil when there are no added tokens

	unk            int32 // id for bytes absent from the vocabulary, -1 to drop them
	fuseUnk        bool
	addPrefixSpace bool
	useRegex       bool
	wholeWords     map[string]int32 // ignore_merges: words that are tokens, by raw bytes

	cache *wordCache
}

// byteLevelOptions carries tokenizer.json settings; the zero value is
// GPT-2's (regex on, no prefix space, unknown bytes dropped).
type byteLevelOptions struct {
	added          []addedToken
	unk            string
	fuseUnk        bool
	addPrefixSpace bool
	noRegex        bool
	ignoreMerges   bool
}

// decodeToken returns the text a token stands for: its characters mapped
// back to bytes, or the token itself when some character stands for no
// byte (as tokenizers' ByteLevel decoder does).
func decodeToken(tok string) string {
	var b []byte
	for _, r := range tok {
		c, ok := runeToByte[r]
		if !ok {
			return tok
		}
		b = append(b, c)
	}
	return string(b)
}

// newByteLevel builds a byte-level tokenizer from a vocabulary and merges.
// vocabPath names the vocabulary's file in errors.
func newByteLevel(vocabPath string, vocab []vocabEntry, merges []mergeRule, opt byteLevelOptions) (*byteLevel, error) {
	t := &byteLevel{eot: -1, unk: -1, fuseUnk: opt.fuseUnk, addPrefixSpace: opt.addPrefixSpace,
		useRegex: !opt.noRegex}
	ids := make(map[string]int32, len(vocab))
	maxID := int32(-1)
	for _, e := range vocab {
		ids[e.tok] = e.id
		maxID = max(maxID, e.id)
	}
	for _, a := range opt.added {
		maxID = max(maxID, a.id)
	}
	if int(maxID) >= 2*(len(vocab)+len(opt.added))+256 {
		return nil, &TokenizerFileError{Path: vocabPath, Msg: fmt.Sprintf("ids run up to %d for %d tokens", maxID, len(vocab)),
			Hint: "a vocabulary numbers its tokens densely from 0"}
	}
	t.vocabSize = int(maxID) + 1
	t.cache = newWordCache(t.vocabSize)
	t.tokText = make([]string, t.vocabSize)
	t.valid = make([]bool, t.vocabSize)
	for _, e := range vocab {
		t.tokText[e.id], t.valid[e.id] = decodeToken(e.tok), true
	}
	for _, a := range opt.added {
		t.tokText[a.id], t.valid[a.id] = decodeToken(a.content), true
	}
	for b := range t.byteID {
		t.byteID[b] = -1
		if id, ok := ids[string(byteToRune[b])]; ok {
			t.byteID[b] = id
		}
	}
	var err error
	if t.merges, err = buildMerges(vocabPath, ids, merges); err != nil {
		return nil, err
	}
	t.unk = lookupUnk(opt.unk, ids, opt.added)
	if opt.ignoreMerges {
		t.wholeWords = make(map[string]int32, len(vocab))
		for _, e := range vocab {
			if isByteLevelText(e.tok) {
				t.wholeWords[decodeToken(e.tok)] = e.id
			}
		}
	}
	t.added = newAddedMatcher(opt.added)
	t.eot = findEOT(ids, opt.added)
	return t, nil
}

// lookupUnk returns the id of the unknown-token unk in the vocabulary or
// among the added tokens, or -1 (unknown symbols are then dropped, as
// tokenizers does for a BPE model without unk_token).
func lookupUnk(unk string, ids map[string]int32, added []addedToken) int32 {
	if unk == "" {
		return -1
	}
	if id, ok := ids[unk]; ok {
		return id
	}
	for _, a := range added {
		if a.content == unk {
			return a.id
		}
	}
	return -1
}

// isByteLevelText reports whether every character of tok stands for a byte.
func isByteLevelText(tok string) bool {
	for _, r := range tok {
		if _, ok := runeToByte[r]; !ok {
			return false
		}
	}
	return true
}

// findEOT returns the id of <|endoftext|>: the added token if there is one,
// else the vocabulary entry, else -1.
func findEOT(ids map[string]int32, added []addedToken) int {
	for _, a := range added {
		if a.content == eotText {
			return int(a.id)
		}
	}
	if id, ok := ids[eotText]; ok {
		return int(id)
	}
	return -1
}

const eotText = "<|endoftext|>"

// Encode implements Tokenizer.
func (t *byteLevel) Encode(text string) []int {
	return t.added.encode(make([]int, 0, len(text)/4+4), text, t.encodeText)
}

// encodeText pre-tokenizes s and appends the ids of its words to out.
func (t *byteLevel) encodeText(out []int, s string) []int {
	if t.addPrefixSpace && s != "" && s[0] != ' ' {
		s = " " + s
	}
	if !t.useRegex {
		return t.encodeWord(out, s)
	}
	for i := 0; i < len(s); {
		j := nextPretoken(s, i)
		out = t.encodeWord(out, s[i:j])
		i = j
	}
	return out
}

// encodeWord appends the BPE ids of one pre-token to out.
func (t *byteLevel) encodeWord(out []int, w string) []int {
	switch len(w) {
	case 1:
		if id := t.byteID[w[0]]; id >= 0 {
			return append(out, int(id))
		}
	case 2: // one lookup in the merge table beats the cache
		a, b := t.byteID[w[0]], t.byteID[w[1]]
		if a >= 0 && b >= 0 && t.wholeWords == nil {
			if _, ab, ok := t.merges.get(a, b); ok {
				return append(out, int(ab))
			}
			return append(out, int(a), int(b))
		}
	}
	if ids, ok := t.cache.get(w); ok {
		for _, id := range ids {
			out = append(out, int(id))
		}
		return out
	}
	if t.wholeWords != nil {
		if id, ok := t.wholeWords[w]; ok {
			return append(out, int(id))
		}
	}
	var buf [smallWord]int32
	syms := buf[:0]
	prevUnk := false
	for i := 0; i < len(w); i++ {
		id := t.byteID[w[i]]
		switch {
		case id >= 0:
			prevUnk = false
		case t.unk < 0:
			continue // tokenizers drops characters it cannot represent
		case t.fuseUnk && prevUnk:
			continue
		default:
			id, prevUnk = t.unk, true
		}
		syms = append(syms, id)
	}
	syms = t.merges.merge(syms)
	t.cache.put(w, append([]int32(nil), syms...))
	for _, id := range syms {
		out = append(out, int(id))
	}
	return out
}

// Decode implements Tokenizer: the concatenated bytes of the tokens, which
// may be invalid UTF-8 when ids split a character (Hugging Face would show
// U+FFFD there). It panics on an id outside the vocabulary, which is a bug
// in the caller; DecodeChecked returns an error instead.
func (t *byteLevel) Decode(ids []int) string {
	s, err := t.decodeChecked(ids)
	if err != nil {
		panic("model: " + err.Error())
	}
	return s
}

func (t *byteLevel) decodeChecked(ids []int) (string, error) { return t.concat(ids) }

// VocabSize implements Tokenizer.

// EOT implements Tokenizer.
func (t *byteLevel) EOT() int { return t.eot }
