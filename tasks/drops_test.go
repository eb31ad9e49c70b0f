package tasks

import (
	"reflect"
	"strings"
	"testing"
)

// TestDrops checks that what a task leaves out of its data is counted
// (hand counts of small files), and that a file whose documents are all
// left out is an error saying why.
func TestDrops(t *testing.T) {
	wikiWhy := "only whitespace (the WikiText dataset script's rule; the raw file's first chunk, before the first heading, always is)"
	qaWhy := "empty or only whitespace (a document with no other answer is an error)"
	for _, c := range []struct {
		name, task, file, content string
		want                      []Drop
		err                       string // substring of the error, "" for none
	}{
		// " \n" before the first heading: one whitespace chunk of two.
		{"wikitext leading chunk", "wikitext2", "w.raw", " \n = A = \n \n x . \n", []Drop{{1, 2, "chunks between headings", wikiWhy}}, ""},
		{"wikitext heading first", "wikitext2", "w.raw", " = A = \n \n x . \n = B = \n y \n", nil, ""},
		{"wikitext all whitespace", "wikitext2", "w.raw", " \n \n\t\n", nil, "only white"},
		// Answers "", " " dropped; three non-empty kept.
		{"qa empty aliases", "nq_open", "q.jsonl", `{"question": "who", "answer": ["a", "", "b"]}` + "\n" + `{"question": "what", "answer": [" ", "c"]}` + "\n",
			[]Drop{{2, 5, "answers", qaWhy}}, ""},
		{"qa no answer", "nq_open", "q.jsonl", `{"question": "who", "answer": ["", " "]}` + "\n", nil, "no non-empty answer"},
	} {
		t.Run(c.name, func(t *testing.T) {
			task, err := New(c.task, Options{DataPath: writeFile(t, c.file, c.content)})
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want one saying %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := Dropped(task); !reflect.DeepEqual(got, c.want) {
				t.Errorf("dropped %v, want %v", got, c.want)
			}
		})
	}
	if s := (Drop{1, 63, "chunks between headings", "only whitespace"}).String(); s != "dropped 1 of 63 chunks between headings: only whitespace" {
		t.Errorf("String %q", s)
	}
}
