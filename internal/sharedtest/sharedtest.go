// Package sharedtest locates the shared evaluation data and reference
// fixtures (../shared beside the repository) for tests and benchmarks.
//
// When the directory is absent a test is skipped with a message saying
// where the data was looked for, except when the CI environment variable is
// set: then a missing ../shared is a failure, never a skip.
package sharedtest

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// Root returns the absolute path of the shared directory: $KSHOT_SHARED
// when set, else ../shared next to the repository root.
func Root() string {
	if d := os.Getenv("KSHOT_SHARED"); d != "" {
		return d
	}
	_, file, _, _ := runtime.Caller(0)
	// file is <repo>/internal/sharedtest/sharedtest.go
	repo := filepath.Dir(filepath.Dir(filepath.Dir(file)))
	return filepath.Join(filepath.Dir(repo), "shared")
}

// Path returns the path of rel inside the shared directory, skipping tb
// (or failing it when CI is set) when that path does not exist.
func Path(tb testing.TB, rel string) string {
	tb.Helper()
	p := filepath.Join(Root(), rel)
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") != "" {
			tb.Fatalf("shared data missing: %s (CI is set, so this is a failure; clone the shared data beside the repository or set KSHOT_SHARED)", p)
		}
		tb.Skipf("shared data not found at %s: clone it beside the repository or set KSHOT_SHARED (skipping)", p)
	}
	return p
}
