package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/kshot-eval/kshot/model"
	"github.com/kshot-eval/kshot/model/ladder"
	"github.com/kshot-eval/kshot/model/serve"
)

// ladderModel returns the directory of the smallest embedded ladder model
// (no ../shared needed).
func ladderModel(t *testing.T) string {
	t.Helper()
	dirs, err := ladder.ExtractTo(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return dirs[0]
}

// apiServer serves the embedded ladder model over the completions API on
// 127.0.0.1 as "tiny"; filter, when set, runs before each completions
// request and answers it itself when it returns false.
func apiServer(t *testing.T, filter func(w http.ResponseWriter, body string) bool) *httptest.Server {
	t.Helper()
	_, dec, tok, err := model.Open(ladderModel(t))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := serve.New(dec, tok, serve.Options{Name: "tiny"})
	if err != nil {
		t.Fatal(err)
	}
	h := srv.Handler()
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if filter != nil && strings.HasSuffix(r.URL.Path, "/completions") {
			b, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(b))
			if !filter(w, string(b)) {
				return
			}
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		hs.Close()
		srv.Close()
	})
	return hs
}

// resultKeys returns the task keys of a results file.
func resultKeys(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		Results map[string]any `json:"results"`
	}
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range res.Results {
		keys = append(keys, k)
	}
	return keys
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

// TestDefaultOutput: without --output the results land in
// ./kshot-out/<model>/ and the last line says so; --output - writes
// nothing and prints the table.
func TestDefaultOutput(t *testing.T) {
	modelDir := ladderModel(t)
	args := []string{"run", "--model", modelDir, "--tasks", "synth_arithmetic", "--limit", "3", "--no-cache", "--quiet"}
	cases := []struct {
		name  string
		extra []string
		files string // glob of the results files expected, "" for none
	}{
		{"default", nil, filepath.Join("kshot-out", filepath.Base(modelDir), "results_*.json")},
		{"dash", []string{"--output", "-"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Chdir(t.TempDir())
			var stdout, stderr bytes.Buffer
			if err := run(append(append([]string{}, args...), c.extra...), nil, &stdout, &stderr); err != nil {
				t.Fatalf("%v\n%s", err, stderr.String())
			}
			if !strings.Contains(stdout.String(), "synth_arithmetic") {
				t.Errorf("no table on stdout:\n%s", stdout.String())
			}
			if c.files == "" {
				if _, err := os.Stat("kshot-out"); err == nil {
					t.Error("--output - wrote kshot-out")
				}
				if strings.Contains(stderr.String(), "results are in") {
					t.Errorf("--output - says results were written:\n%s", stderr.String())
				}
				return
			}
			files, _ := filepath.Glob(c.files)
			if len(files) != 1 {
				t.Fatalf("results files %v, want one matching %s\n%s", files, c.files, stderr.String())
			}
			if got, want := lastLine(stderr.String()), "kshot: results are in "+files[0]; got != want {
				t.Errorf("last line %q, want %q", got, want)
			}
		})
	}
}

// TestAPITaskFailure: a served model that fails every request of one task
// (400 with the server's message) still gets the results of the other
// tasks written; the run says which task failed and why and exits 1.
func TestAPITaskFailure(t *testing.T) {
	var refused atomic.Int64
	hs := apiServer(t, func(w http.ResponseWriter, body string) bool {
		if strings.Contains(body, "gave away") { // synth_cbt's prompts
			refused.Add(1)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"error": {"message": "prompt refused by the test server"}}`)
			return false
		}
		return true
	})
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	err := run([]string{"run", "--model", "api:" + hs.URL + "/v1", "--api-model", "tiny", "--api-retries", "0",
		"--tasks", "synth_arithmetic,synth_cbt,synth_lambada", "--limit", "4", "--no-cache", "--quiet", "--output", out},
		nil, &stdout, &stderr)
	if refused.Load() == 0 {
		t.Fatal("the test server refused no request")
	}
	if code := exitCode(err, &stderr); code != 1 {
		t.Errorf("exit status %d, want 1 (%v)", code, err)
	}
	msg := stderr.String()
	for _, want := range []string{"1 task run(s) failed", "synth_cbt", "prompt refused by the test server", "the results of the tasks that finished are in"} {
		if !strings.Contains(msg, want) {
			t.Errorf("stderr lacks %q:\n%s", want, msg)
		}
	}
	files, _ := filepath.Glob(filepath.Join(out, "*", "results_*.json"))
	if len(files) != 1 {
		t.Fatalf("results files %v, want one\n%s", files, msg)
	}
	keys := strings.Join(resultKeys(t, files[0]), ",")
	if !strings.Contains(keys, "synth_arithmetic") || !strings.Contains(keys, "synth_lambada") || strings.Contains(keys, "synth_cbt") {
		t.Errorf("results hold %s, want synth_arithmetic and synth_lambada only", keys)
	}
}
