package datasets

import (
	"bytes"
	"compress/gzip"
	"errors"
	"iter"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// A file without records, and a blank line in a record format, are errors
// naming the file (and line): a data set of nothing must not be scored as
// if it were a result (issue 14: an empty wikitext file scored
// word_perplexity 1.0, a JSONL file with a blank line 19 of 20 lines).
func TestNoRecordsAndBlankLines(t *testing.T) {
	rowsOf := func(seq iter.Seq2[Row, error]) (int, error) {
		rows, err := collect(seq)
		return len(rows), err
	}
	linesOf := func(path string) (int, error) {
		lines, err := collect(Lines(path))
		return len(lines), err
	}
	textOf := func(path string) (int, error) {
		s, err := ReadText(path)
		return len(s), err
	}
	sgmlOf := func(path string) (int, error) {
		segs, err := SGML(path)
		return len(segs), err
	}
	tests := []struct {
		name, file, content string
		read                func(path string) (int, error)
		rows                int    // records before the error
		err                 string // the error, after the file's path
		empty               bool   // the error is ErrNoRecords
	}{
		{"jsonl empty", "d.jsonl", "", func(p string) (int, error) { return rowsOf(JSONL(p)) }, 0, ": the file holds no records", true},
		{"jsonl blank line", "d.jsonl", "{\"a\":1}\n\n{\"a\":2}\n", func(p string) (int, error) { return rowsOf(JSONL(p)) }, 1, ":2: blank line (delete the blank line", false},
		{"jsonl white-space line", "d.jsonl", "{\"a\":1}\n \t\r\n", func(p string) (int, error) { return rowsOf(JSONL(p)) }, 1, ":2: blank line", false},
		{"jsonl trailing blank line", "d.jsonl", "{\"a\":1}\n{\"a\":2}\n\n", func(p string) (int, error) { return rowsOf(JSONL(p)) }, 2, ":3: blank line", false},
		{"jsonl.gz empty", "d.jsonl.gz", "", func(p string) (int, error) { return rowsOf(Open(p)) }, 0, ": the file holds no records", true},
		{"json empty array", "d.json", " [ ]\n", func(p string) (int, error) { return rowsOf(JSON(p)) }, 0, ": the file holds no records", true},
		{"json white space", "d.json", "\n \n", func(p string) (int, error) { return rowsOf(Open(p)) }, 0, ": the file holds no records", true},
		{"csv empty", "d.csv", "", func(p string) (int, error) { return rowsOf(Open(p)) }, 0, ": the file holds no records", true},
		{"csv header only", "d.csv", "text,label\n", func(p string) (int, error) { return rowsOf(Open(p)) }, 0, ": the file holds no records", true},
		{"csv blank line", "d.csv", "text,label\na,1\n\nb,0\n", func(p string) (int, error) { return rowsOf(Open(p)) }, 1, ":3: blank line", false},
		{"csv blank line after quoted newline", "d.csv", "text,label\n\"a\nb\",1\n\r\nc,0\n", func(p string) (int, error) { return rowsOf(Open(p)) }, 1, ":4: blank line", false},
		{"csv trailing blank lines", "d.csv", "text,label\na,1\n\n\n", func(p string) (int, error) { return rowsOf(Open(p)) }, 1, ":3: blank line", false},
		{"csv blank line before header", "d.csv", "\ntext,label\na,1\n", func(p string) (int, error) { return rowsOf(Open(p)) }, 0, ":1: blank line", false},
		{"tsv header only", "d.tsv", "sentence\tlabel\r\n", func(p string) (int, error) { return rowsOf(Open(p)) }, 0, ": the file holds no records", true},
		{"tsv blank line", "d.tsv", "sentence\tlabel\nok\t1\n\r\nno\t0\n", func(p string) (int, error) { return rowsOf(Open(p)) }, 1, ":3: blank line", false},
		{"lines empty", "t.txt", "", linesOf, 0, ": the file holds no records", true},
		{"text empty", "wiki.test.raw", "", textOf, 0, ": the file holds no records, so no documents to score: it is empty", true},
		{"text white space", "wiki.test.raw", "\ufeff \n\n \n", textOf, 0, ": the file holds no records, so no documents to score: it holds only white space", true},
		{"text.gz empty", "wiki.test.raw.gz", "", textOf, 0, ": the file holds no records, so no documents to score: it is empty", true},
		{"sgml no segments", "n.sgm", "<srcset>\n<doc docid=\"a\">\n</doc>\n</srcset>\n", sgmlOf, 0, ": no segments", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			content := tt.content
			if strings.HasSuffix(tt.file, ".gz") { // a valid gzip stream of content
				var buf bytes.Buffer
				zw := gzip.NewWriter(&buf)
				zw.Write([]byte(content))
				zw.Close()
				content = buf.String()
			}
			path := writeFile(t, tt.file, content)
			n, err := tt.read(path)
			if err == nil {
				t.Fatalf("read %d records and no error, want an error", n)
			}
			if tt.err != "" {
				wantErr(t, err, path+tt.err)
			}
			if n != tt.rows {
				t.Errorf("%d records before the error, want %d", n, tt.rows)
			}
			if errors.Is(err, ErrNoRecords) != tt.empty {
				t.Errorf("errors.Is(%v, ErrNoRecords) = %v, want %v", err, !tt.empty, tt.empty)
			}
		})
	}
}

// A Parquet file with a schema and no rows (what a failed conversion can
// leave) is an ErrNoRecords error, alone and among the shards of a split.
func TestParquetNoRows(t *testing.T) {
	dir := t.TempDir()
	empty, full := filepath.Join(dir, "0000.parquet"), filepath.Join(dir, "0001.parquet")
	if err := os.WriteFile(empty, parquetOf(t, nil), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(full, parquetOf(t, []string{"a"}), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, seq := range map[string]iter.Seq2[Row, error]{"Parquet": Parquet(empty), "Open": Open(empty), "OpenAll": OpenAll([]string{full, empty})} {
		_, err := collect(seq)
		if !errors.Is(err, ErrNoRecords) {
			t.Errorf("%s: got %v, want an ErrNoRecords error", name, err)
			continue
		}
		wantErr(t, err, empty+": the file holds no records")
	}
}

// parquetOf returns a Snappy-compressed Parquet file with one "text"
// column holding texts.
func parquetOf(t *testing.T, texts []string) []byte {
	type row struct {
		Text string `parquet:"text"`
	}
	rows := make([]row, len(texts))
	for i, s := range texts {
		rows[i].Text = s
	}
	var buf bytes.Buffer
	if err := parquet.Write(&buf, rows, parquet.Compression(&parquet.Snappy)); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
