package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/kshot-eval/kshot/internal/kernels"
)

// buildInfo is what kshot version prints.
type buildInfo struct {
	Version  string // kshot's version, as written into results files
	Module   string // the main module's version ("(devel)" for a source build)
	Commit   string // VCS revision, "unknown" when the build did not record it
	Time     string // VCS commit time, "" when unknown
	Modified bool   // the work tree had uncommitted changes
	Kernels  string // the compute kernel path in use (internal/kernels)
	Go       string // the Go version kshot was built with
}

// readBuildInfo gathers buildInfo from the binary's embedded build
// information.
func readBuildInfo() buildInfo {
	b := buildInfo{Version: version, Module: "unknown", Commit: "unknown", Kernels: kernels.Path(), Go: runtime.Version()}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return b
	}
	b.Module = bi.Main.Path + " " + bi.Main.Version
	if bi.Main.Path == "" {
		b.Module = "unknown (a test binary)"
	}
	if bi.GoVersion != "" {
		b.Go = bi.GoVersion
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Commit = s.Value
		case "vcs.time":
			b.Time = s.Value
		case "vcs.modified":
			b.Modified = s.Value == "true"
		}
	}
	return b
}

func cmdVersion(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("version", stderr)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	b := readBuildInfo()
	commit := b.Commit
	if b.Time != "" {
		commit += " (" + b.Time + ")"
	}
	if b.Modified {
		commit += ", with uncommitted changes"
	}
	fmt.Fprintf(stdout, "kshot %s\nmodule  %s\ncommit  %s\nkernels %s\ngo      %s\n", b.Version, b.Module, commit, b.Kernels, b.Go)
	return nil
}
