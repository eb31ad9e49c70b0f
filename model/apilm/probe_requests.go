package apilm

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"
)

// probeAnswer is the part of a completions answer the probe reads, in
// either log-probs format.
type probeAnswer struct {
	Choices []struct {
		Text     string `json:"text"`
		Logprobs *struct {
			Tokens        []string   `json:"tokens"`
			TokenLogprobs []*float64 `json:"token_logprobs"`
			TextOffset    []int      `json:"text_offset"`
			Content       []struct {
				Token   string  `json:"token"`
				Logprob float64 `json:"logprob"`
			} `json:"content"`
		} `json:"logprobs"`
	} `json:"choices"`
	Usage *struct {
		CompletionTokens int `json:"completion_tokens"`
	} `json:"usage"`
}

// complete posts a completions request and decodes the answer.
func (p *prober) complete(ctx context.Context, body map[string]any) (int, *probeAnswer, string) {
	code, data, err := p.call(ctx, http.MethodPost, p.base+"/completions", body)
	if err != nil {
		return 0, nil, err.Error()
	}
	if code != http.StatusOK {
		return code, nil, errorMessage(data)
	}
	var a probeAnswer
	if json.Unmarshal(data, &a) != nil || len(a.Choices) == 0 {
		return code, nil, fmt.Sprintf("not a completions answer: %s", quoteStart(data))
	}
	return code, &a, ""
}

// score sends ProbeText as an echo scoring request with max_tokens
// echoMax (then 1 when 0 is refused).
func (p *prober) score(ctx context.Context, r *Report, echoMax int) {
	req := map[string]any{"model": r.Model, "prompt": ProbeText, "max_tokens": echoMax, "echo": true, "logprobs": 1, "temperature": 0}
	code, a, msg := p.complete(ctx, req)
	if a == nil && code >= 400 && code < 500 && echoMax == 0 {
		r.MaxTokensZero = "refused"
		r.Notes = append(r.Notes, fmt.Sprintf("max_tokens 0 is refused (HTTP %d: %s): scoring requests send max_tokens 1", code, msg))
		echoMax = 1
		req["max_tokens"] = 1
		code, a, msg = p.complete(ctx, req)
	}
	if a == nil {
		r.Notes = append(r.Notes, fmt.Sprintf("POST /completions with echo and logprobs failed (HTTP %d: %s)", code, msg))
		return
	}
	r.Completions = true
	r.EchoMaxTokens = echoMax
	ch := a.Choices[0]
	echoed := strings.HasPrefix(ch.Text, ProbeText)
	generated := 0
	switch {
	case a.Usage != nil:
		generated = a.Usage.CompletionTokens
	case !echoed && ch.Text != "":
		generated = 1
	case echoed && len(ch.Text) > len(ProbeText):
		generated = 1
	}
	if echoMax == 0 && r.MaxTokensZero == "untested" {
		r.MaxTokensZero = "honoured"
		if generated > 0 {
			r.MaxTokensZero = "generates"
			r.Notes = append(r.Notes, fmt.Sprintf("max_tokens 0 still generated %d token(s): the window keeps room for them", generated))
		}
	}
	r.ScoringGenerates = max(echoMax, min(generated, 1))
	lp := ch.Logprobs
	switch {
	case lp == nil:
	case lp.TokenLogprobs != nil:
		r.LogprobsFormat = "completions"
	case lp.Content != nil:
		r.LogprobsFormat = "content"
	}
	if !echoed {
		r.Notes = append(r.Notes, "echo: true is ignored (the answer does not repeat the prompt): no prompt log-probabilities")
		return
	}
	if r.LogprobsFormat != "completions" {
		r.Notes = append(r.Notes, "the echoed answer carries no token_logprobs: no prompt log-probabilities")
		return
	}
	n := len(lp.Tokens)
	if n < 2 || len(lp.TokenLogprobs) != n || len(lp.TextOffset) != n || lp.TextOffset[0] != 0 {
		r.Notes = append(r.Notes, fmt.Sprintf("the echoed log-probabilities are incomplete (%d tokens, %d token_logprobs, %d text_offset)", n, len(lp.TokenLogprobs), len(lp.TextOffset)))
		return
	}
	promptChars := utf8.RuneCountInString(ProbeText)
	for t := 1; t < n && lp.TextOffset[t] < promptChars; t++ {
		if lp.TokenLogprobs[t] == nil {
			r.Notes = append(r.Notes, fmt.Sprintf("prompt token %d %q has a null log-probability", t, lp.Tokens[t]))
			return
		}
	}
	r.PromptLogprobs = true
	for t := 0; t < n && lp.TextOffset[t] < promptChars; t++ {
		r.echoTokens = append(r.echoTokens, lp.Tokens[t])
	}
	if !r.Tokenize {
		r.ProbeTokenCount = len(r.echoTokens)
	}
}

// stop generates greedily from ProbeText, then again with the answer's
// second character as a stop string: a server that honours it answers
// the text before that character's first occurrence. The first answer
// also tells whether log-prob entries of generated tokens are lost
// (llama.cpp's server sends none for a token ending inside a UTF-8
// character).
func (p *prober) stop(ctx context.Context, r *Report) {
	req := map[string]any{"model": r.Model, "prompt": ProbeText, "max_tokens": 8, "temperature": 0, "logprobs": 1}
	code, a, msg := p.complete(ctx, req)
	if a == nil {
		r.Completions = false
		r.Notes = append(r.Notes, fmt.Sprintf("POST /completions does not generate (HTTP %d: %s)", code, msg))
		return
	}
	r.Completions = true
	text := a.Choices[0].Text
	if lp := a.Choices[0].Logprobs; lp != nil && a.Usage != nil && a.Usage.CompletionTokens > 0 {
		entries := len(lp.Content)
		if lp.TokenLogprobs != nil {
			entries = len(lp.TokenLogprobs)
		}
		if entries < a.Usage.CompletionTokens {
			r.Notes = append(r.Notes, fmt.Sprintf("%d generated tokens came with %d log-prob entries (tokens ending inside a UTF-8 character get none): kshot reads generated text, never counts entries", a.Usage.CompletionTokens, entries))
		}
	}
	runes := []rune(text)
	if len(runes) < 2 {
		return
	}
	s := string(runes[1])
	want := text[:strings.Index(text, s)]
	req["stop"] = []string{s}
	delete(req, "logprobs")
	_, b, _ := p.complete(ctx, req)
	switch {
	case b == nil:
	case b.Choices[0].Text == want: // the stop string is left out, as OpenAI does
		r.Stop = "honoured"
	default:
		r.Stop = "ignored"
		r.Notes = append(r.Notes, fmt.Sprintf("the stop string %q was ignored (answer %q): kshot cuts answers at stop strings itself", s, b.Choices[0].Text))
	}
}

// chat sends a one-token chat request.
func (p *prober) chat(ctx context.Context, r *Report) {
	code, data, err := p.call(ctx, http.MethodPost, p.base+"/chat/completions", map[string]any{
		"model": r.Model, "messages": []map[string]string{{"role": "user", "content": "Say OK."}}, "max_tokens": 1, "temperature": 0})
	if err != nil || code != http.StatusOK {
		return
	}
	var a struct {
		Choices []struct {
			Message *struct {
				Content *string `json:"content"`
			} `json:"message"`
		} `json:"choices"`
	}
	r.Chat = json.Unmarshal(data, &a) == nil && len(a.Choices) > 0 && a.Choices[0].Message != nil
}

// fingerprint hashes what identifies the served checkpoint.
func (r *Report) fingerprint() string {
	h := sha256.New()
	fmt.Fprintf(h, "model=%s\nwindow=%d\nkshot=%s\ntokens=%v\npieces=%q\n", r.Model, r.Window, r.kshotFingerprint, r.ProbeTokens, r.echoTokens)
	return "probe:" + hex.EncodeToString(h.Sum(nil))[:16]
}
