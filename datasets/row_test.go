package datasets

import (
	"errors"
	"iter"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// collect reads seq to the end (or to its error).
func collect[T any](seq iter.Seq2[T, error]) ([]T, error) {
	var out []T
	for v, err := range seq {
		if err != nil {
			return out, err
		}
		out = append(out, v)
	}
	return out, nil
}

// writeFile writes content to name in a fresh temporary directory and
// returns its path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// wantErr checks that err is non-nil and its message holds every one of subs.
func wantErr(t *testing.T, err error, subs ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want one containing %q", subs)
	}
	for _, s := range subs {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not contain %q", err, s)
		}
	}
}

func testRow() Row {
	return Row{Source: "d.jsonl", Line: 17, Fields: map[string]any{
		"text":    "hello",
		"label":   int64(2),
		"whole":   float64(3),
		"half":    0.5,
		"quoted":  "7",
		"ok":      true,
		"null":    nil,
		"choices": []any{"a", "b"},
		"mixed":   []any{"a", int64(1)},
		"ids":     []any{int64(5), float64(6)},
		"answer":  map[string]any{"value": "x", "aliases": []any{"y"}},
		"docs":    []any{map[string]any{"t": "p"}, map[string]any{}},
	}}
}

func TestRowGetters(t *testing.T) {
	r := testRow()
	tests := []struct {
		name string
		get  func() (any, error)
		want any
		err  []string // substrings of the error; nil means success
	}{
		{"string", func() (any, error) { return r.String("text") }, "hello", nil},
		{"string missing", func() (any, error) { return r.String("txt") }, nil, []string{`d.jsonl:17: field "txt" missing (did you mean "text"?)`}},
		{"string missing, no near key", func() (any, error) { return r.String("passage") }, nil, []string{`field "passage" missing (the record has "answer", "choices", "docs", "half", "ids", "label", "mixed", "null" and 4 more)`}},
		{"string wrong kind", func() (any, error) { return r.String("label") }, nil, []string{`d.jsonl:17: field "label" is an integer, want a string (got 2)`}},
		{"string null", func() (any, error) { return r.String("null") }, nil, []string{`field "null" is null, want a string`}},
		{"int", func() (any, error) { return r.Int("label") }, 2, nil},
		{"int from whole float", func() (any, error) { return r.Int("whole") }, 3, nil},
		{"int from fraction", func() (any, error) { return r.Int("half") }, nil, []string{`field "half" is a number, want an integer (got 0.5)`}},
		{"int from string", func() (any, error) { return r.Int("text") }, nil, []string{`d.jsonl:17: field "text" is a string, want an integer (got "hello")`}},
		{"int from quoted number", func() (any, error) { return r.Int("quoted") }, nil, []string{`is a string, want an integer (got "7"; the number is quoted`}},
		{"float", func() (any, error) { return r.Float("half") }, 0.5, nil},
		{"float from int", func() (any, error) { return r.Float("label") }, 2.0, nil},
		{"float from bool", func() (any, error) { return r.Float("ok") }, nil, []string{`field "ok" is a boolean, want a number (got true)`}},
		{"bool", func() (any, error) { return r.Bool("ok") }, true, nil},
		{"bool wrong", func() (any, error) { return r.Bool("text") }, nil, []string{`want a boolean`}},
		{"strings", func() (any, error) { return r.Strings("choices") }, []string{"a", "b"}, nil},
		{"strings bad item", func() (any, error) { return r.Strings("mixed") }, nil, []string{`d.jsonl:17: field "mixed[1]" is an integer, want a string`}},
		{"strings not list", func() (any, error) { return r.Strings("text") }, nil, []string{`field "text" is a string, want a list`}},
		{"ints", func() (any, error) { return r.Ints("ids") }, []int{5, 6}, nil},
		{"floats", func() (any, error) { return r.Floats("ids") }, []float64{5, 6}, nil},
		{"ints bad item", func() (any, error) { return r.Ints("choices") }, nil, []string{`field "choices[0]" is a string, want an integer`}},
		{"nested string", func() (any, error) {
			a, err := r.Object("answer")
			if err != nil {
				return nil, err
			}
			return a.String("value")
		}, "x", nil},
		{"nested missing", func() (any, error) {
			a, err := r.Object("answer")
			if err != nil {
				return nil, err
			}
			return a.String("normalized")
		}, nil, []string{`d.jsonl:17: field "answer.normalized" missing`}},
		{"nested list item", func() (any, error) {
			a, err := r.Object("answer")
			if err != nil {
				return nil, err
			}
			return a.Ints("aliases")
		}, nil, []string{`field "answer.aliases[0]" is a string, want an integer`}},
		{"objects item missing", func() (any, error) {
			docs, err := r.Objects("docs")
			if err != nil {
				return nil, err
			}
			return docs[1].String("t")
		}, nil, []string{`field "docs[1].t" missing`}},
		{"object wrong kind", func() (any, error) { return r.Object("choices") }, nil, []string{`field "choices" is a list, want an object`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.get()
			if tt.err != nil {
				wantErr(t, err, tt.err...)
				var fe *FieldError
				if !errors.As(err, &fe) {
					t.Errorf("error %T is not a *FieldError", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestFieldErrorBranching(t *testing.T) {
	r := testRow()
	_, missing := r.String("nope")
	_, wrong := r.String("label")
	if !errors.Is(missing, ErrMissingField) {
		t.Errorf("errors.Is(%v, ErrMissingField) = false", missing)
	}
	if errors.Is(wrong, ErrMissingField) {
		t.Errorf("errors.Is(%v, ErrMissingField) = true", wrong)
	}
	var fe *FieldError
	if !errors.As(wrong, &fe) || fe.Source != "d.jsonl" || fe.Line != 17 || fe.Field != "label" || fe.Problem != "is an integer, want a string" {
		t.Errorf("got %#v", fe)
	}
	if got, want := r.Invalid("label", "is %d, want 0 to 1", 2).Error(), `d.jsonl:17: field "label" is 2, want 0 to 1`; got != want {
		t.Errorf("Invalid: got %q, want %q", got, want)
	}
	pr := Row{Source: "t.parquet", Line: 3, Unit: UnitRow, Fields: map[string]any{}}
	if _, err := pr.String("x"); err == nil || err.Error() != `t.parquet: row 3: field "x" missing` {
		t.Errorf("parquet row error: got %v", err)
	}
	if got := pr.Where(); got != "t.parquet: row 3" {
		t.Errorf("Where: got %q", got)
	}
}

func TestRowKeysAndGet(t *testing.T) {
	r := Row{Fields: map[string]any{"b": 1, "a": nil}}
	if got := r.Keys(); !reflect.DeepEqual(got, []string{"a", "b"}) {
		t.Errorf("Keys: got %q", got)
	}
	if v, ok := r.Get("a"); v != nil || !ok {
		t.Errorf("Get(a) = %v, %v; want nil, true", v, ok)
	}
	if _, ok := r.Get("c"); ok {
		t.Error("Get(c) reports a missing field as present")
	}
}

func TestErrorWithoutSource(t *testing.T) {
	_, err := Row{Fields: map[string]any{}}.String("x")
	if err == nil || err.Error() != `field "x" missing` {
		t.Errorf("got %v", err)
	}
}
