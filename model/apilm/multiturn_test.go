package apilm

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/kshot-eval/kshot/eval"
)

// TestFewshotAsMultiturn checks the messages of a few-shot generation
// request through a chat endpoint against lm-evaluation-harness's
// fewshot_as_multiturn (lm_eval/api/samplers.py get_chat_context and
// task.py fewshot_context): the system instruction, the few-shot
// delimiter and the description as the system message, each example's
// text as a user turn and its target alone as the assistant turn, then
// the query; without the option, or for a prompt not built from
// examples, the whole prompt is one user message.
func TestFewshotAsMultiturn(t *testing.T) {
	fs := eval.FewShot{Description: "Answer these questions:\n\n", TargetDelimiter: " ", FewshotDelimiter: "\n\n"}
	exs := []eval.Example{{Text: "Q: capital of Germany?\nA:", Target: "Berlin"}, {Text: "Q: capital of Italy?\nA:", Target: "Rome"}}
	query := "Q: capital of France?\nA:"
	withParts := eval.Generate{Context: fs.Prompt(exs, query), Until: []string{"\n"}, MaxTokens: 8, Parts: fs.Parts(exs, query)}
	plain := eval.Generate{Context: "Q: capital of France?\nA:", Until: []string{"\n"}, MaxTokens: 8}
	type msg = map[string]any
	cases := []struct {
		name string
		opt  ChatOptions
		req  eval.Generate
		want []msg
	}{
		{"multi-turn", ChatOptions{FewshotAsMultiturn: true}, withParts, []msg{
			{"role": "system", "content": "Answer these questions:\n\n"},
			{"role": "user", "content": "Q: capital of Germany?\nA:"},
			{"role": "assistant", "content": "Berlin"},
			{"role": "user", "content": "Q: capital of Italy?\nA:"},
			{"role": "assistant", "content": "Rome"},
			{"role": "user", "content": "Q: capital of France?\nA:"},
		}},
		{"multi-turn, system prompt", ChatOptions{FewshotAsMultiturn: true, SystemPrompt: "Be brief."}, withParts, []msg{
			{"role": "system", "content": "Be brief.\n\nAnswer these questions:\n\n"},
			{"role": "user", "content": "Q: capital of Germany?\nA:"},
			{"role": "assistant", "content": "Berlin"},
			{"role": "user", "content": "Q: capital of Italy?\nA:"},
			{"role": "assistant", "content": "Rome"},
			{"role": "user", "content": "Q: capital of France?\nA:"},
		}},
		{"multi-turn, no examples", ChatOptions{FewshotAsMultiturn: true}, plain, []msg{
			{"role": "user", "content": "Q: capital of France?\nA:"},
		}},
		{"one message", ChatOptions{SystemPrompt: "Be brief."}, withParts, []msg{
			{"role": "system", "content": "Be brief."},
			{"role": "user", "content": "Answer these questions:\n\nQ: capital of Germany?\nA: Berlin\n\nQ: capital of Italy?\nA: Rome\n\nQ: capital of France?\nA:"},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cs := &chatServer{}
			srv := httptest.NewServer(cs)
			defer srv.Close()
			opt := c.opt
			lm, err := New(Config{Endpoints: []string{srv.URL}, Model: "gpt-4o", MaxLength: 4096, Retries: -1, Chat: &opt})
			if err != nil {
				t.Fatal(err)
			}
			got, err := lm.Generate(context.Background(), []eval.Generate{c.req})
			if err != nil || got[0].Text != " Paris" {
				t.Fatalf("Generate: %+v %v", got, err)
			}
			var want []any
			for _, m := range c.want {
				want = append(want, m)
			}
			if !reflect.DeepEqual(cs.bodies[0]["messages"], want) {
				g, _ := json.MarshalIndent(cs.bodies[0]["messages"], "", " ")
				t.Errorf("messages\n%s\nwant %q", g, c.want)
			}
		})
	}
}

// TestMultiturnRecorded checks that --fewshot-as-multiturn is recorded
// with the model (source and the results file's chat options) and
// enters the cache key.
func TestMultiturnRecorded(t *testing.T) {
	srv := httptest.NewServer(&chatServer{})
	defer srv.Close()
	open := func(o *ChatOptions) *LM {
		lm, err := New(Config{Endpoints: []string{srv.URL}, Model: "m", MaxLength: 100, Chat: o})
		if err != nil {
			t.Fatal(err)
		}
		return lm
	}
	one, multi := open(&ChatOptions{SystemPrompt: "S"}), open(&ChatOptions{SystemPrompt: "S", FewshotAsMultiturn: true})
	if one.CacheKey() == multi.CacheKey() {
		t.Errorf("one-message and multi-turn chat share the cache key %q", one.CacheKey())
	}
	info := multi.Info()
	if !strings.Contains(info.Source, "few-shot as multi-turn") {
		t.Errorf("source %q does not record the multi-turn option", info.Source)
	}
	want := &eval.ChatInfo{Endpoint: srv.URL + "/v1/chat/completions", SystemInstruction: "S", FewshotAsMultiturn: true}
	if !reflect.DeepEqual(info.Chat, want) {
		t.Errorf("Info().Chat = %+v, want %+v", info.Chat, want)
	}
	if open(nil).Info().Chat != nil {
		t.Error("a completions model reports chat options")
	}
}

// TestChatTooLong checks that a chat endpoint's 400 for a conversation
// longer than the window says why kshot cannot cut it, instead of
// suggesting the tokenizer, which cuts only completions prompts.
func TestChatTooLong(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/chat/completions" {
			w.WriteHeader(404)
			return
		}
		w.WriteHeader(400)
		fmt.Fprint(w, `{"error": {"message": "the messages render to 35 tokens and max_tokens is 32: together more than this model's context window of 64 tokens", "type": "invalid_request_error", "param": "max_tokens", "code": null}}`)
	}))
	defer srv.Close()
	lm, err := New(Config{Endpoints: []string{srv.URL}, Model: "m", MaxLength: 64, Retries: -1, Chat: &ChatOptions{}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = lm.Generate(context.Background(), []eval.Generate{{Context: "Q: x\nA:", MaxTokens: 32}})
	if err == nil || !strings.Contains(err.Error(), "cannot cut") || strings.Contains(err.Error(), "--api-tokenizer") {
		t.Errorf("error %v: want the chat reason, not the tokenizer hint", err)
	}
}
