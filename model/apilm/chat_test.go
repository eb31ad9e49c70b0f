package apilm

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/kshot-eval/kshot/eval"
)

// chatServer is a chat-only endpoint: /chat/completions answers, and
// every other path is 404, as for hosted chat models. It records the
// bodies it received.
type chatServer struct {
	mu     sync.Mutex
	bodies []map[string]any
	paths  []string
}

func (c *chatServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	c.paths = append(c.paths, r.URL.Path)
	c.mu.Unlock()
	if r.URL.Path != "/v1/chat/completions" {
		w.WriteHeader(404)
		fmt.Fprint(w, `{"error": {"message": "not found", "type": "invalid_request_error", "param": null, "code": null}}`)
		return
	}
	data, _ := io.ReadAll(r.Body)
	var body map[string]any
	if err := json.Unmarshal(data, &body); err != nil {
		w.WriteHeader(400)
		return
	}
	c.mu.Lock()
	c.bodies = append(c.bodies, body)
	c.mu.Unlock()
	// The answer of a chat model that goes on past the stop string the
	// server ignored: kshot cuts it.
	fmt.Fprint(w, `{"object": "chat.completion", "choices": [{"index": 0, "message": {"role": "assistant", "content": " Paris\nQ: next"}, "finish_reason": "stop"}]}`)
}

// TestChatGenerate checks that with Config.Chat a generation request
// goes to /chat/completions as one user message after the system
// prompt, with max_tokens, stop strings and greedy temperature passed
// through, that the answer is read from message.content and cut at the
// stop string, that the results record the chat endpoint, and that
// loglikelihood requests are refused without a request.
func TestChatGenerate(t *testing.T) {
	cs := &chatServer{}
	srv := httptest.NewServer(cs)
	defer srv.Close()
	lm, err := New(Config{Endpoints: []string{srv.URL}, Model: "gpt-4o", MaxLength: 4096, Retries: -1,
		Chat: &ChatOptions{SystemPrompt: "Answer briefly."}})
	if err != nil {
		t.Fatal(err)
	}
	prompt := "Q: capital of Germany?\nA: Berlin\n\nQ: capital of France?\nA:"
	got, err := lm.Generate(context.Background(), []eval.Generate{{Context: prompt, Until: []string{"\n"}, MaxTokens: 8}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Text != " Paris" {
		t.Errorf("answer %+v, want \" Paris\"", got)
	}
	if len(cs.bodies) != 1 {
		t.Fatalf("%d chat requests, want 1 (paths %v)", len(cs.bodies), cs.paths)
	}
	b := cs.bodies[0]
	want := []any{
		map[string]any{"role": "system", "content": "Answer briefly."},
		map[string]any{"role": "user", "content": prompt},
	}
	if fmt.Sprint(b["messages"]) != fmt.Sprint(want) {
		t.Errorf("messages %v, want %v", b["messages"], want)
	}
	if b["model"] != "gpt-4o" || b["max_tokens"] != 8.0 || b["temperature"] != 0.0 || fmt.Sprint(b["stop"]) != "[\n]" {
		t.Errorf("request %v: want model gpt-4o, max_tokens 8, temperature 0, stop [\\n]", b)
	}
	if _, ok := b["prompt"]; ok {
		t.Errorf("chat request carries a completions prompt: %v", b)
	}
	if src := lm.Info().Source; !strings.Contains(src, `chat/completions, system prompt "Answer briefly."`) {
		t.Errorf("Info().Source %q does not record the chat endpoint and system prompt", src)
	}

	for _, req := range []eval.Request{eval.Loglikelihood{Context: "a", Continuation: " b"}, eval.Rolling{Text: "a b"}} {
		if err := lm.Refusal(req); err == nil || !strings.Contains(err.Error(), "chat endpoints") {
			t.Errorf("Refusal(%T) = %v, want a chat-endpoint refusal", req, err)
		}
	}
	if err := lm.Refusal(eval.Generate{Context: "x"}); err != nil {
		t.Errorf("Refusal(Generate) = %v, want nil", err)
	}
	n := len(cs.paths)
	if _, err := lm.Loglikelihood(context.Background(), []eval.Loglikelihood{{Context: "a", Continuation: " b"}}); err == nil {
		t.Error("Loglikelihood through a chat endpoint gave a score")
	}
	if len(cs.paths) != n {
		t.Errorf("the refused loglikelihood request was sent: paths %v", cs.paths[n:])
	}
}

// TestChatCacheKey checks that chat answers never share cache entries
// with completions answers or with another system prompt.
func TestChatCacheKey(t *testing.T) {
	srv := httptest.NewServer(&chatServer{})
	defer srv.Close()
	keys := map[string]string{}
	for name, chat := range map[string]*ChatOptions{"completions": nil, "chat": {}, "chat+system": {SystemPrompt: "Be brief."}} {
		lm, err := New(Config{Endpoints: []string{srv.URL}, Model: "m", MaxLength: 100, Chat: chat})
		if err != nil {
			t.Fatal(err)
		}
		for other, k := range keys {
			if k == lm.CacheKey() {
				t.Errorf("%s and %s share the cache key %q", name, other, k)
			}
		}
		keys[name] = lm.CacheKey()
	}
}

// TestOpenChatOnly checks that a chat-only endpoint (no /models, no
// /completions) opens with Chat set, generates, and refuses scoring.
func TestOpenChatOnly(t *testing.T) {
	cs := &chatServer{}
	srv := httptest.NewServer(cs)
	defer srv.Close()
	lm, err := Open(context.Background(), Config{Endpoints: []string{srv.URL}, Model: "gpt-4o", Retries: -1, Chat: &ChatOptions{}})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if err := lm.Refusal(eval.Generate{Context: "x"}); err != nil {
		t.Errorf("Refusal(Generate) = %v, want nil", err)
	}
	got, err := lm.Generate(context.Background(), []eval.Generate{{Context: "Q: capital of France?\nA:", Until: []string{"\n"}}})
	if err != nil || len(got) != 1 || got[0].Text != " Paris" {
		t.Errorf("Generate: %+v, %v; want \" Paris\"", got, err)
	}
}

// A sampled or beam request cannot be sent to a chat endpoint yet: it is
// refused (before any task starts, through Refusal) rather than answered
// greedily.
func TestChatRefusesNonGreedy(t *testing.T) {
	if err := chatRefusal(eval.Generate{Context: "Q:"}); err != nil {
		t.Fatalf("greedy request refused: %v", err)
	}
	for _, d := range []eval.Decoding{
		{Method: eval.DecodeSample, Temperature: 1, TopP: 1, Seed: 1},
		{Method: eval.DecodeBeam, BeamWidth: 4, LengthPenalty: 0.6},
	} {
		err := chatRefusal(eval.Generate{Context: "Q:", Decoding: d})
		if err == nil || !strings.Contains(err.Error(), d.String()) {
			t.Errorf("%s: got %v, want a refusal naming the rule", d, err)
		}
	}
}
