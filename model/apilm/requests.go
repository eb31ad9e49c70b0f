package apilm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kshot-eval/kshot/eval"
)

// scoring is one echo request and how to read its answer.
type scoring struct {
	prompt    string // text prompt, when ids is nil
	ids       []int  // token-id prompt
	from      int    // first scored token (ids) or character (text)
	wantTotal int    // prompt tokens the tokenizer expects (-1: not checked)
	wantCont  int    // scored tokens the tokenizer expects (-1: not checked)
	greedy    bool   // the greedy flag is needed (logprobs 1)
	maxScored int    // > 0: at most this many scored tokens
}

// scored is what an echo answer says about the scored tokens.
type scored struct {
	logprob float64 // natural log
	greedy  bool
	tokens  int
}

func (m *LM) scoreBody(s *scoring) []byte {
	lp := 0
	if s.greedy {
		lp = 1
	}
	var prompt any = s.prompt
	if s.ids != nil {
		prompt = s.ids
	}
	return mustJSON(completionRequest{Model: m.cfg.Model, Prompt: prompt, MaxTokens: m.cfg.EchoMaxTokens, Echo: true, Logprobs: &lp})
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("apilm: encoding a request: %v", err))
	}
	return b
}

// isPySpace reports whether r is whitespace for Python's str.rstrip, as
// eval.EncodePair uses it.
func isPySpace(r rune) bool {
	return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f)
}

// firstChoice returns the choice with index 0.
func firstChoice(c *completion) (text string, lp *logprobs) {
	ch := c.Choices[0]
	for _, x := range c.Choices {
		if x.Index == 0 {
			ch = x
			break
		}
	}
	if ch.Message != nil && ch.Text == "" {
		return ch.Message.Content, nil // a chat answer
	}
	return ch.Text, ch.Logprobs
}

// readScore reads the scored tokens of an echo answer.
func readScore(c *completion, s *scoring) (scored, error) {
	text, lp := firstChoice(c)
	if lp == nil || len(lp.Tokens) == 0 {
		return scored{}, fmt.Errorf("%w (the answer has no logprobs)", ErrNoPromptLogprobs)
	}
	n := len(lp.Tokens)
	switch {
	case len(lp.TokenLogprobs) != n:
		return scored{}, fmt.Errorf("the answer has %d token_logprobs for %d tokens", len(lp.TokenLogprobs), n)
	case s.greedy && len(lp.TopLogprobs) != n:
		return scored{}, fmt.Errorf("the answer has %d top_logprobs for %d tokens", len(lp.TopLogprobs), n)
	}
	var first, end int // scored tokens: [first, end)
	if s.ids != nil {
		if n < len(s.ids) {
			return scored{}, fmt.Errorf("%w (the answer has %d tokens for a prompt of %d token ids)", ErrNoPromptLogprobs, n, len(s.ids))
		}
		first, end = s.from, len(s.ids)
	} else {
		if len(lp.TextOffset) != n {
			return scored{}, fmt.Errorf("the answer has %d text_offset entries for %d tokens", len(lp.TextOffset), n)
		}
		if !strings.HasPrefix(text, s.prompt) {
			return scored{}, fmt.Errorf("%w (the answer's text does not echo the prompt)", ErrNoPromptLogprobs)
		}
		if lp.TextOffset[0] != 0 {
			return scored{}, fmt.Errorf("the answer's first token starts at character %d, not 0", lp.TextOffset[0])
		}
		promptChars := utf8.RuneCountInString(s.prompt)
		first = -1
		for t, off := range lp.TextOffset {
			if t > 0 && off < lp.TextOffset[t-1] {
				return scored{}, fmt.Errorf("the answer's text_offset decreases at token %d (%d after %d)", t, off, lp.TextOffset[t-1])
			}
			if off >= promptChars {
				break
			}
			if first < 0 && off >= s.from {
				first = t
			}
			end = t + 1
		}
		if first < 0 {
			return scored{}, fmt.Errorf("%w: no token of the answer starts in the continuation (at character %d or later)", ErrTokenizerMismatch, s.from)
		}
		if off := lp.TextOffset[first]; off != s.from {
			return scored{}, fmt.Errorf("%w: token %d %q starts at character %d, inside the context, and ends in the continuation, which starts at character %d (the server tokenizes context+continuation across the boundary)",
				ErrTokenizerMismatch, first-1, lp.Tokens[first-1], lp.TextOffset[first-1], s.from)
		}
	}
	if (s.wantTotal >= 0 && end != s.wantTotal) || (s.wantCont >= 0 && end-first != s.wantCont) {
		return scored{}, fmt.Errorf("%w: the server split the prompt into %d tokens (%d scored), the configured tokenizer into %d (%d scored): the served model's tokenizer is not the one given to kshot",
			ErrTokenizerMismatch, end, end-first, s.wantTotal, s.wantCont)
	}
	if s.maxScored > 0 && end-first > s.maxScored {
		return scored{}, fmt.Errorf("the text is %d tokens, more than the %d-token window: give kshot the model's tokenizer (--api-tokenizer DIR) so that it can cut the text into windows", end-first, s.maxScored)
	}
	r := scored{greedy: true, tokens: end - first}
	for t := first; t < end; t++ {
		v := lp.TokenLogprobs[t]
		if v == nil {
			return scored{}, fmt.Errorf("%w (token %d %q has a null log-probability)", ErrNoPromptLogprobs, t, lp.Tokens[t])
		}
		r.logprob += *v
		if s.greedy {
			top := lp.TopLogprobs[t]
			if top == nil {
				return scored{}, fmt.Errorf("the answer's top_logprobs is null at token %d %q", t, lp.Tokens[t])
			}
			r.greedy = r.greedy && isTop(top, lp.Tokens[t])
		}
	}
	return r, nil
}

// isTop reports whether tok has the highest log-probability in top.
func isTop(top map[string]float64, tok string) bool {
	v, ok := top[tok]
	if !ok {
		return false
	}
	for _, x := range top {
		if x > v {
			return false
		}
	}
	return true
}

// planLoglikelihood builds the echo request of r (see the package
// documentation).
func (m *LM) planLoglikelihood(r eval.Loglikelihood) (*scoring, error) {
	ctx, cont := r.Context, r.Continuation
	trimmed := strings.TrimRightFunc(ctx, isPySpace)
	ctx, cont = trimmed, ctx[len(trimmed):]+cont
	if cont == "" {
		return nil, errors.New("the continuation is empty")
	}
	s := &scoring{wantTotal: -1, wantCont: -1, greedy: true}
	if tok := m.cfg.Tokenizer; tok != nil {
		maxLen := m.cfg.MaxLength
		c, k := eval.EncodePair(tok, eval.Loglikelihood{Context: ctx, Continuation: cont})
		if len(k) == 0 {
			return nil, fmt.Errorf("continuation %q encodes to no tokens", r.Continuation)
		}
		if len(k) > maxLen {
			return nil, fmt.Errorf("continuation is %d tokens, longer than the model's window of %d (shorten the target or use a model with a longer context)", len(k), maxLen)
		}
		all := append(append(make([]int, 0, len(c)+len(k)), c...), k...)
		if len(all) > maxLen+1 || (ctx == "" && tok.EOT() < 0) {
			// Cut the context from the left as the built-in decoder does,
			// and send token ids (a vocabulary without end-of-text takes
			// the continuation's first token as context).
			if len(all) > maxLen+1 {
				all = all[len(all)-(maxLen+1):]
			}
			s.ids, s.from = all, len(all)-len(k)
			return s, nil
		}
		s.wantTotal, s.wantCont = len(all), len(k)
	}
	if ctx == "" {
		ctx = m.eotText
	}
	s.prompt, s.from = ctx+cont, utf8.RuneCountInString(ctx)
	return s, nil
}

// clip quotes s shortened to about n characters, keeping its end (tail)
// or its start.
func clip(s string, n int, tail bool) string {
	r := []rune(s)
	if len(r) <= n {
		return fmt.Sprintf("%q", s)
	}
	if tail {
		return fmt.Sprintf("…%q", string(r[len(r)-n:]))
	}
	return fmt.Sprintf("%q…", string(r[:n]))
}

// scoreAll sends the echo requests and reads their answers.
func (m *LM) scoreAll(ctx context.Context, plans []*scoring, descs []string) ([]scored, error) {
	if m.refusal != nil {
		return nil, m.refusal
	}
	if m.noPrompt.Load() {
		return nil, fmt.Errorf("apilm: %w", ErrNoPromptLogprobs)
	}
	jobs := make([]job, len(plans))
	for i, s := range plans {
		jobs[i] = job{desc: descs[i], body: m.scoreBody(s)}
	}
	ans, err := m.do(ctx, jobs)
	if err != nil {
		var se *StatusError
		if errors.As(err, &se) && se.Code >= 400 && se.Code < 500 && se.Code != 429 {
			err = fmt.Errorf("%w (loglikelihood and perplexity tasks need prompt log-probabilities: echo with logprobs and max_tokens %d; a server that refuses max_tokens 0 needs --api-echo-max-tokens 1, and one that cannot echo log-probabilities runs only generation tasks)", err, m.cfg.EchoMaxTokens)
		}
		return nil, err
	}
	out := make([]scored, len(plans))
	for i, a := range ans {
		sc, err := readScore(a.c, plans[i])
		if err != nil {
			if errors.Is(err, ErrNoPromptLogprobs) {
				m.noPrompt.Store(true)
			}
			return nil, &RequestError{Endpoint: a.endpoint, Request: descs[i], Attempts: 1, Err: err}
		}
		out[i] = sc
	}
	return out, nil
}

// Loglikelihood implements eval.LanguageModel.
func (m *LM) Loglikelihood(ctx context.Context, reqs []eval.Loglikelihood) ([]eval.LoglikelihoodResult, error) {
	plans := make([]*scoring, len(reqs))
	descs := make([]string, len(reqs))
	for i, r := range reqs {
		descs[i] = fmt.Sprintf("loglikelihood request %d of %d (context %s, continuation %s)", i+1, len(reqs), clip(r.Context, 40, true), clip(r.Continuation, 40, false))
		s, err := m.planLoglikelihood(r)
		if err != nil {
			return nil, fmt.Errorf("apilm: %s: %w", descs[i], err)
		}
		plans[i] = s
	}
	res, err := m.scoreAll(ctx, plans, descs)
	if err != nil {
		return nil, err
	}
	out := make([]eval.LoglikelihoodResult, len(reqs))
	for i, r := range res {
		out[i] = eval.LoglikelihoodResult{LogProb: r.logprob, Greedy: r.greedy, Tokens: r.tokens}
	}
	return out, nil
}

// Rolling implements eval.LanguageModel. With a tokenizer the windows are
// eval.RollingWindows' and are sent as token ids; without one the whole
// text is one request and must fit the window.
func (m *LM) Rolling(ctx context.Context, reqs []eval.Rolling) ([]eval.RollingResult, error) {
	var plans []*scoring
	var descs []string
	var owner []int
	tok := m.cfg.Tokenizer
	for i, r := range reqs {
		desc := fmt.Sprintf("rolling request %d of %d (text %s)", i+1, len(reqs), clip(r.Text, 40, false))
		if r.Stride < 0 {
			return nil, fmt.Errorf("apilm: %s: rolling stride %d is negative", desc, r.Stride)
		}
		if tok == nil {
			if r.Text == "" {
				continue
			}
			plans = append(plans, &scoring{prompt: m.eotText + r.Text, from: utf8.RuneCountInString(m.eotText),
				wantTotal: -1, wantCont: -1, maxScored: m.cfg.MaxLength})
			descs, owner = append(descs, desc), append(owner, i)
			continue
		}
		var prefix []int
		if eot := tok.EOT(); eot >= 0 {
			prefix = []int{eot}
		}
		wins := eval.RollingWindows(tok.Encode(r.Text), prefix, m.cfg.MaxLength, r.Stride)
		for w, win := range wins {
			plans = append(plans, &scoring{ids: win.Tokens, from: win.From, wantTotal: -1, wantCont: -1})
			descs = append(descs, fmt.Sprintf("%s, window %d of %d", desc, w+1, len(wins)))
			owner = append(owner, i)
		}
	}
	res, err := m.scoreAll(ctx, plans, descs)
	if err != nil {
		return nil, err
	}
	out := make([]eval.RollingResult, len(reqs))
	for j, r := range res {
		out[owner[j]].LogProb += r.logprob
		out[owner[j]].Tokens += r.tokens
	}
	return out, nil
}

// Generate implements eval.LanguageModel: greedy decoding (temperature 0)
// with the request's stop strings, which are also applied to the answer.
// A sampled request passes its temperature, top_p, top_k (when it cuts;
// vLLM and llama.cpp read it) and seed through; the server's sampler then
// decides the tokens, so they are reproducible on that server but not
// those of the built-in decoder. Beam search is refused (the completions
// API has none), and so are requests with Exclude: the API's logit_bias
// would ban those words at every step, not only the first.
func (m *LM) Generate(ctx context.Context, reqs []eval.Generate) ([]eval.GenerateResult, error) {
	if m.cfg.Chat != nil {
		for _, r := range reqs {
			if err := chatRefusal(r); err != nil {
				return nil, err
			}
		}
	}
	maxLen := m.cfg.MaxLength
	tok := m.cfg.Tokenizer
	jobs := make([]job, len(reqs))
	for i, r := range reqs {
		desc := fmt.Sprintf("generate request %d of %d (context %s)", i+1, len(reqs), clip(r.Context, 40, true))
		if len(r.Exclude) > 0 {
			return nil, fmt.Errorf("apilm: %s: banning %d words (e.g. %q) at the first generated token cannot be expressed through the completions API, whose logit_bias applies to every token: run this task with the built-in decoder", desc, len(r.Exclude), r.Exclude[0])
		}
		if err := r.Decoding.Validate(); err != nil {
			return nil, fmt.Errorf("apilm: %s: %w", desc, err)
		}
		if r.Decoding.Method == eval.DecodeBeam {
			return nil, fmt.Errorf("apilm: %s: %s cannot be asked of an API server (the completions API has no beam search): run this task with the built-in decoder", desc, r.Decoding)
		}
		budget := r.MaxTokens
		if budget <= 0 {
			budget = eval.DefaultMaxGenTokens
		}
		budget = min(budget, maxLen-1)
		var prompt any = r.Context
		if r.Context == "" {
			prompt = m.eotText
		}
		if tok != nil {
			p := []int{tok.EOT()}
			if r.Context != "" {
				p = tok.Encode(r.Context)
			}
			if len(p) == 0 || p[0] < 0 {
				return nil, fmt.Errorf("apilm: %s: generation needs a non-empty context with a model that has no end-of-text token", desc)
			}
			if keep := maxLen - budget; len(p) > keep {
				prompt = p[len(p)-keep:] // cut from the left, as the built-in decoder does
			}
		}
		var stop []string
		for _, u := range r.Until {
			if u != "" {
				stop = append(stop, u)
			}
		}
		if m.cfg.Chat != nil {
			jobs[i] = m.chatJob(desc, r, budget, stop)
			continue
		}
		body := completionRequest{Model: m.cfg.Model, Prompt: prompt, MaxTokens: budget, Stop: stop}
		if d := r.Decoding; d.Method == eval.DecodeSample {
			body.Temperature, body.TopP, body.TopK, body.Seed = d.Temperature, &d.TopP, d.TopK, &d.Seed
		}
		jobs[i] = job{desc: desc, body: mustJSON(body)}
	}
	ans, err := m.do(ctx, jobs)
	if err != nil {
		var se *StatusError
		switch {
		case m.cfg.Chat != nil && errors.As(err, &se) && (se.Code == 400 || se.Code == 422):
			err = fmt.Errorf("%w (a chat endpoint gets the whole conversation, which kshot cannot cut to the window as it cuts a completions prompt, since the server renders it: use fewer shots or a model with a longer window)", err)
		case tok == nil && errors.As(err, &se) && (se.Code == 400 || se.Code == 422):
			err = fmt.Errorf("%w (if the prompt and max_tokens do not fit the model's window, give kshot the model's tokenizer with --api-tokenizer DIR so that it cuts contexts from the left as the built-in decoder does)", err)
		}
		return nil, err
	}
	out := make([]eval.GenerateResult, len(reqs))
	for i, a := range ans {
		text, _ := firstChoice(a.c)
		out[i].Text, _ = eval.CutAtStop(text, reqs[i].Until)
	}
	return out, nil
}

// chatMessage is one message of a chat request.
type chatMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// chatRequest is the body of a chat generation request.
type chatRequest struct {
	Model       string        `json:"model"`
	Messages    []chatMessage `json:"messages"`
	MaxTokens   int           `json:"max_tokens"`
	Temperature float64       `json:"temperature"`
	Stop        []string      `json:"stop,omitempty"`
}

// chatJob is a generation request through /chat/completions; the
// server's chat template applies.
func (m *LM) chatJob(desc string, r eval.Generate, maxTokens int, stop []string) job {
	msgs := chatMessages(m.cfg.Chat, r)
	return job{desc: desc, chat: true, body: mustJSON(chatRequest{Model: m.cfg.Model, Messages: msgs, MaxTokens: maxTokens, Stop: stop})}
}

// chatMessages are the messages of r: the prompt as one user message
// after the system prompt, if any; with FewshotAsMultiturn and r.Parts,
// the conversation lm-evaluation-harness's fewshot_as_multiturn builds
// (see ChatOptions). A prompt without Parts (not built from few-shot
// examples) is one user message either way.
func chatMessages(o *ChatOptions, r eval.Generate) []chatMessage {
	var msgs []chatMessage
	p := r.Parts
	if !o.FewshotAsMultiturn || p == nil {
		if o.SystemPrompt != "" {
			msgs = append(msgs, chatMessage{Role: "system", Content: o.SystemPrompt})
		}
		return append(msgs, chatMessage{Role: "user", Content: r.Context})
	}
	if got := p.String(); got != r.Context {
		panic(fmt.Sprintf("apilm: a generation request's parts join to %q, not its context %q", got, r.Context))
	}
	system := o.SystemPrompt
	switch d := p.FewShot.Description; {
	case system != "" && d != "":
		system += p.FewShot.FewshotDelimiter + d
	case d != "":
		system = d
	}
	if system != "" {
		msgs = append(msgs, chatMessage{Role: "system", Content: system})
	}
	for _, e := range p.Examples {
		msgs = append(msgs, chatMessage{Role: "user", Content: e.Text}, chatMessage{Role: "assistant", Content: e.Target})
	}
	return append(msgs, chatMessage{Role: "user", Content: p.Query})
}
