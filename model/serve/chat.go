package serve

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// ChatMessage is one message of a chat request, its content as text.
type ChatMessage struct {
	Role    string // "system", "developer", "user" or "assistant"
	Content string
}

// RenderChat is kshot serve's plain rendering of a conversation for a
// checkpoint without a chat template: the messages' contents in order,
// an assistant message after a user message joined by one space and
// every other pair by a blank line ("\n\n"). It is lm-evaluation-harness's
// default few-shot layout (target delimiter " ", few-shot delimiter
// "\n\n"), so a few-shot prompt sent as turns renders as the prompt a
// completions request sends, and one user message renders as itself.
// The model then continues the rendering: after a user message it
// answers it, after an assistant message it continues that message.
func RenderChat(msgs []ChatMessage) string {
	var b strings.Builder
	for i, m := range msgs {
		if i > 0 {
			if msgs[i-1].Role == "user" && m.Role == "assistant" {
				b.WriteString(" ")
			} else {
				b.WriteString("\n\n")
			}
		}
		b.WriteString(m.Content)
	}
	return b.String()
}

// chatRequest is the body of POST /v1/chat/completions. Fields kshot
// serve cannot honour are decoded so that they can be refused by name.
type chatRequest struct {
	Model               string            `json:"model"`
	Messages            []chatMessageJSON `json:"messages"`
	MaxTokens           *int              `json:"max_tokens"`
	MaxCompletionTokens *int              `json:"max_completion_tokens"`
	Stop                json.RawMessage   `json:"stop"`
	Logprobs            *bool             `json:"logprobs"`
	TopLogprobs         *int              `json:"top_logprobs"`
	Stream              bool              `json:"stream"`
	StreamOptions       *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
	Temperature      *float64           `json:"temperature"`
	TopP             *float64           `json:"top_p"`
	N                *int               `json:"n"`
	PresencePenalty  *float64           `json:"presence_penalty"`
	FrequencyPenalty *float64           `json:"frequency_penalty"`
	LogitBias        map[string]float64 `json:"logit_bias"`
	Seed             *int64             `json:"seed"` // greedy decoding is deterministic: ignored
	User             string             `json:"user"` // ignored
}

// chatMessageJSON is a message as sent: content a string or a list of
// text parts.
type chatMessageJSON struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
	Name    string          `json:"name"`    // ignored
	Refusal *string         `json:"refusal"` // ignored (an earlier answer sent back as is)
}

// maxTopLogprobs is OpenAI's limit on top_logprobs.
const maxTopLogprobs = 20

// chatParams is a validated chat request: the completion it runs and
// how to answer.
type chatParams struct {
	*params
	topLogprobs int // entries of top_logprobs per token (0 or 1)
}

// parseChat decodes and validates a chat request body for s's model:
// the rendered messages (RenderChat) are the prompt, max_tokens (or
// max_completion_tokens) defaults to what fits the window, and logprobs
// is a boolean with top_logprobs 0 or 1.
func parseChat(body []byte, s *Server) (*chatParams, *requestError) {
	var req chatRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		e := decodeError(err)
		if e.param == "logprobs" {
			e.msg = "logprobs must be a boolean on /v1/chat/completions (the number of alternatives is top_logprobs)"
		}
		return nil, e
	}
	if dec.More() {
		return nil, badRequest("", "request body has data after the JSON object")
	}
	name, maxLen := s.opt.Name, s.m.MaxLength()
	if req.Model == "" {
		return nil, badRequest("model", "you must provide a model parameter (this server serves %q)", name)
	}
	if req.Model != name {
		return nil, modelNotFound(req.Model, name)
	}
	if s.opt.ChatTemplate != "" {
		return nil, badRequest("messages", "this checkpoint has a chat template (tokenizer_config.json chat_template), which kshot serve cannot render (it renders no Jinja): send the rendered prompt to /v1/completions instead")
	}
	if e := checkGreedy(&completionRequest{Temperature: req.Temperature, TopP: req.TopP, N: req.N,
		PresencePenalty: req.PresencePenalty, FrequencyPenalty: req.FrequencyPenalty, LogitBias: req.LogitBias}); e != nil {
		return nil, e
	}
	if req.StreamOptions != nil && !req.Stream {
		return nil, badRequest("stream_options", "stream_options is only allowed when stream is true")
	}
	lp := req.Logprobs != nil && *req.Logprobs
	cp := &chatParams{params: &params{logprobs: -1, stream: req.Stream, usage: req.StreamOptions != nil && req.StreamOptions.IncludeUsage}}
	if lp {
		cp.logprobs = 0
	}
	if t := req.TopLogprobs; t != nil {
		switch {
		case !lp:
			return nil, badRequest("top_logprobs", "top_logprobs needs logprobs set to true")
		case *t < 0 || *t > maxTopLogprobs:
			return nil, badRequest("top_logprobs", "top_logprobs %d must be from 0 to %d", *t, maxTopLogprobs)
		case *t > 1:
			return nil, badRequest("top_logprobs", "top_logprobs %d: kshot serve reports only the most likely token (top_logprobs 0 or 1)", *t)
		}
		cp.topLogprobs = *t
	}
	msgs, e := chatMessages(req.Messages)
	if e != nil {
		return nil, e
	}
	stop, e := parseStop(req.Stop)
	if e != nil {
		return nil, e
	}
	if len(stop) > maxStops {
		return nil, badRequest("stop", "%d stop strings: at most %d are allowed", len(stop), maxStops)
	}
	cp.stop = stop
	ids := s.tok.Encode(RenderChat(msgs))
	if len(ids) == 0 {
		return nil, badRequest("messages", "the messages render to an empty prompt")
	}
	if len(ids) >= maxLen {
		return nil, badRequest("messages", "the messages render to %d tokens; this model's context window is %d tokens, with room for at least one generated token", len(ids), maxLen)
	}
	cp.prompts = [][]int{ids}
	cp.maxTokens = maxLen - len(ids) // OpenAI's default: as many as fit
	for _, f := range []struct {
		name string
		v    *int
	}{{"max_tokens", req.MaxTokens}, {"max_completion_tokens", req.MaxCompletionTokens}} {
		switch {
		case f.v == nil:
		case *f.v < 1:
			return nil, badRequest(f.name, "%s %d must be at least 1", f.name, *f.v)
		case len(ids)+*f.v > maxLen:
			return nil, badRequest(f.name, "the messages render to %d tokens and %s is %d: together more than this model's context window of %d tokens", len(ids), f.name, *f.v, maxLen)
		default:
			cp.maxTokens = *f.v
		}
	}
	return cp, nil
}

// chatMessages checks the messages and reads their text.
func chatMessages(in []chatMessageJSON) ([]ChatMessage, *requestError) {
	if len(in) == 0 {
		return nil, badRequest("messages", "messages must be a non-empty list")
	}
	out := make([]ChatMessage, len(in))
	for i, m := range in {
		param := fmt.Sprintf("messages[%d]", i)
		switch m.Role {
		case "system", "developer", "user", "assistant":
		case "":
			return nil, badRequest(param+".role", "%s has no role (system, developer, user or assistant)", param)
		default:
			return nil, badRequest(param+".role", "%s has role %q; kshot serve takes system, developer, user and assistant messages (no tools)", param, m.Role)
		}
		text, ok := messageText(m.Content)
		if !ok {
			return nil, badRequest(param+".content", "%s.content must be a string or a list of text parts ({\"type\": \"text\", \"text\": …})", param)
		}
		out[i] = ChatMessage{Role: m.Role, Content: text}
	}
	return out, nil
}

// messageText reads content: a string, or a list of {"type": "text",
// "text": …} parts, joined.
func messageText(raw json.RawMessage) (string, bool) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, true
	}
	var parts []struct {
		Type string  `json:"type"`
		Text *string `json:"text"`
	}
	if json.Unmarshal(raw, &parts) != nil || len(parts) == 0 {
		return "", false
	}
	var b strings.Builder
	for _, p := range parts {
		if p.Type != "text" || p.Text == nil {
			return "", false
		}
		b.WriteString(*p.Text)
	}
	return b.String(), true
}

// chatResponse is the body of a 200 answer to /v1/chat/completions.
type chatResponse struct {
	ID      string       `json:"id"`
	Object  string       `json:"object"`
	Created int64        `json:"created"`
	Model   string       `json:"model"`
	Choices []chatChoice `json:"choices"`
	Usage   usage        `json:"usage"`
}

type chatChoice struct {
	Index        int           `json:"index"`
	Message      *chatReply    `json:"message,omitempty"`
	Delta        *chatReply    `json:"delta,omitempty"`
	Logprobs     *chatLogprobs `json:"logprobs"`
	FinishReason *string       `json:"finish_reason"`
}

type chatReply struct {
	Role    string  `json:"role,omitempty"`
	Content *string `json:"content,omitempty"`
	Refusal *string `json:"refusal"`
}

// chatLogprobs is OpenAI's chat log-probs object: one entry per
// generated token.
type chatLogprobs struct {
	Content []tokenLogprob `json:"content"`
	Refusal []tokenLogprob `json:"refusal"`
}

type tokenLogprob struct {
	Token       string         `json:"token"`
	Logprob     float64        `json:"logprob"`
	Bytes       []int          `json:"bytes"`
	TopLogprobs []tokenLogprob `json:"top_logprobs,omitempty"`
}

func (s *Server) chatCompletions(w http.ResponseWriter, r *http.Request) {
	var cp *chatParams
	wk := s.serveRequest(w, r, func(body []byte) (*params, *requestError) {
		var e *requestError
		cp, e = parseChat(body, s)
		if e != nil {
			return nil, e
		}
		return cp.params, nil
	})
	if wk == nil {
		return
	}
	resp := s.chatAnswer(wk, cp.topLogprobs)
	if cp.stream {
		writeChatStream(w, resp, cp.usage)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

// chatAnswer builds the answer to a computed chat request. The top-1
// alternative of a generated token is the token itself: greedy decoding
// picks the most likely one.
func (s *Server) chatAnswer(wk *work, top int) chatResponse {
	r := wk.runs[0]
	finish := "length"
	if r.stopped {
		finish = "stop"
	}
	text := r.text
	c := chatChoice{Message: &chatReply{Role: "assistant", Content: &text}, FinishReason: &finish}
	if wk.p.logprobs >= 0 {
		c.Logprobs = &chatLogprobs{Content: []tokenLogprob{}}
		for k, id := range r.gen {
			raw := s.tok.Decode([]int{id})
			e := tokenLogprob{Token: s.tokenString(id), Logprob: r.genLP[k], Bytes: byteList(raw), TopLogprobs: []tokenLogprob{}}
			if top > 0 {
				e.TopLogprobs = []tokenLogprob{{Token: e.Token, Logprob: e.Logprob, Bytes: e.Bytes}}
			}
			c.Logprobs.Content = append(c.Logprobs.Content, e)
		}
	}
	u := usage{PromptTokens: len(r.ids), CompletionTokens: len(r.gen)}
	u.TotalTokens = u.PromptTokens + u.CompletionTokens
	return chatResponse{ID: fmt.Sprintf("chatcmpl-kshot-%d", s.ids.Add(1)), Object: "chat.completion",
		Created: s.created, Model: s.opt.Name, Choices: []chatChoice{c}, Usage: u}
}

func byteList(s string) []int {
	out := make([]int, len(s))
	for i := range len(s) {
		out[i] = int(s[i])
	}
	return out
}

// writeChatStream answers a computed chat request as OpenAI's chat
// stream: a chunk with the assistant role, one with the whole content
// (and its log-probs), one with the finish reason, with usage a last
// chunk with no choices and the usage, then "data: [DONE]".
func writeChatStream(w http.ResponseWriter, resp chatResponse, withUsage bool) {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	event := func(choices []chatChoice, u *usage) {
		data, err := json.Marshal(map[string]any{"id": resp.ID, "object": "chat.completion.chunk", "created": resp.Created,
			"model": resp.Model, "choices": choices, "usage": u})
		if err != nil {
			panic("serve: " + err.Error()) // the chunks are plain data
		}
		fmt.Fprintf(w, "data: %s\n\n", data)
	}
	c := resp.Choices[0]
	empty := ""
	event([]chatChoice{{Delta: &chatReply{Role: "assistant", Content: &empty}}}, nil)
	event([]chatChoice{{Delta: &chatReply{Content: c.Message.Content}, Logprobs: c.Logprobs}}, nil)
	event([]chatChoice{{Delta: &chatReply{}, FinishReason: c.FinishReason}}, nil)
	if withUsage {
		u := resp.Usage
		event([]chatChoice{}, &u)
	}
	fmt.Fprint(w, "data: [DONE]\n\n")
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
}
