package apilm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/kshot-eval/kshot/eval"
)

// Config configures an LM. Zero values take the defaults given.
type Config struct {
	// Endpoints are the servers' base URLs, e.g. http://host:8000/v1
	// (a URL without a path gets /v1; a trailing /completions is
	// dropped). Every endpoint must serve the same model.
	Endpoints []string
	// Model is the model name sent with every request (vLLM's
	// --served-model-name, kshot serve's --name).
	Model string
	// APIKey is sent as "Authorization: Bearer …" when not empty.
	APIKey string
	// Concurrency is the number of requests in flight per endpoint
	// (default 4).
	Concurrency int
	// Timeout bounds one HTTP request (default 5 minutes).
	Timeout time.Duration
	// Retries is the number of retries of a request after a 429, a 5xx,
	// a timeout or a connection failure (default 4; negative: none).
	Retries int
	// Backoff is the delay before the first retry, doubled for each
	// further one up to 30s (default 500ms). A Retry-After header of up
	// to 60s takes precedence.
	Backoff time.Duration
	// Tokenizer, when given, must be the served model's tokenizer: it
	// checks the server's tokenization of every loglikelihood request,
	// cuts contexts longer than the window from the left as the built-in
	// decoder does, and cuts rolling texts into windows of token ids.
	Tokenizer eval.Tokenizer
	// MaxLength is the context window in tokens used to cut windows and
	// contexts. 0: the max_model_len the endpoints report in /models
	// (kshot serve: as is; other servers: less 1+EchoMaxTokens, since
	// they count the whole prompt plus the generated tokens against it),
	// else 2048.
	MaxLength int
	// EchoMaxTokens is the max_tokens sent with echo scoring requests
	// (default 0). Servers that refuse 0, like recent vLLM releases,
	// need 1; the generated token is ignored.
	EchoMaxTokens int
	// HTTPClient replaces the default client (whose timeout is Timeout).
	HTTPClient *http.Client
	// Probe is what Probe found out about the first endpoint (Open sets
	// it). With it the model name may be left empty (the one model the
	// server lists), the window comes from any source the probe found,
	// scoring sends the max_tokens the server accepts, the window keeps
	// room for the tokens a scoring request generates, and loglikelihood
	// and rolling requests on a server without prompt log-probabilities
	// are refused without a request, with the probe's reason.
	Probe *Report
	// Fingerprint, when set, pins the fingerprint of the served model in
	// the cache key (--api-fingerprint) instead of the probe's.
	Fingerprint string
	// Chat, when set, sends generation requests to POST /chat/completions
	// (the server's chat template applies) instead of /completions;
	// loglikelihood and rolling requests are then refused, since chat
	// endpoints give no log-probabilities of a given text.
	Chat *ChatOptions
}

// ChatOptions are the settings of generation through a chat endpoint.
type ChatOptions struct {
	// SystemPrompt, when not empty, is sent as a system message before
	// the prompt.
	SystemPrompt string
	// FewshotAsMultiturn sends a few-shot prompt as a conversation, as
	// lm-evaluation-harness's fewshot_as_multiturn does: the task's
	// description (after SystemPrompt and the few-shot delimiter) as the
	// system message, each example's text as a user turn and its target
	// as the assistant's answer, then the query as the last user turn.
	// Without it the whole prompt is one user message.
	FewshotAsMultiturn bool
}

// String describes o as recorded in results, e.g.
// `chat/completions, few-shot as multi-turn, system prompt "Be brief."`.
func (o *ChatOptions) String() string {
	s := "chat/completions"
	if o.FewshotAsMultiturn {
		s += ", few-shot as multi-turn"
	}
	if o.SystemPrompt != "" {
		s += fmt.Sprintf(", system prompt %q", o.SystemPrompt)
	}
	return s
}

// LM is an eval.LanguageModel served by OpenAI-compatible completions
// endpoints. It is safe for concurrent use.
type LM struct {
	cfg      Config
	eps      []*endpoint
	client   *http.Client
	info     eval.ModelInfo
	eotText  string
	tokens   atomic.Int64
	noPrompt atomic.Bool // an endpoint returned no prompt log-probabilities
	refusal  error       // why scoring cannot work (from the probe), nil when it may
}

// endpoint is one server.
type endpoint struct {
	base      string       // base URL, e.g. http://host:8000/v1
	downUntil atomic.Int64 // unix nanoseconds before which no request is sent
}

// DefaultMaxLength is the context window assumed when neither the
// configuration nor the endpoints give one (GPT-3's).
const DefaultMaxLength = 2048

// New checks cfg, asks every endpoint's /models whether it serves
// cfg.Model (a server without /models is accepted) and returns the LM.
// An endpoint that cannot be reached, refuses the key or serves another
// model is an error naming it.
func New(cfg Config) (*LM, error) {
	if len(cfg.Endpoints) == 0 {
		return nil, errors.New("apilm: no endpoint: give the server's base URL, e.g. --model api:http://host:8000/v1")
	}
	if cfg.Model == "" && cfg.Probe != nil {
		cfg.Model = cfg.Probe.Model
	}
	if cfg.Model == "" {
		return nil, errors.New("apilm: no model name: give the name the server serves with --api-model (GET <base>/models lists them)")
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 4
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Minute
	}
	switch {
	case cfg.Retries == 0:
		cfg.Retries = 4
	case cfg.Retries < 0:
		cfg.Retries = 0
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 500 * time.Millisecond
	}
	if cfg.Probe != nil && cfg.EchoMaxTokens == 0 {
		cfg.EchoMaxTokens = cfg.Probe.EchoMaxTokens
	}
	if cfg.EchoMaxTokens < 0 {
		return nil, fmt.Errorf("apilm: echo max_tokens %d is negative", cfg.EchoMaxTokens)
	}
	if cfg.MaxLength < 0 {
		return nil, fmt.Errorf("apilm: context window %d is negative", cfg.MaxLength)
	}
	m := &LM{cfg: cfg, client: cfg.HTTPClient, eotText: "<|endoftext|>"}
	if m.client == nil {
		m.client = &http.Client{Timeout: cfg.Timeout}
	}
	if tok := cfg.Tokenizer; tok != nil && tok.EOT() >= 0 {
		m.eotText = tok.Decode([]int{tok.EOT()})
	}
	seen := map[string]bool{}
	for _, e := range cfg.Endpoints {
		base, err := normalizeBase(e)
		if err != nil {
			return nil, err
		}
		if !seen[base] {
			seen[base] = true
			m.eps = append(m.eps, &endpoint{base: base})
		}
	}
	var cards []modelCard
	for _, ep := range m.eps {
		c, err := m.probe(ep)
		if err != nil {
			return nil, err
		}
		if c != nil {
			cards = append(cards, *c)
		}
	}
	// window is the server's context window: prompt plus generated
	// tokens. kshot serve scores window+1 tokens with max_tokens 0; other
	// servers count the whole prompt (window+1 tokens for a full
	// scoring window) plus what a scoring request generates against it.
	window, kshotServe := cfg.MaxLength, false
	generates := cfg.EchoMaxTokens
	if pr := cfg.Probe; pr != nil {
		kshotServe = pr.Server == "kshot serve"
		generates = max(generates, pr.ScoringGenerates)
	}
	fp, params := "", int64(0)
	for i, c := range cards {
		if i > 0 && (c.MaxModelLen != cards[0].MaxModelLen || c.Fingerprint != cards[0].Fingerprint) {
			return nil, fmt.Errorf("apilm: the endpoints serve different models under the name %q (context %d and %d tokens, fingerprints %q and %q): every --endpoint must serve the same checkpoint",
				cfg.Model, cards[0].MaxModelLen, c.MaxModelLen, cards[0].Fingerprint, c.Fingerprint)
		}
		fp, params = c.Fingerprint, c.Parameters
		kshotServe = kshotServe || c.OwnedBy == "kshot"
		if window == 0 && c.MaxModelLen > 0 {
			window = c.MaxModelLen
		}
	}
	if window == 0 && cfg.Probe != nil {
		window = cfg.Probe.Window
	}
	maxLen := window
	if window > 0 && !kshotServe {
		maxLen = window - 1 - generates
		if maxLen < 1 {
			return nil, fmt.Errorf("apilm: a context window of %d tokens leaves no room to score a token (the server counts the prompt and %d generated token(s) against it): check --api-max-length", window, generates)
		}
	}
	if maxLen <= 0 {
		maxLen = DefaultMaxLength
	}
	m.cfg.MaxLength = maxLen
	switch {
	case cfg.Fingerprint != "":
		fp = cfg.Fingerprint
	case cfg.Probe != nil && fp == "":
		fp = cfg.Probe.Fingerprint
	case cfg.Probe != nil:
		fp += "|" + cfg.Probe.Fingerprint
	}
	if fp == "" {
		fp = "api:" + cfg.Model
	}
	if cfg.Chat != nil {
		fp += "|" + cfg.Chat.String()
	}
	if cfg.Probe != nil {
		m.refusal = cfg.Probe.Refusal(eval.Loglikelihood{})
	}
	if cfg.Chat != nil {
		m.refusal = chatRefusal(eval.Loglikelihood{})
	}
	srcs := make([]string, len(m.eps))
	for i, ep := range m.eps {
		srcs[i] = ep.base
	}
	source := strings.Join(srcs, " ")
	if cfg.Chat != nil {
		source += " (" + cfg.Chat.String() + ")"
	}
	m.info = eval.ModelInfo{Name: shortName(cfg.Model), Source: source, Parameters: params,
		MaxLength: maxLen, Fingerprint: fp}
	if c := cfg.Chat; c != nil {
		m.info.Chat = &eval.ChatInfo{Endpoint: m.eps[0].base + "/chat/completions",
			SystemInstruction: c.SystemPrompt, FewshotAsMultiturn: c.FewshotAsMultiturn}
	}
	return m, nil
}

// normalizeBase turns an endpoint URL into a base URL ending in /v1 (or
// the path given).
func normalizeBase(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("apilm: endpoint %q is not an http(s) URL (want e.g. http://host:8000/v1)", raw)
	}
	if u.User != nil {
		return "", fmt.Errorf("apilm: endpoint %s://%s: put the API key in an environment variable (--api-key-env), not in the URL", u.Scheme, u.Host)
	}
	u.RawQuery, u.Fragment = "", ""
	p := strings.TrimRight(u.Path, "/")
	p = strings.TrimSuffix(p, "/completions")
	if p == "" {
		p = "/v1"
	}
	u.Path = p
	return u.String(), nil
}

// shortName is a model name usable as a directory name: the part after
// the last slash ("org/model" → "model").
func shortName(model string) string {
	n := model[strings.LastIndex(model, "/")+1:]
	n = strings.Map(func(r rune) rune {
		if r == '\\' || r == ':' || r < ' ' {
			return '_'
		}
		return r
	}, n)
	if n == "" || n == "." || n == ".." {
		return "api-model"
	}
	return n
}

// modelCard is an entry of GET /models: OpenAI's id and owned_by, vLLM's
// max_model_len and kshot serve's extensions (kshot serve is owned_by
// "kshot" and scores max_model_len+1 tokens with max_tokens 0).
type modelCard struct {
	ID          string `json:"id"`
	OwnedBy     string `json:"owned_by"`
	MaxModelLen int    `json:"max_model_len"`
	Fingerprint string `json:"kshot_fingerprint"`
	Parameters  int64  `json:"kshot_parameters"`
}

// probe asks ep for its models; nil without error when the server has no
// /models.
func (m *LM) probe(ep *endpoint) (*modelCard, error) {
	ctx, cancel := context.WithTimeout(context.Background(), min(m.cfg.Timeout, 30*time.Second))
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ep.base+"/models", nil)
	if err != nil {
		return nil, fmt.Errorf("apilm: endpoint %s: %v", ep.base, err)
	}
	m.authorize(req)
	resp, err := m.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("apilm: endpoint %s is not reachable: %v (is the server running? check --model api:URL and --endpoint)", ep.base, cleanErr(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return nil, fmt.Errorf("apilm: endpoint %s: reading GET /models: %v", ep.base, cleanErr(err))
	}
	switch {
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusMethodNotAllowed:
		return nil, nil
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return nil, fmt.Errorf("apilm: endpoint %s refused the API key (HTTP %d): set it in OPENAI_API_KEY or the variable named by --api-key-env", ep.base, resp.StatusCode)
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("apilm: endpoint %s: GET /models: HTTP %d: %s", ep.base, resp.StatusCode, errorMessage(body))
	}
	var list struct {
		Data []modelCard `json:"data"`
	}
	if err := json.Unmarshal(body, &list); err != nil {
		return nil, fmt.Errorf("apilm: endpoint %s: GET /models answered malformed JSON: %v", ep.base, err)
	}
	var ids []string
	for _, c := range list.Data {
		if c.ID == m.cfg.Model {
			return &c, nil
		}
		ids = append(ids, c.ID)
	}
	sort.Strings(ids)
	return nil, fmt.Errorf("apilm: endpoint %s does not serve model %q (it serves %s): check --api-model", ep.base, m.cfg.Model, quoteList(ids))
}

func quoteList(ss []string) string {
	if len(ss) == 0 {
		return "no model"
	}
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}

func (m *LM) authorize(req *http.Request) {
	if m.cfg.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+m.cfg.APIKey)
	}
}

// Info implements eval.LanguageModel. Parameters is 0 unless the server
// reports it (kshot serve does).
func (m *LM) Info() eval.ModelInfo { return m.info }

// MaxLength returns the context window in tokens the LM cuts to.
func (m *LM) MaxLength() int { return m.cfg.MaxLength }

// TokensProcessed returns the tokens the servers report having processed
// (usage.total_tokens summed), for progress reports.
func (m *LM) TokensProcessed() int64 { return m.tokens.Load() }

// CacheKey identifies the served model for the request cache: the model
// name, the context window (which decides truncation and windows),
// whether a tokenizer cuts requests, and kshot serve's fingerprint of the
// checkpoint when the server reports one. It never contains the API key.
func (m *LM) CacheKey() string {
	tok := "text"
	if m.cfg.Tokenizer != nil {
		tok = "tokens"
	}
	return fmt.Sprintf("api|%s|window=%d|%s|%s", m.cfg.Model, m.cfg.MaxLength, tok, m.info.Fingerprint)
}

// CountTokens implements eval.TokenCounter (for --shots max): the
// configured tokenizer's count, else the text's length in bytes, an upper
// bound for byte-level BPE tokenizers.
func (m *LM) CountTokens(text string) int {
	if m.cfg.Tokenizer != nil {
		return len(m.cfg.Tokenizer.Encode(text))
	}
	return len(text)
}

// CountsApprox implements eval.ApproxCounter: without a tokenizer
// CountTokens is only an upper bound.
func (m *LM) CountsApprox() bool { return m.cfg.Tokenizer == nil }

// Open probes the server at cfg.Endpoints[0] (see Probe), then returns
// New's LM configured with what the probe found.
func Open(ctx context.Context, cfg Config) (*LM, error) {
	if cfg.Probe == nil {
		r, err := Probe(ctx, cfg)
		if err != nil {
			return nil, err
		}
		cfg.Probe = r
	}
	return New(cfg)
}

// Report returns the probe's report, nil when the LM was made without
// one.
func (m *LM) Report() *Report { return m.cfg.Probe }

// Refusal returns nil when requests of req's kind can run on the
// server, else the reason they cannot (see Report.Refusal). Call it for
// every task's request kinds before the first task starts.
func (m *LM) Refusal(req eval.Request) error {
	if m.cfg.Chat != nil {
		return chatRefusal(req)
	}
	if m.cfg.Probe == nil {
		return nil
	}
	return m.cfg.Probe.Refusal(req)
}

// chatRefusal is why req cannot run through a chat endpoint, nil for a
// generation request.
func chatRefusal(req eval.Request) error {
	switch r := req.(type) {
	case eval.Generate:
		if len(r.Exclude) > 0 {
			return fmt.Errorf("apilm: banning words at the first generated token cannot be expressed through a chat endpoint: run this task without --api-chat")
		}
		if !r.Decoding.IsGreedy() {
			return fmt.Errorf("apilm: decoding rule %s is not passed to chat endpoints yet: use greedy decoding, or run this task without --api-chat", r.Decoding)
		}
		return nil
	case eval.Loglikelihood, eval.MultipleChoice, eval.Rolling:
		return fmt.Errorf("apilm: %T requests need the log-probabilities of a given text, which chat endpoints (/chat/completions) do not give: run this task without --api-chat, on a server with prompt log-probabilities (kshot serve, vLLM)", r)
	}
	panic(fmt.Sprintf("apilm: unknown request kind %T", req))
}
