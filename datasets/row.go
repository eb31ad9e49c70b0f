package datasets

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/kshot-eval/kshot/internal/suggest"
)

// Row is one record of a data file: a JSON Lines object, a CSV/TSV data row
// under its header, or a Parquet row.
//
// Fields holds the values with these Go types: string, bool, int64 (JSON
// integers, Parquet integer columns), float64 (other JSON numbers, Parquet
// float and double columns), nil (JSON null, Parquet null), []any (JSON
// arrays, Parquet lists and repeated columns) and map[string]any (JSON
// objects, Parquet groups). CSV and TSV rows hold only strings. Parquet
// types without a JSON counterpart (timestamps, decimals) keep the Go type
// parquet-go gives them.
//
// The getters return a *FieldError naming the file, line and field when a
// field is missing or of the wrong kind.
type Row struct {
	Source string         // path of the file, as given to the reader
	Line   int            // 1-based line where the record starts, or 1-based Parquet row (see Unit)
	Unit   Unit           // what Line counts
	Fields map[string]any // the record's fields by name

	prefix string // dotted path of this row inside its parent record, for nested objects
}

// Where returns the record's position for messages: "path:17" for a text
// file, "path: row 17" for a Parquet file.
func (r Row) Where() string { return where(r.Source, r.Line, r.Unit) }

// Keys returns the record's field names in sorted order.
func (r Row) Keys() []string {
	keys := make([]string, 0, len(r.Fields))
	for k := range r.Fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Get returns the value of field key and whether the field is present. A
// field present with a null value gives (nil, true).
func (r Row) Get(key string) (any, bool) {
	v, ok := r.Fields[key]
	return v, ok
}

// Invalid returns a *FieldError for field key of this record with the
// problem given by format and args, for checks that only a task can make:
// r.Invalid("label", "is %d, want 0 to 3", n).
func (r Row) Invalid(key, format string, args ...any) *FieldError {
	return &FieldError{Source: r.Source, Line: r.Line, Unit: r.Unit, Field: r.prefix + key, Problem: fmt.Sprintf(format, args...)}
}

// lookup returns the value of key or a "missing" *FieldError.
func (r Row) lookup(key string) (any, error) {
	v, ok := r.Fields[key]
	if !ok {
		e := r.Invalid(key, problemMissing)
		if near := suggest.Closest(key, r.Keys()); near != "" {
			e.Hint = "did you mean " + strconv.Quote(near) + "?"
		} else if len(r.Fields) > 0 {
			e.Hint = "the record has " + keyList(r.Keys())
		}
		return nil, e
	}
	return v, nil
}

// String returns field key as a string.
func (r Row) String(key string) (string, error) {
	v, err := r.lookup(key)
	if err != nil {
		return "", err
	}
	return asString(r, key, v)
}

// Int returns field key as an int. A float holding an exact integer (1.0)
// is accepted; a quoted number ("1") is not.
func (r Row) Int(key string) (int, error) {
	v, err := r.lookup(key)
	if err != nil {
		return 0, err
	}
	return asInt(r, key, v)
}

// Float returns field key as a float64; integers are converted.
func (r Row) Float(key string) (float64, error) {
	v, err := r.lookup(key)
	if err != nil {
		return 0, err
	}
	return asFloat(r, key, v)
}

// Bool returns field key as a bool.
func (r Row) Bool(key string) (bool, error) {
	v, err := r.lookup(key)
	if err != nil {
		return false, err
	}
	b, ok := v.(bool)
	if !ok {
		return false, wrongKind(r, key, v, "a boolean")
	}
	return b, nil
}

// Strings returns field key, a list, as a []string.
func (r Row) Strings(key string) ([]string, error) {
	return listOf(r, key, asString)
}

// Ints returns field key, a list, as an []int, with the conversions of Int.
func (r Row) Ints(key string) ([]int, error) {
	return listOf(r, key, asInt)
}

// Floats returns field key, a list, as a []float64, with the conversions of
// Float.
func (r Row) Floats(key string) ([]float64, error) {
	return listOf(r, key, asFloat)
}

// Object returns field key, a JSON object or Parquet group, as a Row at the
// same position, so that errors about its fields name the full path
// (`field "answer.value" missing`).
func (r Row) Object(key string) (Row, error) {
	v, err := r.lookup(key)
	if err != nil {
		return Row{}, err
	}
	return asObject(r, key, v)
}

// Objects returns field key, a list of objects, as Rows whose errors name
// the item (`field "passages[2].text" missing`).
func (r Row) Objects(key string) ([]Row, error) {
	return listOf(r, key, asObject)
}

// listOf converts list field key item by item with conv; items are named
// key[i] in errors.
func listOf[T any](r Row, key string, conv func(Row, string, any) (T, error)) ([]T, error) {
	v, err := r.lookup(key)
	if err != nil {
		return nil, err
	}
	var items []any
	switch l := v.(type) {
	case []any:
		items = l
	case []string:
		items = make([]any, len(l))
		for i, s := range l {
			items[i] = s
		}
	default:
		return nil, wrongKind(r, key, v, "a list")
	}
	out := make([]T, len(items))
	for i, it := range items {
		if out[i], err = conv(r, key+"["+strconv.Itoa(i)+"]", it); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func asString(r Row, key string, v any) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", wrongKind(r, key, v, "a string")
	}
	return s, nil
}

func asInt(r Row, key string, v any) (int, error) {
	var n int64
	switch x := v.(type) {
	case int64:
		n = x
	case int:
		return x, nil
	case float64:
		if x != math.Trunc(x) || x < math.MinInt64 || x >= math.MaxInt64 {
			return 0, wrongKind(r, key, v, "an integer")
		}
		n = int64(x)
	default:
		e := wrongKind(r, key, v, "an integer")
		if s, ok := v.(string); ok {
			if _, err := strconv.ParseInt(s, 10, 64); err == nil {
				addHint(e, "the number is quoted in the file; parse the string in the task or fix the data")
			}
		}
		return 0, e
	}
	if int64(int(n)) != n {
		return 0, r.Invalid(key, "is %d, which does not fit in an int", n)
	}
	return int(n), nil
}

func asFloat(r Row, key string, v any) (float64, error) {
	switch x := v.(type) {
	case float64:
		return x, nil
	case int64:
		return float64(x), nil
	case int:
		return float64(x), nil
	}
	return 0, wrongKind(r, key, v, "a number")
}

func asObject(r Row, key string, v any) (Row, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return Row{}, wrongKind(r, key, v, "an object")
	}
	return Row{Source: r.Source, Line: r.Line, Unit: r.Unit, Fields: m, prefix: r.prefix + key + "."}, nil
}

// wrongKind reports that field key holds v where want was expected, with
// the value itself in the hint when it is a short scalar:
// `field "label" is a string, want an integer (got "1")`.
func wrongKind(r Row, key string, v any, want string) *FieldError {
	e := r.Invalid(key, "is %s, want %s", kindOf(v), want)
	e.Hint = shortValue(v)
	return e
}

// addHint appends hint to the hint of e.
func addHint(e *FieldError, hint string) {
	if e.Hint != "" {
		e.Hint += "; "
	}
	e.Hint += hint
}

// kindOf names the kind of a field value for messages.
func kindOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case int64, int:
		return "an integer"
	case float64:
		return "a number"
	case []any, []string:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("a %T", v)
}

// shortValue shows a scalar value for a hint ("got 0.5"), or returns ""
// for nulls, containers and strings longer than 40 characters.
func shortValue(v any) string {
	switch x := v.(type) {
	case string:
		if utf8.RuneCountInString(x) <= 40 {
			return fmt.Sprintf("got %q", x)
		}
	case bool, int64, int:
		return fmt.Sprintf("got %v", x)
	case float64:
		return fmt.Sprintf("got %g", x)
	}
	return ""
}

// keyList formats at most 8 field names for a hint.
func keyList(keys []string) string {
	const max = 8
	s := ""
	for i, k := range keys {
		if i == max {
			return s + fmt.Sprintf(" and %d more", len(keys)-max)
		}
		if i > 0 {
			s += ", "
		}
		s += strconv.Quote(k)
	}
	return s
}

// missingFields is the cause of NeedOneOf's error: errors.Is matches
// ErrMissingField.
type missingFields struct{ msg string }

func (e missingFields) Error() string        { return e.msg }
func (e missingFields) Is(target error) bool { return target == ErrMissingField }

// NeedOneOf returns the error for a record that has none of the sets of
// fields a reader accepts, in the user's words: what names the record
// ("a LAMBADA row"), forms are the accepted sets of fields, first the
// preferred one. The error names the file and line, what is expected,
// the fields the record has and, when one is close to an expected name,
// that name: `lambada.jsonl:1: a LAMBADA row needs the field "text", or
// "context" and "continuation"; this row has "txt" (did you mean "text"?)`.
func (r Row) NeedOneOf(what string, forms ...[]string) error {
	var alts, expected []string
	for _, f := range forms {
		q := make([]string, len(f))
		for i, k := range f {
			q[i] = strconv.Quote(r.prefix + k)
		}
		expected = append(expected, f...)
		switch len(q) {
		case 1:
			alts = append(alts, q[0])
		default:
			alts = append(alts, strings.Join(q[:len(q)-1], ", ")+" and "+q[len(q)-1])
		}
	}
	fields := "the field " + strings.Join(alts, ", or ")
	if len(forms) > 0 && len(forms[0]) > 1 {
		fields = "the fields " + strings.Join(alts, ", or ")
	}
	msg := fmt.Sprintf("%s needs %s", what, fields)
	if keys := r.Keys(); len(keys) > 0 {
		msg += "; this row has " + keyList(keys)
	} else {
		msg += "; this row has no fields"
	}
	hint := ""
	for _, k := range r.Keys() {
		if near := suggest.Closest(k, expected); near != "" {
			hint = fmt.Sprintf("did you mean %q for %q?", near, k)
			break
		}
	}
	return &ReadError{Source: r.Source, Line: r.Line, Unit: r.Unit, Err: missingFields{msg}, Hint: hint}
}
