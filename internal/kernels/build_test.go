package kernels

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestGeneratedAssembly checks that the .s files are what asmgen.go
// writes, so that nobody edits the generated text by hand.
func TestGeneratedAssembly(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs asmgen.go")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not found")
	}
	dir := t.TempDir()
	if out, err := exec.Command(goTool, "run", "asmgen.go", "-o", dir).CombinedOutput(); err != nil {
		t.Fatalf("go run asmgen.go: %v\n%s", err, out)
	}
	for _, name := range []string{"gemm_avx2_amd64.s", "gemm_avx512_amd64.s", "rows_avx2_amd64.s"} {
		want, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the output of asmgen.go; run go generate", name)
		}
	}
}

// TestEnvVar runs the test binary again with KSHOT_KERNELS set and checks
// the path chosen at start-up and the warning for bad values.
func TestEnvVar(t *testing.T) {
	if os.Getenv("KERNELS_PRINT_PATH") != "" {
		fmt.Println("path=" + Path())
		return
	}
	best := Paths()[len(Paths())-1]
	cases := []struct{ value, path, warning string }{
		{"portable", "portable", ""},
		{best, best, ""},
		{"avx3", best, `unknown path "avx3"`},
	}
	for _, p := range pathNames {
		if supported[p] == nil {
			cases = append(cases, struct{ value, path, warning string }{p, best, "not supported by this CPU"})
		}
	}
	for _, tc := range cases {
		t.Run(tc.value, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestEnvVar$")
			cmd.Env = append(os.Environ(), EnvVar+"="+tc.value, "KERNELS_PRINT_PATH=1")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("%v\n%s", err, stderr.String())
			}
			if !strings.Contains(string(out), "path="+tc.path+"\n") {
				t.Errorf("%s=%s: output %q, want path=%s", EnvVar, tc.value, out, tc.path)
			}
			if w := stderr.String(); (tc.warning == "") != (w == "") || !strings.Contains(w, tc.warning) {
				t.Errorf("%s=%s: stderr %q, want a warning containing %q", EnvVar, tc.value, w, tc.warning)
			}
		})
	}
}
