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
	"time"
	"unicode"
	"unicode/utf8"
)

const eotText = "<|endoftext|>"

// words is the fake server's tokenizer: "<|endoftext|>" alone, else
// leading spaces with the word that follows (" cat").
func words(s string) []string {
	var out []string
	for len(s) > 0 {
		if strings.HasPrefix(s, eotText) {
			out, s = append(out, eotText), s[len(eotText):]
			continue
		}
		i := 0
		for i < len(s) && s[i] == ' ' {
			i++
		}
		for i < len(s) && s[i] != ' ' && !strings.HasPrefix(s[i:], eotText) {
			i++
		}
		out, s = append(out, s[:i]), s[i:]
	}
	return out
}

// toyLogprob is the fake model: log p(token) = -0.5 per character.
func toyLogprob(tok string) float64 { return -0.5 * float64(utf8.RuneCountInString(tok)) }

// toyTop is the fake model's most likely token: the token itself, unless
// it holds an upper-case letter, when " the" (-0.1) is.
func toyTop(tok string) (string, float64) {
	if strings.IndexFunc(tok, unicode.IsUpper) >= 0 && tok != eotText {
		return " the", -0.1
	}
	return tok, toyLogprob(tok)
}

// wordTok is an eval.Tokenizer over words() with ids given on first
// sight; id 0 is the end-of-text token.
type wordTok struct {
	mu   sync.Mutex
	ids  map[string]int
	strs []string
}

func newWordTok() *wordTok { return &wordTok{ids: map[string]int{eotText: 0}, strs: []string{eotText}} }

func (w *wordTok) Encode(s string) []int {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []int
	for _, t := range words(s) {
		id, ok := w.ids[t]
		if !ok {
			id = len(w.strs)
			w.ids[t] = id
			w.strs = append(w.strs, t)
		}
		out = append(out, id)
	}
	return out
}

func (w *wordTok) Decode(ids []int) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var b strings.Builder
	for _, id := range ids {
		b.WriteString(w.strs[id])
	}
	return b.String()
}

func (w *wordTok) EOT() int { return 0 }

// fakeAPI is an OpenAI-compatible server over the toy model, with
// switches for the ways real servers go wrong.
type fakeAPI struct {
	t     *testing.T
	srv   *httptest.Server
	tok   *wordTok // decodes token-id prompts
	key   string   // required bearer token, when set
	model string

	mu          sync.Mutex
	calls       int
	bodies      []map[string]any
	inflight    int
	maxInflight int
	statuses    []int         // answered (in order) before any normal answer
	mode        string        // "", "noecho", "short", "malformed", "vllm", "noprompt-ids"
	delay       time.Duration // per completion request
}

func newFake(t *testing.T, tok *wordTok) *fakeAPI {
	f := &fakeAPI{t: t, tok: tok, model: "toy"}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAPI) url() string { return f.srv.URL + "/v1" }

func (f *fakeAPI) set(fn func(f *fakeAPI)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

func (f *fakeAPI) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

func (f *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	if f.key != "" && r.Header.Get("Authorization") != "Bearer "+f.key {
		http.Error(w, `{"error": {"message": "invalid api key"}}`, http.StatusUnauthorized)
		return
	}
	switch r.URL.Path {
	case "/v1/models":
		fmt.Fprintf(w, `{"object": "list", "data": [{"id": %q, "object": "model", "max_model_len": 1024}]}`, f.model)
		return
	case "/v1/completions":
	default:
		http.NotFound(w, r)
		return
	}
	body, _ := io.ReadAll(r.Body)
	var req map[string]any
	if err := json.Unmarshal(body, &req); err != nil {
		f.t.Errorf("fake server: bad request body %s", body)
	}
	f.mu.Lock()
	f.calls++
	f.bodies = append(f.bodies, req)
	f.inflight++
	f.maxInflight = max(f.maxInflight, f.inflight)
	var status int
	if len(f.statuses) > 0 {
		status, f.statuses = f.statuses[0], f.statuses[1:]
	}
	mode, delay := f.mode, f.delay
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.inflight--
		f.mu.Unlock()
	}()
	time.Sleep(delay)
	if status != 0 {
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"error": {"message": "fake status %d"}}`, status)
		return
	}
	if mode == "malformed" {
		w.Write([]byte(`{"choices": [{"text": "x", "logprobs": {`))
		return
	}
	if req["echo"] != true {
		text := "hello\nworld"
		fmt.Fprintf(w, `{"choices": [{"index": 0, "text": %q, "finish_reason": "length"}], "usage": {"total_tokens": 5}}`, text)
		return
	}
	var prompt string
	switch p := req["prompt"].(type) {
	case string:
		prompt = p
	case []any:
		ids := make([]int, len(p))
		for i, v := range p {
			ids[i] = int(v.(float64))
		}
		prompt = f.tok.Decode(ids)
	}
	toks := words(prompt)
	lp := map[string]any{"tokens": toks}
	var lps []any
	var tops []any
	var offs []int
	off := 0
	for i, tk := range toks {
		offs = append(offs, off)
		off += utf8.RuneCountInString(tk)
		if i == 0 {
			lps, tops = append(lps, nil), append(tops, nil)
			continue
		}
		lps = append(lps, toyLogprob(tk))
		top, v := toyTop(tk)
		m := map[string]float64{top: v}
		if mode == "vllm" { // vLLM lists the prompt token beside the top ones
			m[tk] = toyLogprob(tk)
		}
		tops = append(tops, m)
	}
	lp["token_logprobs"], lp["top_logprobs"], lp["text_offset"] = lps, tops, offs
	switch mode {
	case "short":
		lp["token_logprobs"] = lps[:len(lps)-1]
	case "noecho": // llama.cpp-like: only the generated token
		lp = map[string]any{"tokens": []string{" x"}, "token_logprobs": []float64{-1}, "top_logprobs": []any{map[string]float64{" x": -1}}, "text_offset": []int{0}}
		prompt = ""
	}
	resp := map[string]any{"id": "cmpl-1", "object": "text_completion", "model": f.model,
		"choices": []any{map[string]any{"index": 0, "text": prompt, "logprobs": lp, "finish_reason": "length"}},
		"usage":   map[string]any{"total_tokens": len(toks)}}
	json.NewEncoder(w).Encode(resp)
}
