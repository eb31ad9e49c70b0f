package sharedtest

import (
	"os"
	"path/filepath"
	"testing"
)

// Corrupted returns seeds for a fuzz target made from shared files: for
// each rel, its first max bytes (the whole file when max <= 0 or the file
// is shorter) and damaged versions of them — cut at a quarter, a half, 90%
// and one byte short of the end, with one byte inverted at a third, a
// newline written at half way, a NUL at two thirds, and a run of bytes
// dropped from the middle. A file that does not exist is left out (with
// CI set it fails tb), so a fuzz target still runs on its other seeds.
func Corrupted(tb testing.TB, max int, rels ...string) [][]byte {
	tb.Helper()
	var seeds [][]byte
	for _, rel := range rels {
		data, err := os.ReadFile(filepath.Join(Root(), rel))
		if err != nil {
			if os.Getenv("CI") != "" {
				tb.Fatalf("shared data missing: %v", err)
			}
			continue
		}
		if max > 0 && len(data) > max {
			data = data[:max]
		}
		seeds = append(seeds, Damage(data)...)
	}
	return seeds
}

// Damage returns data and the damaged versions of it that Corrupted
// describes; each is a fresh copy.
func Damage(data []byte) [][]byte {
	n := len(data)
	cp := func(b []byte) []byte { return append([]byte(nil), b...) }
	out := [][]byte{cp(data)}
	if n < 2 {
		return out
	}
	out = append(out, cp(data[:n/4]), cp(data[:n/2]), cp(data[:n*9/10]), cp(data[:n-1]))
	set := func(i int, f func(byte) byte) []byte {
		b := cp(data)
		b[i] = f(b[i])
		return b
	}
	out = append(out,
		set(n/3, func(c byte) byte { return ^c }),
		set(n/2, func(byte) byte { return '\n' }),
		set(n*2/3, func(byte) byte { return 0 }))
	mid, run := n/2, max(1, n/16)
	out = append(out, append(cp(data[:mid]), data[min(n, mid+run):]...))
	return out
}
