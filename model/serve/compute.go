package serve

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/kshot-eval/kshot/eval"
)

// promptRun holds one prompt of a request and what was computed for it.
// Position t of the prompt (t ≥ 1) has its values at index t-1.
type promptRun struct {
	ids     []int
	lp      []float64 // lp[t-1] = log p(ids[t] | ids[:t]), natural log
	greedy  []bool    // ids[t] was the most likely token
	top     []int     // the most likely token at position t
	topLP   []float64 // its log-probability
	gen     []int     // generated tokens (end-of-text removed, cut at the stop string)
	genLP   []float64 // their log-probabilities
	text    string    // generated text, cut before the stop string
	stopped bool      // end-of-text or a stop string ended the generation
}

// work is one queued completions request.
type work struct {
	ctx  context.Context
	p    *params
	runs []*promptRun
	err  error
	done chan struct{}
}

func newWork(ctx context.Context, p *params) *work {
	w := &work{ctx: ctx, p: p, done: make(chan struct{})}
	w.reset()
	return w
}

// reset forgets every computed value (before a retry on its own).
func (w *work) reset() {
	w.runs = make([]*promptRun, len(w.p.prompts))
	for i, ids := range w.p.prompts {
		w.runs[i] = &promptRun{ids: ids}
	}
}

func (w *work) finish(err error) {
	w.err = err
	close(w.done)
}

// compute runs a batch of requests through the model: one Score call for
// every echoed prompt, one for the most likely tokens the decoder cannot
// name directly, one Generate call and one Score call for the generated
// tokens' log-probabilities.
func (s *Server) compute(ctx context.Context, works []*work) error {
	var seqs []eval.TokenSeq
	var owners []*promptRun
	for _, w := range works {
		if !w.p.echo || w.p.logprobs < 0 {
			continue
		}
		for _, r := range w.runs {
			if len(r.ids) >= 2 {
				seqs = append(seqs, eval.TokenSeq{Tokens: r.ids, From: 1})
				owners = append(owners, r)
			}
		}
	}
	scores, err := s.score(ctx, seqs)
	if err != nil {
		return err
	}
	for i, r := range owners {
		r.lp, r.greedy = scores[i].LogProbs, scores[i].Greedy
	}
	if err := s.topTokens(ctx, works); err != nil {
		return err
	}
	if err := s.generate(ctx, works); err != nil {
		return err
	}
	// Log-probabilities of the generated tokens.
	seqs, owners = nil, nil
	for _, w := range works {
		if w.p.logprobs < 0 {
			continue
		}
		for _, r := range w.runs {
			if len(r.gen) > 0 {
				all := append(append(make([]int, 0, len(r.ids)+len(r.gen)), r.ids...), r.gen...)
				seqs = append(seqs, eval.TokenSeq{Tokens: all, From: len(r.ids)})
				owners = append(owners, r)
			}
		}
	}
	if scores, err = s.score(ctx, seqs); err != nil {
		return err
	}
	for i, r := range owners {
		r.genLP = scores[i].LogProbs
	}
	return nil
}

// score calls the model's Score and checks the shape of its answer.
func (s *Server) score(ctx context.Context, seqs []eval.TokenSeq) ([]eval.TokenScores, error) {
	if len(seqs) == 0 {
		return nil, nil
	}
	out, err := s.m.Score(ctx, seqs)
	if err != nil {
		return nil, err
	}
	if len(out) != len(seqs) {
		panic(fmt.Sprintf("serve: model returned %d scores for %d sequences", len(out), len(seqs)))
	}
	for i, sc := range out {
		if n := len(seqs[i].Tokens) - seqs[i].From; len(sc.LogProbs) != n || len(sc.Greedy) != n {
			panic(fmt.Sprintf("serve: model returned %d log-probabilities for %d scored tokens", len(sc.LogProbs), n))
		}
	}
	return out, nil
}

// topTokens fills the most likely token and its log-probability at every
// echoed position of the requests that asked for logprobs ≥ 1.
func (s *Server) topTokens(ctx context.Context, works []*work) error {
	type at struct {
		r *promptRun
		t int
	}
	var extra []eval.TokenSeq
	var extraAt []at
	for _, w := range works {
		if !w.p.echo || w.p.logprobs < 1 {
			continue
		}
		for _, r := range w.runs {
			if len(r.ids) < 2 {
				continue
			}
			n := len(r.ids) - 1
			r.top, r.topLP = make([]int, n), make([]float64, n)
			need := false
			for t := range n {
				if r.greedy[t] {
					r.top[t], r.topLP[t] = r.ids[t+1], r.lp[t]
				} else {
					need = true
				}
			}
			if !need {
				continue
			}
			var am []int
			var amLP []float64
			var err error
			if al, ok := s.m.(ArgmaxLogprober); ok {
				am, amLP, err = al.ArgmaxLogprobs(ctx, r.ids[:n])
			} else {
				_, am, err = s.m.TokenLogprobs(ctx, r.ids[:n])
			}
			if err != nil {
				return err
			}
			if len(am) < n || (amLP != nil && len(amLP) < n) {
				panic(fmt.Sprintf("serve: model returned %d most likely tokens for %d positions", len(am), n))
			}
			for t := range n {
				switch {
				case r.greedy[t]:
				case am[t] == r.ids[t+1]:
					// A near-tie decided differently by the two passes:
					// keep the prompt token's own log-probability.
					r.top[t], r.topLP[t] = am[t], r.lp[t]
				case amLP != nil:
					r.top[t], r.topLP[t] = am[t], amLP[t]
				default:
					r.top[t] = am[t]
					seq := append(append(make([]int, 0, t+2), r.ids[:t+1]...), am[t])
					extra = append(extra, eval.TokenSeq{Tokens: seq, From: t + 1})
					extraAt = append(extraAt, at{r, t})
				}
			}
		}
	}
	scores, err := s.score(ctx, extra)
	if err != nil {
		return err
	}
	for i, a := range extraAt {
		a.r.topLP[a.t] = scores[i].LogProbs[0]
	}
	return nil
}

// generate runs every request with max_tokens > 0 through one Generate
// call, with eval.TokenLM's stop rule: the end-of-text token, or a stop
// string in the decoded generation.
func (s *Server) generate(ctx context.Context, works []*work) error {
	var reqs []eval.TokenGenerate
	var runs []*promptRun
	var stops [][]string
	for _, w := range works {
		if w.p.maxTokens == 0 {
			continue
		}
		for _, r := range w.runs {
			reqs = append(reqs, eval.TokenGenerate{Prompt: r.ids, MaxNew: w.p.maxTokens})
			runs = append(runs, r)
			stops = append(stops, w.p.stop)
		}
	}
	if len(reqs) == 0 {
		return nil
	}
	eot := s.tok.EOT()
	checks := make([]func([]int) bool, len(stops))
	for i, u := range stops {
		checks[i] = eval.NewStopCheck(s.tok, u)
	}
	stop := func(i int, gen []int) bool { return checks[i](gen) }
	gens, err := s.m.Generate(ctx, reqs, stop)
	if err != nil {
		return err
	}
	if len(gens) != len(reqs) {
		panic(fmt.Sprintf("serve: model returned %d generations for %d prompts", len(gens), len(reqs)))
	}
	for i, g := range gens {
		r := runs[i]
		if eot >= 0 && len(g) > 0 && g[len(g)-1] == eot {
			g, r.stopped = g[:len(g)-1], true
		}
		text, hit := eval.CutAtStop(s.tok.Decode(g), stops[i])
		r.text, r.stopped = text, r.stopped || hit
		// Keep the tokens that start before the cut.
		keep, off := 0, 0
		for keep < len(g) && off < len(text) {
			off += len(s.tok.Decode(g[keep : keep+1]))
			keep++
		}
		r.gen = g[:keep]
	}
	return nil
}

// completionResponse is the body of a 200 answer to /v1/completions.
type completionResponse struct {
	ID      string   `json:"id"`
	Object  string   `json:"object"`
	Created int64    `json:"created"`
	Model   string   `json:"model"`
	Choices []choice `json:"choices"`
	Usage   usage    `json:"usage"`
}

type choice struct {
	Index        int       `json:"index"`
	Text         string    `json:"text"`
	Logprobs     *logprobs `json:"logprobs"`
	FinishReason string    `json:"finish_reason"`
}

type logprobs struct {
	Tokens        []string             `json:"tokens"`
	TokenLogprobs []*float64           `json:"token_logprobs"`
	TopLogprobs   []map[string]float64 `json:"top_logprobs"`
	TextOffset    []int                `json:"text_offset"`
}

type usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

// response builds the answer to a computed request.
func (s *Server) response(w *work) completionResponse {
	resp := completionResponse{ID: fmt.Sprintf("cmpl-kshot-%d", s.ids.Add(1)), Object: "text_completion",
		Created: s.created, Model: s.opt.Name}
	for i, r := range w.runs {
		var toks []int
		if w.p.echo {
			toks = append(toks, r.ids...)
		}
		toks = append(toks, r.gen...)
		// Byte offsets of every token in the concatenation of their texts.
		var full strings.Builder
		starts := make([]int, len(toks))
		promptEnd := 0
		for k, id := range toks {
			starts[k] = full.Len()
			full.WriteString(s.tok.Decode([]int{id}))
			if w.p.echo && k == len(r.ids)-1 {
				promptEnd = full.Len()
			}
		}
		c := choice{Index: i, Text: full.String()[:promptEnd] + r.text, FinishReason: "length"}
		if r.stopped {
			c.FinishReason = "stop"
		}
		if w.p.logprobs >= 0 {
			lp := &logprobs{TextOffset: charOffsets(full.String(), starts)}
			add := func(id int, v *float64, top map[string]float64) {
				lp.Tokens = append(lp.Tokens, s.tokenString(id))
				lp.TokenLogprobs = append(lp.TokenLogprobs, v)
				lp.TopLogprobs = append(lp.TopLogprobs, top)
			}
			if w.p.echo {
				add(r.ids[0], nil, nil)
				for t := 1; t < len(r.ids); t++ {
					v := r.lp[t-1]
					top := map[string]float64{s.tokenString(r.ids[t]): v}
					if w.p.logprobs >= 1 {
						top = map[string]float64{s.tokenString(r.top[t-1]): r.topLP[t-1]}
					}
					add(r.ids[t], &v, top)
				}
			}
			for k, id := range r.gen {
				v := r.genLP[k]
				add(id, &v, map[string]float64{s.tokenString(id): v})
			}
			c.Logprobs = lp
		}
		resp.Choices = append(resp.Choices, c)
		resp.Usage.PromptTokens += len(r.ids)
		resp.Usage.CompletionTokens += len(r.gen)
	}
	resp.Usage.TotalTokens = resp.Usage.PromptTokens + resp.Usage.CompletionTokens
	return resp
}

// tokenString is a token's text, or "bytes:" and its bytes (printable
// ASCII as is, the others and backslash as \xNN), OpenAI's form, when
// they are not valid UTF-8 on their own.
func (s *Server) tokenString(id int) string {
	t := s.tok.Decode([]int{id})
	if utf8.ValidString(t) {
		return t
	}
	var b strings.Builder
	b.WriteString("bytes:")
	for i := 0; i < len(t); i++ {
		if c := t[i]; c >= 0x20 && c < 0x7f && c != '\\' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, `\x%02x`, c)
		}
	}
	return b.String()
}

// charOffsets converts byte offsets into text to character (code point)
// offsets; an offset inside a multi-byte character maps to that
// character, and each byte of invalid UTF-8 counts as one character.
func charOffsets(text string, byteOffsets []int) []int {
	at := make([]int, len(text)+1)
	k := 0
	for i := 0; i < len(text); {
		_, w := utf8.DecodeRuneInString(text[i:])
		for b := i; b < i+w; b++ {
			at[b] = k
		}
		k++
		i += w
	}
	at[len(text)] = k
	out := make([]int, len(byteOffsets))
	for i, b := range byteOffsets {
		out[i] = at[b]
	}
	return out
}
