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

// vllmPieces are what the vLLM stand-in generates, whatever the prompt.
var vllmPieces = []string{" Paris", ".", "\n", " The", " end"}

// fakeVLLM reproduces the documented behaviour of vLLM's OpenAI-compatible
// server (vllm/entrypoints/openai: serving_completion.py, protocol.py,
// serving_tokenization.py) over the toy model of fake_test.go:
//
//   - GET /v1/models lists the model with owned_by "vllm" and
//     max_model_len;
//   - POST /tokenize {model, prompt} answers {count, max_model_len,
//     tokens};
//   - POST /v1/completions with echo returns the prompt's tokens first:
//     the first with a null token_logprob and top_logprobs entry, every
//     other with its log-probability and a top_logprobs dict holding the
//     prompt token beside the top ones (logprobs+1 entries at most),
//     text_offset the cumulated lengths in characters of the token
//     strings; with max_tokens 0 only the prompt (the generated tokens
//     follow otherwise). Releases whose sampling parameters refuse
//     max_tokens 0 are reproduced by refuseZero ("max_tokens must be at
//     least 1, got 0.");
//   - a prompt whose tokens and max_tokens pass max_model_len is refused
//     with 400 ("This model's maximum context length is …");
//   - stop strings end generation and are left out of the text;
//   - errors are {"error": {"message", "type", "param", "code"}} with an
//     integer code;
//   - POST /v1/chat/completions answers.
type fakeVLLM struct {
	srv        *httptest.Server
	tok        *wordTok // decodes token-id prompts
	model      string
	maxLen     int
	refuseZero bool

	mu      sync.Mutex
	longest int // most prompt tokens plus max_tokens of an accepted request
}

func newFakeVLLM(t *testing.T, tok *wordTok, maxLen int) *fakeVLLM {
	f := &fakeVLLM{tok: tok, model: "gpt2-xl", maxLen: maxLen}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeVLLM) url() string { return f.srv.URL + "/v1" }

func (f *fakeVLLM) fail(w http.ResponseWriter, status int, typ, msg string) {
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"message": msg, "type": typ, "param": nil, "code": status}})
}

func (f *fakeVLLM) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var req map[string]any
	if len(body) > 0 && json.Unmarshal(body, &req) != nil {
		f.fail(w, 400, "BadRequestError", "invalid JSON")
		return
	}
	switch r.URL.Path {
	case "/v1/models":
		json.NewEncoder(w).Encode(map[string]any{"object": "list", "data": []any{map[string]any{
			"id": f.model, "object": "model", "created": 1, "owned_by": "vllm", "root": "openai-community/gpt2-xl",
			"parent": nil, "max_model_len": f.maxLen, "permission": []any{}}}})
	case "/tokenize":
		ids := f.tok.Encode(req["prompt"].(string))
		json.NewEncoder(w).Encode(map[string]any{"count": len(ids), "max_model_len": f.maxLen, "tokens": ids})
	case "/v1/completions":
		f.complete(w, req)
	case "/v1/chat/completions":
		fmt.Fprint(w, `{"object": "chat.completion", "choices": [{"index": 0, "message": {"role": "assistant", "content": "OK"}, "finish_reason": "length"}]}`)
	default:
		f.fail(w, 404, "NotFoundError", "Not Found")
	}
}

func (f *fakeVLLM) complete(w http.ResponseWriter, req map[string]any) {
	maxTokens := 16
	if v, ok := req["max_tokens"].(float64); ok {
		maxTokens = int(v)
	}
	if maxTokens < 1 && f.refuseZero {
		f.fail(w, 400, "BadRequestError", fmt.Sprintf("max_tokens must be at least 1, got %d.", maxTokens))
		return
	}
	var toks []string
	switch p := req["prompt"].(type) {
	case string:
		toks = words(p)
	case []any:
		ids := make([]int, len(p))
		for i, v := range p {
			ids[i] = int(v.(float64))
		}
		toks = words(f.tok.Decode(ids))
	}
	if n := len(toks) + maxTokens; n > f.maxLen {
		f.fail(w, 400, "BadRequestError", fmt.Sprintf("This model's maximum context length is %d tokens. However, you requested %d tokens (%d in the messages, %d in the completion). Please reduce the length of the messages or completion.", f.maxLen, n, len(toks), maxTokens))
		return
	}
	f.mu.Lock()
	f.longest = max(f.longest, len(toks)+maxTokens)
	f.mu.Unlock()
	var stops []string
	if s, ok := req["stop"].([]any); ok {
		for _, x := range s {
			stops = append(stops, x.(string))
		}
	}
	var gen []string
	text, finish := "", "length"
	for _, p := range vllmPieces[:min(maxTokens, len(vllmPieces))] {
		if cut := stopIndex(text+p, stops); cut >= 0 {
			text, finish = (text + p)[:cut], "stop"
			break
		}
		text += p
		gen = append(gen, p)
	}
	echo := req["echo"] == true
	all := gen
	out := text
	if echo {
		all = append(append([]string{}, toks...), gen...)
		out = strings.Join(toks, "") + text
	}
	choice := map[string]any{"index": 0, "text": out, "logprobs": nil, "finish_reason": finish, "stop_reason": nil}
	if n, ok := req["logprobs"].(float64); ok {
		var lps []any
		var tops []any
		var offs []int
		off := 0
		for i, tk := range all {
			offs = append(offs, off)
			off += utf8.RuneCountInString(tk)
			if echo && i == 0 {
				lps, tops = append(lps, nil), append(tops, nil)
				continue
			}
			lps = append(lps, toyLogprob(tk))
			top := map[string]float64{tk: toyLogprob(tk)} // the token itself, then the top ones
			if n >= 1 {
				t, v := toyTop(tk)
				top[t] = v
			}
			tops = append(tops, top)
		}
		choice["logprobs"] = map[string]any{"tokens": all, "token_logprobs": lps, "top_logprobs": tops, "text_offset": offs}
	}
	json.NewEncoder(w).Encode(map[string]any{"id": "cmpl-1", "object": "text_completion", "created": 1, "model": f.model,
		"choices": []any{choice}, "usage": map[string]any{"prompt_tokens": len(toks), "completion_tokens": len(gen), "total_tokens": len(toks) + len(gen)}})
}

// stopIndex is the first occurrence of any of stops in s, -1 for none.
func stopIndex(s string, stops []string) int {
	cut := -1
	for _, x := range stops {
		if i := strings.Index(s, x); i >= 0 && (cut < 0 || i < cut) {
			cut = i
		}
	}
	return cut
}
