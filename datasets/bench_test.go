package datasets

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/kshot-eval/kshot/internal/sharedtest"
)

// BenchmarkJSONL reads the 5153 LAMBADA records (1.8 MB).
func BenchmarkJSONL(b *testing.B) {
	path := sharedtest.Path(b, "data/lambada/lambada_test.jsonl")
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(st.Size())
	for b.Loop() {
		for _, err := range JSONL(path) {
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkParquet reads 10,000 rows of the nested test schema in 10 row
// groups.
func BenchmarkParquet(b *testing.B) {
	data := writeParquet(b, pqRecords(10000), 1000)
	path := filepath.Join(b.TempDir(), "b.parquet")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		for _, err := range Parquet(path) {
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}
