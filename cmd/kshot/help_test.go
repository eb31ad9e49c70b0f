package main

import (
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"

	"github.com/kshot-eval/kshot/internal/kernels"
)

// checkGolden compares got with testdata/name, rewriting it with -update.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if cmpUpdate() {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to create it)", err, t.Name())
	}
	if got != string(want) {
		t.Errorf("output differs from %s (go test -update rewrites it after a deliberate change)\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

// TestHelpGolden: -h of every subcommand prints its synopsis, what it
// does, its flags with defaults and examples on stdout and exits 0, and
// kshot help NAME prints the same.
func TestHelpGolden(t *testing.T) {
	t.Setenv("KSHOT_DATA", "/somewhere/else") // never part of the help
	var names []string
	for n := range commandDocs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		t.Run(n, func(t *testing.T) {
			args := append(strings.Fields(n), "-h")
			stdout, stderr, code := runCLI(args...)
			if code != 0 || stderr != "" {
				t.Fatalf("kshot %s: exit status %d, stderr %q; want 0 and nothing", strings.Join(args, " "), code, stderr)
			}
			for _, want := range []string{"usage: kshot " + strings.Fields(n)[0], "\nexamples:\n  "} {
				if !strings.Contains(stdout, want) {
					t.Errorf("kshot %s: no %q in\n%s", strings.Join(args, " "), want, stdout)
				}
			}
			checkGolden(t, "help_"+strings.ReplaceAll(n, " ", "_")+".stdout", stdout)
			viaHelp, stderr, code := runCLI(append([]string{"help"}, strings.Fields(n)...)...)
			if code != 0 || viaHelp != stdout {
				t.Errorf("kshot help %s: exit status %d, stderr %q, and output differs from kshot %s -h", n, code, stderr, n)
			}
			for _, long := range []string{"--help"} {
				if out, _, code := runCLI(append(strings.Fields(n), long)...); code != 0 || out != stdout {
					t.Errorf("kshot %s %s: exit status %d, output differs from -h", n, long, code)
				}
			}
		})
	}
}

// TestHelpListsEveryCommand: kshot help lists every subcommand, and every
// subcommand has help.
func TestHelpListsEveryCommand(t *testing.T) {
	stdout, stderr, code := runCLI("help")
	if code != 0 || stderr != "" {
		t.Fatalf("kshot help: exit status %d, stderr %q", code, stderr)
	}
	checkGolden(t, "help.stdout", stdout)
	for n := range commands {
		if !strings.Contains(stdout, "\n  "+n+" ") {
			t.Errorf("kshot help does not list %s", n)
		}
		if _, ok := commandDocs[n]; !ok {
			t.Errorf("command %s has no entry in commandDocs", n)
		}
	}
	for _, args := range [][]string{{"-h"}, {"--help"}} {
		if out, _, code := runCLI(args...); code != 0 || out != stdout {
			t.Errorf("kshot %s: exit status %d, output differs from kshot help", args[0], code)
		}
	}
	if _, stderr, code := runCLI("help", "nope"); code != 2 || !strings.Contains(stderr, `unknown command "nope"`) {
		t.Errorf("kshot help nope: exit status %d, stderr %q", code, stderr)
	}
}

// TestVersion: kshot version names the kernel path in use and the Go
// version of the build, as the runtime reports them.
func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		stdout, stderr, code := runCLI(args...)
		if code != 0 || stderr != "" {
			t.Fatalf("kshot %s: exit status %d, stderr %q", args[0], code, stderr)
		}
		for _, want := range []string{"kshot " + version + "\n", "\nmodule  ", "\ncommit  ", "\nkernels " + kernels.Path() + "\n", "\ngo      " + runtime.Version() + "\n"} {
			if !strings.Contains(stdout, want) {
				t.Errorf("kshot %s: no %q in\n%s", args[0], want, stdout)
			}
		}
	}
}
