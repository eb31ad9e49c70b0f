package datasets

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/kshot-eval/kshot/internal/sharedtest"
)

func TestCSV(t *testing.T) {
	content := "\ufeffid,text,label\r\n1,\"hello, world\",0\r\n2,\"two\nlines \"\"quoted\"\"\",1\r\n3,,2\r\n"
	rows, err := collect(CSV(writeFile(t, "d.csv", content), ','))
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		line   int
		fields map[string]any
	}{
		{2, map[string]any{"id": "1", "text": "hello, world", "label": "0"}},
		{3, map[string]any{"id": "2", "text": "two\nlines \"quoted\"", "label": "1"}},
		{5, map[string]any{"id": "3", "text": "", "label": "2"}},
	}
	if len(rows) != len(want) {
		t.Fatalf("got %d rows, want %d", len(rows), len(want))
	}
	for i, w := range want {
		if rows[i].Line != w.line || !reflect.DeepEqual(rows[i].Fields, w.fields) {
			t.Errorf("row %d: line %d %q, want line %d %q", i, rows[i].Line, rows[i].Fields, w.line, w.fields)
		}
	}
	// Open chooses CSV for .csv.
	rows2, err := collect(Open(writeFile(t, "e.csv", content)))
	if err != nil || len(rows2) != 3 {
		t.Errorf("Open: %d rows, %v", len(rows2), err)
	}
}

func TestCSVErrors(t *testing.T) {
	tests := []struct {
		name, content string
		sep           rune
		rows          int
		err           []string
	}{
		{"too many fields", "a,b\n1,2\n3,4,5\n", ',', 1, []string{"d.csv:3: wrong number of fields: the header has 2, this record 3", "double quotes"}},
		{"too few fields", "a,b\n1,2\n3\n", ',', 1, []string{"d.csv:3: wrong number of fields: the header has 2, this record 1"}},
		{"bare quote", "a,b\n1,x\"y\n", ',', 0, []string{"d.csv:2: bare \" in non-quoted-field at byte 4 of the line"}},
		{"unterminated quote", "a,b\n1,\"abc\n2,3\n", ',', 0, []string{"d.csv:3:", "extraneous or missing \" in quoted-field"}},
		{"invalid utf8", "a,b\n1,caf\xe9\n", ',', 0, []string{`d.csv:2: invalid UTF-8 in column "b" (byte 0xe9)`, "iconv"}},
		{"invalid utf8 in header", "a,\xff\n", ',', 0, []string{`d.csv:1: invalid UTF-8 in field 2 (byte 0xff)`}},
		{"duplicate column", "a,b,a\n1,2,3\n", ',', 0, []string{"d.csv:1: the header names column \"a\" twice"}},
		{"bad separator", "a\"b\n", '"', 0, []string{"d.csv: invalid separator '\"'"}},
		{"semicolons", "a;b\n1;2;3\n", ';', 0, []string{"d.csv:2: wrong number of fields", "separator ';'"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := collect(CSV(writeFile(t, "d.csv", tt.content), tt.sep))
			wantErr(t, err, tt.err...)
			var re *ReadError
			if !errors.As(err, &re) {
				t.Errorf("error %T is not a *ReadError", err)
			}
			if len(rows) != tt.rows {
				t.Errorf("got %d rows before the error, want %d", len(rows), tt.rows)
			}
		})
	}
}

func TestTSV(t *testing.T) {
	// GLUE-style TSV: quotes are text, not quoting.
	content := "sentence\tlabel\r\nhe said \"hi\tthere\"\t1\r\n"
	_, err := collect(TSV(writeFile(t, "d.tsv", content)))
	wantErr(t, err, "d.tsv:2: wrong number of fields: the header has 2, this line 3", "cannot hold a tab")

	content = "\ufeffsentence\tlabel\n\"it 's a charming \" journey\t1\nok\t0"
	rows, err := collect(Open(writeFile(t, "e.tsv", content)))
	if err != nil {
		t.Fatal(err)
	}
	want := []map[string]any{
		{"sentence": "\"it 's a charming \" journey", "label": "1"},
		{"sentence": "ok", "label": "0"},
	}
	if len(rows) != 2 || rows[0].Line != 2 || rows[1].Line != 3 ||
		!reflect.DeepEqual(rows[0].Fields, want[0]) || !reflect.DeepEqual(rows[1].Fields, want[1]) {
		t.Errorf("got %+v", rows)
	}
	_, err = collect(TSV(writeFile(t, "f.tsv", "a\ta\n")))
	wantErr(t, err, "f.tsv:1: the header names column \"a\" twice")
	_, err = collect(TSV(writeFile(t, "g.tsv", "a\tb\n\xff\t1\n")))
	wantErr(t, err, "g.tsv:2: invalid UTF-8")
}

func FuzzCSV(f *testing.F) {
	f.Add([]byte("a,b\n1,\"x,y\"\n2,3\n"), true)
	f.Add([]byte("a\tb\n\"q\t1\n"), false)
	f.Add([]byte("a,a\n"), true)
	for _, s := range sharedtest.Corrupted(f, 4096, "data/crows_pairs/crows_pairs_anonymized.csv") {
		f.Add(s, true)
	}
	for _, s := range sharedtest.Corrupted(f, 4096, "data/winogender/templates.tsv", "data/race/race_test_high_manifest.tsv") {
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, data []byte, quoted bool) {
		read := func(yield func(Row, error) bool) { csvRows(bytes.NewReader(data), "f.csv", ',', yield) }
		if !quoted {
			read = func(yield func(Row, error) bool) { tsvRows(bytes.NewReader(data), "f.csv", yield) }
		}
		lines := bytes.Count(data, []byte("\n")) + 1
		last, width := 0, -1
		for r, err := range read {
			if err != nil {
				var re *ReadError
				if !errors.As(err, &re) || re.Line < 0 || re.Line > lines || !strings.HasPrefix(err.Error(), "f.csv") {
					t.Fatalf("bad error %v", err)
				}
				break
			}
			if r.Line <= last || r.Line > lines {
				t.Fatalf("row at line %d after line %d of %d", r.Line, last, lines)
			}
			if width >= 0 && len(r.Fields) != width {
				t.Fatalf("row at line %d has %d fields, earlier rows %d", r.Line, len(r.Fields), width)
			}
			last, width = r.Line, len(r.Fields)
		}
	})
}
