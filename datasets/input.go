package datasets

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"path/filepath"
	"strings"
)

// compression returns the compression suffix of path (".gz", ".bz2") in
// lower case, or "".
func compression(path string) string {
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".gz", ".bz2":
		return ext
	}
	return ""
}

// formatExt returns the lower-case extension that names the format of path,
// looking through a compression suffix: "a.jsonl.gz" → ".jsonl".
func formatExt(path string) string {
	p := path
	if c := compression(p); c != "" {
		p = p[:len(p)-len(c)]
	}
	return strings.ToLower(filepath.Ext(p))
}

// openText opens path for sequential reading, decompressing gzip (.gz) and
// bzip2 (.bz2) files by their extension. The caller must close the result.
func openText(path string) (io.ReadCloser, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	switch compression(path) {
	case ".gz":
		zr, err := gzip.NewReader(bufio.NewReaderSize(f, 64<<10))
		if err != nil {
			f.Close()
			return nil, &ReadError{Source: path, Err: fmt.Errorf("not a valid gzip file: %w", err),
				Hint: "the .gz extension promises gzip data; rename the file if it is not compressed"}
		}
		return readCloser{zr, f}, nil
	case ".bz2":
		return readCloser{bzip2.NewReader(bufio.NewReaderSize(f, 64<<10)), f}, nil
	}
	return f, nil
}

// readCloser reads from a decompressor and closes the file beneath it.
type readCloser struct {
	io.Reader
	f *os.File
}

func (rc readCloser) Close() error { return rc.f.Close() }

// streamErr wraps an error met while reading line (or after the last line)
// of source, recognising truncated and corrupt compressed streams.
func streamErr(source string, line int, err error) *ReadError {
	var re *ReadError
	if errors.As(err, &re) {
		return re
	}
	e := &ReadError{Source: source, Line: line, Err: err}
	var gz, bz2 bool
	switch compression(source) {
	case ".gz":
		gz = true
	case ".bz2":
		bz2 = true
	}
	var bzErr bzip2.StructuralError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		e.Hint = hintTruncated
	case gz && (errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader)),
		bz2 && errors.As(err, &bzErr):
		e.Err = fmt.Errorf("corrupt compressed data: %w", err)
		e.Hint = hintTruncated
	}
	return e
}

// lineReader splits a stream into lines of any length, counting them.
type lineReader struct {
	br  *bufio.Reader
	num int    // number of the line last returned, 1-based
	buf []byte // holds a line longer than the bufio buffer
	eof bool
}

func newLineReader(r io.Reader) *lineReader {
	return &lineReader{br: bufio.NewReaderSize(r, 64<<10)}
}

// next returns the next line without its "\n" (a "\r" before it is kept),
// valid until the following call, or io.EOF after the last line. A last
// line without a final "\n" is returned like the others; an empty file has
// no lines.
func (lr *lineReader) next() ([]byte, error) {
	if lr.eof {
		return nil, io.EOF
	}
	lr.buf = lr.buf[:0]
	for {
		chunk, err := lr.br.ReadSlice('\n')
		switch {
		case err == nil:
			lr.num++
			if len(lr.buf) == 0 {
				return chunk[:len(chunk)-1], nil
			}
			lr.buf = append(lr.buf, chunk[:len(chunk)-1]...)
			return lr.buf, nil
		case err == bufio.ErrBufferFull:
			lr.buf = append(lr.buf, chunk...)
		case err == io.EOF:
			lr.eof = true
			lr.buf = append(lr.buf, chunk...)
			if len(lr.buf) == 0 {
				return nil, io.EOF
			}
			lr.num++
			return lr.buf, nil
		default:
			return nil, err
		}
	}
}

// Open reads the records of a local data file, choosing the reader by the
// file's extension: .jsonl and .ndjson (JSONL), .json (JSONL, or one JSON
// array of objects), .csv (CSV with ','), .tsv (TSV) and .parquet
// (Parquet). The text formats may be compressed, with .gz or .bz2 after
// their extension. Any other extension gives one error naming it, and so
// does a file without records (see ErrNoRecords).
func Open(path string) iter.Seq2[Row, error] {
	switch formatExt(path) {
	case ".jsonl", ".ndjson":
		return JSONL(path)
	case ".json":
		return JSON(path)
	case ".csv":
		return CSV(path, ',')
	case ".tsv":
		return TSV(path)
	case ".parquet":
		return Parquet(path)
	}
	ext := formatExt(path)
	if ext == "" {
		ext = "no extension"
	} else {
		ext = fmt.Sprintf("%q", ext)
	}
	return fail(&ReadError{Source: path, Err: fmt.Errorf("unsupported file type (%s)", ext),
		Hint: "want .jsonl, .ndjson, .json, .csv, .tsv or .parquet, the text formats optionally followed by .gz or .bz2; " +
			"read plain text with Lines and WMT .sgm files with SGML"})
}

// ErrNoRecords is matched by errors.Is for the *ReadError of a data file
// that holds no records (an empty file, a CSV file with only a header, a
// Parquet file with no rows, a text file of white space): there is nothing
// to score, and a score of nothing would look like a result.
var ErrNoRecords = errors.New("no records")

// Hints for files without data and for blank lines in record formats.
const (
	hintNoRecords = "check that the file was downloaded or written completely"
	hintBlank     = "delete the blank line: every line must hold one record, and skipping it would hide a lost one"
)

// noRecords is the error of a file that holds no records; what says what
// the file holds instead, e.g. "it is empty".
func noRecords(source, what string) *ReadError {
	err := fmt.Errorf("the file holds %w, so no documents to score", ErrNoRecords)
	if what != "" {
		err = fmt.Errorf("the file holds %w, so no documents to score: %s", ErrNoRecords, what)
	}
	return &ReadError{Source: source, Err: err, Hint: hintNoRecords}
}

// nonEmpty passes seq through and, when it ends without an error and
// without a single record, yields the ErrNoRecords error of source.
func nonEmpty[T any](seq iter.Seq2[T, error], source string) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		n := 0
		for v, err := range seq {
			if !yield(v, err) || err != nil {
				return
			}
			n++
		}
		if n == 0 {
			var zero T
			yield(zero, noRecords(source, ""))
		}
	}
}

// OpenAll reads the records of several files one after the other, each as
// Open reads it: the Parquet shards of a split that Client.Dataset returns,
// for instance. Row.Source and Row.Line stay those of each file. The
// sequence ends after the first error; a file without records is one, and
// so is an empty list of paths.
func OpenAll(paths []string) iter.Seq2[Row, error] {
	return func(yield func(Row, error) bool) {
		if len(paths) == 0 {
			yield(Row{}, &ReadError{Err: fmt.Errorf("no data files: %w", ErrNoRecords), Hint: hintNoRecords})
			return
		}
		for _, p := range paths {
			for row, err := range Open(p) {
				if !yield(row, err) || err != nil {
					return
				}
			}
		}
	}
}

// fail returns a sequence that yields only err.
func fail(err error) iter.Seq2[Row, error] {
	return func(yield func(Row, error) bool) { yield(Row{}, err) }
}

// hasBOM reports whether b starts with a UTF-8 byte order mark.
func hasBOM(b []byte) bool { return bytes.HasPrefix(b, []byte("\ufeff")) }

// fromFile returns the sequence that opens path (decompressing .gz and
// .bz2), reads it with read and closes it when the loop ends or breaks; an
// error opening it is the sequence's only element.
func fromFile[T any](path string, read func(r io.Reader, source string, yield func(T, error) bool)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		rc, err := openText(path)
		if err != nil {
			var zero T
			yield(zero, err)
			return
		}
		defer rc.Close()
		read(rc, path, yield)
	}
}
