package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kshot-eval/kshot/internal/sharedtest"
)

// taskReference is ../shared/fixtures/tasks/reference.json: results of an
// independent implementation of lm-evaluation-harness's lambada_openai
// (v1.0) and wikitext (v2.0) for gpt2-lambada-tiny.
type taskReference struct {
	Lambada struct {
		N          int       `json:"n"`
		Acc        float64   `json:"acc"`
		AccStderr  float64   `json:"acc_stderr"`
		Perplexity float64   `json:"perplexity"`
		DocLoglik  []float64 `json:"doc_loglik"`
	} `json:"lambada_openai"`
	Wikitext struct {
		N              int       `json:"n"`
		WordPerplexity float64   `json:"word_perplexity"`
		BytePerplexity float64   `json:"byte_perplexity"`
		BitsPerByte    float64   `json:"bits_per_byte"`
		Words          float64   `json:"words"`
		Bytes          float64   `json:"bytes"`
		PageLoglik     []float64 `json:"page_loglik"`
	} `json:"wikitext2"`
}

func relClose(got, want, tol float64) bool {
	return math.Abs(got-want) <= tol*math.Abs(want)
}

// runKshot runs the command in-process and returns the results file and
// the samples of task.
func runKshot(t *testing.T, task string, args ...string) (map[string]any, []map[string]any) {
	t.Helper()
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	args = append(args, "--output", out, "--quiet", "--no-cache")
	if err := run(append([]string{"run"}, args...), nil, &stdout, &stderr); err != nil {
		t.Fatalf("kshot run: %v\n%s", err, stderr.String())
	}
	res, _ := filepath.Glob(filepath.Join(out, "*", "results_*.json"))
	smp, _ := filepath.Glob(filepath.Join(out, "*", "samples_"+task+"_*.jsonl"))
	if len(res) != 1 || len(smp) != 1 {
		t.Fatalf("want one results and one samples file, got %v %v", res, smp)
	}
	var results map[string]any
	b, _ := os.ReadFile(res[0])
	if err := json.Unmarshal(b, &results); err != nil {
		t.Fatal(err)
	}
	f, _ := os.Open(smp[0])
	defer f.Close()
	var samples []map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<26)
	for sc.Scan() {
		var s map[string]any
		if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
			t.Fatal(err)
		}
		samples = append(samples, s)
	}
	return results, samples
}

func metric(t *testing.T, results map[string]any, task, name string) float64 {
	t.Helper()
	v, ok := results["results"].(map[string]any)[task].(map[string]any)[name+",none"].(float64)
	if !ok {
		t.Fatalf("results[%s][%s,none] missing", task, name)
	}
	return v
}

// TestTaskReference reproduces the independent lm-evaluation-harness
// protocol results within 1e-4 relative (acc exactly).
func TestTaskReference(t *testing.T) {
	modelDir := sharedtest.Path(t, "fixtures/models/gpt2-lambada-tiny")
	var ref taskReference
	b, err := os.ReadFile(sharedtest.Path(t, "fixtures/tasks/reference.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	const tol = 1e-4
	t.Run("lambada_openai", func(t *testing.T) {
		lambada := sharedtest.Path(t, "data/lambada/lambada_test.jsonl")
		res, samples := runKshot(t, "lambada_openai", "--model", modelDir, "--tasks", "lambada_openai",
			"--data", "lambada_openai="+lambada, "--limit", "300", "--batch-size", "17")
		if got := metric(t, res, "lambada_openai", "acc"); got != ref.Lambada.Acc {
			t.Errorf("acc %v, want %v", got, ref.Lambada.Acc)
		}
		if got := metric(t, res, "lambada_openai", "acc_stderr"); !relClose(got, ref.Lambada.AccStderr, 1e-9) {
			t.Errorf("acc_stderr %v, want %v", got, ref.Lambada.AccStderr)
		}
		if got := metric(t, res, "lambada_openai", "perplexity"); !relClose(got, ref.Lambada.Perplexity, tol) {
			t.Errorf("perplexity %v, want %v", got, ref.Lambada.Perplexity)
		}
		if len(samples) != ref.Lambada.N {
			t.Fatalf("%d samples, want %d", len(samples), ref.Lambada.N)
		}
		for i, s := range samples {
			ll := s["resps"].([]any)[0].([]any)[0].(float64)
			if !relClose(ll, ref.Lambada.DocLoglik[i], tol) {
				t.Errorf("doc %d: loglik %v, want %v", i, ll, ref.Lambada.DocLoglik[i])
			}
		}
	})
	t.Run("wikitext2", func(t *testing.T) {
		raw := sharedtest.Path(t, "data/wikitext2/wiki.test.raw")
		res, samples := runKshot(t, "wikitext2", "--model", modelDir, "--tasks", "wikitext2",
			"--data", "wikitext2="+raw, "--limit", "6")
		for name, want := range map[string]float64{"word_perplexity": ref.Wikitext.WordPerplexity,
			"byte_perplexity": ref.Wikitext.BytePerplexity, "bits_per_byte": ref.Wikitext.BitsPerByte} {
			if got := metric(t, res, "wikitext2", name); !relClose(got, want, tol) {
				t.Errorf("%s %v, want %v", name, got, want)
			}
		}
		var words, bytes float64
		for i, s := range samples {
			ll := s["resps"].([]any)[0].([]any)[0].(float64)
			if !relClose(ll, ref.Wikitext.PageLoglik[i], tol) {
				t.Errorf("page %d: loglik %v, want %v", i, ll, ref.Wikitext.PageLoglik[i])
			}
			st := s["stats"].(map[string]any)
			words += st["word_perplexity"].([]any)[1].(float64)
			bytes += st["byte_perplexity"].([]any)[1].(float64)
		}
		if words != ref.Wikitext.Words || bytes != ref.Wikitext.Bytes {
			t.Errorf("counted %v words and %v bytes, want %v and %v", words, bytes, ref.Wikitext.Words, ref.Wikitext.Bytes)
		}
		if h, _ := res["task_hashes"].(map[string]any)["wikitext2"].(string); len(h) != 64 || strings.Trim(h, "0123456789abcdef") != "" {
			t.Errorf("task hash %q is not a SHA-256 hex digest", h)
		}
	})
}
