package train

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kshot-eval/kshot/eval"
)

// EndOfText is GPT-2's end-of-text token, the last id of a trained
// vocabulary.
const EndOfText = "<|endoftext|>"

// byteRunes is GPT-2's bytes_to_unicode: printable Latin-1 bytes stand for
// themselves, the other 68 bytes for U+0100 onwards.
var byteRunes = func() (t [256]rune) {
	n := 0
	for b := range 256 {
		if ('!' <= b && b <= '~') || (0xA1 <= b && b <= 0xAC) || (0xAE <= b && b <= 0xFF) {
			t[b] = rune(b)
		} else {
			t[b] = rune(256 + n)
			n++
		}
	}
	return t
}()

// BPE is a byte-level BPE vocabulary: the 256 byte tokens (ids 0–255, in
// byte order), one token per merge in rank order, then EndOfText.
type BPE struct {
	Vocab  []string    // id → token, in GPT-2's byte-to-unicode spelling
	Merges [][2]string // in rank order
}

// pretokenize splits s as GPT-2's pattern
// 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// does.
func pretokenize(s string) []string {
	class := func(r rune) int {
		switch {
		case unicode.IsLetter(r):
			return 1
		case unicode.IsNumber(r):
			return 2
		case unicode.IsSpace(r):
			return 3
		}
		return 0
	}
	var out []string
	for i := 0; i < len(s); {
		if s[i] == '\'' {
			matched := false
			for _, c := range []string{"'s", "'t", "'re", "'ve", "'m", "'ll", "'d"} {
				if strings.HasPrefix(s[i:], c) {
					out, i, matched = append(out, c), i+len(c), true
					break
				}
			}
			if matched {
				continue
			}
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		cls, j := class(r), i+size
		if r == ' ' && j < len(s) {
			if r2, size2 := utf8.DecodeRuneInString(s[j:]); class(r2) != 3 {
				cls, j = class(r2), j+size2
			}
		}
		if cls == 3 {
			last := i
			for j < len(s) {
				r2, size2 := utf8.DecodeRuneInString(s[j:])
				if class(r2) != 3 {
					break
				}
				last, j = j, j+size2
			}
			if j < len(s) && last > i {
				j = last
			}
		} else {
			for j < len(s) {
				r2, size2 := utf8.DecodeRuneInString(s[j:])
				if class(r2) != cls {
					break
				}
				j += size2
			}
		}
		out, i = append(out, s[i:j]), j
	}
	return out
}

// TrainBPE learns merges on texts until the vocabulary holds vocabSize
// tokens (256 bytes + merges + EndOfText) or no pair occurs twice. Each
// merge joins the most frequent adjacent pair inside GPT-2 pre-tokens;
// ties go to the pair whose tokens are smallest in byte order (left token
// first).
func TrainBPE(texts []string, vocabSize int) (*BPE, error) {
	if vocabSize < 257 {
		return nil, fmt.Errorf("vocabulary size %d is below 257 (256 bytes and %s)", vocabSize, EndOfText)
	}
	counts := map[string]int{}
	for _, t := range texts {
		for _, w := range pretokenize(t) {
			counts[w]++
		}
	}
	words := make([]string, 0, len(counts))
	for w := range counts {
		words = append(words, w)
	}
	sort.Strings(words)
	syms := make([][]string, len(words))
	for i, w := range words {
		for _, b := range []byte(w) {
			syms[i] = append(syms[i], string(byteRunes[b]))
		}
	}
	b := &BPE{}
	have := map[string]bool{}
	for i := range 256 {
		tok := string(byteRunes[i])
		b.Vocab = append(b.Vocab, tok)
		have[tok] = true
	}
	type pair struct{ a, b string }
	for len(b.Vocab) < vocabSize-1 {
		pc := map[pair]int{}
		for i, s := range syms {
			c := counts[words[i]]
			for j := 0; j+1 < len(s); j++ {
				pc[pair{s[j], s[j+1]}] += c
			}
		}
		best, bestN := pair{}, 1
		for p, n := range pc {
			if n > bestN || (n == bestN && bestN > 1 && (p.a < best.a || (p.a == best.a && p.b < best.b))) {
				best, bestN = p, n
			}
		}
		if bestN < 2 {
			break
		}
		merged := best.a + best.b
		b.Merges = append(b.Merges, [2]string{best.a, best.b})
		if !have[merged] {
			have[merged] = true
			b.Vocab = append(b.Vocab, merged)
		}
		for i, s := range syms {
			out := s[:0]
			for j := 0; j < len(s); j++ {
				if j+1 < len(s) && s[j] == best.a && s[j+1] == best.b {
					out = append(out, merged)
					j++
				} else {
					out = append(out, s[j])
				}
			}
			syms[i] = out
		}
	}
	b.Vocab = append(b.Vocab, EndOfText)
	return b, nil
}

// WriteFiles writes vocab.json (tokens in id order) and merges.txt (with
// GPT-2's "#version: 0.2" first line) into dir.
func (b *BPE) WriteFiles(dir string) error {
	var v bytes.Buffer
	v.WriteString("{")
	for id, tok := range b.Vocab {
		var k bytes.Buffer
		enc := json.NewEncoder(&k)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(tok); err != nil {
			return err
		}
		if id > 0 {
			v.WriteString(", ")
		}
		fmt.Fprintf(&v, "%s: %d", bytes.TrimSpace(k.Bytes()), id)
	}
	v.WriteString("}\n")
	var m strings.Builder
	m.WriteString("#version: 0.2\n")
	for _, p := range b.Merges {
		m.WriteString(p[0] + " " + p[1] + "\n")
	}
	if err := eval.WriteFileAtomic(filepath.Join(dir, "vocab.json"), v.Bytes()); err != nil {
		return err
	}
	return eval.WriteFileAtomic(filepath.Join(dir, "merges.txt"), []byte(m.String()))
}
