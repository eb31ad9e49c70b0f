package model

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file parses tokenizer files: vocab.json / encoder.json (token → id),
// merges.txt / vocab.bpe (one merge per line) and Hugging Face's
// tokenizer.json. Every error names the file and the line or JSON field.

// TokenizerFileError reports a malformed tokenizer file.
type TokenizerFileError struct {
	Path  string // file as given to the loader
	Line  int    // 1-based line, 0 when unknown
	Field string // JSON location such as "model.merges[12]", "" when unknown
	Msg   string // what is wrong, lower-case
	Hint  string // how to fix it, "" when there is no known fix
}

// Error implements error.
func (e *TokenizerFileError) Error() string {
	var b strings.Builder
	b.WriteString(e.Path)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if e.Field != "" {
		fmt.Fprintf(&b, " (%s)", e.Field)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	if e.Hint != "" {
		b.WriteString(" (")
		b.WriteString(e.Hint)
		b.WriteString(")")
	}
	return b.String()
}

// lineOf returns the 1-based line of byte offset off in data.
func lineOf(data []byte, off int64) int {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	if off < 0 {
		off = 0
	}
	return 1 + bytes.Count(data[:off], []byte{'\n'})
}

// maxTokenID bounds the ids a vocabulary may use, so that a corrupt file
// cannot make the loader allocate gigabytes.
const maxTokenID = 1 << 24

// vocabEntry is one token of a vocabulary in file order.
type vocabEntry struct {
	tok string
	id  int32
}

// parseVocab reads a JSON object mapping token strings to ids (vocab.json,
// encoder.json, tokenizer.json's model.vocab). base is the offset of data in
// the file whole (for line numbers) and whole may be nil when data is the
// whole file. Duplicate tokens, duplicate ids and ids that are not small
// non-negative integers are errors.
func parseVocab(path string, data, whole []byte, base int64, field string) ([]vocabEntry, error) {
	if whole == nil {
		whole = data
	}
	fail := func(off int, format string, args ...any) error {
		return &TokenizerFileError{Path: path, Line: lineOf(whole, base+int64(off)), Field: field, Msg: fmt.Sprintf(format, args...)}
	}
	if !json.Valid(data) {
		var v any
		dec := json.NewDecoder(bytes.NewReader(data))
		err := dec.Decode(&v)
		if err == nil { // valid value followed by more data
			return nil, fail(int(dec.InputOffset()), "unexpected data after the vocabulary object")
		}
		return nil, jsonError(path, whole, base, field, dec, err)
	}
	// The data is valid JSON, so a simple scan of the flat object suffices.
	i := 0
	ws := func() {
		for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
			i++
		}
	}
	ws()
	if data[i] != '{' {
		return nil, fail(i, "vocabulary must be a JSON object mapping tokens to ids")
	}
	i++
	n := len(data)/16 + 1 // about one entry per 16 bytes in GPT-2's files
	out := make([]vocabEntry, 0, n)
	seenTok := make(map[string]bool, n)
	seenID := make(map[int32]string, n)
	for {
		ws()
		if data[i] == '}' {
			break
		}
		if data[i] == ',' {
			i++
			ws()
		}
		off := i
		j := i + 1 // data[i] is the key's opening quote
		escaped := false
		for data[j] != '"' {
			if data[j] == '\\' {
				escaped = true
				j++
			}
			j++
		}
		raw := data[i : j+1]
		var key string
		if escaped || !utf8.Valid(raw) {
			var ok bool
			if key, ok = unquoteJSON(raw); !ok {
				if err := json.Unmarshal(raw, &key); err != nil {
					return nil, fail(off, "bad token string %s: %v", raw, err)
				}
			}
		} else {
			key = string(raw[1 : len(raw)-1])
		}
		i = j + 1
		ws()
		i++ // the colon
		ws()
		k := i
		for k < len(data) && (data[k] == '-' || data[k] == '+' || data[k] == '.' || data[k] == 'e' || data[k] == 'E' || (data[k] >= '0' && data[k] <= '9')) {
			k++
		}
		if k == i {
			return nil, fail(off, "token %q: id must be a number", key)
		}
		num := string(data[i:k])
		i = k
		id, err := strconv.ParseInt(num, 10, 64)
		if err != nil || id < 0 || id >= maxTokenID {
			return nil, fail(off, "token %q: id %s is not an integer in [0, %d)", key, num, maxTokenID)
		}
		if seenTok[key] {
			return nil, fail(off, "token %q appears twice", key)
		}
		if prev, dup := seenID[int32(id)]; dup {
			return nil, fail(off, "tokens %q and %q have the same id %d", prev, key, id)
		}
		seenTok[key] = true
		seenID[int32(id)] = key
		out = append(out, vocabEntry{key, int32(id)})
	}
	if len(out) == 0 {
		return nil, fail(0, "the vocabulary is empty")
	}
	return out, nil
}

// unquoteJSON decodes a valid JSON string literal with escapes; ok is false
// for what it does not handle (lone surrogates, invalid UTF-8), which
// encoding/json then decodes.
func unquoteJSON(raw []byte) (string, bool) {
	raw = raw[1 : len(raw)-1]
	b := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c >= utf8.RuneSelf {
			return "", false
		}
		if c != '\\' {
			b = append(b, c)
			continue
		}
		i++
		switch raw[i] {
		case '"', '\\', '/':
			b = append(b, raw[i])
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r, err := strconv.ParseUint(string(raw[i+1:i+5]), 16, 16)
			if err != nil || (r >= 0xD800 && r < 0xE000) {
				return "", false // surrogates: leave to encoding/json
			}
			b = utf8.AppendRune(b, rune(r))
			i += 4
		default:
			return "", false
		}
	}
	return string(b), true
}

// jsonError converts a decoding error into a TokenizerFileError with a line.
func jsonError(path string, whole []byte, base int64, field string, dec *json.Decoder, err error) error {
	off := dec.InputOffset()
	var se *json.SyntaxError
	if errors.As(err, &se) {
		off = se.Offset
	}
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		err = errors.New("unexpected end of JSON input")
	}
	return &TokenizerFileError{Path: path, Line: lineOf(whole, base+off), Field: field,
		Msg: "invalid JSON: " + err.Error()}
}

// mergeRule is one line of a merges file: the pair (a, b) merges into a+b.
type mergeRule struct {
	a, b  string
	line  int    // 1-based line in a merges file, 0 in tokenizer.json
	index int    // position in tokenizer.json's model.merges
	path  string // file, for errors
}

func (m mergeRule) errorf(format string, args ...any) error {
	e := &TokenizerFileError{Path: m.path, Line: m.line, Msg: fmt.Sprintf(format, args...)}
	if m.line == 0 {
		e.Field = fmt.Sprintf("model.merges[%d]", m.index)
	}
	return e
}

// parseMerges reads a merges file (merges.txt, vocab.bpe): lines "a b", in
// rank order, lines beginning with "#version" skipped, as Hugging Face's
// tokenizers reads them. A trailing carriage return is ignored; a line
// without exactly two space-separated, non-empty tokens is an error.
func parseMerges(path string, data []byte) ([]mergeRule, error) {
	text := string(data)
	text = strings.TrimSuffix(text, "\n")
	var out []mergeRule
	if text == "" {
		return out, nil
	}
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSuffix(line, "\r")
		if strings.HasPrefix(line, "#version") {
			continue
		}
		a, b, ok := strings.Cut(line, " ")
		if !ok || a == "" || b == "" || strings.Contains(b, " ") {
			return nil, &TokenizerFileError{Path: path, Line: i + 1,
				Msg: fmt.Sprintf("merge line %q must hold two tokens separated by one space", line)}
		}
		out = append(out, mergeRule{a: a, b: b, line: i + 1, path: path})
	}
	return out, nil
}

// hfTokenizerJSON is the part of a Hugging Face tokenizer.json kshot reads.
type hfTokenizerJSON struct {
	AddedTokens []struct {
		ID         *int64 `json:"id"`
		Content    string `json:"content"`
		SingleWord bool   `json:"single_word"`
		Lstrip     bool   `json:"lstrip"`
		Rstrip     bool   `json:"rstrip"`
		Normalized bool   `json:"normalized"`
		Special    bool   `json:"special"`
	} `json:"added_tokens"`
	Normalizer   *hfComponent `json:"normalizer"`
	PreTokenizer *hfComponent `json:"pre_tokenizer"`
	Model        struct {
		Type                    string          `json:"type"`
		Dropout                 *float64        `json:"dropout"`
		UnkToken                *string         `json:"unk_token"`
		ContinuingSubwordPrefix *string         `json:"continuing_subword_prefix"`
		EndOfWordSuffix         *string         `json:"end_of_word_suffix"`
		FuseUnk                 bool            `json:"fuse_unk"`
		ByteFallback            bool            `json:"byte_fallback"`
		IgnoreMerges            bool            `json:"ignore_merges"`
		Vocab                   json.RawMessage `json:"vocab"`
		Merges                  json.RawMessage `json:"merges"`
	} `json:"model"`
}

// hfComponent is a normalizer or pre-tokenizer entry of tokenizer.json.
type hfComponent struct {
	Type           string `json:"type"`
	AddPrefixSpace bool   `json:"add_prefix_space"`
	UseRegex       *bool  `json:"use_regex"`
	// BertNormalizer settings (GPT-1); nil when absent.
	Lowercase          *bool `json:"lowercase"`
	StripAccents       *bool `json:"strip_accents"`
	CleanText          *bool `json:"clean_text"`
	HandleChineseChars *bool `json:"handle_chinese_chars"`
}

// parseTokenizerJSON decodes tokenizer.json and its vocabulary and merges.
func parseTokenizerJSON(path string, data []byte) (*hfTokenizerJSON, []vocabEntry, []mergeRule, error) {
	var tj hfTokenizerJSON
	if err := json.Unmarshal(data, &tj); err != nil {
		e := &TokenizerFileError{Path: path, Msg: "invalid tokenizer.json: " + err.Error()}
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			e.Line = lineOf(data, se.Offset)
		case errors.As(err, &te):
			e.Line, e.Field = lineOf(data, te.Offset), te.Field
		}
		return nil, nil, nil, e
	}
	if tj.Model.Type != "BPE" && !(tj.Model.Type == "" && len(tj.Model.Merges) > 0) {
		return nil, nil, nil, &TokenizerFileError{Path: path, Field: "model.type",
			Msg:  fmt.Sprintf("model type %q is not supported", tj.Model.Type),
			Hint: "kshot reads BPE tokenizers (GPT-2 byte-level or GPT-1 with </w> word ends)"}
	}
	if len(tj.Model.Vocab) == 0 || string(tj.Model.Vocab) == "null" {
		return nil, nil, nil, &TokenizerFileError{Path: path, Field: "model.vocab", Msg: "the model has no vocabulary"}
	}
	base := int64(bytes.Index(data, tj.Model.Vocab)) // RawMessage is a verbatim copy
	vocab, err := parseVocab(path, tj.Model.Vocab, data, max(base, 0), "model.vocab")
	if err != nil {
		return nil, nil, nil, err
	}
	var raw []json.RawMessage
	if len(tj.Model.Merges) > 0 {
		if err := json.Unmarshal(tj.Model.Merges, &raw); err != nil {
			return nil, nil, nil, &TokenizerFileError{Path: path, Field: "model.merges", Msg: "merges must be a JSON array: " + err.Error()}
		}
	}
	merges := make([]mergeRule, 0, len(raw))
	for i, r := range raw {
		m := mergeRule{index: i, path: path}
		var s string
		var pair []string
		switch {
		case json.Unmarshal(r, &s) == nil:
			var ok bool
			m.a, m.b, ok = strings.Cut(s, " ")
			if !ok || strings.Contains(m.b, " ") {
				return nil, nil, nil, m.errorf("merge %q must hold two tokens separated by one space", s)
			}
		case json.Unmarshal(r, &pair) == nil && len(pair) == 2:
			m.a, m.b = pair[0], pair[1]
		default:
			return nil, nil, nil, m.errorf("merge %s must be a string \"a b\" or a pair [\"a\", \"b\"]", r)
		}
		if m.a == "" || m.b == "" {
			return nil, nil, nil, m.errorf("merge has an empty token")
		}
		merges = append(merges, m)
	}
	return &tj, vocab, merges, nil
}
