package serve

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// postChat sends body to /v1/chat/completions ("model" added as in
// post) and returns the status and the raw answer.
func postChat(t *testing.T, url string, body map[string]any) (int, []byte) {
	t.Helper()
	mm := map[string]any{"model": servedModel(t, url)}
	for k, v := range body {
		mm[k] = v
		if v == nil {
			delete(mm, k)
		}
	}
	data, err := json.Marshal(mm)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(url+"/v1/chat/completions", "application/json", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, out
}

func chat(t *testing.T, url string, body map[string]any) chatResponse {
	t.Helper()
	code, data := postChat(t, url, body)
	if code != http.StatusOK {
		t.Fatalf("HTTP %d: %s", code, data)
	}
	var r chatResponse
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatalf("%v: %s", err, data)
	}
	if len(r.Choices) != 1 || r.Choices[0].Message == nil || r.Choices[0].Message.Content == nil {
		t.Fatalf("not one chat choice with a message: %s", data)
	}
	return r
}

func user(s string) map[string]any { return map[string]any{"role": "user", "content": s} }

// TestRenderChat checks the plain rendering, written out by hand.
func TestRenderChat(t *testing.T) {
	cases := []struct {
		msgs []ChatMessage
		want string
	}{
		{[]ChatMessage{{"user", "The cat"}}, "The cat"},
		{[]ChatMessage{{"user", "Q: a?\nA:"}, {"assistant", "b"}, {"user", "Q: c?\nA:"}}, "Q: a?\nA: b\n\nQ: c?\nA:"},
		{[]ChatMessage{{"system", "Be brief."}, {"user", "Q: c?\nA:"}}, "Be brief.\n\nQ: c?\nA:"},
		{[]ChatMessage{{"developer", "D"}, {"user", "u1"}, {"user", "u2"}, {"assistant", "a"}}, "D\n\nu1\n\nu2 a"},
	}
	for _, c := range cases {
		if got := RenderChat(c.msgs); got != c.want {
			t.Errorf("RenderChat(%q) = %q, want %q", c.msgs, got, c.want)
		}
	}
}

// TestChatGenerate checks /v1/chat/completions against the fixture's
// reference argmax (one user message renders as its content), a
// multi-turn conversation against the completion of its rendering, the
// logprobs boolean and top_logprobs against the completions endpoint's
// log-probabilities of the same tokens, stop strings and usage.
func TestChatGenerate(t *testing.T) {
	dec, tok, dir := openFixture(t, "gpt2-tiny")
	_, url := start(t, dec, tok, Options{Name: "tiny"})
	var prompt string
	var next int
	for _, seq := range readReference(t, dir) {
		if p := tok.Decode(seq.InputIDs); slices.Equal(tok.Encode(p), seq.InputIDs) {
			prompt, next = p, seq.Argmax[len(seq.Argmax)-1]
			break
		}
	}
	if prompt == "" {
		t.Fatal("no reference sequence whose text encodes back to its ids")
	}
	one := chat(t, url, map[string]any{"messages": []any{user(prompt)}, "max_tokens": 1})
	c := one.Choices[0]
	if *c.Message.Content != tok.Decode([]int{next}) || c.Message.Role != "assistant" || *c.FinishReason != "length" || c.Logprobs != nil {
		t.Errorf("one token: %q (%s, logprobs %v), want the reference argmax %q (length, no logprobs)", *c.Message.Content, *c.FinishReason, c.Logprobs, tok.Decode([]int{next}))
	}
	if one.Object != "chat.completion" || one.Usage.PromptTokens != len(tok.Encode(prompt)) || one.Usage.CompletionTokens != 1 {
		t.Errorf("object %q, usage %+v", one.Object, one.Usage)
	}

	turns := []any{user("Q: What is 2+2?\nA:"), map[string]any{"role": "assistant", "content": "4"},
		map[string]any{"role": "user", "content": []any{map[string]any{"type": "text", "text": "Q: What is 3+3?\nA:"}}}}
	rendered := "Q: What is 2+2?\nA: 4\n\nQ: What is 3+3?\nA:"
	ref := complete(t, url, map[string]any{"prompt": rendered, "max_tokens": 6, "logprobs": 1})
	got := chat(t, url, map[string]any{"messages": turns, "max_tokens": 6, "logprobs": true, "top_logprobs": 1})
	gc, rc := got.Choices[0], ref.Choices[0]
	if *gc.Message.Content != rc.Text {
		t.Errorf("multi-turn: %q, want the completion of the rendering %q", *gc.Message.Content, rc.Text)
	}
	if gc.Logprobs == nil || len(gc.Logprobs.Content) != len(rc.Logprobs.Tokens) {
		t.Fatalf("logprobs %+v, want %d entries", gc.Logprobs, len(rc.Logprobs.Tokens))
	}
	for k, e := range gc.Logprobs.Content {
		want := *rc.Logprobs.TokenLogprobs[k]
		if e.Token != rc.Logprobs.Tokens[k] || math.Abs(e.Logprob-want) > 1e-9 || len(e.TopLogprobs) != 1 ||
			e.TopLogprobs[0].Token != e.Token || rc.Logprobs.TopLogprobs[k][e.Token] != e.Logprob {
			t.Errorf("token %d: %+v, want %q %g as its own top-1", k, e, rc.Logprobs.Tokens[k], want)
		}
		if string(bytesOf(e.Bytes)) != e.Token && !strings.HasPrefix(e.Token, "bytes:") {
			t.Errorf("token %d: bytes %v do not spell %q", k, e.Bytes, e.Token)
		}
	}
	zero := chat(t, url, map[string]any{"messages": turns, "max_tokens": 2, "logprobs": true})
	if lp := zero.Choices[0].Logprobs; lp == nil || len(lp.Content) != 2 || len(lp.Content[0].TopLogprobs) != 0 {
		t.Errorf("logprobs without top_logprobs: %+v, want 2 entries with empty top_logprobs", lp)
	}
	// A stop string cuts the answer before it, as for completions.
	full := rc.Text
	ids := tok.Encode(full)
	stop := tok.Decode(ids[len(ids)/2 : len(ids)/2+1])
	cut := chat(t, url, map[string]any{"messages": turns, "max_tokens": 6, "stop": stop})
	if want := full[:strings.Index(full, stop)]; *cut.Choices[0].Message.Content != want || *cut.Choices[0].FinishReason != "stop" {
		t.Errorf("stop %q: %q (%s), want %q (stop)", stop, *cut.Choices[0].Message.Content, *cut.Choices[0].FinishReason, want)
	}
	// Without max_tokens the answer may fill the window.
	if r := chat(t, url, map[string]any{"messages": []any{user("The cat")}}); r.Usage.TotalTokens > 64 || r.Usage.CompletionTokens == 0 {
		t.Errorf("default max_tokens: usage %+v, want up to the 64-token window", r.Usage)
	}
}

func bytesOf(b []int) []byte {
	out := make([]byte, len(b))
	for i, x := range b {
		out[i] = byte(x)
	}
	return out
}

// TestChatStream checks OpenAI's chat stream: chat.completion.chunk
// events whose delta contents concatenate to the unstreamed answer, the
// role first, the finish reason, with include_usage a last chunk with
// the usage and no choices, then [DONE].
func TestChatStream(t *testing.T) {
	dec, tok, _ := openFixture(t, "gpt2-tiny")
	_, url := start(t, dec, tok, Options{Name: "tiny"})
	msgs := []any{user("The cat")}
	plain := chat(t, url, map[string]any{"messages": msgs, "max_tokens": 5})
	data, _ := json.Marshal(map[string]any{"model": "tiny", "messages": msgs, "max_tokens": 5, "stream": true,
		"stream_options": map[string]any{"include_usage": true}})
	resp, err := http.Post(url+"/v1/chat/completions", "application/json", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("Content-Type %q", resp.Header.Get("Content-Type"))
	}
	var content, role, finish string
	var usage *struct {
		TotalTokens int `json:"total_tokens"`
	}
	var last string
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if sc.Text() == "" {
			continue
		}
		payload, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			t.Fatalf("line %q is not a data event", sc.Text())
		}
		last = payload
		if payload == "[DONE]" {
			continue
		}
		var ch struct {
			Object  string
			Choices []struct {
				Delta struct {
					Role    string
					Content *string
				}
				FinishReason *string `json:"finish_reason"`
			}
			Usage *struct {
				TotalTokens int `json:"total_tokens"`
			}
		}
		if err := json.Unmarshal([]byte(payload), &ch); err != nil || ch.Object != "chat.completion.chunk" {
			t.Fatalf("chunk %s: %v", payload, err)
		}
		for _, c := range ch.Choices {
			if c.Delta.Role != "" {
				role = c.Delta.Role
			}
			if c.Delta.Content != nil {
				content += *c.Delta.Content
			}
			if c.FinishReason != nil {
				finish = *c.FinishReason
			}
		}
		if ch.Usage != nil {
			usage = ch.Usage
		}
	}
	if content != *plain.Choices[0].Message.Content || role != "assistant" || finish != *plain.Choices[0].FinishReason {
		t.Errorf("streamed %q (role %q, finish %q), want %q (assistant, %s)", content, role, finish, *plain.Choices[0].Message.Content, *plain.Choices[0].FinishReason)
	}
	if usage == nil || usage.TotalTokens != plain.Usage.TotalTokens || last != "[DONE]" {
		t.Errorf("usage %+v, last event %q; want total_tokens %d and [DONE]", usage, last, plain.Usage.TotalTokens)
	}
}

// TestChatBadRequests checks every refusal of the chat endpoint: OpenAI's
// error shape, the parameter named, never a Go type.
func TestChatBadRequests(t *testing.T) {
	dec, tok, _ := openFixture(t, "gpt2-tiny")
	_, url := start(t, dec, tok, Options{Name: "tiny"})
	msgs := []any{user("x")}
	cases := []struct {
		name  string
		body  map[string]any
		code  int
		param string
		want  string
	}{
		{"no model", map[string]any{"model": nil, "messages": msgs}, 400, "model", "must provide a model"},
		{"wrong model", map[string]any{"model": "gpt-4", "messages": msgs}, 404, "model", "does not exist"},
		{"no messages", map[string]any{}, 400, "messages", "non-empty list"},
		{"tool role", map[string]any{"messages": []any{map[string]any{"role": "tool", "content": "x"}}}, 400, "messages[0].role", `role "tool"`},
		{"no role", map[string]any{"messages": []any{map[string]any{"content": "x"}}}, 400, "messages[0].role", "no role"},
		{"image part", map[string]any{"messages": []any{map[string]any{"role": "user", "content": []any{map[string]any{"type": "image_url"}}}}}, 400, "messages[0].content", "text parts"},
		{"logprobs integer", map[string]any{"messages": msgs, "logprobs": 1}, 400, "logprobs", "logprobs must be a boolean"},
		{"top_logprobs without logprobs", map[string]any{"messages": msgs, "top_logprobs": 1}, 400, "top_logprobs", "needs logprobs"},
		{"top_logprobs 21", map[string]any{"messages": msgs, "logprobs": true, "top_logprobs": 21}, 400, "top_logprobs", "from 0 to 20"},
		{"top_logprobs 5", map[string]any{"messages": msgs, "logprobs": true, "top_logprobs": 5}, 400, "top_logprobs", "most likely token"},
		{"five stops", map[string]any{"messages": msgs, "stop": []string{"a", "b", "c", "d", "e"}}, 400, "stop", "at most 4"},
		{"sampling", map[string]any{"messages": msgs, "temperature": 0.7}, 400, "temperature", "greedily"},
		{"max_tokens 0", map[string]any{"messages": msgs, "max_tokens": 0}, 400, "max_tokens", "at least 1"},
		{"too long", map[string]any{"messages": msgs, "max_completion_tokens": 64}, 400, "max_completion_tokens", "context window of 64"},
		{"unknown field", map[string]any{"messages": msgs, "tools": []any{}}, 400, "tools", "unrecognized request argument"},
		{"stream_options without stream", map[string]any{"messages": msgs, "stream_options": map[string]any{"include_usage": true}}, 400, "stream_options", "only allowed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, data := postChat(t, url, c.body)
			var e struct {
				Error struct {
					Message, Type string
					Param         *string
					Code          any
				}
			}
			if code != c.code || json.Unmarshal(data, &e) != nil || !strings.Contains(e.Error.Message, c.want) {
				t.Fatalf("HTTP %d %s; want %d mentioning %q", code, data, c.code, c.want)
			}
			if e.Error.Param == nil || *e.Error.Param != c.param || e.Error.Type == "" {
				t.Errorf("error %s: want param %q and a type", data, c.param)
			}
			if _, ok := e.Error.Code.(string); !ok && e.Error.Code != nil {
				t.Errorf("error code %v: OpenAI's is a string or null", e.Error.Code)
			}
			if strings.Contains(e.Error.Message, "Go struct") || strings.Contains(e.Error.Message, "chatRequest") {
				t.Errorf("error message %q names a Go type", e.Error.Message)
			}
		})
	}
	// A checkpoint with a chat template kshot cannot render refuses chat
	// rather than render it some other way; completions still answer.
	_, turl := start(t, dec, tok, Options{Name: "tiny", ChatTemplate: "{% for m in messages %}{{ m.content }}{% endfor %}"})
	if code, data := postChat(t, turl, map[string]any{"messages": msgs}); code != 400 || !strings.Contains(string(data), "chat template") {
		t.Errorf("checkpoint with a chat template: HTTP %d %s, want 400 naming the chat template", code, data)
	}
	if code, data := post(t, turl, map[string]any{"prompt": "x", "max_tokens": 1}); code != 200 {
		t.Errorf("completions beside a chat template: HTTP %d %s", code, data)
	}
}
