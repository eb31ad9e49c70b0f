package main

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kshot-eval/kshot/eval"
	"github.com/kshot-eval/kshot/internal/sharedtest"
)

// shotsArgs is issue 14's runaway: 1000 examples on a 64-token model.
func shotsArgs(t testing.TB, shots string) []string {
	return []string{"run", "--model", sharedtest.Path(t, "fixtures/models/gpt2-tiny"), "--data-dir", sharedtest.Path(t, "data"),
		"--tasks", "arithmetic_2da,hellaswag", "--shots", shots, "--limit", "3", "--no-cache", "--quiet"}
}

// TestShotsBeyondWindowRefused checks that a k no document's prompt can
// hold in gpt2-tiny's 64-token window is refused with an *eval.ShotsError
// that names a k that fits, before any results are written.
func TestShotsBeyondWindowRefused(t *testing.T) {
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	err := run(append(shotsArgs(t, "0,1000"), "--output", out), nil, &stdout, &stderr)
	var se *eval.ShotsError
	if !errors.As(err, &se) {
		t.Fatalf("error %v, want an *eval.ShotsError", err)
	}
	if se.Shots != 1000 || se.Window != 64 || se.Fit >= se.Shots || !strings.Contains(err.Error(), "--shots max") {
		t.Errorf("refusal %+v (%v)", *se, err)
	}
	if files, _ := filepath.Glob(filepath.Join(out, "*", "*")); len(files) != 0 {
		t.Errorf("a refused run wrote %v", files)
	}
}
