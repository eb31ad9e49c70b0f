package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/kshot-eval/kshot/eval"
	"github.com/kshot-eval/kshot/internal/sharedtest"
	"github.com/kshot-eval/kshot/model"
	"github.com/kshot-eval/kshot/model/serve"
)

func parseAPIFlags(t *testing.T, args ...string) *apiFlags {
	t.Helper()
	var a apiFlags
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	a.register(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return &a
}

func TestOpenAPIModelFlags(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--api-model", "m", "--api-concurrency", "0"}, "--api-concurrency 0"},
		{[]string{"--api-model", "m", "--api-retries", "-1"}, "--api-retries -1"},
		{[]string{"--api-model", "m", "--api-timeout", "0s"}, "--api-timeout"},
		{[]string{"--api-model", "m", "--fewshot-as-multiturn"}, "--fewshot-as-multiturn needs --api-chat"},
	}
	for _, c := range cases {
		_, err := openAPIModel("api:http://127.0.0.1:1/v1", parseAPIFlags(t, c.args...))
		var ue usageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want a usage error mentioning %q", c.args, err, c.want)
		}
	}
	cfg, err := apiConfig("api:http://127.0.0.1:1/v1", parseAPIFlags(t, "--api-chat", "--fewshot-as-multiturn", "--system-prompt", "S"))
	if err != nil || cfg.Chat == nil || !cfg.Chat.FewshotAsMultiturn || cfg.Chat.SystemPrompt != "S" {
		t.Errorf("--api-chat --fewshot-as-multiturn --system-prompt S: %+v %v", cfg.Chat, err)
	}
	if !isAPIModel("api:http://h/v1") || isAPIModel("./models/gpt2") {
		t.Error("isAPIModel")
	}
}

// TestOpenAPIModel connects the flags to a kshot serve server that
// requires a key read from the environment, and scores one request.
func TestOpenAPIModel(t *testing.T) {
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
	h := srv.Handler()
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer k-123" {
			http.Error(w, `{"error": {"message": "bad key"}}`, http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	}))
	defer hs.Close()
	t.Setenv("KSHOT_TEST_KEY", "k-123")
	a := parseAPIFlags(t, "--api-model", "tiny", "--api-key-env", "KSHOT_TEST_KEY", "--api-tokenizer", dir, "--endpoint", hs.URL)
	lm, err := openAPIModel("api:"+hs.URL+"/v1", a)
	if err != nil {
		t.Fatal(err)
	}
	if lm.MaxLength() != 64 || lm.Info().Name != "tiny" {
		t.Errorf("window %d, info %+v", lm.MaxLength(), lm.Info())
	}
	got, err := lm.Loglikelihood(context.Background(), []eval.Loglikelihood{{Context: "hello", Continuation: " world"}})
	if err != nil || got[0].Tokens != 1 || got[0].LogProb >= 0 {
		t.Errorf("loglikelihood %+v %v", got, err)
	}
	a.keyEnv = "KSHOT_TEST_NO_SUCH_KEY"
	if _, err := openAPIModel("api:"+hs.URL+"/v1", a); err == nil || !strings.Contains(err.Error(), "refused the API key") {
		t.Errorf("without the key: %v", err)
	}
}
