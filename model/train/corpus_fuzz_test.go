package train

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzReadCorpus feeds arbitrary bytes to the corpus reader: it must
// return passages of valid UTF-8 without blank lines, or an error.
func FuzzReadCorpus(f *testing.F) {
	for _, s := range []string{"", "a\n\nb", "caf\xe9", "x\x00y", "one\ntwo\n\n\n three \n"} {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(dir, "c.txt")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		ps, err := ReadCorpus(p)
		if err != nil {
			return
		}
		if len(ps) == 0 {
			t.Fatal("no passages and no error")
		}
		for _, s := range ps {
			if !utf8.ValidString(s) || strings.TrimSpace(s) == "" {
				t.Fatalf("bad passage %q", s)
			}
			for _, line := range strings.Split(s, "\n") {
				if strings.TrimSpace(line) == "" {
					t.Fatalf("passage %q holds a blank line", s)
				}
			}
		}
	})
}
