//go:build linux

package main

import (
	"bytes"
	"errors"
	"syscall"
	"testing"

	"github.com/kshot-eval/kshot/eval"
)

// BenchmarkShotsBeyondWindow is `kshot run --shots 1000 --limit 3` on
// gpt2-tiny (docs/performance.md): it must end, refused, in well under 2 s
// and 200 MB. peak-RSS-MB is the process's maximum resident set size
// (getrusage), which includes the test binary.
func BenchmarkShotsBeyondWindow(b *testing.B) {
	args := shotsArgs(b, "1000")
	for b.Loop() {
		var stdout, stderr bytes.Buffer
		var se *eval.ShotsError
		if err := run(args, nil, &stdout, &stderr); !errors.As(err, &se) {
			b.Fatalf("error %v, want an *eval.ShotsError", err)
		}
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		b.ReportMetric(float64(ru.Maxrss)/1024, "peak-RSS-MB") // Maxrss is in KiB on Linux
	}
}
