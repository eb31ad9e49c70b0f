package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/kshot-eval/kshot/eval"
	"github.com/kshot-eval/kshot/internal/sharedtest"
	"github.com/kshot-eval/kshot/model"
	"github.com/kshot-eval/kshot/model/apilm"
	"github.com/kshot-eval/kshot/model/serve"
)

// noEchoServer answers like llama.cpp's server: one model owned by
// "llamacpp", echo ignored, a generated token and nothing else.
func noEchoServer(t *testing.T) *httptest.Server {
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v1/models":
			fmt.Fprint(w, `{"object": "list", "data": [{"id": "g.gguf", "owned_by": "llamacpp", "meta": {"n_ctx": 128}}]}`)
		case "/v1/completions":
			fmt.Fprint(w, `{"choices": [{"index": 0, "text": " x", "logprobs": null}], "usage": {"completion_tokens": 1}}`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(hs.Close)
	return hs
}

// TestProbeCommand runs kshot probe --json on kshot serve (which has every
// capability) and on a server without prompt log-probabilities.
func TestProbeCommand(t *testing.T) {
	dir := sharedtest.Path(t, "fixtures/models/gpt2-tiny")
	_, dec, tok, err := model.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := serve.New(dec, tok, serve.Options{Name: "tiny"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ks := httptest.NewServer(srv.Handler())
	defer ks.Close()
	cases := []struct {
		url  string
		want apilm.Report
	}{
		// gpt2-tiny's config.json: n_positions 64.
		{ks.URL + "/v1", apilm.Report{Server: "kshot serve", Model: "tiny", Window: 64, PromptLogprobs: true, MaxTokensZero: "honoured", Stop: "honoured", Completions: true}},
		{noEchoServer(t).URL + "/v1", apilm.Report{Server: "llama.cpp", Model: "g.gguf", Window: 128, PromptLogprobs: false, MaxTokensZero: "generates", Stop: "ignored", Completions: true}},
	}
	for _, c := range cases {
		var out bytes.Buffer
		if err := run([]string{"probe", "--json", "api:" + c.url}, nil, &out, &out); err != nil {
			t.Fatalf("%s: %v", c.url, err)
		}
		var r apilm.Report
		if err := json.Unmarshal(out.Bytes(), &r); err != nil {
			t.Fatalf("%s: %v in %s", c.url, err, out.String())
		}
		got := apilm.Report{Server: r.Server, Model: r.Model, Window: r.Window, PromptLogprobs: r.PromptLogprobs,
			MaxTokensZero: r.MaxTokensZero, Stop: r.Stop, Completions: r.Completions}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: %+v, want %+v", c.url, got, c.want)
		}
	}
	var out bytes.Buffer
	var ue usageError
	if err := run([]string{"probe", "http://h/v1"}, nil, &out, &out); !errors.As(err, &ue) || !strings.Contains(err.Error(), "api:URL") {
		t.Errorf("probe without api: %v", err)
	}
}

// oneKindTask builds one instance with one request.
type oneKindTask struct {
	name string
	req  eval.Request
}

func (k oneKindTask) Spec() eval.TaskSpec { return eval.TaskSpec{Name: k.name} }
func (k oneKindTask) Instances(int, uint64) ([]eval.Instance, error) {
	return []eval.Instance{{Requests: []eval.Request{k.req}}}, nil
}
func (k oneKindTask) Score(eval.Instance, []eval.Response) (map[string][]float64, error) {
	return nil, nil
}

// TestCheckAPITasks checks that a loglikelihood task on a server without
// prompt log-probabilities is refused before it starts, naming the task,
// and a generation task is not.
func TestCheckAPITasks(t *testing.T) {
	lm, err := openAPIModel("api:"+noEchoServer(t).URL+"/v1", parseAPIFlags(t))
	if err != nil {
		t.Fatal(err)
	}
	gen := oneKindTask{"gen", eval.Generate{Context: "a"}}
	if err := checkAPITasks(lm, 1234, gen); err != nil {
		t.Errorf("generation task: %v", err)
	}
	err = checkAPITasks(lm, 1234, gen, oneKindTask{"mc", eval.MultipleChoice{}}, oneKindTask{"ppl", eval.Rolling{Text: "a"}})
	if err == nil || !strings.Contains(err.Error(), "task mc:") || !strings.Contains(err.Error(), "task ppl:") ||
		strings.Contains(err.Error(), "task gen") || !strings.Contains(err.Error(), "cannot score prompts") {
		t.Errorf("scoring tasks: %v, want mc and ppl refused by name with the reason, gen not", err)
	}
}

// TestCheckAPITasksChat checks that with --api-chat a generation task
// passes and loglikelihood and perplexity tasks are refused by name,
// with the chat endpoint as the reason, before any task starts; and that
// --system-prompt without --api-chat is a usage error.
func TestCheckAPITasksChat(t *testing.T) {
	lm, err := openAPIModel("api:"+noEchoServer(t).URL+"/v1", parseAPIFlags(t, "--api-chat", "--system-prompt", "Be brief."))
	if err != nil {
		t.Fatal(err)
	}
	gen := oneKindTask{"gen", eval.Generate{Context: "a"}}
	if err := checkAPITasks(lm, 1234, gen); err != nil {
		t.Errorf("generation task: %v", err)
	}
	err = checkAPITasks(lm, 1234, gen, oneKindTask{"mc", eval.MultipleChoice{}}, oneKindTask{"ppl", eval.Rolling{Text: "a"}})
	if err == nil || !strings.Contains(err.Error(), "task mc:") || !strings.Contains(err.Error(), "task ppl:") ||
		strings.Contains(err.Error(), "task gen") || !strings.Contains(err.Error(), "chat endpoints") {
		t.Errorf("scoring tasks: %v, want mc and ppl refused by name because of the chat endpoint, gen not", err)
	}
	if _, err := apiConfig("api:http://127.0.0.1:1/v1", parseAPIFlags(t, "--system-prompt", "x")); err == nil || !strings.Contains(err.Error(), "--api-chat") {
		t.Errorf("--system-prompt without --api-chat: %v, want a usage error naming --api-chat", err)
	}
}

// TestRunRefusesBeforeAnyTask checks that kshot run on a server without
// prompt log-probabilities refuses a loglikelihood task by name, with the
// missing capability, before any task starts: no results are written.
func TestRunRefusesBeforeAnyTask(t *testing.T) {
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	err := run([]string{"run", "--model", "api:" + noEchoServer(t).URL + "/v1", "--api-retries", "0",
		"--tasks", "synth_arithmetic,synth_lambada", "--limit", "2", "--no-cache", "--quiet", "--output", out},
		nil, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "task synth_lambada") || !strings.Contains(err.Error(), "task synth_arithmetic") ||
		!strings.Contains(err.Error(), "cannot score prompts") {
		t.Errorf("run: %v, want both tasks refused for the missing prompt log-probs", err)
	}
	if err != nil && (strings.Contains(err.Error(), "run(s) failed") || strings.Contains(stderr.String(), "failed:")) {
		t.Errorf("the tasks started and failed one by one instead of being refused before the first:\n%v\n%s", err, stderr.String())
	}
	if files, _ := filepath.Glob(filepath.Join(out, "*", "results_*.json")); len(files) != 0 {
		t.Errorf("results written before the refusal: %v", files)
	}
}
