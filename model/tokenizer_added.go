package model

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// addedToken is a token matched in the raw text before pre-tokenization
// (tokenizer.json "added_tokens", or <|endoftext|> for GPT-2 vocab files).
type addedToken struct {
	content    string
	id         int32
	singleWord bool // match only when not inside a word
	lstrip     bool // absorb the whitespace before the match
	rstrip     bool // absorb the whitespace after the match
}

// addedMatcher finds added tokens the way Hugging Face's tokenizers does
// (AddedVocabulary::find_matches): leftmost match first, the longest token
// at that position, non-overlapping.
type addedMatcher struct {
	toks    []addedToken // sorted by decreasing content length
	first   [256]bool    // bytes that begin some token
	only    int          // the single first byte when all tokens share it, else -1
	byFirst [256][]int32 // indices into toks, longest first
}

func newAddedMatcher(toks []addedToken) *addedMatcher {
	if len(toks) == 0 {
		return nil
	}
	m := &addedMatcher{toks: append([]addedToken(nil), toks...), only: -1}
	sort.SliceStable(m.toks, func(i, j int) bool { return len(m.toks[i].content) > len(m.toks[j].content) })
	firsts := 0
	for i, t := range m.toks {
		c := t.content[0]
		if !m.first[c] {
			firsts++
			m.only = int(c)
		}
		m.first[c] = true
		m.byFirst[c] = append(m.byFirst[c], int32(i))
	}
	if firsts != 1 {
		m.only = -1
	}
	return m
}

// isWordRune approximates the \w class of Rust's regex crate (alphabetic,
// marks, decimal digits, connector punctuation) used by single_word tokens.
func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) ||
		unicode.Is(unicode.Pc, r) || unicode.Is(unicode.Nl, r)
}

// segment is a piece of the input: text to pre-tokenize (id < 0) or an
// added token.
type segment struct {
	text string
	id   int32
}

// encode appends to out the ids of s: the added tokens' own ids and, for
// the text between them, what encodeText appends. m may be nil (no added
// tokens).
func (m *addedMatcher) encode(out []int, s string, encodeText func(out []int, s string) []int) []int {
	if m == nil {
		return encodeText(out, s)
	}
	var buf [16]segment
	for _, seg := range m.split(buf[:0], s) {
		if seg.id >= 0 {
			out = append(out, int(seg.id))
		} else {
			out = encodeText(out, seg.text)
		}
	}
	return out
}

// split appends to out the segments of s: added tokens and the text between
// them (never empty).
func (m *addedMatcher) split(out []segment, s string) []segment {
	start := 0 // beginning of the pending text
	for i := 0; i < len(s); {
		// Find the next position whose byte can begin a token.
		if m.only >= 0 {
			j := strings.IndexByte(s[i:], byte(m.only))
			if j < 0 {
				break
			}
			i += j
		} else if !m.first[s[i]] {
			i++
			continue
		}
		var tok *addedToken
		for _, k := range m.byFirst[s[i]] {
			if strings.HasPrefix(s[i:], m.toks[k].content) {
				tok = &m.toks[k]
				break
			}
		}
		if tok == nil {
			i++
			continue
		}
		mStart, mEnd := i, i+len(tok.content)
		i = mEnd
		if tok.singleWord {
			if r, _ := utf8.DecodeLastRuneInString(s[:mStart]); mStart > 0 && isWordRune(r) {
				continue
			}
			if r, _ := utf8.DecodeRuneInString(s[mEnd:]); mEnd < len(s) && isWordRune(r) {
				continue
			}
		}
		if tok.lstrip {
			mStart = max(len(strings.TrimRightFunc(s[:mStart], unicode.IsSpace)), start)
		}
		if tok.rstrip {
			mEnd = len(s) - len(strings.TrimLeftFunc(s[mEnd:], unicode.IsSpace))
			i = mEnd
		}
		if start < mStart {
			out = append(out, segment{s[start:mStart], -1})
		}
		out = append(out, segment{"", tok.id})
		start = mEnd
	}
	if start < len(s) {
		out = append(out, segment{s[start:], -1})
	}
	return out
}
