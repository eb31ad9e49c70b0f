package apilm

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

// llamaPieces are the byte pieces the llama.cpp stand-in generates, in
// order, whatever the prompt: the third and fourth split "東" across
// tokens (E6 9D | B1), as byte-level BPE does with rare characters.
var llamaPieces = []string{" Tok", "yo", " \xe6\x9d", "\xb1\xe4\xba\xac", "\n", " done"}

// fakeLlama reproduces what llama.cpp's tools/server documents and does
// on its OpenAI-compatible endpoints: /v1/models with owned_by
// "llamacpp" and meta (n_ctx_train, and n_ctx in recent builds), the
// window in GET /props default_generation_settings.n_ctx, POST /tokenize
// {content} → {tokens}, echo ignored, max_tokens 0 generating one token
// anyway, log-probs in the chat-style logprobs.content list with no entry
// for a token that ends inside a UTF-8 character, stop strings honoured
// (and left out of the text), and /v1/chat/completions.
type fakeLlama struct {
	srv     *httptest.Server
	models  []string
	metaCtx int // meta.n_ctx in /v1/models, 0: absent (older builds)
	idShift int // added to every token id of /tokenize (another vocabulary)

	mu          sync.Mutex
	completions int
}

func newFakeLlama(t *testing.T, models ...string) *fakeLlama {
	if len(models) == 0 {
		models = []string{"gpt2-fixture.gguf"}
	}
	f := &fakeLlama{models: models}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeLlama) url() string { return f.srv.URL + "/v1" }

func (f *fakeLlama) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.completions
}

func (f *fakeLlama) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var req map[string]any
	if len(body) > 0 && json.Unmarshal(body, &req) != nil {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"error": {"code": 400, "message": "invalid JSON", "type": "invalid_request_error"}}`)
		return
	}
	switch r.URL.Path {
	case "/v1/models":
		var data []any
		for _, id := range f.models {
			meta := map[string]any{"vocab_type": 2, "n_vocab": 50257, "n_ctx_train": 1024, "n_embd": 768}
			if f.metaCtx > 0 {
				meta["n_ctx"] = f.metaCtx
			}
			data = append(data, map[string]any{"id": id, "object": "model", "created": 1, "owned_by": "llamacpp", "meta": meta})
		}
		json.NewEncoder(w).Encode(map[string]any{"object": "list", "data": data})
	case "/props":
		fmt.Fprint(w, `{"default_generation_settings": {"n_ctx": 256, "params": {"temperature": 0.8}}, "total_slots": 1, "model_path": "gpt2.gguf"}`)
	case "/tokenize":
		content, _ := req["content"].(string)
		var ids []int
		for _, w := range words(content) {
			ids = append(ids, len(w)+f.idShift) // any deterministic ids do
		}
		json.NewEncoder(w).Encode(map[string]any{"tokens": ids})
	case "/v1/completions":
		f.mu.Lock()
		f.completions++
		f.mu.Unlock()
		f.complete(w, req)
	case "/v1/chat/completions":
		fmt.Fprint(w, `{"object": "chat.completion", "choices": [{"index": 0, "message": {"role": "assistant", "content": "OK"}, "finish_reason": "length"}]}`)
	default:
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"error": {"code": 404, "message": "File Not Found", "type": "not_found_error"}}`)
	}
}

// complete answers /v1/completions: echo ignored; max_tokens 0 (or
// absent) is taken as one token; stop cuts the text before the stop
// string and ends generation.
func (f *fakeLlama) complete(w http.ResponseWriter, req map[string]any) {
	n := 16
	if v, ok := req["max_tokens"].(float64); ok {
		n = max(int(v), 1)
	}
	var stops []string
	if s, ok := req["stop"].([]any); ok {
		for _, x := range s {
			stops = append(stops, x.(string))
		}
	}
	var text string
	var content []any
	pending := ""
	used := 0
	for _, p := range llamaPieces[:min(n, len(llamaPieces))] {
		used++
		next := text + p
		cut := -1
		for _, s := range stops {
			if i := strings.Index(next, s); i >= 0 && (cut < 0 || i < cut) {
				cut = i
			}
		}
		if cut >= 0 {
			text = next[:cut]
			break
		}
		text = next
		pending += p
		if !utf8.ValidString(pending) {
			continue // no log-prob entry for a token ending inside a character
		}
		content = append(content, map[string]any{"id": len(pending), "token": pending, "logprob": -1.5, "bytes": []byte(pending)})
		pending = ""
	}
	choice := map[string]any{"index": 0, "text": text, "finish_reason": "length", "logprobs": nil}
	if req["logprobs"] != nil {
		choice["logprobs"] = map[string]any{"content": content}
	}
	json.NewEncoder(w).Encode(map[string]any{"id": "cmpl-1", "object": "text_completion", "model": f.models[0],
		"choices": []any{choice}, "usage": map[string]any{"completion_tokens": used, "prompt_tokens": 9, "total_tokens": used + 9}})
}
