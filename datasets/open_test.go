package datasets

import (
	"bytes"
	"compress/gzip"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/kshot-eval/kshot/internal/sharedtest"
)

func gzipped(t *testing.T, s string) string {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte(s))
	mustNil(t, zw.Close())
	return buf.String()
}

func TestOpenDispatch(t *testing.T) {
	tests := []struct {
		name, content string
		want          []string // the "a" field of each row
	}{
		{"d.jsonl", "{\"a\": \"1\"}\n{\"a\": \"2\"}\n", []string{"1", "2"}},
		{"D.JSONL", "{\"a\": \"1\"}\n", []string{"1"}},
		{"d.ndjson", "{\"a\": \"1\"}\n", []string{"1"}},
		{"d.json", "[{\"a\": \"1\"}, {\"a\": \"2\"}]", []string{"1", "2"}},
		{"d.json.gz", gzipped(t, "{\"a\": \"1\"}\n{\"a\": \"2\"}\n"), []string{"1", "2"}},
		{"d.csv", "a,b\n1,x\n", []string{"1"}},
		{"d.csv.gz", gzipped(t, "a,b\n1,x\n2,y\n"), []string{"1", "2"}},
		{"d.tsv", "a\tb\n\"1\tx\n", []string{"\"1"}},
		{"d.jsonl.gz", gzipped(t, "{\"a\": \"3\"}\n"), []string{"3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := collect(Open(writeFile(t, tt.name, tt.content)))
			mustNil(t, err)
			var got []string
			for _, r := range rows {
				s, err := r.String("a")
				mustNil(t, err)
				got = append(got, s)
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestOpenUnsupported(t *testing.T) {
	tests := []struct{ name, err string }{
		{"wiki.test.raw", `wiki.test.raw: unsupported file type (".raw")`},
		{"notes.txt", `notes.txt: unsupported file type (".txt")`},
		{"newstest.sgm", "read plain text with Lines and WMT .sgm files with SGML"},
		{"README", "README: unsupported file type (no extension)"},
		{"d.txt.bz2", `d.txt.bz2: unsupported file type (".txt")`},
		{"d.parquet.gz", "d.parquet.gz: a .gz-compressed Parquet file cannot be read"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := collect(Open(writeFile(t, tt.name, "x\n")))
			wantErr(t, err, tt.err)
			if len(rows) != 0 {
				t.Errorf("got %d rows", len(rows))
			}
		})
	}
}

func TestOpenSharedGzip(t *testing.T) {
	rows, err := collect(Open(sharedtest.Path(t, "data/gpt3/reversed_words.jsonl.gz")))
	mustNil(t, err)
	if len(rows) != 10000 {
		t.Fatalf("got %d rows, want 10000", len(rows))
	}
	// Line 1 of reversed_words, as SOURCES.md quotes it.
	c, _ := rows[0].String("context")
	d, _ := rows[0].String("completion")
	if c != "\ntaefed =" || d != " defeat" {
		t.Errorf("first record %q %q", c, d)
	}
}

// TestImports enforces the layering of STYLE.md: datasets may import only
// the standard library and parquet-go.
func TestImports(t *testing.T) {
	files, err := filepath.Glob("*.go")
	mustNil(t, err)
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		mustNil(t, err)
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			first, _, _ := strings.Cut(path, "/")
			if strings.Contains(first, ".") && !strings.HasPrefix(path, "github.com/parquet-go/parquet-go") && path != "github.com/kshot-eval/kshot/internal/suggest" {
				t.Errorf("%s imports %s; datasets may import only the standard library, parquet-go and internal/suggest", name, path)
			}
		}
	}
	if _, err := os.Stat("doc.go"); err != nil {
		t.Error("datasets has no doc.go")
	}
}
