package apilm

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/kshot-eval/kshot/eval"
)

// ProbeText is the prompt of the probe's scoring, generation and
// tokenization requests: ASCII words and multi-byte characters, so that
// its tokenization tells tokenizers apart.
const ProbeText = "The capital of France is Paris. Café, naïve, 東京."

// Report is what Probe found out about one endpoint by asking it. The
// JSON field names are those of kshot probe --json.
type Report struct {
	Endpoint string   `json:"endpoint"` // base URL, e.g. http://host:8000/v1
	Server   string   `json:"server"`   // "kshot serve", "vLLM", "llama.cpp", "OpenAI" or "unknown" (from /models owned_by)
	Models   []string `json:"models"`   // ids listed by GET /models (nil: the server has no /models)
	Model    string   `json:"model"`    // the model probed
	// Window is the server's context window in tokens (prompt plus
	// generated tokens), 0 when no source gave it; WindowSource names the
	// source.
	Window       int    `json:"window"`
	WindowSource string `json:"window_source"`
	// PromptLogprobs reports whether echo with logprobs returns a
	// log-probability for every prompt token after the first (what
	// loglikelihood and perplexity tasks need).
	PromptLogprobs bool `json:"prompt_logprobs"`
	// MaxTokensZero is what the server does with max_tokens 0 on a
	// scoring request: "honoured" (no token generated), "generates"
	// (generates one anyway), "refused" (HTTP 4xx; scoring then sends
	// max_tokens 1) or "untested".
	MaxTokensZero string `json:"max_tokens_zero"`
	// EchoMaxTokens is the max_tokens scoring requests send, and
	// ScoringGenerates the tokens the server generates on one (counted
	// against the window).
	EchoMaxTokens    int `json:"echo_max_tokens"`
	ScoringGenerates int `json:"scoring_generates"`
	// Stop is "honoured", "ignored" or "untested" (the probe's greedy
	// answer was too short to test it).
	Stop string `json:"stop"`
	// LogprobsFormat is how the server writes log-probabilities on the
	// completions endpoint: "completions" (tokens, token_logprobs,
	// top_logprobs, text_offset), "content" (the chat-style list
	// logprobs.content, as llama.cpp's server does) or "none".
	LogprobsFormat string `json:"logprobs_format"`
	// Completions reports whether POST /completions generates text;
	// Chat whether POST /chat/completions answers.
	Completions bool `json:"completions"`
	Chat        bool `json:"chat"`
	// Tokenize reports whether POST {root}/tokenize answered;
	// ProbeTokens is the tokenization of ProbeText from it, else the
	// echoed token strings' count in ProbeTokenCount.
	Tokenize        bool  `json:"tokenize"`
	ProbeTokens     []int `json:"probe_tokens,omitempty"`
	ProbeTokenCount int   `json:"probe_token_count"`
	// Fingerprint identifies what the server answered (model id, window,
	// kshot serve's checkpoint fingerprint, tokenization of ProbeText)
	// for the request cache.
	Fingerprint string   `json:"fingerprint"`
	Notes       []string `json:"notes,omitempty"` // findings worth a user's attention, one sentence each

	kshotFingerprint string // kshot serve's kshot_fingerprint
	echoTokens       []string
}

// Refusal returns nil when requests of r's kind can run on the server,
// else an error naming the missing capability, the servers that have it
// and what still runs. It wraps ErrNoPromptLogprobs for loglikelihood
// (and multiple-choice) and rolling requests on a server without prompt
// log-probabilities.
func (r *Report) Refusal(req eval.Request) error {
	switch req.(type) {
	case eval.Loglikelihood, eval.MultipleChoice, eval.Rolling:
		if !r.PromptLogprobs {
			why := "it ignores echo: true"
			switch {
			case !r.Completions:
				why = "it has no usable completions endpoint"
			case r.LogprobsFormat == "content":
				why = "it ignores echo: true and writes log-probabilities of generated tokens only (logprobs.content)"
			}
			return fmt.Errorf("apilm: endpoint %s (%s) cannot score prompts: %s: %w; servers that can: kshot serve, vLLM (its completions endpoint with echo)",
				r.Endpoint, r.Server, why, ErrNoPromptLogprobs)
		}
	case eval.Generate:
		if !r.Completions {
			msg := fmt.Sprintf("apilm: endpoint %s (%s) does not generate through POST /completions", r.Endpoint, r.Server)
			if r.Chat {
				msg += " (it has /chat/completions: run with --api-chat)"
			}
			return fmt.Errorf("%s", msg)
		}
	}
	return nil
}

// prober sends the probe's requests.
type prober struct {
	client *http.Client
	key    string
	base   string // …/v1
	root   string // base without its last path element (llama.cpp's /props, /tokenize)
}

// get or post a JSON body; status and body of the answer.
func (p *prober) call(ctx context.Context, method, url string, body any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(mustJSON(body))
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if p.key != "" {
		req.Header.Set("Authorization", "Bearer "+p.key)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return 0, nil, cleanErr(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return 0, nil, cleanErr(err)
	}
	return resp.StatusCode, data, nil
}

// Probe asks the server at cfg.Endpoints[0] a handful of fixed requests
// and reports what it really does: GET /models (model ids, max_model_len
// or llama.cpp's meta.n_ctx), GET /props (llama.cpp's n_ctx), an echo
// scoring request of ProbeText with max_tokens 0 (prompt log-probs, what
// max_tokens 0 does, the log-probs format), two greedy generations (stop
// strings), POST /tokenize and a one-token chat request. cfg.Model may be
// empty when /models lists exactly one model. An unreachable server, a
// refused key or an unknown model is an error; what the server lacks is
// in the report, not an error.
func Probe(ctx context.Context, cfg Config) (*Report, error) {
	if len(cfg.Endpoints) == 0 {
		return nil, fmt.Errorf("apilm: no endpoint: give the server's base URL, e.g. api:http://host:8000/v1")
	}
	base, err := normalizeBase(cfg.Endpoints[0])
	if err != nil {
		return nil, err
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = time.Minute
	}
	client := cfg.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: timeout}
	}
	p := &prober{client: client, key: cfg.APIKey, base: base, root: base[:strings.LastIndex(base, "/")]}
	if strings.HasSuffix(p.root, ":") || strings.HasSuffix(p.root, "/") { // base had no path element to drop
		p.root = base
	}
	r := &Report{Endpoint: base, Server: "unknown", Model: cfg.Model, MaxTokensZero: "untested", Stop: "untested", LogprobsFormat: "none"}
	if err := p.models(ctx, r); err != nil {
		return nil, err
	}
	if r.Window == 0 {
		p.props(ctx, r)
	}
	p.tokenize(ctx, r)
	p.score(ctx, r, cfg.EchoMaxTokens)
	p.stop(ctx, r)
	p.chat(ctx, r)
	if r.Window == 0 {
		r.Notes = append(r.Notes, fmt.Sprintf("no source gives the context window (/models max_model_len, /props n_ctx, /models meta.n_ctx): kshot assumes %d tokens; give the real one with --api-max-length", DefaultMaxLength))
	}
	r.Fingerprint = r.fingerprint()
	return r, nil
}

// models reads GET /models: ids, the server, the window.
func (p *prober) models(ctx context.Context, r *Report) error {
	code, body, err := p.call(ctx, http.MethodGet, p.base+"/models", nil)
	if err != nil {
		return fmt.Errorf("apilm: endpoint %s is not reachable: %v (is the server running? check api:URL)", p.base, err)
	}
	switch {
	case code == http.StatusNotFound || code == http.StatusMethodNotAllowed:
		r.Notes = append(r.Notes, "the server has no GET /models")
		if r.Model == "" {
			return fmt.Errorf("apilm: endpoint %s lists no models (no GET /models): give the model name with --api-model", p.base)
		}
		return nil
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return fmt.Errorf("apilm: endpoint %s refused the API key (HTTP %d): set it in OPENAI_API_KEY or the variable named by --api-key-env", p.base, code)
	case code != http.StatusOK:
		return fmt.Errorf("apilm: endpoint %s: GET /models: HTTP %d: %s", p.base, code, errorMessage(body))
	}
	var list struct {
		Data []struct {
			modelCard
			Meta struct {
				NCtx int `json:"n_ctx"`
			} `json:"meta"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &list); err != nil {
		return fmt.Errorf("apilm: endpoint %s: GET /models answered malformed JSON: %v", p.base, err)
	}
	r.Models = []string{}
	for _, c := range list.Data {
		r.Models = append(r.Models, c.ID)
	}
	if r.Model == "" {
		if len(list.Data) != 1 {
			return fmt.Errorf("apilm: endpoint %s serves %s: choose one with --api-model", p.base, quoteList(r.Models))
		}
		r.Model = list.Data[0].ID
	}
	for _, c := range list.Data {
		if c.ID != r.Model {
			continue
		}
		r.Server = serverName(c.OwnedBy)
		r.kshotFingerprint = c.Fingerprint
		switch {
		case c.MaxModelLen > 0:
			r.Window, r.WindowSource = c.MaxModelLen, "GET /models max_model_len"
		case c.Meta.NCtx > 0:
			r.Window, r.WindowSource = c.Meta.NCtx, "GET /models meta.n_ctx"
		}
		return nil
	}
	return fmt.Errorf("apilm: endpoint %s does not serve model %q (it serves %s): check --api-model", p.base, r.Model, quoteList(r.Models))
}

// serverName names the server software from /models owned_by.
func serverName(ownedBy string) string {
	switch ownedBy {
	case "kshot":
		return "kshot serve"
	case "vllm":
		return "vLLM"
	case "llamacpp":
		return "llama.cpp"
	case "openai", "system", "openai-internal":
		return "OpenAI"
	}
	return "unknown"
}

// props reads llama.cpp's GET /props default_generation_settings.n_ctx.
func (p *prober) props(ctx context.Context, r *Report) {
	code, body, err := p.call(ctx, http.MethodGet, p.root+"/props", nil)
	if err != nil || code != http.StatusOK {
		return
	}
	var props struct {
		Settings struct {
			NCtx int `json:"n_ctx"`
		} `json:"default_generation_settings"`
	}
	if json.Unmarshal(body, &props) == nil && props.Settings.NCtx > 0 {
		r.Window, r.WindowSource = props.Settings.NCtx, "GET /props default_generation_settings.n_ctx"
		if r.Server == "unknown" {
			r.Server = "llama.cpp"
		}
	}
}

// tokenize asks POST {root}/tokenize (llama.cpp: content; vLLM: model
// and prompt) for ProbeText's tokens.
func (p *prober) tokenize(ctx context.Context, r *Report) {
	code, body, err := p.call(ctx, http.MethodPost, p.root+"/tokenize",
		map[string]any{"model": r.Model, "prompt": ProbeText, "content": ProbeText, "add_special_tokens": false})
	if err != nil || code != http.StatusOK {
		return
	}
	var ans struct {
		Tokens      []int `json:"tokens"`
		MaxModelLen int   `json:"max_model_len"`
	}
	if json.Unmarshal(body, &ans) != nil || len(ans.Tokens) == 0 {
		return
	}
	r.Tokenize, r.ProbeTokens, r.ProbeTokenCount = true, ans.Tokens, len(ans.Tokens)
	if r.Window == 0 && ans.MaxModelLen > 0 {
		r.Window, r.WindowSource = ans.MaxModelLen, "POST /tokenize max_model_len"
	}
}
