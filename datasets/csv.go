package datasets

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"iter"
	"strings"
	"unicode/utf8"
)

// CSV reads a delimited file with RFC 4180 quoting and sep between fields
// (',' for CSV; '\t' or ';' also work), gzip- or bzip2-compressed when
// path ends in .gz or .bz2. The first record is the header; each later
// record becomes a Row whose Fields map every column name to the field's
// string. Row.Line is the line where the record starts (a quoted field may
// span lines). "\r\n" line ends are accepted and a UTF-8 byte order mark
// before the header is ignored.
//
// A record with more or fewer fields than the header, a quoting error, a
// blank line, invalid UTF-8 or a repeated column name yields a *ReadError
// naming the file and line, and the sequence ends; a file with no record
// under its header yields an ErrNoRecords error.
func CSV(path string, sep rune) iter.Seq2[Row, error] {
	return nonEmpty(fromFile(path, func(r io.Reader, source string, yield func(Row, error) bool) {
		csvRows(r, source, sep, yield)
	}), path)
}

// newlineCounter passes a stream through, counting its lines: the "\n"s,
// plus one for a last line without a final "\n".
type newlineCounter struct {
	r    io.Reader
	n    int
	last byte
}

func (c *newlineCounter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += bytes.Count(p[:n], []byte("\n"))
	if n > 0 {
		c.last = p[n-1]
	}
	return n, err
}

// lines returns the number of lines read so far.
func (c *newlineCounter) lines() int {
	if c.last != 0 && c.last != '\n' {
		return c.n + 1
	}
	return c.n
}

// csvRows yields the records of r under its header.
func csvRows(r io.Reader, source string, sep rune, yield func(Row, error) bool) {
	nc := &newlineCounter{r: r}
	br := bufio.NewReader(nc)
	if b, err := br.Peek(3); err == nil && hasBOM(b) {
		br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.Comma = sep
	var header []string
	end := 0 // last line of the previous record
	blank := func(line int) {
		yield(Row{}, readErr(source, line, hintBlank, "blank line"))
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			// encoding/csv skips blank lines; find those after the last record
			if nc.lines() > end {
				blank(end + 1)
			}
			return
		}
		if err != nil {
			yield(Row{}, csvErr(source, sep, len(header), len(rec), err))
			return
		}
		line, _ := cr.FieldPos(0)
		if line > end+1 { // encoding/csv skipped blank lines before this record
			blank(end + 1)
			return
		}
		lastLine, _ := cr.FieldPos(len(rec) - 1)
		end = lastLine + strings.Count(rec[len(rec)-1], "\n")
		for i, f := range rec {
			if !utf8.ValidString(f) {
				l, _ := cr.FieldPos(i)
				yield(Row{}, readErr(source, l, hintUTF8, "invalid UTF-8 in %s (byte 0x%02x)",
					fieldName(header, i), f[firstInvalidUTF8([]byte(f))]))
				return
			}
		}
		if header == nil {
			if err := checkHeader(rec); err != nil {
				yield(Row{}, &ReadError{Source: source, Line: line, Err: err, Hint: "column names must be unique"})
				return
			}
			header = rec
			continue
		}
		if !yield(Row{Source: source, Line: line, Fields: zipFields(header, rec)}, nil) {
			return
		}
	}
}

// csvErr turns an encoding/csv error into a *ReadError with a hint.
// nHeader and nRec are the field counts of the header and the bad record.
func csvErr(source string, sep rune, nHeader, nRec int, err error) *ReadError {
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		if strings.Contains(err.Error(), "invalid field or comment delimiter") {
			return &ReadError{Source: source, Err: fmt.Errorf("invalid separator %q", sep),
				Hint: "use ',' for CSV or '\\t' for TSV; a separator cannot be '\"', '\\r', '\\n' or U+FFFD"}
		}
		return streamErr(source, 0, err)
	}
	e := &ReadError{Source: source, Line: pe.Line, Err: pe.Err}
	switch {
	case errors.Is(pe.Err, csv.ErrFieldCount):
		e.Line = pe.StartLine
		e.Err = fmt.Errorf("%w: the header has %d, this record %d", pe.Err, nHeader, nRec)
		e.Hint = fmt.Sprintf("a field that holds the separator %q must be in double quotes", sep)
	case errors.Is(pe.Err, csv.ErrBareQuote), errors.Is(pe.Err, csv.ErrQuote):
		e.Err = fmt.Errorf("%w at byte %d of the line", pe.Err, pe.Column)
		e.Hint = `a field that holds '"' must be in double quotes, with the quote doubled ("")`
		if sep == '\t' {
			e.Hint += "; for TSV without quoting use TSV"
		}
	default:
		return streamErr(source, pe.Line, pe.Err)
	}
	return e
}

// TSV reads a tab-separated file without quoting: every line is split at
// each '\t', and quote characters are ordinary text, as in the GLUE .tsv
// files. The first line is the header. Compression, "\r\n" line ends, the
// byte order mark and errors (blank lines and files without records
// included) are as for CSV.
func TSV(path string) iter.Seq2[Row, error] {
	return nonEmpty(fromFile(path, tsvRows), path)
}

// tsvRows yields the records of r under its header.
func tsvRows(r io.Reader, source string, yield func(Row, error) bool) {
	lr := newLineReader(r)
	var header []string
	for {
		b, err := lr.next()
		if err == io.EOF {
			return
		}
		if err != nil {
			yield(Row{}, streamErr(source, lr.num+1, err))
			return
		}
		if lr.num == 1 && hasBOM(b) {
			b = b[3:]
		}
		b = bytes.TrimSuffix(b, []byte("\r"))
		if len(b) == 0 {
			yield(Row{}, readErr(source, lr.num, hintBlank, "blank line"))
			return
		}
		if !utf8.Valid(b) {
			yield(Row{}, invalidUTF8(source, lr.num, b))
			return
		}
		rec := strings.Split(string(b), "\t")
		if header == nil {
			if err := checkHeader(rec); err != nil {
				yield(Row{}, &ReadError{Source: source, Line: lr.num, Err: err, Hint: "column names must be unique"})
				return
			}
			header = rec
			continue
		}
		if len(rec) != len(header) {
			yield(Row{}, readErr(source, lr.num, "a field cannot hold a tab in TSV; use CSV with quoting for such data",
				"wrong number of fields: the header has %d, this line %d", len(header), len(rec)))
			return
		}
		if !yield(Row{Source: source, Line: lr.num, Fields: zipFields(header, rec)}, nil) {
			return
		}
	}
}

// checkHeader rejects a header that names a column twice.
func checkHeader(names []string) error {
	seen := make(map[string]bool, len(names))
	for _, n := range names {
		if seen[n] {
			return fmt.Errorf("the header names column %q twice", n)
		}
		seen[n] = true
	}
	return nil
}

// zipFields maps header names to the fields of rec.
func zipFields(header, rec []string) map[string]any {
	m := make(map[string]any, len(header))
	for i, name := range header {
		m[name] = rec[i]
	}
	return m
}

// fieldName names field i of a record for messages: by its column name
// under a header, by its position in the header itself.
func fieldName(header []string, i int) string {
	if i < len(header) {
		return fmt.Sprintf("column %q", header[i])
	}
	return fmt.Sprintf("field %d", i+1)
}
