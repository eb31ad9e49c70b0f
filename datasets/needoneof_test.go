package datasets

import (
	"errors"
	"testing"
)

// TestNeedOneOf: a record with none of the accepted fields is described in
// words: the file and line, what is expected, what the record has and the
// closest expected name.
func TestNeedOneOf(t *testing.T) {
	tests := []struct {
		name   string
		fields map[string]any
		want   string
	}{
		{"misspelt", map[string]any{"txt": "a b"},
			`l.jsonl:3: a LAMBADA row needs the field "text", or "context" and "continuation"; this row has "txt" (did you mean "text" for "txt"?)`},
		{"unrelated", map[string]any{"zzz": 1, "qqqqq": 2},
			`l.jsonl:3: a LAMBADA row needs the field "text", or "context" and "continuation"; this row has "qqqqq", "zzz"`},
		{"empty", map[string]any{},
			`l.jsonl:3: a LAMBADA row needs the field "text", or "context" and "continuation"; this row has no fields`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := Row{Source: "l.jsonl", Line: 3, Fields: tc.fields}
			err := r.NeedOneOf("a LAMBADA row", []string{"text"}, []string{"context", "continuation"})
			if err.Error() != tc.want {
				t.Errorf("got  %s\nwant %s", err, tc.want)
			}
			if !errors.Is(err, ErrMissingField) {
				t.Errorf("errors.Is(%v, ErrMissingField) is false", err)
			}
		})
	}
}
