package eval

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
)

// TokenLM is a LanguageModel built from a tokenizer and a token-level
// scorer. It implements the request contracts documented on each request
// kind (see Loglikelihood and Rolling).
type TokenLM struct {
	info   ModelInfo
	tok    Tokenizer
	scorer TokenScorer
	tokens atomic.Int64 // tokens sent through the model
}

// TokensProcessed returns the number of tokens the model has processed
// (scored sequences and generated tokens), for progress reports.
func (m *TokenLM) TokensProcessed() int64 { return m.tokens.Load() }

func (m *TokenLM) count(seqs []TokenSeq) {
	var n int64
	for _, s := range seqs {
		n += int64(len(s.Tokens))
	}
	m.tokens.Add(n)
}

// NewTokenLM returns a LanguageModel that tokenizes with tok and scores
// with scorer.
//
// A vocabulary without an end-of-text token (GPT-1's) cannot condition on
// "nothing": an empty context then takes the continuation's first token
// as context (that token is not scored), and a rolling text's first token
// is context only, so its log-likelihood covers the tokens after the first.
func NewTokenLM(info ModelInfo, tok Tokenizer, scorer TokenScorer) (*TokenLM, error) {
	if info.MaxLength == 0 {
		info.MaxLength = scorer.MaxLength()
	}
	return &TokenLM{info: info, tok: tok, scorer: scorer}, nil
}

// Info implements LanguageModel.
func (m *TokenLM) Info() ModelInfo { return m.info }

// SetInfo replaces the model's description (for example to name a model
// downloaded from the Hub after its repository rather than its snapshot
// directory).
func (m *TokenLM) SetInfo(info ModelInfo) { m.info = info }

// EncodePair returns the context and continuation tokens of a
// Loglikelihood request following the contracts documented there (before
// any truncation to the model's window).
func EncodePair(tok Tokenizer, req Loglikelihood) (ctxToks, contToks []int) {
	ctx, cont := req.Context, req.Continuation
	if ctx == "" {
		k := tok.Encode(cont)
		if tok.EOT() < 0 {
			if len(k) == 0 {
				return nil, nil
			}
			return k[:1], k[1:]
		}
		return []int{tok.EOT()}, k
	}
	trimmed := strings.TrimRightFunc(ctx, isSpace)
	if n := len(ctx) - len(trimmed); n > 0 {
		cont = ctx[len(trimmed):] + cont
		ctx = trimmed
	}
	whole := tok.Encode(ctx + cont)
	ctxToks = tok.Encode(ctx)
	if len(ctxToks) >= len(whole) {
		return ctxToks, nil
	}
	return ctxToks, whole[len(ctxToks):]
}

// Loglikelihood implements LanguageModel.
func (m *TokenLM) Loglikelihood(ctx context.Context, reqs []Loglikelihood) ([]LoglikelihoodResult, error) {
	maxLen := m.scorer.MaxLength()
	seqs := make([]TokenSeq, len(reqs))
	for i, r := range reqs {
		c, k := EncodePair(m.tok, r)
		if len(k) == 0 {
			return nil, fmt.Errorf("request %d: continuation %q encodes to no tokens", i, r.Continuation)
		}
		if len(k) > maxLen {
			return nil, fmt.Errorf("request %d: continuation is %d tokens, longer than the model's window of %d (shorten the target or use a model with a longer context)", i, len(k), maxLen)
		}
		all := append(append(make([]int, 0, len(c)+len(k)), c...), k...)
		if len(all) > maxLen+1 {
			all = all[len(all)-(maxLen+1):] // cut the context from the left
		}
		seqs[i] = TokenSeq{Tokens: all, From: len(all) - len(k)}
	}
	scores, err := m.scorer.Score(ctx, seqs)
	if err != nil {
		return nil, err
	}
	m.count(seqs)
	out := make([]LoglikelihoodResult, len(reqs))
	for i, s := range scores {
		out[i] = sumScores(s)
	}
	return out, nil
}

func sumScores(s TokenScores) LoglikelihoodResult {
	r := LoglikelihoodResult{Greedy: true, Tokens: len(s.LogProbs)}
	for t, lp := range s.LogProbs {
		r.LogProb += lp
		r.Greedy = r.Greedy && s.Greedy[t]
	}
	return r
}

// RollingWindows cuts a token list into the scoring windows of a Rolling
// request (see Rolling for the two modes). The list is scored as if
// preceded by prefix (the end-of-text token; with an empty prefix the
// first token is context only); each window is a TokenSeq of at most
// maxLen+1 tokens.
func RollingWindows(tokens, prefix []int, maxLen, stride int) []TokenSeq {
	seq := append(append(make([]int, 0, len(prefix)+len(tokens)), prefix...), tokens...)
	n := len(seq)
	var wins []TokenSeq
	a := 1
	for a < n {
		step := maxLen
		if stride > 0 && a > 1 {
			step = min(stride, maxLen)
		}
		b := min(a+step, n)
		start := max(0, b-maxLen-1)
		wins = append(wins, TokenSeq{Tokens: seq[start:b], From: a - start})
		a = b
	}
	return wins
}

// Rolling implements LanguageModel.
func (m *TokenLM) Rolling(ctx context.Context, reqs []Rolling) ([]RollingResult, error) {
	maxLen := m.scorer.MaxLength()
	var seqs []TokenSeq
	owner := []int{}
	for i, r := range reqs {
		if r.Stride < 0 {
			return nil, fmt.Errorf("request %d: rolling stride %d is negative", i, r.Stride)
		}
		var prefix []int
		if eot := m.tok.EOT(); eot >= 0 {
			prefix = []int{eot}
		}
		for _, w := range RollingWindows(m.tok.Encode(r.Text), prefix, maxLen, r.Stride) {
			seqs = append(seqs, w)
			owner = append(owner, i)
		}
	}
	scores, err := m.scorer.Score(ctx, seqs)
	if err != nil {
		return nil, err
	}
	m.count(seqs)
	out := make([]RollingResult, len(reqs))
	for j, s := range scores {
		r := sumScores(s)
		out[owner[j]].LogProb += r.LogProb
		out[owner[j]].Tokens += r.Tokens
	}
	return out, nil
}

// Generate implements LanguageModel: each request decoded by its rule, the context cut from
// the left to leave room for the generation budget.
func (m *TokenLM) Generate(ctx context.Context, reqs []Generate) ([]GenerateResult, error) {
	maxLen := m.scorer.MaxLength()
	treqs := make([]TokenGenerate, len(reqs))
	for i, r := range reqs {
		budget := r.MaxTokens
		if budget <= 0 {
			budget = DefaultMaxGenTokens
		}
		budget = min(budget, maxLen-1)
		p := []int{m.tok.EOT()}
		if r.Context != "" {
			p = m.tok.Encode(r.Context)
		}
		if len(p) == 0 || p[0] < 0 {
			return nil, fmt.Errorf("request %d: generation needs a non-empty context with a model that has no end-of-text token", i)
		}
		if keep := maxLen - budget; len(p) > keep {
			p = p[len(p)-keep:]
		}
		if err := r.Decoding.Validate(); err != nil {
			return nil, fmt.Errorf("request %d: %w", i, err)
		}
		treqs[i] = TokenGenerate{Prompt: p, MaxNew: budget, BanFirst: m.bannedTokens(r.Exclude), Decoding: r.Decoding}
	}
	checks := make([]func([]int) bool, len(reqs))
	for i, r := range reqs {
		checks[i] = NewStopCheck(m.tok, r.Until)
	}
	stop := func(i int, gen []int) bool { return checks[i](gen) }
	gens, err := m.scorer.Generate(ctx, treqs, stop)
	if err != nil {
		return nil, err
	}
	eot := m.tok.EOT()
	out := make([]GenerateResult, len(reqs))
	for i, g := range gens {
		m.tokens.Add(int64(len(treqs[i].Prompt) + len(g)))
		if eot >= 0 && len(g) > 0 && g[len(g)-1] == eot {
			g = g[:len(g)-1]
		}
		out[i].Text, _ = CutAtStop(m.tok.Decode(g), reqs[i].Until)
	}
	return out, nil
}

// NewStopCheck returns the stop rule of a generation with stop strings
// until: check(generated) reports whether the last token of generated
// ends it — it is the end-of-text token, or the text now holds a stop
// string — given that generated[:len(generated)-1] did not end it. It
// decodes only a suffix of generated: the last token and the tokens
// before it that spell at least as many bytes as the longest stop string
// (and one more), so a step costs the same however long the generation
// is. That suffix's text ends with the whole text's for tokenizers whose
// Decode is the concatenation of the tokens' pieces (byte-level BPE), and
// up to whitespace at its ends for those that trim it (GPT-1's).
func NewStopCheck(tok Tokenizer, until []string) func(generated []int) bool {
	eot, longest := tok.EOT(), 0
	for _, u := range until {
		longest = max(longest, len(u))
	}
	return func(gen []int) bool {
		n := len(gen)
		if n == 0 {
			return false
		}
		if eot >= 0 && gen[n-1] == eot {
			return true
		}
		if longest == 0 {
			return false
		}
		last := len(tok.Decode(gen[n-1:]))
		for k := min(n, longest+1); ; k = min(n, 2*k) {
			text := tok.Decode(gen[n-k:])
			if k == n || len(text) > last+longest {
				_, hit := CutAtStop(text, until)
				return hit
			}
		}
	}
}

// bannedTokens returns the single-token forms of words (" w" and " W").
func (m *TokenLM) bannedTokens(words []string) []int {
	var ids []int
	seen := map[int]bool{}
	for _, w := range words {
		if w == "" {
			continue
		}
		title := strings.ToUpper(w[:1]) + w[1:]
		for _, form := range []string{" " + w, " " + title} {
			if t := m.tok.Encode(form); len(t) == 1 && !seen[t[0]] {
				seen[t[0]] = true
				ids = append(ids, t[0])
			}
		}
	}
	return ids
}

// CutAtStop cuts s before the earliest occurrence of any of the stop
// strings (empty ones are ignored) and reports whether one occurred: how
// a generation request's Until applies, for every backend.
func CutAtStop(s string, until []string) (string, bool) {
	cut := -1
	for _, u := range until {
		if u == "" {
			continue
		}
		if i := strings.Index(s, u); i >= 0 && (cut < 0 || i < cut) {
			cut = i
		}
	}
	if cut < 0 {
		return s, false
	}
	return s[:cut], true
}
