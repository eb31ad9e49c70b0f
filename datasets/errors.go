package datasets

import (
	"errors"
	"fmt"
	"strconv"
)

// ErrMissingField is matched by errors.Is for a *FieldError whose field is
// absent from the record.
var ErrMissingField = errors.New("field missing")

// Unit names what a record number counts: the 1-based line of a text file or
// the 1-based row of a Parquet file.
type Unit uint8

const (
	// UnitLine means the number is a 1-based line of a text file (JSON
	// Lines, CSV, TSV, plain text, SGML). Errors print it as "path:17:".
	UnitLine Unit = iota
	// UnitRow means the number is a 1-based row of a Parquet file, counted
	// across row groups. Errors print it as "path: row 17:".
	UnitRow
)

// where formats a record position for an error message: "path:17",
// "path: row 17", or just "path" when n is 0 (and "" without a path).
func where(source string, n int, u Unit) string {
	switch {
	case n <= 0 || source == "":
		return source
	case u == UnitRow:
		return source + ": row " + strconv.Itoa(n)
	default:
		return source + ":" + strconv.Itoa(n)
	}
}

// FieldError reports a field of a record that is missing or holds a value of
// the wrong kind, e.g. `lambada_test.jsonl:17: field "label" is a string,
// want an integer`. Tasks get it from the Row getters and from Row.Invalid.
type FieldError struct {
	Source  string // path of the file, as given to the reader
	Line    int    // 1-based line (or row, see Unit) of the record; 0 if unknown
	Unit    Unit   // what Line counts
	Field   string // field name; nested fields are dotted ("answer.value"), list items indexed ("choices[2]")
	Problem string // what is wrong, e.g. "missing" or "is a string, want an integer"
	Hint    string // how to fix it, when known; may be empty
}

// Error formats the error as `path:line: field "name" problem (hint)`.
func (e *FieldError) Error() string {
	s := fmt.Sprintf("field %q %s", e.Field, e.Problem)
	if w := where(e.Source, e.Line, e.Unit); w != "" {
		s = w + ": " + s
	}
	if e.Hint != "" {
		s += " (" + e.Hint + ")"
	}
	return s
}

// Unwrap returns ErrMissingField when the field is absent, so that
// errors.Is(err, ErrMissingField) tells "missing" apart from "wrong kind".
func (e *FieldError) Unwrap() error {
	if e.Problem == problemMissing {
		return ErrMissingField
	}
	return nil
}

const problemMissing = "missing"

// ReadError reports a record that could not be read: malformed JSON, invalid
// UTF-8, a CSV row with the wrong number of fields, an SGML segment without
// its closing tag, a corrupt compressed stream, a damaged Parquet file.
// Err holds the underlying cause (a *json.SyntaxError, io.ErrUnexpectedEOF,
// …) for errors.As and errors.Is.
type ReadError struct {
	Source string // path of the file, as given to the reader
	Line   int    // 1-based line (or row, see Unit) where the problem is; 0 for the file as a whole
	Unit   Unit   // what Line counts
	Err    error  // the problem
	Hint   string // how to fix it, when known; may be empty
}

// Error formats the error as `path:line: problem (hint)`.
func (e *ReadError) Error() string {
	s := e.Err.Error()
	if w := where(e.Source, e.Line, e.Unit); w != "" {
		s = w + ": " + s
	}
	if e.Hint != "" {
		s += " (" + e.Hint + ")"
	}
	return s
}

// Unwrap returns the underlying cause.
func (e *ReadError) Unwrap() error { return e.Err }

// readErr builds a *ReadError for a text-format line.
func readErr(source string, line int, hint string, format string, args ...any) *ReadError {
	return &ReadError{Source: source, Line: line, Err: fmt.Errorf(format, args...), Hint: hint}
}

// Hints shared by several readers.
const (
	hintTruncated = "the file looks truncated; download or copy it again"
	hintUTF8      = "re-encode the file as UTF-8, e.g. with iconv -f latin1 -t utf-8"
)
