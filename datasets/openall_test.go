package datasets

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestOpenAll(t *testing.T) {
	dir := t.TempDir()
	a, b, bad := filepath.Join(dir, "a.jsonl"), filepath.Join(dir, "b.jsonl"), filepath.Join(dir, "c.jsonl")
	os.WriteFile(a, []byte(`{"text": "one"}`+"\n"+`{"text": "two"}`+"\n"), 0o644)
	os.WriteFile(b, []byte(`{"text": "three"}`+"\n"), 0o644)
	os.WriteFile(bad, []byte("{oops\n"), 0o644)
	var got []string
	for row, err := range OpenAll([]string{a, b}) {
		if err != nil {
			t.Fatal(err)
		}
		s, err := row.String("text")
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, s)
	}
	if !slices.Equal(got, []string{"one", "two", "three"}) {
		t.Errorf("texts %q", got)
	}
	for _, err := range OpenAll(nil) {
		if !errors.Is(err, ErrNoRecords) {
			t.Errorf("no files: got %v, want an ErrNoRecords error", err)
		}
	}
	var rows, errs int
	for _, err := range OpenAll([]string{a, bad, b}) {
		if err != nil {
			errs++
			if !strings.Contains(err.Error(), bad+":1") {
				t.Errorf("error %v does not name %s:1", err, bad)
			}
			continue
		}
		rows++
	}
	if rows != 2 || errs != 1 {
		t.Errorf("%d rows and %d errors, want 2 rows then the error, and nothing after it", rows, errs)
	}
}
