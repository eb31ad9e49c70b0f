package datasets

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kshot-eval/kshot/internal/sharedtest"
)

// fileKinds are the readers FuzzDataFile drives through the public API,
// by the extension of the file it writes.
var fileKinds = []struct {
	ext  string
	read func(path string) (int, error) // records read before the error
}{
	{".jsonl", func(p string) (int, error) { return countRows(Open(p)) }},
	{".json", func(p string) (int, error) { return countRows(Open(p)) }},
	{".csv", func(p string) (int, error) { return countRows(Open(p)) }},
	{".tsv", func(p string) (int, error) { return countRows(Open(p)) }},
	{".parquet", func(p string) (int, error) { return countRows(Open(p)) }},
	{".jsonl.gz", func(p string) (int, error) { return countRows(Open(p)) }},
	{".txt.bz2", func(p string) (int, error) { s, err := ReadText(p); return len(s), err }},
	{".raw", func(p string) (int, error) { s, err := ReadText(p); return len(s), err }},
	{".txt", func(p string) (int, error) {
		n := 0
		for _, err := range Lines(p) {
			if err != nil {
				return n, err
			}
			n++
		}
		return n, nil
	}},
	{".sgm", func(p string) (int, error) { segs, err := SGML(p); return len(segs), err }},
}

// countRows reads a record sequence, checking each row, and returns the
// number of rows before the error. At most 200 rows are read: a few bytes
// of Parquet levels can declare billions.
func countRows(seq func(func(Row, error) bool)) (int, error) {
	n := 0
	for r, err := range seq {
		if err != nil {
			return n, err
		}
		if r.Fields == nil || r.Line <= 0 {
			return n, errors.New("BUG: row without fields or position")
		}
		if n++; n == 200 {
			break
		}
	}
	return n, nil
}

// FuzzDataFile writes corrupted versions of the shared data files (and of
// a gzip and a bzip2 stream) to disk and reads them as a user's --data
// file is read: every reader must return records or one error, never
// panic, and the error must be one line that starts with the file's path
// and is a *ReadError or *FieldError (or the open failure itself).
func FuzzDataFile(f *testing.F) {
	seeds := map[string][]string{
		".jsonl": {"data/lambada/lambada_test.jsonl", "data/superglue/cb_val.jsonl", "data/piqa/valid.jsonl"},
		".json":  {"data/gpt2_tokenizer/public_test_vectors.json", "data/tiny_gpt2/reference_outputs.json"},
		".csv":   {"data/crows_pairs/crows_pairs_anonymized.csv"},
		".tsv":   {"data/winogender/all_sentences.tsv", "data/race/race_test_middle_manifest.tsv"},
		".raw":   {"data/wikitext2/wiki.test.raw"},
		".txt":   {"data/ptb/ptb.test.txt"},
		".sgm":   {"data/wmt14/newstest2014-deen-src.en.sgm"},
		// a bzip2 stream cut short, and damaged
		".txt.bz2": {"data/hellaswag/hellaswag_val_full.txt.bz2"},
	}
	for i, k := range fileKinds {
		for _, s := range sharedtest.Corrupted(f, 2048, seeds[k.ext]...) {
			f.Add(s, uint8(i))
		}
	}
	for i, k := range fileKinds {
		switch k.ext {
		case ".parquet":
			for _, s := range sharedtest.Damage(writeParquet(f, pqRecords(5), 2)) {
				f.Add(s, uint8(i))
			}
		case ".jsonl.gz":
			for _, plain := range sharedtest.Corrupted(f, 2048, "data/lambada/lambada_test.jsonl")[:1] {
				var buf bytes.Buffer
				zw := gzip.NewWriter(&buf)
				zw.Write(plain)
				zw.Close()
				for _, s := range sharedtest.Damage(buf.Bytes()) {
					f.Add(s, uint8(i))
				}
			}
		}
	}
	dir := f.TempDir() // one per fuzzing process: a directory per input would slow minimizing to a crawl
	f.Fuzz(func(t *testing.T, data []byte, kind uint8) {
		k := fileKinds[int(kind)%len(fileKinds)]
		path := filepath.Join(dir, "fuzz"+k.ext)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := k.read(path)
		if err == nil {
			return
		}
		msg := err.Error()
		if strings.Contains(msg, "BUG") {
			t.Fatal(msg)
		}
		if strings.Contains(msg, "\n") || !strings.HasPrefix(msg, path) && !strings.Contains(msg, path+":") {
			t.Fatalf("error %q: want one line naming %s", msg, path)
		}
		var re *ReadError
		var fe *FieldError
		var pe *fs.PathError
		if !errors.As(err, &re) && !errors.As(err, &fe) && !errors.As(err, &pe) {
			t.Fatalf("error %T %q is not a *ReadError or *FieldError", err, msg)
		}
	})
}
