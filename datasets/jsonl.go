package datasets

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"strconv"
	"strings"
	"unicode/utf8"
)

const hintOneObject = "each line of a JSON Lines file must hold one whole JSON object; pretty-printed JSON is not JSON Lines"

// JSONL reads a JSON Lines file: one JSON object per line, gzip- or
// bzip2-compressed when path ends in .gz or .bz2. A UTF-8 byte order mark
// before the first line is ignored, and Row.Line is
// the line number in the decompressed text. Numbers become int64 when
// written as integers that fit, float64 otherwise.
//
// A line that is not one valid JSON object, a blank line (white space
// only), invalid UTF-8 or a read failure yields a *ReadError naming the
// file and line, and the sequence ends; a file without records yields an
// ErrNoRecords error. The file is closed when the loop ends or breaks.
func JSONL(path string) iter.Seq2[Row, error] {
	return nonEmpty(fromFile(path, jsonLines), path)
}

// JSON reads a .json file that holds either JSON Lines (as JSONL) or one
// top-level array of objects, told apart by the first byte that is not
// white space. For an array, Row.Line is the line where each object
// starts; an empty array is an ErrNoRecords error. Compression and errors
// are as for JSONL.
func JSON(path string) iter.Seq2[Row, error] {
	return nonEmpty(fromFile(path, jsonAny), path)
}

// jsonAny reads r as a JSON array of objects if its first non-space byte
// is '[', else as JSON Lines.
func jsonAny(r io.Reader, source string, yield func(Row, error) bool) {
	br := bufio.NewReaderSize(r, 64<<10)
	if b, err := br.Peek(3); err == nil && hasBOM(b) {
		br.Discard(3)
	}
	for n := 0; ; n++ {
		bs, err := br.Peek(n + 1)
		if len(bs) <= n {
			switch err {
			case io.EOF: // an empty or blank file has no records
			case bufio.ErrBufferFull: // a long run of white space
				jsonLines(br, source, yield)
			default:
				yield(Row{}, streamErr(source, 1, err))
			}
			return
		}
		switch bs[n] {
		case ' ', '\t', '\r', '\n':
			continue // keep the white space in the stream for the line count
		case '[':
			jsonArray(br, source, yield)
		default:
			jsonLines(br, source, yield)
		}
		return
	}
}

// jsonLines yields one Row per line of r; a blank line is an error.
func jsonLines(r io.Reader, source string, yield func(Row, error) bool) {
	lr := newLineReader(r)
	for {
		line, err := lr.next()
		if err == io.EOF {
			return
		}
		if err != nil {
			yield(Row{}, streamErr(source, lr.num+1, err))
			return
		}
		if lr.num == 1 && hasBOM(line) {
			line = line[3:]
		}
		if len(bytes.TrimLeft(line, " \t\r")) == 0 {
			yield(Row{}, readErr(source, lr.num, hintBlank, "blank line"))
			return
		}
		m, err := decodeObject(line)
		if err != nil {
			yield(Row{}, &ReadError{Source: source, Line: lr.num, Err: err, Hint: hintFor(err)})
			return
		}
		if !yield(Row{Source: source, Line: lr.num, Fields: m}, nil) {
			return
		}
	}
}

// Errors that decodeObject wraps, for hintFor.
var (
	errNotObject = errors.New("not a JSON object")
	errBadUTF8   = errors.New("invalid UTF-8")
	errExtraData = errors.New("extra data after the JSON value")
)

// decodeObject decodes b, which must hold exactly one JSON object and
// white space, converting its numbers to int64 or float64.
func decodeObject(b []byte) (map[string]any, error) {
	if !utf8.Valid(b) {
		return nil, fmt.Errorf("%w at byte %d", errBadUTF8, firstInvalidUTF8(b)+1)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		var se *json.SyntaxError
		switch {
		case errors.As(err, &se):
			return nil, fmt.Errorf("invalid JSON at byte %d: %w", se.Offset, err)
		case err == io.EOF || err == io.ErrUnexpectedEOF:
			return nil, fmt.Errorf("invalid JSON: the text ends inside a value: %w", io.ErrUnexpectedEOF)
		}
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	if off := dec.InputOffset(); len(bytes.TrimLeft(b[off:], " \t\r\n")) > 0 {
		return nil, fmt.Errorf("%w at byte %d", errExtraData, off+1)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: found %s", errNotObject, jsonKind(v))
	}
	if err := fixNumbers(m); err != nil {
		return nil, err
	}
	return m, nil
}

// jsonKind names the kind of a decoded JSON value that is not an object.
func jsonKind(v any) string {
	switch v.(type) {
	case []any:
		return "a JSON array"
	case string:
		return "a JSON string"
	case json.Number:
		return "a JSON number"
	case bool:
		return "a JSON boolean"
	}
	return "JSON null"
}

// hintFor gives the fix for a decodeObject error, when one is known.
func hintFor(err error) string {
	switch {
	case errors.Is(err, errBadUTF8):
		return hintUTF8
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, errNotObject), errors.Is(err, errExtraData):
		return hintOneObject
	}
	return ""
}

// fixNumbers replaces the json.Numbers in v, in place, by int64 (integer
// literals that fit) or float64.
func fixNumbers(v any) error {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if n, ok := e.(json.Number); ok {
				f, err := number(n)
				if err != nil {
					return err
				}
				x[k] = f
			} else if err := fixNumbers(e); err != nil {
				return err
			}
		}
	case []any:
		for i, e := range x {
			if n, ok := e.(json.Number); ok {
				f, err := number(n)
				if err != nil {
					return err
				}
				x[i] = f
			} else if err := fixNumbers(e); err != nil {
				return err
			}
		}
	}
	return nil
}

// number converts a JSON number literal to int64 or float64.
func number(n json.Number) (any, error) {
	s := string(n)
	if !strings.ContainsAny(s, ".eE") {
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return i, nil
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return nil, fmt.Errorf("number %s is out of the range of a float64", s)
	}
	return f, nil
}

// firstInvalidUTF8 returns the offset of the first byte of b that does not
// start a valid UTF-8 sequence, or -1.
func firstInvalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return -1
}

// jsonArray yields one Row per element of the top-level JSON array in r,
// which must hold nothing else.
func jsonArray(r io.Reader, source string, yield func(Row, error) bool) {
	lc := &lineCounter{r: r}
	dec := json.NewDecoder(lc)
	// arrayErr reports err, met with the decoder at stream offset off.
	arrayErr := func(off int64, err error) {
		var se *json.SyntaxError
		var e *ReadError
		switch {
		case errors.As(err, &se):
			e = &ReadError{Source: source, Line: lc.lineAt(se.Offset), Err: fmt.Errorf("invalid JSON: %w", err)}
		case err == io.EOF, err == io.ErrUnexpectedEOF:
			e = &ReadError{Source: source, Line: lc.lineAt(lc.off), Hint: hintTruncated,
				Err: fmt.Errorf("invalid JSON: the file ends inside the array: %w", io.ErrUnexpectedEOF)}
		default:
			e = streamErr(source, lc.lineAt(off), err)
		}
		yield(Row{}, e)
	}
	if _, err := dec.Token(); err != nil { // the '['
		arrayErr(dec.InputOffset(), err)
		return
	}
	for dec.More() {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			arrayErr(dec.InputOffset(), err)
			return
		}
		line := lc.lineAt(dec.InputOffset() - int64(len(raw)))
		m, err := decodeObject(raw)
		if err != nil {
			yield(Row{}, &ReadError{Source: source, Line: line, Err: err,
				Hint: "a .json file must hold JSON Lines or one array of objects"})
			return
		}
		if !yield(Row{Source: source, Line: line, Fields: m}, nil) {
			return
		}
	}
	if _, err := dec.Token(); err != nil { // the ']'
		arrayErr(dec.InputOffset(), err)
		return
	}
	if _, err := dec.Token(); err != io.EOF {
		if err == nil {
			err = errors.New("extra data after the top-level array")
		}
		arrayErr(dec.InputOffset(), err)
	}
}

// lineCounter passes a stream through, noting where its newlines are, so
// that stream offsets can be turned into line numbers. Offsets must be
// asked for in increasing order.
type lineCounter struct {
	r     io.Reader
	off   int64   // bytes read so far
	nl    []int64 // offsets of the newlines not yet counted in lines
	lines int     // newlines before the last offset asked for
}

func (c *lineCounter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	for i, b := range p[:n] {
		if b == '\n' {
			c.nl = append(c.nl, c.off+int64(i))
		}
	}
	c.off += int64(n)
	return n, err
}

// lineAt returns the 1-based line that holds stream offset off.
func (c *lineCounter) lineAt(off int64) int {
	for len(c.nl) > 0 && c.nl[0] < off {
		c.lines++
		c.nl = c.nl[1:]
	}
	return c.lines + 1
}
