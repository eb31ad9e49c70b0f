package datasets

import (
	"bytes"
	"io"
	"iter"
	"unicode/utf8"
)

// Line is one line of a plain-text file.
type Line struct {
	Num  int    // 1-based line number in the (decompressed) file
	Text string // the line without its "\n"; leading spaces and a "\r" before the "\n" are kept
}

// Lines reads a plain-text file line by line, gzip- or bzip2-compressed
// when path ends in .gz or .bz2. Every line is yielded, blank ones too,
// with its exact content: WikiText lines, which start with a space, come
// back unchanged. A last line without a final "\n" is yielded; a final
// "\n" does not start an empty line, so the count equals `wc -l` for files
// that end in a newline.
//
// A line that is not valid UTF-8, or a read failure, yields a *ReadError
// naming the file and line, and the sequence ends. An empty file (no
// lines at all) yields an ErrNoRecords error.
func Lines(path string) iter.Seq2[Line, error] {
	return nonEmpty(fromFile(path, textLines), path)
}

// textLines yields the lines of r.
func textLines(r io.Reader, source string, yield func(Line, error) bool) {
	lr := newLineReader(r)
	for {
		b, err := lr.next()
		if err == io.EOF {
			return
		}
		if err != nil {
			yield(Line{}, streamErr(source, lr.num+1, err))
			return
		}
		if !utf8.Valid(b) {
			yield(Line{}, invalidUTF8(source, lr.num, b))
			return
		}
		if !yield(Line{Num: lr.num, Text: string(b)}, nil) {
			return
		}
	}
}

// invalidUTF8 reports the first invalid byte of line n, whose text is b.
func invalidUTF8(source string, n int, b []byte) *ReadError {
	i := firstInvalidUTF8(b)
	return readErr(source, n, hintUTF8, "invalid UTF-8 at byte %d of the line (0x%02x)", i+1, b[i])
}

// ReadText returns the whole content of a text file, decompressed when
// path ends in .gz or .bz2, byte for byte (line endings and a byte order
// mark included). Invalid UTF-8 gives a *ReadError naming the line that
// holds the first bad byte, and a file that is empty or holds only white
// space (after a byte order mark) an ErrNoRecords error: such a file has
// no document to score.
func ReadText(path string) (string, error) {
	rc, err := openText(path)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return "", streamErr(path, bytes.Count(b, []byte("\n"))+1, err)
	}
	if i := firstInvalidUTF8(b); i >= 0 {
		start := bytes.LastIndexByte(b[:i], '\n') + 1
		end := bytes.IndexByte(b[i:], '\n')
		if end < 0 {
			end = len(b)
		} else {
			end += i
		}
		return "", invalidUTF8(path, bytes.Count(b[:i], []byte("\n"))+1, b[start:end])
	}
	if len(bytes.TrimSpace(bytes.TrimPrefix(b, []byte("\ufeff")))) == 0 {
		what := "it is empty"
		if len(b) > 0 {
			what = "it holds only white space"
		}
		return "", noRecords(path, what)
	}
	return string(b), nil
}
